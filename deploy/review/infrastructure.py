"""Section 5, infrastructure: template resources added, removed and modified.

Each modification is classified from CloudFormation's own resource schemas, which
cfn-lint ships: a changed property listed under `createOnlyProperties` (or a
changed Type) makes CloudFormation REPLACE the resource, anything else updates it
in place. Replacing or deleting a stateful resource (a bucket, the Redshift
namespace, a Glue database, a secret, ...) is marked as data loss.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from deploy.review.section import Section, code, plural

SCHEMA_REGION = "us_east_1"
STATEFUL = frozenset(
    {
        "AWS::S3::Bucket",
        "AWS::RedshiftServerless::Namespace",
        "AWS::Redshift::Cluster",
        "AWS::Glue::Database",
        "AWS::Glue::Table",
        "AWS::SecretsManager::Secret",
        "AWS::DynamoDB::Table",
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::EFS::FileSystem",
    }
)
# Resource attributes that change how CloudFormation treats a resource, not the resource.
ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "DependsOn", "Condition", "Metadata")


@lru_cache(maxsize=None)
def create_only(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """The type's createOnlyProperties as paths under Properties ('*' = any list item)."""
    path = _schema_file(resource_type)
    if path is None:
        return ()
    pointers = json.loads(path.read_text()).get("createOnlyProperties", [])
    return tuple(tuple(p.split("/")[2:]) for p in pointers if p.startswith("/properties/"))


@lru_cache(maxsize=None)
def _provider_index(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _schema_file(resource_type: str) -> Path | None:
    """cfn-lint's bundled schema of the type: since 1.5x `providers/<region>.json` maps
    each type to a content hash under `resources/`; before, one file per type."""
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data/schemas"
    index = _provider_index(schemas / "providers" / f"{SCHEMA_REGION.replace('_', '-')}.json")
    if index is not None:
        digest = index.get(resource_type)
        path = schemas / "resources" / f"{digest}.json"
        return path if digest and path.is_file() else None
    name = resource_type.lower().replace("::", "-") + ".json"
    path = schemas / "providers" / SCHEMA_REGION / name
    return path if path.is_file() else None


def changed_paths(old, new, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Property paths whose value differs (dicts followed down, lists compared whole)."""
    if isinstance(old, dict) and isinstance(new, dict) and not (_intrinsic(old) or _intrinsic(new)):
        found = []
        for key in sorted(set(old) | set(new), key=str):
            found += changed_paths(old.get(key), new.get(key), (*path, str(key)))
        return found
    return [] if old == new else [path]


def _intrinsic(value: dict) -> bool:
    """`{"Fn::Sub": ...}`, `{"Ref": ...}`: a value, compared whole."""
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref", "Condition"))


def _overlaps(changed: tuple[str, ...], create_only_path: tuple[str, ...]) -> bool:
    """One path lies inside the other (lists compare whole, so '*' matches anything)."""
    length = min(len(changed), len(create_only_path))
    return all(c == o or o == "*" for c, o in zip(changed[:length], create_only_path[:length]))


def classify(old: dict, new: dict) -> tuple[list[str], list[str]]:
    """(changed property names, those forcing replacement) of one resource."""
    if old.get("Type") != new.get("Type"):
        return ["Type"], ["Type"]
    paths = changed_paths(old.get("Properties") or {}, new.get("Properties") or {})
    rules = create_only(new["Type"])
    names = ["/".join(p) for p in paths]
    replacing = ["/".join(p) for p in paths if any(_overlaps(p, rule) for rule in rules)]
    names += [a for a in ATTRIBUTES if old.get(a) != new.get(a)]
    return names, replacing


def _loss_note(resource: dict, removed: bool) -> str:
    policy = resource.get("DeletionPolicy" if removed else "UpdateReplacePolicy")
    if policy in ("Retain", "RetainExceptOnCreate", "Snapshot"):
        return f" ({code(policy)}: the old one is kept, but the stack" + (
            " forgets it)" if removed else " and the DAGs move to a new, empty one)"
        )
    return ""


def section(base: dict[str, dict], head: dict[str, dict]) -> Section:
    """The infrastructure section of two trees' templates (file -> template)."""
    result = Section("Infrastructure")
    counts = {"added": 0, "removed": 0, "updated in place": 0, "replaced": 0}
    # A resource a stack deletes counts under "removed"; a stateful one again below.
    lost: dict[str, list[str]] = {"replacement": [], "deletion": []}
    for name in sorted(set(base) | set(head)):
        old = (base.get(name) or {}).get("Resources") or {}
        new = (head.get(name) or {}).get("Resources") or {}
        lines = _resource_lines(old, new, counts, lost)
        if lines:
            result.lines += [f"{code(name)}:", "", *lines, ""]
    for words, count in counts.items():
        if count and words != "replaced":
            result.verdict.append(f"{plural(count, 'resource')} {words}")
    replaced = counts["replaced"] - len(lost["replacement"])
    if replaced:
        result.verdict.append(plural(replaced, "replacement"))
    for words, ids in lost.items():
        if ids:
            result.verdict.append(
                f"{plural(len(ids), words)} of a stateful resource ({', '.join(ids)})"
            )
    return result


def _resource_lines(old: dict, new: dict, counts: dict, lost: dict) -> list[str]:
    lines = []
    for logical_id in sorted(set(new) - set(old)):
        counts["added"] += 1
        lines.append(f"- added: {code(logical_id)} ({new[logical_id].get('Type')})")
    for logical_id in sorted(set(old) - set(new)):
        counts["removed"] += 1
        kind = old[logical_id].get("Type")
        loss = ""
        if kind in STATEFUL:
            lost["deletion"].append(logical_id)
            loss = " — **deleted with its data**" + _loss_note(old[logical_id], True)
        lines.append(f"- removed: {code(logical_id)} ({kind}){loss}")
    for logical_id in sorted(set(old) & set(new)):
        if old[logical_id] == new[logical_id]:
            continue
        names, replacing = classify(old[logical_id], new[logical_id])
        kind = new[logical_id].get("Type")
        what = ", ".join(map(code, names))
        if not replacing:
            counts["updated in place"] += 1
            lines.append(f"- modified, update in place: {code(logical_id)} ({kind}): {what}")
            continue
        counts["replaced"] += 1
        loss = ""
        if kind in STATEFUL or old[logical_id].get("Type") in STATEFUL:
            lost["replacement"].append(logical_id)
            loss = " — **data loss**" + _loss_note(new[logical_id], False)
        because = ", ".join(map(code, replacing))
        lines.append(
            f"- modified, **REPLACEMENT**: {code(logical_id)} ({kind}): {what}; "
            f"create-only: {because}{loss}"
        )
    return lines
