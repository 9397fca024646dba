#!/usr/bin/env bash
# Install what the tests need (litecoind, anvil, redis-server, Python deps) and run the whole suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/pytest "$@"
