"""`make dag NAME=<domain>__<name>`: a new DAG file and its test, passing the gate as written.

The DAG is in the house style (docs/dag_style.md: `with DAG`, `@task` for Python
steps, schedule and run policy from `lakehouse.conventions`), follows every house
rule (tags, explicit schedule, Variables resolved at run time) and runs locally at once with
`./run_pipelines_locally.sh --dag <domain>__<name>`: it only needs the house
resources every local run has. Unknown domains fail with the allowed list.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from string import Template

from devkit.paths import DAGS_DIR, TESTS_DIR

TEMPLATES = Path(__file__).resolve().parent / "templates"
DAG_ID = re.compile(r"^[a-z][a-z0-9_]*__[a-z][a-z0-9_]*$")


class ScaffoldError(ValueError):
    """The name or the target files are not acceptable; the message says why."""


def render(dag_id: str) -> dict[str, str]:
    """Template name -> rendered text for `dag_id` (checked against the house rules)."""
    from devkit.domains.families import names

    if not DAG_ID.match(dag_id):
        raise ScaffoldError(
            f"{dag_id!r} is not <domain>__<name> (lower case letters, digits and _)"
        )
    domain, name = dag_id.split("__", 1)
    allowed = names()
    if domain not in allowed:
        raise ScaffoldError(
            f"unknown domain {domain!r}; allowed: {', '.join(allowed)} (a new family is "
            "its registration devkit/domains/<family>.py, docs/devkit.md)"
        )
    title = name.replace("_", " ").capitalize()
    values = {
        "dag_id": dag_id,
        "domain": domain,
        "name": name,
        "title": f"{domain}: {title}",
        "description": f"{title} ({domain}): nightly summary written to the lake",
    }
    return {
        template: Template((TEMPLATES / template).read_text()).substitute(values)
        for template in ("dag.py.tmpl", "test_dag.py.tmpl")
    }


def write(dag_id: str, dags_dir: Path = DAGS_DIR, tests_dir: Path = TESTS_DIR / "dags") -> list:
    rendered = render(dag_id)
    targets = {
        "dag.py.tmpl": dags_dir / f"{dag_id}.py",
        "test_dag.py.tmpl": tests_dir / f"test_{dag_id}.py",
    }
    existing = [str(path) for path in targets.values() if path.exists()]
    if existing:
        raise ScaffoldError(f"not overwriting {', '.join(existing)}")
    for template, path in targets.items():
        path.write_text(rendered[template])
    return list(targets.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_id", help="<domain>__<name>, e.g. tickit__refunds")
    args = parser.parse_args(argv)
    try:
        paths = write(args.dag_id)
    except ScaffoldError as err:
        print(f"make dag: {err}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path}")
    print(f"next: ./run_pipelines_locally.sh --dag {args.dag_id}   then   ./run_tests_locally.sh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
