"""Runs INSIDE `.venv-mwaa` (Python 3.12): parse a DAGs folder as MWAA's DAG processor does.

Started by devkit/mwaa/parse.py as a script (`python -I probe.py ...`), so
it imports nothing from this repository: only the standard library and what
MWAA's environment has. Airflow 3.2's DAG processor lists the bundle's files
(`.airflowignore`, safe mode), then parses each one in its own
`BundleDagBag(dag_folder=file, bundle_path=..., bundle_name=...)` and
serializes every DAG; a serialization failure is an import error too. Plugins
load as on every MWAA component. The result goes to a JSON file.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import traceback
from pathlib import Path

BUNDLE_NAME = "dags-folder"  # MWAA's DAGs folder is Airflow's default LocalDagBundle


def parse(dags: Path, plugins: Path, forbidden: list[str], load_plugins: bool = True) -> dict:
    os.environ["_AIRFLOW_PROCESS_CONTEXT"] = "client"  # as the processor's parsing child
    for folder in (dags, plugins):  # MWAA: /usr/local/airflow/dags and .../plugins
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
    started = time.monotonic()

    import airflow
    from airflow.configuration import conf
    from airflow.utils.file import list_py_file_paths

    safe_mode = conf.getboolean("core", "dag_discovery_safe_mode", fallback=True)
    result: dict = {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "airflow": airflow.__version__,
        "files": {},
        "import_errors": {},
        "warnings": {},
        "seconds_per_file": {},
    }
    for path in sorted(list_py_file_paths(dags, safe_mode=safe_mode)):
        _parse_file(path, dags, result)
    result["plugins"], result["plugin_errors"] = _plugins() if load_plugins else ([], {})
    result["seconds"] = round(time.monotonic() - started, 3)
    result.update(_forbidden(forbidden))
    return result


def _parse_file(path: str, dags: Path, result: dict) -> None:
    """One DAG file as the DAG processor parses it, into `result`: DAG ids, import and
    serialization errors, stability warnings, seconds."""
    from airflow.dag_processing.dagbag import BundleDagBag
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.utils.dag_version_inflation_checker import check_dag_file_stability

    relative = Path(path).relative_to(dags).as_posix()
    file_started = time.monotonic()
    stability = check_dag_file_stability(path)
    refused = stability.get_error_format_dict(path, dags)
    if refused:
        result["import_errors"].update(refused)
        return
    bag = BundleDagBag(
        dag_folder=path, bundle_path=dags, bundle_name=BUNDLE_NAME, load_op_links=False
    )
    errors = dict(bag.import_errors)
    for dag in bag.dags.values():
        try:
            DagSerialization.to_dict(dag)
        except Exception:
            errors[dag.relative_fileloc or relative] = traceback.format_exc()
    result["files"][relative] = sorted(bag.dag_ids)
    result["import_errors"].update(errors)
    if stability.warnings:
        result["warnings"][relative] = stability.format_warnings()
    result["seconds_per_file"][relative] = round(time.monotonic() - file_started, 3)


def _forbidden(forbidden: list[str]) -> dict:
    """The forbidden packages the parse imported, and those merely installed."""
    return {
        "forbidden_imported": {
            name: getattr(module, "__file__", None) or repr(module)
            for name, module in sorted(sys.modules.items())
            if module is not None and name.split(".")[0] in forbidden
        },
        "forbidden_installed": {
            name: str(spec.origin or list(spec.submodule_search_locations or []))
            for name in forbidden
            if (spec := importlib.util.find_spec(name)) is not None
        },
    }


def _plugins() -> tuple[list[str], dict[str, str]]:
    """Load plugins as every MWAA component does (plugins/, entry points such as DataHub's)."""
    from airflow import plugins_manager

    try:
        plugins_manager.ensure_plugins_loaded()
        names = sorted(p["name"] for p in plugins_manager.get_plugin_info(attrs_to_dump=["name"]))
        return names, dict(plugins_manager.get_import_errors())
    except Exception:
        return [], {"plugins_manager": traceback.format_exc()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dags", type=Path, required=True)
    parser.add_argument("--plugins", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--forbidden", nargs="*", default=[])
    parser.add_argument("--no-plugins", action="store_true", help="skip loading plugins")
    args = parser.parse_args()
    result = parse(args.dags, args.plugins, args.forbidden, load_plugins=not args.no_plugins)
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
