"""Small test helpers shared by several test modules."""

import httpx


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
