# The services' image (the default target: the last stage), and with `--target demo` the same plus the dev
# chains `deposit-check serve --demo` starts (litecoind regtest, anvil): docker-compose.yml's `demo` profile.
# Debian bookworm: its main archive has litecoind (0.21).
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

FROM app AS demo
USER root
RUN apt-get update && apt-get install -y --no-install-recommends litecoind && rm -rf /var/lib/apt/lists/*
COPY --from=anvil /opt/anvil/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil /usr/local/bin/anvil
USER app
CMD ["deposit-check", "serve", "--demo", "--host", "127.0.0.1", "--port", "8080"]

FROM app
