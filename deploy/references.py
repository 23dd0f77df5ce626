"""Files that requirements.txt names through MWAA's local copy of the bucket.

MWAA copies the bucket's ``dags/`` prefix to ``/usr/local/airflow/dags`` and
installs requirements.txt from there, so a ``--constraint`` (or ``-r``) line
may name a file shipped with the DAGs instead of a URL that a private-network
environment cannot fetch. Such a file must be in the bucket before
UpdateEnvironment asks MWAA to install the new requirements.
"""

from __future__ import annotations

import shlex

from deploy.sources import MANAGED_PREFIX

MWAA_HOME = "/usr/local/airflow/"
MWAA_DAGS_DIR = MWAA_HOME + MANAGED_PREFIX  # /usr/local/airflow/dags/
FILE_OPTIONS = ("-c", "--constraint", "-r", "--requirement")


def named_files(requirements: str) -> list[str]:
    """Every path or URL given to -c/--constraint/-r/--requirement, in file order."""
    found: list[str] = []
    for line in requirements.splitlines():
        tokens = shlex.split(line, comments=True)
        for position, token in enumerate(tokens):
            if token in FILE_OPTIONS and position + 1 < len(tokens):
                found.append(tokens[position + 1])
            elif token.startswith(("--constraint=", "--requirement=")):
                found.append(token.split("=", 1)[1])
            elif token[:2] in ("-c", "-r") and len(token) > 2 and not token.startswith("--"):
                found.append(token[2:])
    return found


def dag_side_keys(requirements: str) -> list[str]:
    """Bucket keys (``dags/...``) of the files requirements.txt reads from MWAA's DAGs folder."""
    return [
        MANAGED_PREFIX + path[len(MWAA_DAGS_DIR) :]
        for path in named_files(requirements)
        if path.startswith(MWAA_DAGS_DIR)
    ]
