#!/usr/bin/env bash
# Everything `make test` does: venv + dev install, throw-away PostgreSQL and Redis,
# ruff check, mypy (strict), pytest; the servers are always stopped afterwards.
#
#   scripts/test.sh                  # the full run
#   scripts/test.sh -k events -x     # extra arguments go to pytest
#
# Environment:
#   PYTEST_ARGS            extra pytest arguments (also settable via `make test PYTEST_ARGS=...`)
#   LEADFLOW_TEST_TIMEOUT  seconds before pytest is killed (default 3600)
#   LEADFLOW_SKIP_LINT=1   skip ruff and mypy (quick local iterations only)
# The exit code is non-zero if ruff, mypy or pytest failed (pytest's own code wins).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO="$(pwd)"
VENV="${VENV:-.venv}"

t0=$SECONDS
section() { echo; echo "=== $* ($((SECONDS - t0))s)"; }

section "python environment"
scripts/bootstrap.sh dev

section "test services"
LEADFLOW_SERVICES_DIR=""
cleanup() {
  local rc=$?
  trap '' INT TERM HUP   # a second Ctrl-C must not leave the servers running
  if [ -n "$LEADFLOW_SERVICES_DIR" ]; then
    "$REPO/scripts/services.sh" stop "$LEADFLOW_SERVICES_DIR" || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

services_env="$(LEADFLOW_SERVICES_OWNER=$$ scripts/services.sh start)"
eval "$services_env"
export LEADFLOW_TEST_PG_URL LEADFLOW_TEST_REDIS_URL LEADFLOW_SERVICES_DIR
echo "LEADFLOW_TEST_PG_URL=$LEADFLOW_TEST_PG_URL"
echo "LEADFLOW_TEST_REDIS_URL=$LEADFLOW_TEST_REDIS_URL"
echo "setup took $((SECONDS - t0))s"

status=0
if [ "${LEADFLOW_SKIP_LINT:-0}" != 1 ]; then
  section "ruff check"
  lint_paths=()
  for p in src tests bench; do [ -d "$p" ] && lint_paths+=("$p"); done
  "$VENV/bin/ruff" check "${lint_paths[@]}" || status=$?

  section "mypy (strict)"
  "$VENV/bin/mypy" || status=$?
fi

section "pytest"
# shellcheck disable=SC2086  # PYTEST_ARGS is a word list on purpose
timeout --foreground --kill-after=30 "${LEADFLOW_TEST_TIMEOUT:-3600}" \
  "$VENV/bin/python" -m pytest -q -ra ${PYTEST_ARGS:-} "$@" </dev/null && pytest_rc=0 || pytest_rc=$?

if [ "$pytest_rc" -ne 0 ]; then
  status=$pytest_rc
fi
section "done: ruff/mypy/pytest exit status $status (pytest $pytest_rc)"
exit "$status"
