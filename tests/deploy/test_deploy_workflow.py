"""The deploy and gate workflows: pinned actions, OIDC only, no credentials, never on PRs;
the gate as parallel jobs, and no concurrency group that can cancel a running deploy."""

from __future__ import annotations

import json
import re

from devkit.paths import REPO

WORKFLOW = REPO / ".github" / "workflows" / "deploy.yml"


def test_every_action_is_pinned_to_a_full_sha_with_version_comment():
    uses = re.findall(r"^\s*(?:- )?uses:\s*(\S+)(.*)$", WORKFLOW.read_text(), re.MULTILINE)
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.search(r"#\s*v\d", comment), f"{ref}: add a version comment"


def test_oidc_not_keys_and_reusable_only():
    text = WORKFLOW.read_text()
    assert "secrets." not in text and "aws-access-key-id" not in text
    assert "workflow_call" in text and "pull_request" not in text.split("name: deploy", 1)[1]
    assert "persist-credentials: false" in text
    assert "cancel-in-progress: false" in text


# --- the gate workflow: parallel jobs, then the deploy; a deploy is never cancelled ----

GATE = REPO / ".github" / "workflows" / "test_dags.yml"
PUSH_TO_MAIN = {"event_name": "push", "ref": "refs/heads/main"}
PULL_REQUEST = {"event_name": "pull_request", "ref": "refs/pull/7/merge"}


def load(workflow) -> dict:
    import yaml

    return yaml.safe_load(workflow.read_text())


def cancels(concurrency, github: dict) -> bool:
    """Whether this concurrency setting cancels a running job for this event. Handles
    literals and one `${{ github.<name> ==/!= '<value>' }}` comparison; anything else
    fails the test rather than be guessed."""
    if not isinstance(concurrency, dict):  # a bare group name: never cancels what runs
        return False
    value = concurrency.get("cancel-in-progress", False)
    if isinstance(value, bool):
        return value
    found = re.fullmatch(r"\$\{\{\s*github\.(\w+)\s*(==|!=)\s*'([^']*)'\s*\}\}", value.strip())
    assert found, f"cannot evaluate cancel-in-progress: {value!r}"
    name, operator, expected = found.groups()
    return (github[name] == expected) == (operator == "==")


DEPLOYS = ["deploy-staging", "deploy-production"]


def deploy_concurrency() -> list[tuple[str, object]]:
    """Every concurrency setting that applies to the deploy jobs of a gate run."""
    gate = load(GATE)
    callers = [name for name, job in gate["jobs"].items() if "deploy.yml" in job.get("uses", "")]
    assert callers == DEPLOYS
    deploy = load(WORKFLOW)
    settings = [("test_dags.yml (workflow)", gate.get("concurrency"))]
    for caller in callers:
        settings.append((f"test_dags.yml jobs.{caller}", gate["jobs"][caller].get("concurrency")))
    settings.append(("deploy.yml (workflow)", deploy.get("concurrency")))
    for name, job in deploy["jobs"].items():
        settings.append((f"deploy.yml jobs.{name}", job.get("concurrency")))
    return settings


def test_no_concurrency_group_cancels_the_deploy_on_a_push_to_main():
    for where, concurrency in deploy_concurrency():
        assert not cancels(concurrency, PUSH_TO_MAIN), f"{where} cancels a running deploy"
    deploy_job = load(WORKFLOW)["jobs"]["deploy"]["concurrency"]
    # One group per environment: staging's deploy never waits for production's approval.
    assert deploy_job == {
        "group": "mwaa-deploy-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }


def test_a_superseded_pull_request_or_branch_run_is_still_cancelled():
    workflow_level = load(GATE)["concurrency"]
    assert cancels(workflow_level, PULL_REQUEST)
    assert cancels(workflow_level, {"event_name": "push", "ref": "refs/heads/feature"})


def test_the_gate_runs_as_parallel_jobs_and_the_deploy_needs_every_one():
    jobs = load(GATE)["jobs"]
    runs = {
        name: " ".join(s.get("run", "") for s in job.get("steps", [])) for name, job in jobs.items()
    }
    assert "./run_tests_locally.sh --only static" in runs["static"]
    assert "./run_tests_locally.sh --only unit" in runs["unit"]
    assert './run_tests_locally.sh --only "domain=$DOMAIN"' in runs["end-to-end"]
    assert "python -m devkit.tools.gate_domains --matrix" in runs["domains"]
    matrix = jobs["end-to-end"]["strategy"]["matrix"]
    assert matrix["domain"] == "${{ fromJSON(needs.domains.outputs.domains) }}"

    needed, pending = set(), list(jobs["deploy-staging"]["needs"])
    while pending:
        name = pending.pop()
        needed.add(name)
        pending.extend(jobs[name].get("needs", []))
    assert needed == set(jobs) - set(DEPLOYS) - {"review"}  # the review informs; it gates nothing


def test_production_deploys_stagings_export_after_staging():
    jobs = load(GATE)["jobs"]
    assert jobs["deploy-staging"]["with"] == {"environment": "staging"}
    assert jobs["deploy-production"]["needs"] == ["deploy-staging"]
    assert jobs["deploy-production"]["with"] == {
        "environment": "production",
        "promote-from": "staging",
    }
    steps = {s.get("name"): s for s in load(WORKFLOW)["jobs"]["deploy"]["steps"]}
    fetch = steps["Fetch the export of the environment promoted from"]
    hand = steps["Hand the export to the next environment"]
    # The artifact staging uploads is the one production downloads, for this commit only.
    assert hand["with"]["name"] == "mwaa-deploy-${{ inputs.environment }}-${{ github.sha }}"
    assert fetch["with"]["name"] == "mwaa-deploy-${{ inputs.promote-from }}-${{ github.sha }}"
    assert hand["with"]["include-hidden-files"] is True  # dags/.airflowignore
    for step in ("Plan", "Deploy"):
        assert "${PROMOTE_FROM:+--from .deploy-export}" in steps[step]["run"], step
    assert fetch["with"]["path"] == ".deploy-export"
    environment = load(WORKFLOW)["jobs"]["deploy"]["environment"]
    assert environment == {"name": "${{ inputs.environment }}"}


def test_every_cache_is_keyed_on_every_lock_the_jobs_use():
    locks = {
        "requirements/lock.txt",
        "requirements/bootstrap.txt",
        "requirements/datahub/lock.txt",
        "requirements/checkov/lock.txt",
    }
    for name, job in load(GATE)["jobs"].items():
        for step in job.get("steps", []):
            settings = step.get("with", {})
            if "cache" in settings:
                keys = set(settings["cache-dependency-path"].split())
                assert locks <= keys, name
                if name == "unit":  # it builds MWAA's own environment (.venv-mwaa) too
                    assert {"requirements/requirements.txt", "requirements/mwaa/*.txt"} <= keys


def test_every_gate_action_is_pinned_to_a_full_sha_with_version_comment():
    uses = re.findall(r"^\s*(?:- )?uses:\s*(\S+)(.*)$", GATE.read_text(), re.MULTILINE)
    for ref, comment in uses:
        if ref.startswith("./"):
            continue  # the repository's own reusable workflow
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.search(r"#\s*v\d", comment), f"{ref}: add a version comment"


# --- the review of a pull request, in the job summary ----------------------------------


def test_every_pull_request_gets_the_review_in_its_job_summary_forks_included():
    gate = load(GATE)
    triggers = gate[True] if True in gate else gate["on"]  # PyYAML reads `on:` as True
    assert "pull_request" in triggers and "pull_request_target" not in triggers
    review = gate["jobs"]["review"]
    assert review["if"] == "github.event_name == 'pull_request'"
    assert review["permissions"] == {"contents": "read"}  # what a fork's PR gets anyway
    checkout = next(s for s in review["steps"] if "actions/checkout@" in s.get("uses", ""))
    assert checkout["with"]["persist-credentials"] is False
    assert checkout["with"]["fetch-depth"] >= 2  # the merge commit's base, HEAD^1
    (step,) = [s for s in review["steps"] if "deploy review" in s.get("run", "")]
    assert '--base HEAD^1 --output "$GITHUB_STEP_SUMMARY"' in step["run"]
    text = json.dumps(review).lower()  # the job as parsed: comments left out
    assert "secrets." not in text and "id-token" not in text and "aws" not in text
    assert "${{" not in step["run"]  # nothing from the event is expanded into the script


def test_the_deploy_workflow_does_not_review_and_the_deploy_does_not_wait_for_it():
    assert "deploy review" not in WORKFLOW.read_text()
    for deploy in DEPLOYS:
        assert "review" not in load(GATE)["jobs"][deploy]["needs"]


def test_the_deploy_session_outlives_the_job_and_fits_the_role():
    """An infra update plus an environment update fit in the job's timeout; the OIDC
    session must last as long (the default is one hour), within MaxSessionDuration."""
    from devkit.iam.infra_policies import INFRA_DIR, load_template

    text = WORKFLOW.read_text()
    duration = int(re.search(r"role-duration-seconds: (\d+)", text).group(1))
    timeout = int(re.search(r"timeout-minutes: (\d+)", text).group(1))
    role = load_template(INFRA_DIR / "pipelines.yaml")["Resources"]["DeployRole"]
    assert timeout * 60 <= duration <= int(role["Properties"]["MaxSessionDuration"])
