"""Command line: ``python -m deploy {plan,deploy,status,infra,up}``.

Exit codes: 0 success / in sync, 1 error (message says what to do),
2 usage error, 3 ``status`` found drift.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from deploy import __version__, infra_cli, report, runner
from deploy.aws import make_clients
from deploy.errors import DeployError, explain
from deploy.settings import Settings
from deploy.up import cli as up_cli
from deploy.validation import DEFAULT_COMMAND

EPILOG = """\
environment variables: MWAA_BUCKET, MWAA_ENVIRONMENT, AWS_REGION, MWAA_INFRA_STACK
(flags win);
AWS_ENDPOINT_URL[_S3|_MWAA|_CLOUDFORMATION|_SECRETS_MANAGER] point boto3 at an emulator.
exit codes: 0 ok, 1 error, 2 usage, 3 status found drift.
"""


def parser() -> argparse.ArgumentParser:
    """Argument parser shared by the commands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--repo", type=Path, default=Path.cwd(), help="repository root (cwd)")
    common.add_argument("--bucket", default=os.environ.get("MWAA_BUCKET"), help="$MWAA_BUCKET")
    common.add_argument(
        "--environment", default=os.environ.get("MWAA_ENVIRONMENT"), help="$MWAA_ENVIRONMENT"
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    common.add_argument("--region", default=region, help="$AWS_REGION")
    top = argparse.ArgumentParser(
        prog="python -m deploy",
        description="Deploy DAGs, SQL, plugins.zip and requirements.txt to Amazon MWAA.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=__version__)
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("plan", parents=[common], help="dry run: show what deploy would do")
    commands.add_parser("status", parents=[common], help="report drift (bucket/repo/manifest)")
    deploy = commands.add_parser("deploy", parents=[common], help="validate, upload, update")
    deploy.add_argument("--poll-interval", type=float, default=30.0, help="seconds (30)")
    deploy.add_argument("--timeout", type=float, default=3600.0, help="update wait, s (3600)")
    deploy.add_argument(
        "--max-delete-share", type=float, default=0.2, help="refuse bigger deletes (0.2)"
    )
    deploy.add_argument("--force-delete", action="store_true", help="override the delete guard")
    deploy.add_argument(
        "--skip-validation",
        action="store_true",
        help="emergency only: do not run the DAG validation tests (recorded in the manifest)",
    )
    deploy.add_argument(
        "--validate-command",
        default=os.environ.get("MWAA_DEPLOY_VALIDATE_COMMAND", DEFAULT_COMMAND),
        help="run before any write; must exit 0 ($MWAA_DEPLOY_VALIDATE_COMMAND; default: "
        "the gate's DAG validation tests)",
    )
    deploy.add_argument(
        "--confirm-timeout",
        type=float,
        default=float(os.environ.get("MWAA_DEPLOY_CONFIRM_TIMEOUT", "900")),
        help="after the upload, wait up to this many seconds for MWAA to parse every DAG "
        "and fail on import errors; 0 skips the check ($MWAA_DEPLOY_CONFIRM_TIMEOUT, 900)",
    )
    deploy.add_argument("--worker-replacement", choices=["GRACEFUL", "FORCED"], default=None)
    infra_cli.add_parser(commands, region)
    up_cli.add_parser(commands, region)
    return top


def settings_from(args: argparse.Namespace) -> Settings:
    """Validate required values early, with the variable name to set."""
    if not args.bucket:
        raise DeployError("no bucket: set MWAA_BUCKET or pass --bucket")
    return Settings(
        repo=args.repo.resolve(),
        bucket=args.bucket,
        environment=args.environment,
        region=args.region,
        poll_interval=getattr(args, "poll_interval", 30.0),
        timeout=getattr(args, "timeout", 3600.0),
        max_delete_share=getattr(args, "max_delete_share", 0.2),
        force_delete=getattr(args, "force_delete", False),
        skip_validation=getattr(args, "skip_validation", False),
        validate_command=getattr(args, "validate_command", DEFAULT_COMMAND),
        worker_replacement=getattr(args, "worker_replacement", None),
        confirm_timeout=getattr(args, "confirm_timeout", 0.0),
    )


def say(message: str) -> None:
    """Progress goes to stdout immediately (CI logs stream)."""
    print(message, flush=True)


def main(argv: list[str] | None = None, clients=None) -> int:
    """Entry point; returns the exit code instead of raising for expected errors."""
    args = parser().parse_args(argv)
    settings = None
    try:
        if args.command == "infra":
            return infra_cli.run(args, clients or make_clients(args.region), say)
        if args.command == "up":
            return up_cli.run(args, clients or make_clients(args.region), say)
        settings = settings_from(args)
        clients = clients or make_clients(settings.region)
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
