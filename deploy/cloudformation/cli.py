"""`python -m deploy infra {plan,apply,settings}`: the stack, then the Airflow settings from it.

Kept apart from the DAG deploy's commands: these need no bucket or environment,
only a stack name, and they never touch the MWAA bucket.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Callable

from botocore.exceptions import ClientError

from deploy import airflow_settings, environments
from deploy.aws import Clients
from deploy.cloudformation import change_sets
from deploy.cloudformation.inputs import (
    fits_inline,
    read_parameters,
    read_template,
    seed_template,
    template_parameters,
    template_source,
)
from deploy.dag_usage import discover_usage
from deploy.errors import DeployError

Say = Callable[[str], None]
DEFAULT_STACK = "mwaa-pipelines"
DEFAULT_TEMPLATE = Path("infra/pipelines.yaml")


def add_parser(commands, region_default: str | None) -> None:
    """The `infra` command and its three subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--env",
        default=os.environ.get("MWAA_ENV"),
        help="environment: its stack and parameters (infra/environments/<env>.json, $MWAA_ENV)",
    )
    common.add_argument(
        "--stack",
        default=os.environ.get("MWAA_INFRA_STACK"),
        help=f"stack name ($MWAA_INFRA_STACK; default: the --env's, else {DEFAULT_STACK})",
    )
    common.add_argument("--repo", type=Path, default=Path.cwd(), help="repository root (cwd)")
    common.add_argument("--region", default=region_default, help="$AWS_REGION")
    common.add_argument("--poll-interval", type=float, default=5.0, help="seconds (5)")
    common.add_argument("--timeout", type=float, default=3600.0, help="stack wait, s (3600)")
    change = argparse.ArgumentParser(add_help=False)
    change.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE, help="(%(default)s)")
    change.add_argument("--parameters", type=Path, help="JSON file: {Key: Value} or the CLI's list")
    change.add_argument(
        "--parameter", action="append", default=[], metavar="KEY=VALUE", help="repeatable; wins"
    )
    change.add_argument(
        "--role-arn",
        default=os.environ.get("MWAA_INFRA_ROLE_ARN"),
        help="role CloudFormation makes the changes with ($MWAA_INFRA_ROLE_ARN; default: the "
        "stack's output CloudFormationExecutionRoleArn, none for a new stack)",
    )
    change.add_argument(
        "--template-bucket",
        default=os.environ.get("MWAA_INFRA_TEMPLATE_BUCKET"),
        help="upload templates over 51,200 bytes here ($MWAA_INFRA_TEMPLATE_BUCKET)",
    )
    infra_parser = commands.add_parser(
        "infra", help="CloudFormation stack: plan/apply its change set, Airflow settings"
    )
    sub = infra_parser.add_subparsers(dest="infra_command", required=True)
    sub.add_parser("plan", parents=[common, change], help="show the change set, then delete it")
    apply = sub.add_parser("apply", parents=[common, change], help="execute the change set")
    apply.add_argument(
        "--allow-replacement",
        action="store_true",
        help="let the change set replace stateful resources (buckets, namespace, ...): data loss",
    )
    settings = sub.add_parser(
        "settings", parents=[common], help="Airflow Variables/Connections from the outputs"
    )
    settings.add_argument("--format", choices=["text", "env"], default="text")
    settings.add_argument(
        "--apply",
        action="store_true",
        help="write them to Secrets Manager (<stack>/airflow/..., the stack's outputs)",
    )


def environment_parameters(args: argparse.Namespace) -> dict[str, str]:
    """Resolve --env into args.stack; the environment's parameters (file and --parameter
    win over them)."""
    if not args.env:
        args.stack = args.stack or DEFAULT_STACK
        return {}
    env = environments.load(args.repo.resolve(), args.env)
    if args.stack and args.stack != env.stack:
        raise DeployError(f"--stack {args.stack} but environment {args.env}'s stack is {env.stack}")
    args.stack = env.stack
    return env.parameters


def run(args: argparse.Namespace, clients: Clients, say: Say) -> int:
    """Dispatch; AWS errors become one line that names the stack."""
    defaults = environment_parameters(args)
    try:
        if args.infra_command == "settings":
            return run_settings(args, clients, say)
        return run_change_set(args, clients, say, defaults)
    except ClientError as exc:
        raise DeployError(_explain(exc, args.stack)) from None


def run_change_set(
    args: argparse.Namespace, clients: Clients, say: Say, defaults: dict[str, str]
) -> int:
    """plan: show and delete. apply: show, guard, execute, wait."""
    cfn = clients.cloudformation
    body = read_template(args.template)
    described = change_sets.existing_stack(cfn, args.stack)
    parameters = change_sets.keep_previous_values(
        described,
        read_parameters(args.parameters, args.parameter, defaults),
        template_parameters(body),
        clients.mwaa,
    )
    bucket = template_bucket(args, clients, body, described, say)
    template = template_source(
        clients.s3, body, args.template, args.stack, bucket, cfn.meta.region_name
    )
    role_arn = args.role_arn or change_sets.stack_role(described)
    say(
        f"change set for stack {args.stack} from {args.template}"
        + (f" as {role_arn}" if role_arn else "")
        + " ..."
    )
    change_set = change_sets.create(
        cfn,
        args.stack,
        template,
        parameters,
        args.poll_interval,
        min(args.timeout, 900.0),
        role_arn,
    )
    executing = False
    try:  # whatever happens before execution, no change set (or empty stack) is left behind
        say(change_sets.change_table(change_set))
        if change_set.up_to_date:
            return 0
        for removed in change_sets.stateful_removals(change_set):
            say(
                f"note: {removed.logical_id} ({removed.resource_type}) is removed: deleted with "
                "its data unless the template gives it DeletionPolicy: Retain"
            )
        if args.infra_command == "plan":
            return 0
        if not args.allow_replacement:
            change_sets.refuse_replacements(change_set)
        executing = True
        say(f"executing the change set on stack {args.stack} ...")
        status = change_sets.execute(cfn, change_set, say, args.poll_interval, args.timeout)
    finally:
        if not executing:
            change_sets.discard(cfn, change_set)
    say(f"stack {args.stack}: {status}")
    return 0


# The template's bucket that holds the template itself when it is over the inline limit.
TEMPLATE_HOLDER = "MwaaBucket"


def template_bucket(args, clients: Clients, body: str, described: dict | None, say: Say):
    """Where a template over the inline limit goes: --template-bucket, else the stack's
    own MWAA bucket. A new stack first gets that bucket alone (`seed_template`), so the
    first create needs no bucket made by hand; `plan` never creates anything."""
    if args.template_bucket or fits_inline(body, args.template):
        return args.template_bucket
    outputs = {o["OutputKey"]: o["OutputValue"] for o in (described or {}).get("Outputs", [])}
    if outputs.get(TEMPLATE_HOLDER) or described is not None or args.infra_command == "plan":
        if outputs.get(TEMPLATE_HOLDER):
            return outputs[TEMPLATE_HOLDER]
        raise DeployError(
            f"template {args.template} is over CloudFormation's inline limit and stack "
            f"{args.stack} has no {TEMPLATE_HOLDER} output yet: pass --template-bucket "
            "(`apply` of a new stack creates its bucket first)"
        )
    say(f"over the inline limit: stack {args.stack} gets its {TEMPLATE_HOLDER} first, to hold it")
    cfn = clients.cloudformation
    seed = {"TemplateBody": seed_template(body, args.template, TEMPLATE_HOLDER)}
    change_set = change_sets.create(cfn, args.stack, seed, [], args.poll_interval, args.timeout)
    change_sets.execute(cfn, change_set, say, args.poll_interval, args.timeout)
    seeded = change_sets.describe_stack(cfn, args.stack) or {}
    return {o["OutputKey"]: o["OutputValue"] for o in seeded.get("Outputs", [])}[TEMPLATE_HOLDER]


def run_settings(args: argparse.Namespace, clients: Clients, say: Say) -> int:
    """Print the settings the DAGs need; with --apply also write them as secrets."""
    outputs = airflow_settings.stack_outputs(clients.cloudformation, args.stack)
    usage = discover_usage(args.repo.resolve())  # after: a missing stack fails fast
    region = clients.cloudformation.meta.region_name
    settings = airflow_settings.resolve(usage, outputs, region, args.stack)
    say(airflow_settings.render(settings, args.format))
    if args.apply:
        say(f"writing {len(settings.variables) + len(settings.connections)} secrets ...")
        outcomes = airflow_settings.write_secrets(clients.secretsmanager, settings, say)
        counts = {o: sum(v == o for v in outcomes.values()) for o in ("created", "updated")}
        unchanged = len(outcomes) - counts["created"] - counts["updated"]
        say(
            f"done: created {counts['created']}, updated {counts['updated']}, "
            f"unchanged {unchanged}"
        )
    return 0


def _explain(exc: ClientError, stack: str) -> str:
    error = exc.response.get("Error", {})
    code, message = error.get("Code", ""), error.get("Message", "")
    if code in {"AccessDenied", "AccessDeniedException", "403"}:
        return (
            f"access denied for {exc.operation_name} (stack {stack}): the credentials in use "
            "lack a CloudFormation or Secrets Manager permission (and those of the resources "
            "the template creates)"
        )
    return f"{exc.operation_name} failed for stack {stack}: {code}: {message}"
