"""The FastAPI application: wiring only (settings in, adapters built, errors mapped once)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from deposit_check.chains import build_chain
from deposit_check.config import AppConfig
from deposit_check.errors import DepositCheckError
from deposit_check.router import router
from deposit_check.service import CheckService
from deposit_check.store import open_store
from desk_common.http import error_response, on_validation_error

log = logging.getLogger(__name__)


async def _on_domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DepositCheckError)
    return error_response(exc.code, exc.message, exc.status_code)


def create_app(config: AppConfig) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        chains = {name: build_chain(name, chain_config) for name, chain_config in config.file.chains.items()}
        store = open_store(config.redis_url)
        app.state.service = CheckService(chains, store, config.file.cache)
        app.state.api_keys = {key.sha256: key.name for key in config.file.api.keys}
        log.info("deposit_check ready: chains %s, store %s, config from %s", ", ".join(chains), store.kind, config.source)
        try:
            yield
        finally:
            for chain in chains.values():
                await chain.aclose()
            await store.aclose()

    app = FastAPI(
        title="deposit_check",
        version="0.1.0",
        description="Verify a deposit: a transaction hash against a deposit address, on UTXO and EVM chains.",
        lifespan=lifespan,
    )
    app.include_router(router)
    app.add_exception_handler(DepositCheckError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    return app
