# The services' image (the default target: the last stage), and with `--target demo` the same plus what the
# whole desk's demo starts (`python -m harness.demo`, as `scripts/serve.sh --demo`): redis-server, the dev
# chains (litecoind regtest, anvil, the TRON replay node), django-helpdesk: docker-compose.yml's `demo` profile.
# Debian bookworm: its main archive has litecoind (0.21) and redis-server (7.0).
FROM python:3.11-slim-bookworm AS app
WORKDIR /app
# Runtime dependencies first, from the lock: every file checked against its sha256 (scripts/lock.sh
# writes requirements.lock from pyproject.toml); then the project itself, with nothing more.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY services ./services
RUN pip install --no-cache-dir --no-deps . \
    && useradd --system app \
    && install -d -m 0700 -o app /var/lib/deposit-check
USER app
ENV DEPOSIT_CHECK_CONFIG=/etc/deposit-check/config.toml
# bitcoinlib's data directory goes under it, private (docs/operations.md, "Threat model").
ENV DEPOSIT_CHECK_STATE_DIR=/var/lib/deposit-check
EXPOSE 8080
CMD ["deposit-check", "serve", "--host", "0.0.0.0", "--port", "8080"]

# anvil (Foundry), the version package.json pins: its npm package ships the binary.
FROM node:22-bookworm-slim AS anvil
RUN npm install --prefix /opt/anvil --no-save @foundry-rs/anvil-linux-amd64@1.7.1

# The whole desk's demo. Not the services' image: the last stage below has none of this (no harness, no Django).
FROM app AS demo
USER root
RUN apt-get update && apt-get install -y --no-install-recommends litecoind redis-server \
    && rm -rf /var/lib/apt/lists/*
COPY --from=anvil /opt/anvil/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil /usr/local/bin/anvil
# The `demo` extra (django-helpdesk, Django, DRF), hashes checked as for the runtime: requirements-demo.lock is
# requirements.lock plus the extra, constrained by it (scripts/lock.sh), so only the extra's packages are added.
COPY requirements-demo.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements-demo.lock
# The demo's launcher is not in the wheel (harness/ holds the tests' helpers): only the modules it imports, in
# the working directory, where `python -m harness.demo` finds them (tests/test_compose.py checks the list).
COPY harness/__init__.py harness/processes.py harness/redis_server.py ./harness/
COPY harness/demo/*.py ./harness/demo/
# The demo's TRON chain: the replay node (run as `python -m harness.tron_replay` from here) and the published
# answers it replays (deposit_check.devnet.tron_replay finds both in the working directory).
COPY harness/tron_replay.py ./harness/
COPY tests/fixtures/tron ./tests/fixtures/tron/
# Writable by the user the demo runs as: .demo/, the helpdesk's migrated database, made by the first start and
# copied by the next ones (a volume in docker-compose.yml), and a home, where Debian's litecoind wrapper makes
# ~/.litecoin before it starts the node. The rest of a run lives in a folder under /tmp, removed on the way out.
RUN install -d -o app /app/.demo /home/app
ENV HOME=/home/app
USER app
CMD ["python", "-m", "harness.demo"]

FROM app
