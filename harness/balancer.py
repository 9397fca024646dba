"""A TCP load balancer on a loopback port: each new connection goes to the next backend in turn (round robin),
as a load balancer in front of several API processes does; it counts the connections each backend got."""

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from deposit_check.devnet.litecoind import free_port


class RoundRobin:
    """Forwards 127.0.0.1:`port` to `backends` (ports on 127.0.0.1), one whole connection per backend in turn."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.port = free_port()
        self.connections = [0] * len(backends)  # connections handed to each backend so far
        self._next = 0
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, name=f"balancer-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "RoundRobin":
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError(f"the balancer did not listen on {self.port}")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", self.port))
        self._started.set()
        self._loop.run_forever()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = self._next
        self._next = (self._next + 1) % len(self.backends)
        self.connections[index] += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.backends[index])
        except OSError:
            writer.close()  # the backend is down: the client sees the connection closed, as behind a real one
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)

    def close(self) -> None:
        async def shut() -> None:
            if self._server is not None:
                self._server.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@contextmanager
def round_robin(backends: list[int]) -> Iterator[RoundRobin]:
    balancer = RoundRobin(backends).start()
    try:
        yield balancer
    finally:
        balancer.close()
