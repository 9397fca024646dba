"""An async Electrum-protocol client: newline-delimited JSON-RPC over TCP or TLS, failover over servers.

One persistent connection per server, opened on first use with the `server.version` handshake
(protocol 1.4, which ElectrumX, Fulcrum and electrs all speak) and opened again after any failure.
The calls of one request are pipelined: written together, answered by id in any order, so a check
is one round trip. Pipelining rather than JSON-RPC batch arrays: every Electrum server reads
several requests from one connection, not every one accepts batch arrays, and on a kept connection
a batch saves nothing. Servers are tried in order behind the circuit breakers of `EndpointPool`
(chains/endpoints.py), as nodes are.

Written here rather than taken from aiorpcX (the library ElectrumX and Electrum use): its JSON
parser turns amounts into floats, and its sessions bring their own timeouts, concurrency limits and
logging, which `EndpointPool` already does for every chain.
"""

import asyncio
import itertools
import json
import ssl
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

from deposit_check.chains.endpoints import EndpointPool
from deposit_check.chains.jsonrpc import BadAnswer

T = TypeVar("T")

PROTOCOL = "1.4"
CLIENT_NAME = "deposit-check"
_LINE_LIMIT = 64 * 1024 * 1024  # one answer (a long history, a large tx) may be big; beyond this is no answer
# ElectrumX (e-x 2.0, electrumx/server/transport.py `PaddedRSTransport`) pads what it sends on TCP/TLS
# against traffic analysis and holds answers until 1 KiB is ready to go or 1 s has passed since its
# last send: a small answer comes 1 s late. It sends at once when more is ready, so with the calls
# we ask for ~1.3 KiB of headers (8 x 80 bytes as hex), again after each of its answers while a call
# is still unanswered (backing off: a call the server is still working on, e.g. one for its node).
_PUSH = ("blockchain.block.headers", (0, 8))
_PUSH_PAUSE_SECONDS = (0.002, 0.1)  # first pause before asking again, doubled up to the second


class ElectrumError(Exception):
    """An error object the server answered for one call."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Electrum error {code}: {message}")
        self.code = code
        self.message = message


Reply = Any  # a call's result, or an ElectrumError instance


class ElectrumServer:
    """One server: its address, and the connection to it while one is open."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("tcp", "ssl") or not parts.hostname or not parts.port:
            raise ValueError(f"not an Electrum server URL (tcp://host:port or ssl://host:port): {url.split('@')[-1]!r}")
        self.host = parts.hostname
        self.port = parts.port
        self.tls = parts.scheme == "ssl"
        self._ids = itertools.count()
        self._lock = asyncio.Lock()
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[Reply]] = {}
        self._pads = False  # the server holds small answers (ElectrumX): push them out (_PUSH)

    async def calls(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Reply]:
        """Send `calls` together and return one reply each, in order; BadAnswer when the server fails."""
        return await self._exchange(await self._connected(), calls)

    async def _exchange(self, writer: asyncio.StreamWriter, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Reply]:
        loop = asyncio.get_running_loop()
        futures: list[tuple[int, asyncio.Future[Reply]]] = []
        lines = []
        for method, params in calls:
            request_id = next(self._ids)
            futures.append((request_id, loop.create_future()))
            self._waiting[request_id] = futures[-1][1]
            lines.append(_line(request_id, method, params))
        answers = [future for _, future in futures]
        try:
            if self._pads:
                lines.append(self._push(futures))
            writer.write(b"".join(lines))
            await writer.drain()
            if self._pads:
                await self._pushing(writer, futures, answers)
            return [await future for future in answers]
        except (OSError, ConnectionError) as exc:
            self._drop(f"{type(exc).__name__} {exc}".rstrip())
            raise BadAnswer(f"connection lost: {type(exc).__name__}") from None
        except asyncio.CancelledError:
            # Our deadline (EndpointPool's timeout): a server that did not answer in time is not
            # asked on this connection again; its late answers must not meet new ids' futures.
            self._drop("no answer in time")
            raise
        finally:
            for request_id, future in futures:
                self._waiting.pop(request_id, None)
                if future.done() and not future.cancelled():
                    future.exception()  # read: the first failure was raised, the rest say the same

    def _push(self, futures: list[tuple[int, asyncio.Future[Reply]]]) -> bytes:
        """A `_PUSH` call's line; its future joins `futures` (forgotten with them, never awaited)."""
        request_id = next(self._ids)
        futures.append((request_id, asyncio.get_running_loop().create_future()))
        self._waiting[request_id] = futures[-1][1]
        return _line(request_id, *_PUSH)

    async def _pushing(
        self,
        writer: asyncio.StreamWriter,
        futures: list[tuple[int, asyncio.Future[Reply]]],
        answers: list[asyncio.Future[Reply]],
    ) -> None:
        """Until every answer came: each time the last push is answered, pause and push again."""
        pause, longest = _PUSH_PAUSE_SECONDS
        while True:
            push = futures[-1][1]
            unanswered = [future for future in answers if not future.done()]
            if not unanswered:
                return
            if push.done():
                await asyncio.sleep(pause)
                pause = min(pause * 2, longest)
                if all(future.done() for future in answers):
                    return
                writer.write(self._push(futures))
                await writer.drain()
                continue
            await asyncio.wait([push, *unanswered], return_when=asyncio.FIRST_COMPLETED)

    async def _connected(self) -> asyncio.StreamWriter:
        """The open connection, or a new one after the `server.version` handshake."""
        async with self._lock:
            if self._writer is not None and not self._writer.is_closing():
                return self._writer
            context = ssl.create_default_context() if self.tls else None
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port, ssl=context, limit=_LINE_LIMIT)
            except (OSError, ssl.SSLError) as exc:
                raise BadAnswer(f"cannot connect: {type(exc).__name__} {exc}".rstrip()) from None
            self._writer = writer
            self._reader_task = asyncio.create_task(self._read(reader), name=f"electrum-{self.host}:{self.port}")
            self._pads = False
            [version] = await self._exchange(writer, [("server.version", [CLIENT_NAME, PROTOCOL])])
            if isinstance(version, ElectrumError):
                self._drop("handshake refused")
                raise BadAnswer(f"server.version refused: {version.message}")
            self._pads = isinstance(version, list) and str(version[0]).startswith("ElectrumX")
            return writer

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """Hand each answer to the call waiting for its id; notifications (no id) are not ours."""
        reason = "the server closed the connection"
        try:
            while line := await reader.readline():
                try:
                    message = json.loads(line, parse_float=Decimal)  # amounts stay exact
                except ValueError:
                    reason = "the server sent something that is not JSON"
                    break
                if not isinstance(message, dict):
                    reason = "the server sent a JSON value that is not an object"
                    break
                future = self._waiting.get(message.get("id"))  # type: ignore[arg-type]
                if future is None or future.done():
                    continue
                error = message.get("error")
                if error is not None:
                    code = error.get("code", 0) if isinstance(error, dict) else 0
                    text = error.get("message", "") if isinstance(error, dict) else str(error)
                    future.set_result(ElectrumError(int(code), str(text)))
                else:
                    future.set_result(message.get("result"))
        except (OSError, ValueError, asyncio.LimitOverrunError) as exc:  # ValueError: a line past the limit
            reason = f"{type(exc).__name__} {exc}".rstrip()
        if self._reader_task is asyncio.current_task():  # not a connection already replaced
            self._drop(reason, from_reader=True)

    def _drop(self, reason: str, *, from_reader: bool = False) -> None:
        """Close the connection; every call still waiting fails (the next call connects again)."""
        writer, task = self._writer, self._reader_task
        self._writer, self._reader_task = None, None
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(BadAnswer(f"connection lost: {reason}"))
        if task is not None and not from_reader:
            task.cancel()
        if writer is not None:
            writer.close()

    async def aclose(self) -> None:
        writer = self._writer
        self._drop("closed by us")
        if writer is not None:
            try:
                await writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass


def _line(request_id: int, method: str, params: Sequence[Any]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}).encode() + b"\n"


def result(reply: Reply) -> Any:
    """The reply's result; a server error becomes BadAnswer (ask the next server)."""
    if isinstance(reply, ElectrumError):
        raise BadAnswer(str(reply))
    return reply


class ElectrumClient:
    """A chain's Electrum servers in order, each behind its breaker (`EndpointPool`)."""

    def __init__(
        self,
        chain: str,
        urls: Sequence[str],
        timeout_seconds: float,
        *,
        breaker_failures: int = 3,
        breaker_reset_seconds: float = 30.0,
        max_in_flight: int = 8,
    ) -> None:
        self.pool: EndpointPool[ElectrumServer] = EndpointPool(
            chain,
            [(u, ElectrumServer(u)) for u in urls],
            timeout_seconds=timeout_seconds,
            breaker_failures=breaker_failures,
            breaker_reset_seconds=breaker_reset_seconds,
            max_in_flight=max_in_flight,
        )

    async def ask(self, calls: Sequence[tuple[str, Sequence[Any]]], interpret: Callable[[list[Reply]], T]) -> T:
        """`interpret(replies)` from the first server whose answer suits; NodeUnavailable when none does."""

        async def on(server: ElectrumServer) -> T:
            return interpret(await server.calls(calls))

        return await self.pool.first(on)

    async def aclose(self) -> None:
        for endpoint in self.pool.endpoints:
            await endpoint.client.aclose()
