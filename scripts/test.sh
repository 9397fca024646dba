#!/usr/bin/env bash
# Install what the tests need (litecoind, anvil, redis-server, Python deps), run the gates
# (scripts/lint.sh: ruff, mypy, import-linter) and then the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
bash scripts/lint.sh
exec .venv/bin/pytest "$@"
