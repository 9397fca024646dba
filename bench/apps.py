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
from collections.abc import AsyncIterator, Callable
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


def after_startup(app: FastAPI, step: Callable[[FastAPI], None]) -> FastAPI:
    """`app` with `step(app)` run once its own start-up is done (for the diagnostic variants)."""
    startup = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with startup(app):
            step(app)
            yield

    app.router.lifespan_context = lifespan
    return app


def _freeze(app: FastAPI) -> None:
    """Diagnostic: what the collector costs. Our start-up leaves ~160k objects (web3, eth-*,
    bitcoinlib, pydantic schemas) that every full collection walks; frozen, a full collection only
    sees what requests left behind."""
    gc.collect()
    gc.freeze()


def ours_gc_frozen() -> FastAPI:
    return after_startup(ours(), _freeze)


def baseline_gc_frozen() -> FastAPI:
    return after_startup(baseline(), _freeze)


def _skip_limiter(app: FastAPI) -> None:
    async def unlimited(caller: object) -> None:
        return None

    app.state.gate.throttle = unlimited  # the key is still authenticated; only counting is skipped


def ours_unthrottled() -> FastAPI:
    return after_startup(ours(), _skip_limiter)
