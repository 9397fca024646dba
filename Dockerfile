FROM python:3.11-slim
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
