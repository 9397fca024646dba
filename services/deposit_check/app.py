"""The FastAPI application: wiring only (settings in, adapters built, errors mapped once)."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from deposit_check.addresses_router import router as addresses_router
from deposit_check.chains import build_chain
from deposit_check.config import AppConfig, Settings, load_config
from deposit_check.dependencies import build_gate
from deposit_check.locate.service import LocateService
from deposit_check.locate_router import router as locate_router
from deposit_check.lookups.service import LookupService
from deposit_check.lookups.sources import SourceContext, build_sources, close_sources
from deposit_check.lookups_router import router as lookups_router
from deposit_check.ownership import Ownership
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.build import build_ownership
from deposit_check.router import router
from deposit_check.schemas import CheckRequest
from deposit_check.service import CheckService
from deposit_check.store import open_store
from deposit_check.watch.registry import Registry
from deposit_check.watch.runner import run_followers
from desk_common.auth import api_caller
from desk_common.errors import install_error_handlers
from desk_common.logging import configure_logging
from desk_common.metrics import NO_OPENTELEMETRY, install_metrics
from desk_common.middleware import BodyLimit
from desk_common.openapi import document_components
from desk_common.readiness import Probe, Readiness
from desk_common.redis_connect import connect

log = logging.getLogger(__name__)


def create_app(config: AppConfig, run_watcher: bool = False, ownership: Ownership | None = None) -> FastAPI:
    """The API; with `run_watcher` (one-box deployments, the demo) the chain followers run in-process too.

    `ownership`: the casino's declared deposit addresses (None: built from `[ownership]` in the config; nothing
    declared there, every address `unknown`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gate = build_gate(config)  # first: a bad [[api.keys]] entry stops start-up before anything opens
        chains = {name: build_chain(name, chain_config) for name, chain_config in config.file.chains.items()}
        store = open_store(config.redis_url)
        watch_redis = connect(config.redis_url, socket_timeout=2.0) if config.redis_url else None
        registry = Registry(watch_redis, config.file.watch) if watch_redis is not None else None
        app.state.ownership = ownership or build_ownership(config, watch_redis)
        app.state.service = CheckService(
            chains, store, config.file.cache, registry, app.state.ownership, config.file.display_names()
        )
        sources = build_sources(SourceContext(config, watch_redis, app.state.ownership, chains))
        app.state.locate = LocateService(chains, app.state.ownership)
        app.state.lookups = LookupService(app.state.service, sources, config.file.lookups)
        probes: dict[str, Probe] = {f"chain:{name}": chain.ready for name, chain in chains.items()}
        probes[f"store:{store.kind}"] = store.ping
        app.state.readiness = Readiness(probes, config.file.api.readyz_cache_seconds)
        app.state.ownership_admin = OwnershipAdmin(app.state.ownership, dict(config.file.chains))
        stop = asyncio.Event()
        watcher = asyncio.create_task(run_followers(config, stop, app.state.ownership)) if run_watcher else None
        # Start-up leaves ~160k long-lived objects (web3, pydantic); without freezing them every
        # full collection walks them all, a 60-90 ms pause under load (docs/benchmarks.md).
        gc.collect()
        gc.freeze()
        log.info(
            "deposit_check ready: chains %s, store %s, config from %s", ", ".join(chains), store.kind, config.source
        )
        try:
            yield
        finally:
            stop.set()
            if watcher is not None:
                await watcher
            for chain in chains.values():
                await chain.aclose()
            await close_sources(sources)
            await store.aclose()
            await app.state.gate.aclose()
            if watch_redis is not None:
                await watch_redis.aclose()

    app = FastAPI(
        title="deposit_check",
        version="0.1.0",
        description="Verify a deposit: a transaction hash against a deposit address, on UTXO and EVM chains.",
        lifespan=lifespan,
        telemetry=NO_OPENTELEMETRY,  # Prometheus instead, at /metrics
    )
    app.include_router(router)
    app.include_router(addresses_router)
    app.include_router(lookups_router)
    app.include_router(locate_router)
    document_components(app, [CheckRequest], security=[api_caller])  # what the check route reads itself
    install_metrics(app, "deposit_check")  # GET /metrics, no key: keep it off the public side (docs/operations.md)
    app.add_middleware(BodyLimit)  # 64 KiB: a check is a few hundred bytes
    install_error_handlers(app)  # DepositCheckError and the API-key gate's 401/403/429: all DeskError
    return app


def create_from_env() -> FastAPI:
    """The API as `deposit-check serve` builds it, from the environment alone (DEPOSIT_CHECK_CONFIG, REDIS_URL,
    LOG_LEVEL), logging set up (masked) here: the factory each uvicorn worker process calls (`serve --workers N`,
    or `uvicorn --factory --workers N deposit_check.app:create_from_env`). No watcher: run `deposit-check watch`."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(load_config(settings))
