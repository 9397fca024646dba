#!/usr/bin/env bash
# Write requirements.lock: the runtime dependencies of pyproject.toml, pinned with the sha256 of
# every file PyPI has for each pin (any platform), for `pip install --require-hashes` (Dockerfile);
# and requirements-demo.lock: the same plus the `demo` extra (django-helpdesk), held to the runtime
# lock's versions, for the Dockerfile's demo stage.
# Run after changing [project] dependencies; tests/test_lock.py fails until the lock matches.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=$(command -v uv || true)
if [ -z "$uv" ]; then
  python3 -m venv .lock-venv >/dev/null
  .lock-venv/bin/pip install -q --disable-pip-version-check --index-url https://pypi.org/simple uv
  uv=.lock-venv/bin/uv
fi
# --no-config and PyPI itself: the hashes are of the files PyPI serves, not of a local mirror's.
"$uv" pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
  --no-config --default-index https://pypi.org/simple -o requirements.lock "$@"
"$uv" pip compile pyproject.toml --extra demo -c requirements.lock --universal --python-version 3.11 \
  --generate-hashes --no-config --default-index https://pypi.org/simple -o requirements-demo.lock "$@"
