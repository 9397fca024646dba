#!/usr/bin/env bash
# Install what is needed, then start.
#   scripts/serve.sh          deposit_check's API on 127.0.0.1:8080 (in-process store unless REDIS_URL is set)
#   scripts/serve.sh --demo   the whole desk on this machine: Redis, dev chains with sample deposits,
#                             both services, django-helpdesk with sample tickets, the agent form
#                             (python -m harness.demo; --verbose shows the logs, --block-seconds N)
# Other options go to `deposit-check serve` (e.g. --port 9000), or to the demo.
# DESK_SKIP_SETUP=1 skips scripts/setup.sh (when everything is installed already).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " == *" --demo "* ]]; then
  [ "${DESK_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh --demo
  exec .venv/bin/python -m harness.demo "$@"
fi
[ "${DESK_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh
exec .venv/bin/deposit-check serve "$@"
