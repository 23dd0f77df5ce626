#!/usr/bin/env bash
# The README's run command: sets up .venv from the lock if needed, then runs
# the nightly pipelines end to end on the local AWS emulation.
#   ./run_pipelines_locally.sh [--days N] [--first-day YYYY-MM-DD] [--scale X] [--ui]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
devkit/bootstrap.sh
exec .venv/bin/python -m devkit.run "$@"
