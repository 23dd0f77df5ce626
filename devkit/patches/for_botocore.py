"""Patches of botocore's data loader, which every boto3 session would rebuild, and of
its User-Agent header, which every request rebuilds character by character."""

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


def sanitize_each_user_agent_part_once() -> None:
    """Clean each User-Agent part once per process, not character by character per request.

    botocore rebuilds the User-Agent header for every request and, in each of its
    ~40 parts (prefixes, names, values), replaces each character a header may not
    hold by a dash, one character at a time: ~13 % of a request's client-side CPU.
    The result depends only on the part and the flag, so it is kept; the header
    sent is the same string.
    """
    from botocore import useragent

    original = useragent.sanitize_user_agent_string_component
    if hasattr(original, "cache_info"):
        return
    useragent.sanitize_user_agent_string_component = functools.lru_cache(maxsize=4096)(original)


PATCHES = (
    Patch("share_botocore_loader", {"botocore": "1.42.84"}, share_botocore_loader),
    Patch(
        "sanitize_each_user_agent_part_once",
        {"botocore": "1.42.84"},
        sanitize_each_user_agent_part_once,
    ),
)
