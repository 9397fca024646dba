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
