"""Warm checks without a server: cached requests per CPU-second, ours against the bare app.

Both apps are called as ASGI in the bench's own process (no uvicorn, no socket, no wrk), with the
warm bench's bodies in turn on the same pre-warmed Redis; time is this process's CPU time, rounds
interleaved. CPU time runs only while the process does, so a neighbour's steal time, which moves
wrk's figures by tens of percent on these machines, does not enter it. Left out: the server's
share of a request (uvicorn, HTTP parsing), which is the same for both apps.
"""

import asyncio
import os
import time
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import AsyncExitStack, contextmanager
from typing import Any

from fastapi import FastAPI

from bench import apps
from bench.report import Ratio, Series

SECTION = "warm in-process"


def _scope(body: bytes, api_key: str) -> dict[str, Any]:
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {api_key}".encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/checks",
        "raw_path": b"/v1/checks",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


async def _request(app: FastAPI, body: bytes, api_key: str) -> tuple[int, dict[bytes, bytes]]:
    """One POST through the app; its status and headers."""
    sent = False
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays: nothing more comes
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.update(status=message["status"], headers=dict(message.get("headers", [])))

    await app(_scope(body, api_key), receive, send)
    return answer["status"], answer["headers"]


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def _measure(bodies: Sequence[bytes], api_key: str, rounds: int, requests: int) -> dict[str, Series]:
    async with AsyncExitStack() as stack:
        built: dict[str, FastAPI] = {}
        for name in (apps.baseline.__name__, apps.ours.__name__):
            app = getattr(apps, name)()
            await stack.enter_async_context(app.router.lifespan_context(app))
            built[name] = app
        for name, app in built.items():  # every body answered from the cache, and the paths warm
            for body in bodies:
                status, headers = await _request(app, body, api_key)
                if status != 200 or (name == apps.ours.__name__ and headers.get(b"x-cache") != b"hit"):
                    raise RuntimeError(f"in-process {name}: {body!r} -> {status} {headers}")
        series = {name: Series(SECTION, f"{name}: requests per CPU-second", "req/CPU-s") for name in built}
        for _ in range(rounds):
            for name, app in built.items():
                started = time.process_time()
                for i in range(requests):
                    await _request(app, bodies[i % len(bodies)], api_key)
                series[name].values.append(requests / (time.process_time() - started))
        return series


def run(
    bodies: Sequence[bytes], env: Mapping[str, str], api_key: str, rounds: int = 15, requests: int = 500
) -> tuple[list[Series], list[Ratio]]:
    """Requests per CPU-second of each app (median of `rounds`), and ours' as a share of the bare
    app's (a diagnostic: the issue's target is on served throughput)."""
    with _environment(env):
        series = asyncio.run(_measure(bodies, api_key, rounds, requests))
    ours, bare = series[apps.ours.__name__], series[apps.baseline.__name__]
    return [bare, ours], [Ratio("warm, diagnostic: ours / bare, requests per CPU-second in-process", ours, bare)]
