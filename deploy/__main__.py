"""Command line: ``python -m deploy {plan,deploy,status,export,infra,up,review}``.

Exit codes: 0 success / in sync, 1 error (message says what to do),
2 usage error, 3 ``status`` found drift.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from deploy import __version__, environments, promotion, report, runner
from deploy.airflow_settings import stack_outputs
from deploy.aws import make_clients
from deploy.cloudformation import cli as infra_cli
from deploy.config import Settings
from deploy.errors import DeployError, explain
from deploy.review import cli as review_cli
from deploy.up import cli as up_cli

EPILOG = """\
environment variables: MWAA_ENV, MWAA_BUCKET, MWAA_ENVIRONMENT, AWS_REGION, MWAA_INFRA_STACK
(flags win); --env NAME reads infra/environments/<NAME>.json and takes the bucket and the
MWAA environment from that stack's outputs;
AWS_ENDPOINT_URL[_S3|_MWAA|_CLOUDFORMATION|_SECRETS_MANAGER] point boto3 at an emulator.
exit codes: 0 ok, 1 error, 2 usage, 3 status found drift.
"""


def _common_flags() -> argparse.ArgumentParser:
    """Where to deploy: flags shared by plan, status, deploy and export."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--repo", type=Path, default=Path.cwd(), help="repository root (cwd)")
    common.add_argument(
        "--env",
        default=os.environ.get("MWAA_ENV"),
        help="environment (infra/environments/<env>.json): its stack's bucket and MWAA "
        "environment ($MWAA_ENV)",
    )
    common.add_argument("--bucket", default=os.environ.get("MWAA_BUCKET"), help="$MWAA_BUCKET")
    common.add_argument(
        "--environment", default=os.environ.get("MWAA_ENVIRONMENT"), help="$MWAA_ENVIRONMENT"
    )
    common.add_argument("--region", default=default_region(), help="$AWS_REGION")
    return common


def default_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def _add_deploy_flags(deploy: argparse.ArgumentParser) -> None:
    """How `deploy` runs; every default is Settings' (deploy/config.py)."""
    deploy.add_argument(
        "--poll-interval", type=float, default=Settings.poll_interval, help="s (%(default)s)"
    )
    deploy.add_argument(
        "--timeout", type=float, default=Settings.timeout, help="update wait, s (%(default)s)"
    )
    deploy.add_argument(
        "--max-delete-share",
        type=float,
        default=Settings.max_delete_share,
        help="refuse bigger deletes (%(default)s)",
    )
    deploy.add_argument("--force-delete", action="store_true", help="override the delete guard")
    deploy.add_argument(
        "--skip-validation",
        action="store_true",
        help="emergency only: do not run the DAG validation tests (recorded in the manifest)",
    )
    deploy.add_argument(
        "--validate-command",
        default=os.environ.get("MWAA_DEPLOY_VALIDATE_COMMAND", Settings.validate_command),
        help="run before any write; must exit 0 ($MWAA_DEPLOY_VALIDATE_COMMAND; default: "
        "the gate's DAG validation tests)",
    )
    deploy.add_argument(
        "--confirm-timeout",
        type=float,
        default=float(os.environ.get("MWAA_DEPLOY_CONFIRM_TIMEOUT", Settings.confirm_timeout)),
        help="after the upload, wait up to this many seconds for MWAA to parse every DAG "
        "and fail on import errors; 0 skips the check ($MWAA_DEPLOY_CONFIRM_TIMEOUT, %(default)s)",
    )
    deploy.add_argument("--worker-replacement", choices=["GRACEFUL", "FORCED"], default=None)


def parser() -> argparse.ArgumentParser:
    """Argument parser shared by the commands (flag defaults: Settings, deploy/config.py)."""
    common = _common_flags()
    top = argparse.ArgumentParser(
        prog="python -m deploy",
        description="Deploy DAGs, SQL, plugins.zip and requirements.txt to Amazon MWAA.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=__version__)
    commands = top.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", parents=[common], help="dry run: show what deploy would do")
    commands.add_parser("status", parents=[common], help="report drift (bucket/repo/manifest)")
    deploy = commands.add_parser("deploy", parents=[common], help="validate, upload, update")
    _add_deploy_flags(deploy)
    for command in (plan, deploy):
        command.add_argument(
            "--from",
            dest="bundle",
            type=Path,
            help="deploy what `export` wrote from the environment this one is promoted from",
        )
    export = commands.add_parser(
        "export", parents=[common], help="the deployed objects and manifest, for promotion"
    )
    export.add_argument("--out", type=Path, required=True, help="a new folder")
    infra_cli.add_parser(commands, default_region())
    up_cli.add_parser(commands, default_region())
    review_cli.add_parser(commands)
    return top


# Settings fields the command line gives as they are (only `deploy` has most of them).
FLAGS = {f.name for f in fields(Settings)} - {"repo", "bucket", "environment", "promote_from"}


def settings_from(args: argparse.Namespace, clients=None) -> Settings:
    """Validate required values early, with the variable name to set; with --env, the
    bucket and the MWAA environment are the environment's stack's outputs. A flag the
    command lacks takes Settings' default."""
    bucket, environment, promote_from = args.bucket, args.environment, None
    if args.env:
        env = environments.load(args.repo.resolve(), args.env)
        outputs = stack_outputs(clients.cloudformation, env.stack)
        bucket = bucket or outputs.get("MwaaBucket")
        environment = environment or outputs.get("MwaaEnvironmentName")
        promote_from = env.promote_from
    if not bucket:
        raise DeployError("no bucket: pass --env, set MWAA_BUCKET or pass --bucket")
    given = {name: value for name, value in vars(args).items() if name in FLAGS}
    return Settings(
        repo=args.repo.resolve(),
        bucket=bucket,
        environment=environment,
        promote_from=promote_from,
        **given,
    )


def say(message: str) -> None:
    """Progress goes to stdout immediately (CI logs stream)."""
    print(message, flush=True)


def main(argv: list[str] | None = None, clients=None) -> int:
    """Entry point; returns the exit code instead of raising for expected errors."""
    args = parser().parse_args(argv)
    settings = None
    try:
        if args.command == "review":
            return review_cli.run(args, say)
        if args.command == "infra":
            return infra_cli.run(args, clients or make_clients(args.region), say)
        if args.command == "up":
            return up_cli.run(args, clients or make_clients(args.region), say)
        clients = clients or make_clients(args.region)
        settings = settings_from(args, clients)
        if args.command == "export":
            if not args.env:
                raise DeployError("export needs --env: the environment whose deploy to export")
            promotion.export(clients.s3, settings.bucket, settings.env or "", args.out, say)
            return 0
        if args.command == "plan":
            plan, reasons = runner.run_plan(settings, clients, say)
            say(report.plan_table(plan, reasons, settings.environment))
            return 0
        if args.command == "status":
            drift = runner.run_status(settings, clients, say)
            say(report.drift_table(drift))
            return 3 if drift else 0
        summary = runner.run_deploy(settings, clients, say)
        say(report.summary_line(summary, settings.environment or ""))
        return 0
    except DeployError as exc:
        print(f"deploy: error: {exc}", file=sys.stderr)
    except (ClientError, BotoCoreError) as exc:
        bucket = settings.bucket if settings else None
        environment = settings.environment if settings else None
        print(f"deploy: error: {explain(exc, bucket, environment)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
