#!/usr/bin/env bash
# Retake the screenshots of README.md and docs/web-form.md (docs/screenshots/) from the one-command
# demo, as a user sees it: tests/harness/test_demo.py runs `scripts/serve.sh --demo`, signs into the
# form and the helpdesk in Chromium and saves each step. Blocks every 10 s, so that the pending card
# is seen before the first block. Needs what `scripts/setup.sh --test` installs.
set -euo pipefail
cd "$(dirname "$0")/.."
DESK_SCREENSHOTS="$PWD/docs/screenshots" DESK_DEMO_BLOCK_SECONDS=10 \
  .venv/bin/python -m pytest -q -p no:cacheprovider \
  "tests/harness/test_demo.py::test_the_one_command_demo_shows_the_whole_desk_and_ctrl_c_leaves_nothing" "$@"
