"""The two apps the warm bench serves, as uvicorn factories (`uvicorn --factory bench.apps:NAME`).

- `ours`: deposit_check as deployed (config from DEPOSIT_CHECK_CONFIG, Redis from REDIS_URL).
- `baseline`: the least a FastAPI endpoint serving cached JSON from Redis can do: read the body,
  one GET (redis.asyncio) of the key derived from it, answer the stored bytes as JSON.
- `ours_gc_frozen`, `baseline_gc_frozen` (diagnostic, `--gc-freeze`): the same with `gc.freeze()`
  once start-up is done.
- `ours_unthrottled` (diagnostic, `--no-limiter`): ours with the API key's rate limiter skipped
  (keys, scopes and everything else as deployed), to show what the limiter's Redis round trip costs.
"""

import gc
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis
from fastapi import FastAPI, Request, Response

from deposit_check.app import create_app
from deposit_check.config import load_config

BARE_PREFIX = "bench:bare:"


def bare_key(body: bytes) -> str:
    """The baseline's Redis key for one request body."""
    return BARE_PREFIX + hashlib.blake2b(body, digest_size=16).hexdigest()


def ours() -> FastAPI:
    return create_app(load_config())


def baseline() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = redis.Redis.from_url(os.environ["REDIS_URL"])
        try:
            yield
        finally:
            await app.state.redis.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/checks")
    async def check(request: Request) -> Response:
        value = await request.app.state.redis.get(bare_key(await request.body()))
        if value is None:
            return Response(b'{"error": "not cached"}', status_code=404, media_type="application/json")
        return Response(value, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def frozen_after_startup(app: FastAPI) -> FastAPI:
    """`app` with `gc.freeze()` once its start-up is done (diagnostic: what the collector costs).

    Our start-up leaves ~160k objects (web3, eth-*, bitcoinlib, pydantic schemas) that every full
    collection walks; frozen, a full collection only sees what requests left behind.
    """
    startup = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with startup(app):
            gc.collect()
            gc.freeze()
            yield

    app.router.lifespan_context = lifespan
    return app


def ours_gc_frozen() -> FastAPI:
    return frozen_after_startup(ours())


def baseline_gc_frozen() -> FastAPI:
    return frozen_after_startup(baseline())


def ours_unthrottled() -> FastAPI:
    app = ours()
    startup = app.router.lifespan_context

    async def unlimited(caller: object) -> None:
        return None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with startup(app):
            app.state.gate.throttle = unlimited  # the key is still authenticated; only counting is skipped
            yield

    app.router.lifespan_context = lifespan
    return app
