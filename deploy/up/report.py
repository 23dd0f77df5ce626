"""The readiness report: what runs tonight and when, what is disabled and why."""

from __future__ import annotations

from deploy import mwaa_rest
from deploy.up import sample_night
from deploy.up.run import Run


def _when(dag: dict) -> str:
    if dag.get("is_paused"):
        return "PAUSED: rerun `python -m deploy up` (it unpauses)"
    summary = str(dag.get("timetable_summary") or "")
    if not summary:
        return "no schedule: runs only when triggered"
    if "asset" in summary.lower():
        return "when its upstream Assets are updated (after the nightly DAGs)"
    described = dag.get("timetable_description") or f"cron {summary}"
    after = dag.get("next_dagrun_run_after")
    return described + (f", next run at {after}" if after else "")


def disabled(run: Run) -> list[str]:
    """What is switched off, each with the reason and how to turn it on."""
    off = []
    if not run.datahub_server:
        off.append(
            "DataHub: no server configured (stack parameter DataHubGmsUrl is empty): "
            "datahub__ingest_metadata skips its ingestion and no lineage is sent; set "
            "DataHubGmsUrl, put the token in the DataHubGmsTokenSecretArn secret, rerun "
            "(docs/datahub.md)"
        )
    if not run.options.sample_night:
        day = sample_night.first_night()
        off.append(
            f"no sample night: tonight's runs wait up to 3 h for s3://"
            f"{run.outputs.get('LandingBucket', '<landing>')}/tickit/<table>/ds={day}/_SUCCESS "
            "and synthea/<table>/ds=.../; land your extracts there or rerun with --sample-night"
        )
    return off


def readiness(run: Run) -> str:
    listed = mwaa_rest.dags(run.clients.mwaa, run.environment)
    lines = [f"Ready: MWAA environment {run.environment}, {len(listed)} DAG(s) (times in UTC)"]
    lines += [f"  {dag_id:<32} {_when(dag)}" for dag_id, dag in sorted(listed.items())]
    off = disabled(run)
    lines += ["Disabled:"] + [f"  {line}" for line in off] if off else ["Disabled: nothing"]
    return "\n".join(lines)


def step_readiness(run: Run) -> str:
    run.say(readiness(run))
    return "reported above"
