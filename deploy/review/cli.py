"""`python -m deploy review --base REF`: the review of the working tree against REF."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def add_parser(commands) -> None:
    """The `review` command: offline, no bucket, no environment, no AWS."""
    review = commands.add_parser(
        "review",
        help="what the working tree changes against a base commit, as Markdown (offline)",
    )
    review.add_argument("--repo", type=Path, default=Path.cwd(), help="repository root (cwd)")
    review.add_argument(
        "--base",
        default=os.environ.get("REVIEW_BASE", "origin/main"),
        help="base commit or ref ($REVIEW_BASE, default origin/main)",
    )
    review.add_argument("--output", type=Path, help="append the Markdown to this file (stdout)")
    review.add_argument(
        "--base-accesses", type=Path, help="the base's access record, or a folder of records"
    )
    review.add_argument(
        "--head-accesses", type=Path, help="the head's access record, or a folder of records"
    )


def run(args: argparse.Namespace, say) -> int:
    """Write the review; 0 whatever it says (it informs, the gate decides)."""
    from deploy.review.report import build

    markdown = build(args.repo, args.base, args.base_accesses, args.head_accesses)
    if args.output:
        with args.output.open("a") as out:
            out.write(markdown)
    else:
        say(markdown.rstrip("\n"))
    return 0
