"""Prometheus exposition for both services: `/metrics` on an app, or a port of its own for a worker.

One registry per process (prometheus_client's default): each process is scraped on its own. Except the
workers of `serve --workers N` (desk_common.workers), which share a port: they run in prometheus_client's
multiprocess mode, and `/metrics` sums the values all of them wrote to their shared directory, beside the
answering worker's own live collectors (`register_live`). `/metrics` needs no API key; keep it off the
public side (bind, proxy rules).
"""

import argparse
import functools
import logging
import os
import time
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    start_http_server,
)
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# For FastAPI(telemetry=...): its native OpenTelemetry off. The services export Prometheus, and ship
# no OpenTelemetry SDK that could give it a provider; left on, it asks on every request whether one
# was configured meanwhile, a few percent of a cached check (docs/benchmarks.md).
NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

RESPONSES = Counter(
    "desk_http_responses_total",
    "HTTP responses by app, route template (never the raw path) and status code",
    ["app", "route", "status"],
)


@functools.cache
def labelled(metric: MetricWrapperBase, *values: str) -> Any:
    """`metric.labels(*values)`, looked up once per label set: `labels()` validates and takes a lock
    on every call, which showed on the cached-check path. For bounded label sets only."""
    return metric.labels(*values)


class ResponseMetrics:
    """Counts responses by route template: 401/403/429/503 per route, for alerts; with `access_log` (a logger
    name), logs each one too, by route template as well. Raw paths carry ticket ids and webhook secrets, so
    they are never a label nor logged (use with uvicorn's own access log off)."""

    def __init__(self, app: ASGIApp, name: str, access_log: str | None = None) -> None:
        self.app = app
        self.name = name
        self.log = logging.getLogger(access_log) if access_log else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path_format", None) or "(unmatched)"
            labelled(RESPONSES, self.name, route, str(status)).inc()
            if self.log is not None:
                elapsed_ms = (time.perf_counter() - started) * 1000
                self.log.info("%s %s %d %.1fms", scope["method"], route, status, elapsed_ms)


# Decided once, at import, as prometheus_client decides where its values live (desk_common.workers sets it).
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
_LIVE: list[Collector] = []


def register_live(collector: Collector) -> None:
    """A collector that reads this process's own state at scrape time (no value written to the multiprocess
    files): in the default registry, and with `serve --workers N` beside the workers' summed metrics, where it
    tells the state of the worker that answered the scrape."""
    REGISTRY.register(collector)
    _LIVE.append(collector)


def _registry() -> CollectorRegistry:
    if not MULTIPROCESS:
        return REGISTRY
    registry = CollectorRegistry()  # per scrape, as prometheus_client's multiprocess docs do
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped
    for collector in _LIVE:
        registry.register(collector)
    return registry


async def _metrics(_: Request) -> Response:
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI, name: str, access_log: str | None = None) -> None:
    """`GET /metrics` (not in the OpenAPI document: it is for the scraper, not for callers), and
    responses counted by route and status under the app's `name` (and logged to `access_log`), by the
    middleware added last: call it after the others to count and log what they answer too."""
    app.add_route("/metrics", _metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(ResponseMetrics, name=name, access_log=access_log)


def add_metrics_arguments(parser: argparse.ArgumentParser, example_port: int) -> None:
    """`--metrics-port` (default off) and `--metrics-host` for a process that has no API."""
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help=f"serve Prometheus metrics at http://HOST:PORT/metrics, e.g. {example_port} (default: off)",
    )
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", help="address to bind the metrics port to (default: 127.0.0.1)"
    )


def serve_metrics(port: int | None, host: str = "127.0.0.1") -> None:
    """Expose this process's metrics on `host:port` in a background thread (for processes without an API)."""
    if port:
        start_http_server(port, addr=host)
