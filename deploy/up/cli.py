"""`python -m deploy up`: its flags, and the Run they make."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path

from deploy.aws import Clients
from deploy.cloudformation.cli import environment_parameters
from deploy.cloudformation.inputs import read_parameters
from deploy.up.command import up
from deploy.up.run import Options, Run

NETWORK_SUFFIX = "-network"


def add_parser(commands, region_default: str | None) -> None:
    """`deploy up` and its flags; every default is Options' (deploy/up/run.py)."""
    p = commands.add_parser(
        "up",
        help="from an empty account to a first night: stack, deploy, settings, bootstrap, "
        "unpause (idempotent: rerun after any failure)",
    )
    p.add_argument("--repo", type=Path, default=Path.cwd(), help="repository root (cwd)")
    p.add_argument(
        "--env",
        default=os.environ.get("MWAA_ENV"),
        help="environment: its stack and parameters (infra/environments/<env>.json, $MWAA_ENV)",
    )
    p.add_argument("--stack", default=os.environ.get("MWAA_INFRA_STACK"), help="(default: --env's)")
    p.add_argument("--region", default=region_default, help="$AWS_REGION")
    p.add_argument("--parameters", type=Path, help="JSON file of stack parameters")
    p.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument(
        "--network",
        nargs="?",
        const="",
        default=None,
        metavar="STACK",
        help="create infra/network.yaml first (default name: <stack>-network)",
    )
    p.add_argument(
        "--clean-up",
        action="store_true",
        help="delete a failed first create " "and the buckets it retained, then create again",
    )
    _add_run_flags(p)


def _add_run_flags(p: argparse.ArgumentParser) -> None:
    """The sample night, the stack waits and the deploy's validation and confirmation."""
    p.add_argument(
        "--sample-night",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="land one night of sample extracts (from DIR, or generated) and "
        "start the first runs",
    )
    p.add_argument("--sample-day", type=date.fromisoformat, help="that night (yesterday, UTC)")
    p.add_argument("--skip-region-check", action="store_true")
    p.add_argument("--role-arn", default=os.environ.get("MWAA_INFRA_ROLE_ARN"))
    p.add_argument(
        "--template-bucket",
        default=os.environ.get("MWAA_INFRA_TEMPLATE_BUCKET"),
        help="bucket for templates over 51,200 bytes",
    )
    p.add_argument("--poll-interval", type=float, default=Options.poll_interval)
    p.add_argument(
        "--timeout", type=float, default=Options.timeout, help="stack wait, s (%(default)s)"
    )
    p.add_argument("--skip-validation", action="store_true")
    p.add_argument("--validate-command", default=Options.validate_command)
    p.add_argument("--confirm-timeout", type=float, default=Options.confirm_timeout)


def options_from(args: argparse.Namespace) -> Options:
    defaults = environment_parameters(args)  # sets args.stack from --env
    given = read_parameters(args.parameters, args.parameter)
    network = None
    if args.network is not None:
        network = args.network or f"{args.stack}{NETWORK_SUFFIX}"
    return Options(
        repo=args.repo.resolve(),
        stack=args.stack,
        region=args.region or "",
        parameters={**defaults, **{p["ParameterKey"]: p["ParameterValue"] for p in given}},
        network_stack=network,
        role_arn=args.role_arn,
        template_bucket=args.template_bucket,
        poll_interval=args.poll_interval,
        timeout=args.timeout,
        clean_up=args.clean_up,
        skip_region_check=args.skip_region_check,
        sample_night=args.sample_night is not None,
        sample_dir=Path(args.sample_night) if args.sample_night else None,
        sample_day=args.sample_day,
        skip_validation=args.skip_validation,
        validate_command=args.validate_command,
        confirm_timeout=args.confirm_timeout,
    )


def run(args: argparse.Namespace, clients: Clients, say) -> int:
    up(Run(options_from(args), clients, say))
    say("deploy up: done; rerunning it changes nothing until the repository or stack does")
    return 0
