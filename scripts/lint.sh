#!/usr/bin/env bash
# The gates: lint and format (ruff), types (mypy, strict, on services/), layering (import-linter).
# Each one fails the build when broken; scripts/test.sh runs them before the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
paths=(services harness tests bench examples scripts)
status=0
run() {
  echo "lint: $*"
  "$@" || status=1
}
run "$bin/ruff" check "${paths[@]}"
run "$bin/ruff" format --check "${paths[@]}"
run "$bin/mypy"
run env PYTHONPATH=services "$bin/lint-imports"
if [ "$status" -ne 0 ]; then
  echo "lint: a gate failed (see above); 'ruff check --fix' and 'ruff format' mend most of ruff's" >&2
fi
exit "$status"
