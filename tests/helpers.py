"""Small test helpers shared by several test modules."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import redis.asyncio as redis


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the HTTP requests that reach the network."""

    def __init__(self) -> None:
        self.requests = 0
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def dev_mode(config_text: str) -> str:
    """A service's config text with `[api] dev_mode = true`: without API keys, loopback callers have every
    scope (as most tests call). Appended, so the text must not have an `[api]` table of its own."""
    return config_text + "\n[api]\ndev_mode = true\n"


@asynccontextmanager
async def commands_sent(client: redis.Redis) -> AsyncIterator[list[str]]:
    """The commands clients send to `client`'s Redis meanwhile, as MONITOR prints them (not those a script
    runs): what counts as a round trip."""
    sent: list[str] = []
    mark = f"commands-sent-end-{uuid.uuid4().hex}"
    async with client.monitor() as monitor:

        async def read() -> None:
            while True:
                info = await monitor.next_command()
                if mark in info["command"]:
                    return
                if info["client_type"] != "lua":
                    sent.append(info["command"])

        reader = asyncio.create_task(read())
        try:
            yield sent
        finally:
            await client.echo(mark)  # MONITOR shows it after everything sent before it
            await asyncio.wait_for(reader, 10)
