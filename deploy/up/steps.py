"""The steps of `deploy up`, in order. Each reads the current state, does what is
missing and returns one line saying what it did (or why it had nothing to do)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timezone

from deploy import airflow_settings, mwaa_rest, runner
from deploy.cloudformation import change_sets
from deploy.cloudformation.stack_states import Next, state_of
from deploy.config import Settings
from deploy.dag_usage import discover_usage
from deploy.errors import DeployError
from deploy.up import preflight, regions, sample_night, stacks
from deploy.up.run import Run
from deploy.validation import run_validation

REQUIRED_ON_CREATE = ("GitHubRepository", "PrivateSubnetIds", "SecurityGroupIds")


def _current_parameters(run: Run) -> dict[str, str]:
    described = change_sets.existing_stack(run.clients.cloudformation, run.options.stack)
    current = {
        p["ParameterKey"]: p.get("ParameterValue", "")
        for p in (described or {}).get("Parameters", [])
    }
    return {**current, **run.options.parameters}


def step_preflight(run: Run) -> str:
    """Credentials, region, subnets, the OIDC provider, the stack's state: read only."""
    o, found = run.options, run.findings
    if not o.skip_region_check:  # first: it needs no call
        regions.check_region(o.region)
    found.account, caller = preflight.identity(run.clients.client("sts"))
    cfn = run.clients.cloudformation
    found.stack_status = change_sets.stack_status(cfn, o.stack)
    preflight.check_stack(cfn, o.stack, found.stack_status, o.clean_up)
    wanted = _current_parameters(run)
    found.notes += _subnet_notes(run, wanted)
    fresh = state_of(found.stack_status).next in (Next.CREATE, Next.DELETE_FIRST)
    if not fresh:  # the stack's own provider is found too: keep what the stack decided
        return f"account {found.account} as {caller}, region {o.region}, stack " + "; ".join(
            [found.stack_status or "absent", *found.notes]
        )
    _require_create_parameters(run, wanted)
    found.parameters = preflight.oidc_parameter(run.clients.client("iam"))
    reused = found.parameters["CreateGitHubOidcProvider"] == "false"
    return (
        f"account {found.account} as {caller}, region {o.region}, stack "
        f"{found.stack_status or 'absent'}; GitHub OIDC provider "
        f"{'exists: reused' if reused else 'created by the stack'}; " + "; ".join(found.notes)
    )


def _subnet_notes(run: Run, wanted: dict[str, str]) -> list[str]:
    """Subnets and AZs; with --network before the network stack exists, only the AZs."""
    o, cfn, ec2 = run.options, run.clients.cloudformation, run.clients.client("ec2")
    if o.network_stack:
        network = stacks.outputs(cfn, o.network_stack)
        if not network:
            return [preflight.check_zones(ec2)]
        wanted.update(stacks.network_parameters(network))
    return preflight.check_subnets(ec2, wanted)


def _require_create_parameters(run: Run, wanted: dict[str, str]) -> None:
    lacking = [k for k in REQUIRED_ON_CREATE if not wanted.get(k)]
    if run.options.network_stack:  # the network stack answers these
        lacking = [k for k in lacking if k not in ("PrivateSubnetIds", "SecurityGroupIds")]
    if lacking:
        raise DeployError(
            f"stack {run.options.stack} does not exist yet and needs parameter(s) "
            f"{', '.join(lacking)}: " + " ".join(f"--parameter {k}=..." for k in lacking)
        )


def step_repair(run: Run) -> str:
    """A failed create (with --clean-up) or an update stuck in UPDATE_ROLLBACK_FAILED."""
    o, cfn = run.options, run.clients.cloudformation
    status = change_sets.stack_status(cfn, o.stack)
    move = state_of(status).next
    if move is Next.DELETE_FIRST:
        stacks.clean_up(cfn, run.clients.s3, o.stack, run.say, o.poll_interval, o.timeout)
        return f"{status}: retained buckets emptied and deleted, stack deleted"
    if move is Next.CONTINUE_ROLLBACK:
        stacks.continue_rollback(cfn, o.stack, run.say, o.poll_interval, o.timeout)
        return "UPDATE_ROLLBACK_FAILED: rollback continued to UPDATE_ROLLBACK_COMPLETE"
    return f"nothing to repair (stack {status or 'absent'})"


def step_network(run: Run) -> str:
    o = run.options
    if not o.network_stack:
        return "skipped: bring-your-own subnets (pass --network to create them)"
    stacks.apply(run.clients, o.network_stack, stacks.NETWORK_TEMPLATE, {}, o, run.say)
    return f"stack {o.network_stack} applied"


def step_stack(run: Run) -> str:
    """The pipelines stack by change set, with pre-flight's and the network's answers."""
    o, cfn = run.options, run.clients.cloudformation
    given = {**run.findings.parameters, **o.parameters}
    if o.network_stack:
        given.update(stacks.network_parameters(stacks.outputs(cfn, o.network_stack)))
    # A template over the inline limit goes through S3: the given bucket, else the
    # stack's own MWAA bucket (a new stack gets it first: cloudformation.cli.template_bucket).
    bucket = o.template_bucket or stacks.outputs(cfn, o.stack).get("MwaaBucket")
    options = dataclasses.replace(o, template_bucket=bucket)
    stacks.apply(run.clients, o.stack, o.repo / o.template, given, options, run.say)
    run.outputs = stacks.outputs(cfn, o.stack)
    return f"stack {o.stack}: {change_sets.stack_status(cfn, o.stack)}"


def _outputs(run: Run) -> dict[str, str]:
    if not run.outputs:
        run.outputs = stacks.outputs(run.clients.cloudformation, run.options.stack)
    if not run.outputs:
        raise DeployError(f"stack {run.options.stack} has no outputs: rerun from the start")
    return run.outputs


def step_deploy(run: Run) -> str:
    """DAGs, SQL, plugins.zip, requirements.txt to the MWAA bucket; MWAA confirms."""
    o, outputs = run.options, _outputs(run)
    settings = Settings(
        repo=o.repo,
        bucket=outputs["MwaaBucket"],
        environment=outputs["MwaaEnvironmentName"],
        region=o.region,
        poll_interval=o.poll_interval,
        timeout=o.timeout,
        skip_validation=o.skip_validation,
        validate_command=o.validate_command,
        confirm_timeout=o.confirm_timeout,
    )
    summary = runner.run_deploy(settings, run.clients, run.say, run.validate or run_validation)
    return (
        f"{len(summary.uploaded)} uploaded, {summary.unchanged} unchanged, "
        f"environment {'updated' if summary.environment_update else 'unchanged'}"
    )


def step_settings(run: Run) -> str:
    """Every Variable and Connection the DAGs read (+ datahub_rest_default with a server)."""
    o, outputs = run.options, _outputs(run)
    usage = (run.usage or discover_usage)(o.repo)
    settings = airflow_settings.resolve(usage, outputs, o.region, o.stack)
    if run.datahub_server:
        token = run.clients.secretsmanager.get_secret_value(
            SecretId=outputs["DataHubGmsTokenSecretArn"]
        )["SecretString"]
        settings.connections["datahub_rest_default"] = {
            "conn_type": "datahub-rest",
            "host": run.datahub_server,
            "password": token,
        }
    outcomes = airflow_settings.write_secrets(run.clients.secretsmanager, settings, lambda _: None)
    counts = {k: sum(v == k for v in outcomes.values()) for k in ("created", "updated")}
    unchanged = len(outcomes) - counts["created"] - counts["updated"]
    return f"{counts['created']} created, {counts['updated']} updated, {unchanged} unchanged"


def step_bootstrap(run: Run) -> str:
    """Database users and grants through the Data API as the namespace admin."""
    from deploy import redshift_bootstrap  # the h21 emulation half writes it

    done = redshift_bootstrap.run_bootstrap(run.clients, _outputs(run))
    return f"{len(done)} SQL file(s) applied: {', '.join(done)}"


def step_sample_night(run: Run) -> str:
    o = run.options
    if not o.sample_night:
        return "skipped (pass --sample-night to land one night of sample extracts)"
    day = o.sample_day or sample_night.first_night()
    bucket = _outputs(run)["LandingBucket"]
    uploaded, unchanged = sample_night.land_night(run.clients.s3, bucket, o.repo, o.sample_dir, day)
    return f"night {day}: {uploaded} uploaded, {unchanged} unchanged in s3://{bucket}/"


def step_unpause(run: Run) -> str:
    """Every DAG the repository ships, unpaused through InvokeRestApi."""
    mwaa, env = run.clients.mwaa, _outputs(run)["MwaaEnvironmentName"]
    listed = mwaa_rest.dags(mwaa, env)
    paused = sorted(d for d, dag in listed.items() if dag.get("is_paused"))
    for dag_id in paused:
        mwaa_rest.unpause(mwaa, env, dag_id)
    return f"{len(paused)} unpaused, {len(listed) - len(paused)} already running"


def is_clock_scheduled(dag: dict) -> bool:
    summary = str(dag.get("timetable_summary") or "")
    return bool(summary) and "asset" not in summary.lower() and summary != "None"


def step_first_runs(run: Run) -> str:
    """With --sample-night: the clock-scheduled DAGs' run of that night (the Asset-
    scheduled ones follow their Assets). A run that exists already is left alone."""
    o = run.options
    if not o.sample_night:
        return "skipped (the first runs come at the schedule: see the readiness report)"
    mwaa, env = run.clients.mwaa, _outputs(run)["MwaaEnvironmentName"]
    day = o.sample_day or sample_night.first_night()
    logical = datetime.combine(day, time(), tzinfo=timezone.utc).isoformat()
    started, existing = [], []
    for dag_id, dag in sorted(mwaa_rest.dags(mwaa, env).items()):
        if is_clock_scheduled(dag):
            made = mwaa_rest.trigger(mwaa, env, dag_id, logical)
            (started if made else existing).append(dag_id)
    return f"night {day}: started {', '.join(started) or 'none'}; already there: " + (
        ", ".join(existing) or "none"
    )
