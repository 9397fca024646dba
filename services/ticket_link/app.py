"""The FastAPI application of ticket_link: wiring only."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from desk_common.errors import error_response, install_error_handlers
from desk_common.logging import configure_logging
from desk_common.metrics import NO_OPENTELEMETRY, install_metrics
from desk_common.middleware import BodyLimit
from desk_common.readiness import Readiness
from ticket_link.bootstrap import build_components
from ticket_link.config import AppConfig, Settings, load_config
from ticket_link.dependencies import build_gate
from ticket_link.router import router
from ticket_link.web import install_web

log = logging.getLogger(__name__)


async def _on_redis_error(_: Request, exc: Exception) -> JSONResponse:
    """Redis (links, outbox, queue) failed mid-request: never answer as if the note were queued. Part of it
    may have been written (the outbox then delivers it); a retry is safe, notes are keyed."""
    log.warning("redis unavailable: %s", type(exc).__name__)
    return error_response(
        "unavailable",
        "ticket_link's Redis is unavailable: the note could not be queued for sure; retry later "
        "(a retry never posts a note twice)",
        503,
    )


def create_app(config: AppConfig) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gate = build_gate(config)  # first: a bad [[api.keys]] entry stops start-up before anything opens
        components = build_components(config)
        await components.queue.connect()
        app.state.components = components
        app.state.service = components.service
        app.state.helpdesks = components.helpdesks
        app.state.readiness = Readiness(components.service.ready_checks(), config.file.api.readyz_cache_seconds)
        log.info("ticket_link ready: helpdesks %s, config from %s", ", ".join(components.helpdesks), config.source)
        try:
            yield
        finally:
            await components.aclose()
            await app.state.gate.aclose()
            if config.file.web is not None:
                await app.state.web.aclose()

    app = FastAPI(
        title="ticket_link",
        version="0.1.0",
        description="Takes tx hashes from tickets, checks them with deposit_check, posts the verdict as an internal note.",
        lifespan=lifespan,
        telemetry=NO_OPENTELEMETRY,  # Prometheus instead, at /metrics
    )
    app.include_router(router)
    install_web(app, config.file.web, config.redis_url)  # the agent form (router, session, headers); off without [web]
    app.add_middleware(BodyLimit, exempt_prefixes=("/v1/webhooks/",))  # webhooks keep their 1 MB cap
    # GET /metrics, no key: keep it off the public side (docs/operations.md). Outermost: it counts and logs
    # what the middlewares above answer too (a 413 of BodyLimit).
    install_metrics(app, "ticket_link", access_log="ticket_link.access")
    install_error_handlers(app)  # TicketLinkError and the API-key gate's 401/403/429: all DeskError
    app.add_exception_handler(RedisError, _on_redis_error)
    return app


def create_from_env() -> FastAPI:
    """The API as `ticket-link serve` builds it, from the environment alone (TICKET_LINK_CONFIG, REDIS_URL,
    DEPOSIT_EVENTS_REDIS_URL, LOG_LEVEL), logging set up (masked) here: the factory each uvicorn worker process
    calls (`serve --workers N`, or `uvicorn --factory --workers N ticket_link.app:create_from_env`)."""
    settings = Settings()
    # uvicorn's access log prints raw paths (ticket ids, webhook secrets): ours logs route templates.
    configure_logging(settings.log_level, access_log=False)
    return create_app(load_config(settings))
