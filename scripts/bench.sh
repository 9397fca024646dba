#!/usr/bin/env bash
# Run the benchmark of issue 2 (method, figures and history: docs/benchmarks.md), installing what it needs:
# everything `scripts/setup.sh --test` installs (reusing an existing .venv), plus wrk (Debian).
#   scripts/bench.sh                    the whole bench, ~2-3 minutes, loads only 127.0.0.1
#   scripts/bench.sh --gc-freeze        also a diagnostic variant of the API (see docs/benchmarks.md)
#   scripts/bench.sh --no-limiter       also ours without the rate limiter (what it costs)
#   scripts/bench.sh --json PATH        also write the figures to PATH as JSON
# Other options: .venv/bin/python -m bench.checks --help
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

if ! command -v wrk >/dev/null; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "bench: apt-get install wrk"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq wrk >/dev/null
fi

exec .venv/bin/python -m bench.checks "$@"
