"""Patch of botocore's data loader, which every boto3 session would rebuild."""

from __future__ import annotations

import functools

from devkit.patches import Patch


def share_botocore_loader() -> None:
    """One botocore data loader for every boto3 session in the process.

    Every hook builds a new boto3 session, and each session's loader re-reads
    the endpoint tables and service models (megabytes of JSON) and rescans the
    data folders; locally that was a third of a DAG run's CPU. botocore treats
    the loaded data as read-only, so one caching loader can serve all sessions.
    """
    from botocore import loaders, session

    session.create_loader = functools.cache(loaders.create_loader)


PATCHES = (Patch("share_botocore_loader", {"botocore": "1.42.84"}, share_botocore_loader),)
