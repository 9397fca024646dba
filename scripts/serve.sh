#!/usr/bin/env bash
# Install and start deposit_check with working defaults.
#   scripts/serve.sh          the API on 127.0.0.1:8080 (in-process store unless REDIS_URL is set)
#   scripts/serve.sh --demo   also local dev chains (litecoind regtest, anvil) with sample deposits
# Other options go to `deposit-check serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " == *" --demo "* ]]; then
  bash scripts/setup.sh --chains
else
  bash scripts/setup.sh
fi
exec .venv/bin/deposit-check serve "$@"
