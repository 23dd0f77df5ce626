"""`python -m deploy infra {plan,apply,settings}`: the stack, then the Airflow settings from it.

Kept apart from the DAG deploy's commands: these need no bucket or environment,
only a stack name, and they never touch the MWAA bucket.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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


@dataclass
class StackChange:
    """One change set to plan or apply: what `infra plan|apply` and `deploy up` pass.
    The defaults are the command line's."""

    stack: str
    template: Path = Path("infra/pipelines.yaml")
    parameters: dict[str, str] = field(default_factory=dict)  # the given ones; others kept
    execute: bool = False  # apply: execute the change set (plan: show it, then delete it)
    allow_replacement: bool = False
    role_arn: str | None = None
    template_bucket: str | None = None
    poll_interval: float = 5.0
    timeout: float = 3600.0

    @property
    def parameter_list(self) -> list[dict[str, str]]:
        return [
            {"ParameterKey": k, "ParameterValue": v} for k, v in sorted(self.parameters.items())
        ]


def _common_flags(region_default: str | None) -> argparse.ArgumentParser:
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
    common.add_argument(
        "--poll-interval", type=float, default=StackChange.poll_interval, help="s (%(default)s)"
    )
    common.add_argument(
        "--timeout", type=float, default=StackChange.timeout, help="stack wait, s (%(default)s)"
    )
    return common


def _change_flags() -> argparse.ArgumentParser:
    change = argparse.ArgumentParser(add_help=False)
    change.add_argument("--template", type=Path, default=StackChange.template, help="(%(default)s)")
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
    return change


def add_parser(commands, region_default: str | None) -> None:
    """The `infra` command and its three subcommands."""
    common, change = _common_flags(region_default), _change_flags()
    infra_parser = commands.add_parser(
        "infra", help="CloudFormation stack: plan/apply its change set, Airflow settings"
    )
    sub = infra_parser.add_subparsers(dest="infra_command", required=True)
    plan = sub.add_parser(
        "plan", parents=[common, change], help="show the change set, then delete it"
    )
    plan.set_defaults(allow_replacement=StackChange.allow_replacement)
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


def change_from(args: argparse.Namespace, defaults: dict[str, str]) -> StackChange:
    """`infra plan|apply`'s flags as a StackChange (the environment's parameters first)."""
    given = read_parameters(args.parameters, args.parameter, defaults)
    return StackChange(
        stack=args.stack,
        template=args.template,
        parameters={p["ParameterKey"]: p["ParameterValue"] for p in given},
        execute=args.infra_command == "apply",
        allow_replacement=args.allow_replacement,
        role_arn=args.role_arn,
        template_bucket=args.template_bucket,
        poll_interval=args.poll_interval,
        timeout=args.timeout,
    )


def run(args: argparse.Namespace, clients: Clients, say: Say) -> int:
    """Dispatch; AWS errors become one line that names the stack."""
    defaults = environment_parameters(args)
    if args.infra_command == "settings":
        with errors_naming(args.stack):
            return run_settings(args, clients, say)
    return run_change_set(change_from(args, defaults), clients, say)


@contextmanager
def errors_naming(stack: str) -> Iterator[None]:
    """An AWS error as one DeployError line that names the stack."""
    try:
        yield
    except ClientError as exc:
        raise DeployError(_explain(exc, stack)) from None


def run_change_set(change: StackChange, clients: Clients, say: Say) -> int:
    """plan: show and delete. apply: show, guard, execute, wait."""
    with errors_naming(change.stack):
        change_set = _create(change, clients, say)
        status = _review_then_execute(change, clients.cloudformation, change_set, say)
    if status:
        say(f"stack {change.stack}: {status}")
    return 0


def _create(change: StackChange, clients: Clients, say: Say) -> change_sets.ChangeSet:
    """The change set of the template and parameters; parameters not given keep their value."""
    cfn = clients.cloudformation
    body = read_template(change.template)
    described = change_sets.existing_stack(cfn, change.stack)
    parameters = change_sets.keep_previous_values(
        described, change.parameter_list, template_parameters(body), clients.mwaa
    )
    bucket = template_bucket(change, clients, body, described, say)
    template = template_source(
        clients.s3, body, change.template, change.stack, bucket, cfn.meta.region_name
    )
    role_arn = change.role_arn or change_sets.stack_role(described)
    say(
        f"change set for stack {change.stack} from {change.template}"
        + (f" as {role_arn}" if role_arn else "")
        + " ..."
    )
    return change_sets.create(
        cfn,
        change.stack,
        template,
        parameters,
        poll_interval=change.poll_interval,
        timeout=min(change.timeout, 900.0),
        role_arn=role_arn,
    )


def _review_then_execute(
    change: StackChange, cfn, change_set: change_sets.ChangeSet, say: Say
) -> str | None:
    """Show the change set; with `execute`, guard and run it (the final status). Whatever
    happens before execution, no change set (or empty stack) is left behind."""
    executing = False
    try:
        say(change_sets.change_table(change_set))
        if change_set.up_to_date:
            return None
        for removed in change_sets.stateful_removals(change_set):
            say(
                f"note: {removed.logical_id} ({removed.resource_type}) is removed: deleted with "
                "its data unless the template gives it DeletionPolicy: Retain"
            )
        if not change.execute:
            return None
        if not change.allow_replacement:
            change_sets.refuse_replacements(change_set)
        executing = True
        say(f"executing the change set on stack {change.stack} ...")
        return change_sets.execute(cfn, change_set, say, change.poll_interval, change.timeout)
    finally:
        if not executing:
            change_sets.discard(cfn, change_set)


# The template's bucket that holds the template itself when it is over the inline limit.
TEMPLATE_HOLDER = "MwaaBucket"


def template_bucket(
    change: StackChange, clients: Clients, body: str, described: dict | None, say: Say
) -> str | None:
    """Where a template over the inline limit goes: --template-bucket, else the stack's
    own MWAA bucket. A new stack first gets that bucket alone (`seed_template`), so the
    first create needs no bucket made by hand; `plan` never creates anything."""
    if change.template_bucket or fits_inline(body, change.template):
        return change.template_bucket
    outputs = {o["OutputKey"]: o["OutputValue"] for o in (described or {}).get("Outputs", [])}
    if outputs.get(TEMPLATE_HOLDER) or described is not None or not change.execute:
        if outputs.get(TEMPLATE_HOLDER):
            return outputs[TEMPLATE_HOLDER]
        raise DeployError(
            f"template {change.template} is over CloudFormation's inline limit and stack "
            f"{change.stack} has no {TEMPLATE_HOLDER} output yet: pass --template-bucket "
            "(`apply` of a new stack creates its bucket first)"
        )
    return _seed_template_holder(change, clients, body, say)


def _seed_template_holder(change: StackChange, clients: Clients, body: str, say: Say) -> str:
    """A new stack's TEMPLATE_HOLDER, created alone by a first change set; its name."""
    say(f"over the inline limit: stack {change.stack} gets its {TEMPLATE_HOLDER} first, to hold it")
    cfn, poll, timeout = clients.cloudformation, change.poll_interval, change.timeout
    seed = {"TemplateBody": seed_template(body, change.template, TEMPLATE_HOLDER)}
    change_set = change_sets.create(
        cfn, change.stack, seed, [], poll_interval=poll, timeout=timeout
    )
    change_sets.execute(cfn, change_set, say, poll, timeout)
    seeded = change_sets.describe_stack(cfn, change.stack) or {}
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
