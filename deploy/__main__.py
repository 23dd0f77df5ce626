"""Command line: ``python -m deploy {plan,deploy,status,export,infra,up,review}``.

Exit codes: 0 success / in sync, 1 error (message says what to do),
2 usage error, 3 ``status`` found drift.
"""

from __future__ import annotations

import argparse
import os
import sys
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
from deploy.validation import DEFAULT_COMMAND

EPILOG = """\
environment variables: MWAA_ENV, MWAA_BUCKET, MWAA_ENVIRONMENT, AWS_REGION, MWAA_INFRA_STACK
(flags win); --env NAME reads infra/environments/<NAME>.json and takes the bucket and the
MWAA environment from that stack's outputs;
AWS_ENDPOINT_URL[_S3|_MWAA|_CLOUDFORMATION|_SECRETS_MANAGER] point boto3 at an emulator.
exit codes: 0 ok, 1 error, 2 usage, 3 status found drift.
"""


def parser() -> argparse.ArgumentParser:
    """Argument parser shared by the commands."""
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
    plan = commands.add_parser("plan", parents=[common], help="dry run: show what deploy would do")
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
    infra_cli.add_parser(commands, region)
    up_cli.add_parser(commands, region)
    review_cli.add_parser(commands)
    return top


def settings_from(args: argparse.Namespace, clients=None) -> Settings:
    """Validate required values early, with the variable name to set; with --env, the
    bucket and the MWAA environment are the environment's stack's outputs."""
    bucket, environment, promote_from = args.bucket, args.environment, None
    if args.env:
        env = environments.load(args.repo.resolve(), args.env)
        outputs = stack_outputs(clients.cloudformation, env.stack)
        bucket = bucket or outputs.get("MwaaBucket")
        environment = environment or outputs.get("MwaaEnvironmentName")
        promote_from = env.promote_from
    if not bucket:
        raise DeployError("no bucket: pass --env, set MWAA_BUCKET or pass --bucket")
    return Settings(
        repo=args.repo.resolve(),
        bucket=bucket,
        environment=environment,
        region=args.region,
        poll_interval=getattr(args, "poll_interval", 30.0),
        timeout=getattr(args, "timeout", 3600.0),
        max_delete_share=getattr(args, "max_delete_share", 0.2),
        force_delete=getattr(args, "force_delete", False),
        skip_validation=getattr(args, "skip_validation", False),
        validate_command=getattr(args, "validate_command", DEFAULT_COMMAND),
        worker_replacement=getattr(args, "worker_replacement", None),
        env=args.env,
        promote_from=promote_from,
        bundle=getattr(args, "bundle", None),
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
