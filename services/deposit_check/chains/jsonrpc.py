"""A tiny async JSON-RPC client for Bitcoin-Core-like nodes: batches, keep-alive, failover over endpoints.

Written here rather than taken from a library: the libraries that speak this RPC (bitcoinlib,
python-bitcoinrpc) are sync or open a connection per call, and we need one batch per check.
Every request is sent as a batch, so the node answers HTTP 200 with one reply per call and a
per-call error (Bitcoin Core answers single calls that fail with HTTP 404/500).

Requests go straight to httpx's transport (its connection pool, HTTP/1.1 and timeouts), not
through `httpx.AsyncClient`: a node's RPC needs none of the client's cookies, redirects or auth
flows, and on a cold check they were a third of our CPU per request (docs/benchmarks.md). Nodes
are reached directly, with no proxy from the environment (as web3's aiohttp session does for EVM).
"""

import base64
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from deposit_check.chains.endpoints import EndpointFailure, EndpointPool

T = TypeVar("T")


class RpcError(Exception):
    """An error object the node answered for one call."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"RPC error {code}: {message}")
        self.code = code
        self.message = message


class BadAnswer(EndpointFailure):
    """This node's answer cannot be used: ask the next one."""


async def exchange(
    transport: httpx.AsyncBaseTransport,
    request: httpx.Request,
    failure: type[EndpointFailure],
    refused: str,
    context: str = "",
) -> bytes:
    """Send `request` and return the body of a 200; anything else raises `failure` (prefixed with `context`):
    a transport error (its message names no URL: that is in exc.request), 401/403 as `refused`, another status
    with the start of its body."""
    try:
        response = await transport.handle_async_request(request)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
    except httpx.HTTPError as exc:
        raise failure(f"{context}{type(exc).__name__} {exc}".rstrip()) from None
    if response.status_code in (401, 403):
        raise failure(f"{context}HTTP {response.status_code}: {refused}")
    if response.status_code != 200:
        raise failure(f"{context}HTTP {response.status_code}: {content[:200].decode(errors='replace')!r}")
    return content


Reply = Any  # the call's result, or an RpcError instance


@dataclass(frozen=True)
class Endpoint:
    """A node URL with its credentials split off, so that messages never carry them."""

    url: str
    auth: tuple[str, str] | None = field(repr=False)

    @functools.cached_property
    def headers(self) -> dict[str, str]:
        """Of each request to this node, basic auth included (built once, on the first request)."""
        headers = {"content-type": "application/json"}
        if self.auth is not None:
            user, password = (part.encode() for part in self.auth)
            headers["authorization"] = "Basic " + base64.b64encode(user + b":" + password).decode()
        return headers

    @classmethod
    def parse(cls, url: str) -> "Endpoint":
        parts = urlsplit(url)
        auth = None
        if parts.username is not None:
            auth = (unquote(parts.username), unquote(parts.password or ""))
        netloc = parts.hostname or ""
        if ":" in netloc:  # IPv6 literal
            netloc = f"[{netloc}]"
        if parts.port is not None:
            netloc = f"{netloc}:{parts.port}"
        return cls(urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), auth)


def _encode(value: Any) -> Any:
    # Core's amount parser takes strings, which keeps Decimal exact (json would need floats).
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


class JsonRpcClient:
    """Batched JSON-RPC over one keep-alive httpx client, failing over between endpoints (`EndpointPool`)."""

    def __init__(
        self,
        chain: str,
        urls: Sequence[str],
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        breaker_failures: int = 3,
        breaker_reset_seconds: float = 30.0,
        max_in_flight: int = 8,
    ) -> None:
        self.chain = chain
        self.pool: EndpointPool[Endpoint] = EndpointPool(
            chain,
            [(u, Endpoint.parse(u)) for u in urls],
            timeout_seconds=timeout_seconds,
            breaker_failures=breaker_failures,
            breaker_reset_seconds=breaker_reset_seconds,
            max_in_flight=max_in_flight,
        )
        self._transport = transport or httpx.AsyncHTTPTransport()
        self._timeout = httpx.Timeout(timeout_seconds).as_dict()

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]], interpret: Callable[[list[Reply]], T]) -> T:
        """Send `calls` as one batch and return `interpret(replies)` from the first node that suits.

        Transport errors, HTTP errors, malformed bodies and `BadAnswer` raised by `interpret`
        move on to the next endpoint; when none is left, raise NodeUnavailable listing each failure.
        Any other exception from `interpret` (e.g. UnknownBlock: an answer, not a failure) is raised as is.
        """
        return await self.pool.first(lambda endpoint: self.batch_on(endpoint, calls, interpret))

    async def batch_on(
        self, endpoint: Endpoint, calls: Sequence[tuple[str, Sequence[Any]]], interpret: Callable[[list[Reply]], T]
    ) -> T:
        """`batch` on that endpoint only: BadAnswer (an EndpointFailure) when it cannot be used."""
        return interpret(await self._send(endpoint, calls))

    async def call(self, method: str, *params: Any) -> Any:
        """One call; an RPC error counts as a bad answer and moves on to the next URL."""
        return await self.batch([(method, params)], lambda replies: result(replies[0]))

    async def _send(self, endpoint: Endpoint, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Reply]:
        body = json.dumps(
            [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)} for i, (m, p) in enumerate(calls)],
            default=_encode,
        )
        request = httpx.Request(
            "POST", endpoint.url, content=body, headers=endpoint.headers, extensions={"timeout": self._timeout}
        )
        content = await exchange(self._transport, request, BadAnswer, "the node refused the RPC credentials")
        try:
            # Amounts must stay exact: never let them become floats.
            items = json.loads(content, parse_float=Decimal)
        except ValueError as exc:
            raise BadAnswer(f"not JSON: {exc}") from None
        if not isinstance(items, list):
            raise BadAnswer("the node did not answer the batch with a list")
        by_id = {item.get("id"): item for item in items if isinstance(item, dict)}
        replies: list[Reply] = []
        for i in range(len(calls)):
            item = by_id.get(i)
            if item is None:
                raise BadAnswer(f"no reply for call {i} ({calls[i][0]})")
            error = item.get("error")
            if error is not None:
                replies.append(RpcError(int(error.get("code", 0)), str(error.get("message", ""))))
            else:
                replies.append(item.get("result"))
        return replies

    async def aclose(self) -> None:
        await self._transport.aclose()


def result(reply: Reply) -> Any:
    """The reply's result; an RPC error becomes BadAnswer (ask the next node)."""
    if isinstance(reply, RpcError):
        raise BadAnswer(str(reply))
    return reply
