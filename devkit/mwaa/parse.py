"""Parse what the deploy ships, in MWAA's environment, as MWAA's DAG processor does.

The other DAG tests run in `.venv`, where the repository is installed and
pytest, moto, pyspark and duckdb are importable: a DAG that leans on any of
them passes there and breaks on MWAA. Here the bucket's `dags/` (and the
unzipped plugins.zip) are laid out by the deploy tool's own mapping in a temp
folder, then devkit/mwaa/probe.py parses them with `.venv-mwaa`'s Python 3.12,
its own AIRFLOW_HOME and none of this machine's Airflow settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from devkit.mwaa import env as mwaa_env
from devkit.paths import REPO

PROBE = Path(__file__).with_name("probe.py")
# Local tooling and test-only libraries: MWAA has none of them, so no DAG may import them.
FORBIDDEN = ("devkit", "deploy", "tests", "pyspark", "duckdb", "moto")
# MWAA's defaults where they matter for parsing: no examples, a 30 s import limit per file.
MWAA_AIRFLOW_CONFIG = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "30",
    "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "50",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
}
PROBE_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class ParseResult:
    """What MWAA's DAG processor would record for the deployed DAGs folder."""

    python: str
    airflow: str
    files: dict[str, list[str]]  # DAG file (relative to dags/) -> DAG ids it defines
    import_errors: dict[str, str]
    warnings: dict[str, str]
    plugins: list[str]
    plugin_errors: dict[str, str]
    forbidden_imported: dict[str, str]  # module -> its file
    forbidden_installed: dict[str, str]  # top-level name -> where it would import from
    seconds_per_file: dict[str, float]
    seconds: float  # inside the probe: Airflow import, parse, plugins
    wall_seconds: float  # the whole subprocess


def expected_dag_ids(repo: Path = REPO) -> dict[str, list[str]]:
    """dags/<id>.py defines the DAG <id> (the house rule test_dag_validation enforces)."""
    return {
        p.name: [p.stem] for p in sorted((repo / "dags").glob("*.py")) if not p.name.startswith("_")
    }


def probe_environment(home: Path, airflow_home: Path, interpreter: Path) -> dict[str, str]:
    """A clean environment: nothing from this machine's Airflow, AWS, Python settings or PATH."""
    keep = {name: os.environ[name] for name in ("LANG", "TZ") if name in os.environ}
    return {
        **keep,
        "PATH": os.pathsep.join((str(interpreter.parent), "/usr/bin", "/bin")),
        "HOME": str(airflow_home),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        **MWAA_AIRFLOW_CONFIG,
    }


def parse_deployed_dags(
    repo: Path = REPO, interpreter: Path | None = None, load_plugins: bool = True
) -> ParseResult:
    """Lay out what the deploy would write from `repo`, parse it in MWAA's environment.

    The environment is always the project's (`.venv-mwaa`, built when needed);
    `repo` only decides the DAGs, so a test can parse a folder of bad DAGs.
    """
    interpreter = interpreter or mwaa_env.ensure()
    with tempfile.TemporaryDirectory(prefix="mwaa-parse-") as tmp:
        home = mwaa_env.lay_out(Path(tmp) / "usr-local-airflow", repo)
        airflow_home = Path(tmp) / "airflow-home"
        airflow_home.mkdir()
        out = Path(tmp) / "result.json"
        command = [
            str(interpreter), "-I", str(PROBE),
            "--dags", str(home / "dags"), "--plugins", str(home / "plugins"),
            "--out", str(out), "--forbidden", *FORBIDDEN,
        ] + ([] if load_plugins else ["--no-plugins"])  # fmt: skip
        started = time.monotonic()
        run = subprocess.run(
            command,
            cwd=tmp,  # not the repository: nothing of it importable by accident
            env=probe_environment(home, airflow_home, interpreter),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_SECONDS,
        )
        wall = time.monotonic() - started
        if run.returncode != 0 or not out.is_file():
            raise mwaa_env.MwaaEnvError(
                f"the MWAA parse probe failed (exit {run.returncode}):\n{run.stderr[-4000:]}"
            )
        data = json.loads(out.read_text())
    return ParseResult(wall_seconds=round(wall, 3), **data)


def problems(result: ParseResult, expected: dict[str, list[str]] | None = None) -> list[str]:
    """Everything MWAA would show as broken, one line (or traceback) each; empty when fine."""
    expected = expected_dag_ids() if expected is None else expected
    found: list[str] = []
    for path, error in sorted(result.import_errors.items()):
        found.append(f"import error in dags/{path}:\n{error.rstrip()}")
    for name, error in sorted(result.plugin_errors.items()):
        found.append(f"plugin {name} failed to load:\n{error.rstrip()}")
    for path, dag_ids in sorted(expected.items()):
        parsed = result.files.get(path)
        if parsed is None:
            if path not in result.import_errors:
                found.append(f"dags/{path} was not parsed (.airflowignore? safe mode?)")
        elif parsed != dag_ids:
            found.append(f"dags/{path} defines {parsed}, expected {dag_ids}")
    for module, location in sorted(result.forbidden_imported.items()):
        found.append(f"parsing imported {module} ({location}): MWAA does not have it")
    for name, location in sorted(result.forbidden_installed.items()):
        found.append(f"{name} is installed in MWAA's environment ({location}); MWAA lacks it")
    return found


def report(result: ParseResult) -> str:
    """Human-readable summary for the CLI."""
    lines = [
        f"MWAA environment: Python {result.python}, Airflow {result.airflow}",
        f"parsed {len(result.files)} DAG files in {result.seconds:.1f}s "
        f"(subprocess {result.wall_seconds:.1f}s); plugins: {', '.join(result.plugins) or 'none'}",
    ]
    for path, dag_ids in sorted(result.files.items()):
        seconds = result.seconds_per_file.get(path, 0.0)
        lines.append(f"  {path:<40} {', '.join(dag_ids) or '(no DAG)':<36} {seconds:.2f}s")
    for path, text in sorted(result.warnings.items()):
        lines.append(f"warning in dags/{path}: {text}")
    found = problems(result)
    lines.append("OK: parses on MWAA" if not found else f"{len(found)} problem(s):")
    lines.extend(found)
    return "\n".join(lines)
