#!/usr/bin/env bash
# Creates .venv from requirements/lock.txt, or does nothing when it already
# matches the lock. Every entry point (run, gate, hooks, CI) calls this first,
# so a fresh clone needs no manual set-up.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"

# One interpreter start (a pyenv shim costs ~0.15 s each): check the version, hash the inputs.
if ! command -v "$python" >/dev/null 2>&1; then
  echo "bootstrap: cannot run '$python'; set PYTHON=/path/to/python3.12 (3.11 or newer)" >&2
  exit 1
fi
want="$("$python" - "$root/requirements/lock.txt" "$root/requirements/bootstrap.txt" "$root/pyproject.toml" "$root/devkit/bootstrap.sh" <<'PY'
import hashlib, sys
if sys.version_info < (3, 11):
    sys.exit("bootstrap: '%s' is Python %d.%d; need 3.11 or newer (set PYTHON=...)"
             % (sys.executable, sys.version_info[0], sys.version_info[1]))
digest = hashlib.sha256()
for path in sys.argv[1:]:
    digest.update(open(path, "rb").read())
print(digest.hexdigest())
PY
)"
stamp="$venv/.lock-sha256"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

echo "bootstrap: installing the locked environment into .venv (first run takes a minute or two)" >&2
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements/bootstrap.txt"
# --compile-bytecode: write every .pyc now. Where PYTHONDONTWRITEBYTECODE is set
# (some shells and CI images set it), Python would otherwise recompile Airflow
# from source in every process: seconds per start, thousands of times a gate.
VIRTUAL_ENV="$venv" "$venv/bin/uv" pip sync --quiet --compile-bytecode "$root/requirements/lock.txt"
# The repository itself (devkit, deploy, lakehouse), editable: imports work from
# anywhere without sys.path edits. setuptools comes from the lock: no download.
VIRTUAL_ENV="$venv" "$venv/bin/uv" pip install --quiet --no-deps --no-build-isolation -e "$root"
rm -rf "$root/mwaa_pipelines.egg-info"
echo "$want" >"$stamp"
echo "bootstrap: .venv ready" >&2
