#!/usr/bin/env bash
# The gate. One script for every place that checks a change: the README's test
# command, the pre-push hook, GitHub Actions and .ci/run. It sets up .venv from
# the lock when needed, runs every check even after a failure (so one run shows
# everything to fix), prints a timed summary and exits non-zero if any failed.
#
#   ./run_tests_locally.sh              full gate
#   ./run_tests_locally.sh -k redshift  extra arguments go to pytest
#   ./run_tests_locally.sh --changed    the pre-push gate: the static checks the change
#                                       needs, DAG validation and unit tests (the core),
#                                       the tests of the domains the change touches
#                                       (vs the merge base with @{upstream}; --base REF)
#   ./run_tests_locally.sh --path P     as --changed, as if only path P changed (repeatable)
#   ./run_tests_locally.sh --only static|unit|domain=<name>   one CI job's share
# What selects what: devkit/tools/gate_domains.py (docs/gate.md).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

declare -a plan_args=() given_paths=()
while [ $# -gt 0 ]; do
  case "$1" in
    --changed) plan_args+=(--changed) ;;
    --path) given_paths+=("${2:?--path needs a path}") && shift ;;
    --base) plan_args+=(--base "${2:?--base needs a ref}") && shift ;;
    --only) plan_args+=(--only "${2:?--only needs static, unit or domain=<name>}") && shift ;;
    --only=*) plan_args+=(--only "${1#--only=}") ;;
    *) break ;;
  esac
  shift
done
[ ${#given_paths[@]} -eq 0 ] || plan_args+=(--paths "${given_paths[@]}")

devkit/bootstrap.sh || exit 1
export PATH="$PWD/.venv/bin:$PATH"
# Python's default bytecode cache (__pycache__/, git-ignored; deploy never ships it) for
# the repository's own modules and pytest's rewritten tests, also where
# PYTHONDONTWRITEBYTECODE is set (bootstrap.sh compiles .venv for the same reason):
# else each worker's collection, each child process and each DAG parse compiles them again.
unset PYTHONDONTWRITEBYTECODE

# The full gate runs everything; --changed/--only ask devkit/tools/gate_domains.py for a plan.
declare -a skip_checks=() pytest_args=() scan_files=() sql_files=()
run_pytest=1 run_static=1 scan_changed=0 gate_scope="full gate"
if [ ${#plan_args[@]} -gt 0 ]; then
  plan="$(python -m devkit.tools.gate_domains "${plan_args[@]}" --shell)" || exit 2
  eval "$plan"
fi

# Reruns that do no work, locally only (devkit/tools/gate_cache.py; off in CI and with
# DEVKIT_GATE_CACHE=off): while nothing the gate reads changed since a run that passed
# with the same arguments, that run's summary stands.
cache_args=(${plan:+"$plan"} -- "$@")
cache_key="$(python -m devkit.tools.gate_cache key "${cache_args[@]}")" || cache_key=""
if [ -n "$cache_key" ] && python -m devkit.tools.gate_cache show "$cache_key"; then
  echo "gate: nothing changed since this passing run (rerun cache; DEVKIT_GATE_CACHE=off runs all)"
  exit 0
fi

declare -a results=()
failed=0
record() {  # record NAME EXIT_CODE SECONDS
  if [ "$2" -eq 0 ]; then
    results+=("ok    $(printf '%4ds' "$3")  $1")
  else
    results+=("FAIL  $(printf '%4ds' "$3")  $1")
    failed=1
  fi
}

# The static checks are short and mostly single-threaded: start them together
# (they only read the tree), then print each one's output in this order.
checks_dir="$(mktemp -d)"
trap 'rm -rf "$checks_dir"' EXIT
declare -a check_names=() check_pids=()
check() {
  local n=${#check_names[@]}
  check_names+=("$1")
  if [ "$run_static" = 0 ] || [[ " ${skip_checks[*]-} " == *" ${1%% *} "* ]]; then
    check_pids+=("")  # not needed for this change (--changed) or this job (--only)
    return
  fi
  shift
  (
    started=$SECONDS
    "$@" >"$checks_dir/$n.out" 2>&1
    echo "$? $((SECONDS - started))" >"$checks_dir/$n.rc"
  ) &
  check_pids+=($!)
}

# The files the secrets scan reads: every tracked file, or (--changed) the changed ones.
tracked_files() {
  if [ "$scan_changed" = 1 ]; then
    [ ${#scan_files[@]} -eq 0 ] || printf '%s\0' "${scan_files[@]}" | xargs -0 -r "$@"
  else
    git ls-files -z 2>/dev/null | xargs -0 -r "$@"
  fi
}
# What sqlfluff lints: sql/, or (--changed) only the changed SQL files if no setting changed.
sql_targets() {
  if [ ${#sql_files[@]} -gt 0 ]; then "$@" "${sql_files[@]}"; else "$@" sql/; fi
}

check "flake8" flake8 -j 1 .  # one process: the checks already fill both CPUs beside pytest
check "black --check" black --check --quiet .
check "isort --check (import order)" isort --check-only --quiet .
check "sqlfluff lint sql/ (redshift, templated)" sql_targets sqlfluff lint
check "workflow schema (check-jsonschema)" \
  check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
check "workflow audit (zizmor --offline)" zizmor --offline --quiet .github
check "dependabot schema (check-jsonschema)" \
  check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
check "IAM lint (parliament)" python -m devkit.tools.iam_lint
check "cfn-lint infra/ (all rules, .cfnlintrc.yaml)" cfn-lint infra/*.yaml
check "checkov infra/ (accepted: infra/checkov-accepted.yml)" python -m devkit.tools.checkov_lint
# detect-secrets' own hook, sped up only (devkit/tools/secrets_scan.py: same findings)
check "secrets (detect-secrets)" tracked_files python -m devkit.tools.secrets_scan \
  --baseline .secrets.baseline --exclude-files '^requirements/lock\.txt$'
# pytest starts beside the static checks (they only read the tree; on 2 CPUs they fill
# the time pytest waits on its servers and child processes); their output follows its.
if [ "$run_pytest" = 1 ]; then
  echo "==> pytest"
  started=$SECONDS
  python -m pytest -n 2 --dist loadgroup ${pytest_args[@]+"${pytest_args[@]}"} "$@"
  pytest_code=$? pytest_seconds=$((SECONDS - started))
fi
for n in "${!check_names[@]}"; do
  if [ -z "${check_pids[$n]}" ]; then
    [ "$run_static" = 0 ] || results+=("skip         ${check_names[$n]}")
    continue
  fi
  wait "${check_pids[$n]}"
  echo "==> ${check_names[$n]}"
  cat "$checks_dir/$n.out"
  read -r code seconds <"$checks_dir/$n.rc" || { code=1; seconds=0; }
  record "${check_names[$n]}" "$code" "$seconds"
done

[ "$run_pytest" = 0 ] || record "pytest" "$pytest_code" "$pytest_seconds"
summary() {
  echo "Gate summary (total ${SECONDS}s; ${gate_scope}):"
  printf '  %s\n' ${results[@]+"${results[@]}"}
}
echo
summary
# Record a pass only if the tree is still what it was when the gate started.
if [ "$failed" = 0 ] && [ -n "$cache_key" ] &&
  [ "$(python -m devkit.tools.gate_cache key "${cache_args[@]}")" = "$cache_key" ]; then
  summary | python -m devkit.tools.gate_cache record "$cache_key"
fi
exit "$failed"
