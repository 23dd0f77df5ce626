#!/usr/bin/env bash
# The gate. One script for every place that checks a change: the README's test
# command, the pre-push hook, GitHub Actions and .ci/run. It sets up .venv from
# the lock when needed, runs every check even after a failure (so one run shows
# everything to fix), prints a timed summary and exits non-zero if any failed.
#
#   ./run_tests_locally.sh              full gate
#   ./run_tests_locally.sh -k redshift  extra arguments go to pytest
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

devkit/bootstrap.sh || exit 1
export PATH="$PWD/.venv/bin:$PATH"

declare -a results=()
failed=0
step() {
  local name="$1"; shift
  local started=$SECONDS
  echo "==> $name"
  if "$@"; then
    results+=("ok    $(printf '%4ds' $((SECONDS - started)))  $name")
  else
    results+=("FAIL  $(printf '%4ds' $((SECONDS - started)))  $name")
    failed=1
  fi
}

tracked_files() { git ls-files -z 2>/dev/null | xargs -0 -r "$@"; }

step "flake8" flake8 .
step "black --check" black --check --quiet .
step "isort --check (import order)" isort --check-only --quiet .
step "sqlfluff lint sql/ (redshift, templated)" sqlfluff lint sql/
step "workflow schema (check-jsonschema)" \
  check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
step "workflow audit (zizmor --offline)" zizmor --offline --quiet .github
step "dependabot schema (check-jsonschema)" \
  check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
step "IAM lint (parliament)" python -m devkit.iam_lint
step "secrets (detect-secrets)" tracked_files detect-secrets-hook --baseline .secrets.baseline \
  --exclude-files '^requirements/lock\.txt$'
step "pytest" python -m pytest -n 2 --dist loadgroup "$@"

echo
echo "Gate summary (total ${SECONDS}s):"
printf '  %s\n' "${results[@]}"
exit "$failed"
