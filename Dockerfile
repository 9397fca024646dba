FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY services ./services
RUN pip install --no-cache-dir . && useradd --system app
USER app
ENV DEPOSIT_CHECK_CONFIG=/etc/deposit-check/config.toml
EXPOSE 8080
CMD ["deposit-check", "serve", "--host", "0.0.0.0", "--port", "8080"]
