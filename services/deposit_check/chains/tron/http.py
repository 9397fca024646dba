"""The java-tron HTTP API (full nodes' port 8090, or TronGrid): POST a JSON body to a path, get JSON back.

httpx's transport directly, as for the UTXO JSON-RPC (chains/jsonrpc.py: a node needs none of the
client's cookies, redirects or auth flows). Not tronpy: 0.6.2 requires eth-abi < 6 and web3 8 requires
>= 6, so the two cannot be installed together (docs/architecture.md); its calls are one POST each too.
The API has no batches: calls that do not depend on each other are sent concurrently, so a check is one
round trip in time, several requests in count.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from deposit_check.chains.endpoints import EndpointFailure, EndpointPool
from deposit_check.chains.jsonrpc import Endpoint, exchange
from deposit_check.chains.tron.network import NetworkCheck

T = TypeVar("T")
Call = tuple[str, dict[str, Any]]  # (path such as "/wallet/gettransactionbyid", JSON body)


class NodeFailure(EndpointFailure):
    """This node's answer cannot be used: ask the next one."""


@dataclass(frozen=True)
class Node:
    """One node's base URL (no credentials) and the headers of each request to it (API key, basic auth)."""

    base: str
    headers: dict[str, str] = field(repr=False)


class TronHttp:
    """Calls on a chain's nodes, failing over between them (`EndpointPool`); each call counted in `calls`. With
    `network`, a node is asked for its genesis block before anything else (chains/tron/network.py)."""

    def __init__(
        self,
        chain: str,
        urls: Sequence[str],
        timeout_seconds: float,
        *,
        api_key: str | None = None,
        api_key_header: str = "TRON-PRO-API-KEY",
        transport: httpx.AsyncBaseTransport | None = None,
        breaker_failures: int = 3,
        breaker_reset_seconds: float = 30.0,
        max_in_flight: int = 8,
        network: str | None = None,
    ) -> None:
        self.network = NetworkCheck(network) if network is not None else None
        self.pool: EndpointPool[Node] = EndpointPool(
            chain,
            [(url, _node(url, api_key, api_key_header)) for url in urls],
            timeout_seconds=timeout_seconds,
            breaker_failures=breaker_failures,
            breaker_reset_seconds=breaker_reset_seconds,
            max_in_flight=max_in_flight,
        )
        self._transport = transport or httpx.AsyncHTTPTransport()
        self._timeout = httpx.Timeout(timeout_seconds).as_dict()
        self.calls = 0  # requests sent (the bench's node calls per check)

    async def first(self, ask: Callable[[Node], Awaitable[T]]) -> T:
        """`ask` on the first node that answers usefully; a malformed answer is that node's failure."""
        return await self.pool.first(self._on_node(ask))

    async def several(self, n: int, ask: Callable[[Node], Awaitable[T]]) -> list[tuple[str, T]]:
        return await self.pool.several(n, self._on_node(ask))

    async def each(self, ask: Callable[[Node], Awaitable[T]]) -> list[tuple[str, T | EndpointFailure]]:
        return await self.pool.each(self._on_node(ask))

    def _on_node(self, ask: Callable[[Node], Awaitable[T]]) -> Callable[[Node], Awaitable[T]]:
        """`ask`, guarded, after the node's network was checked; a failure has the network read again next time."""
        checked = guarded(ask)
        network = self.network
        if network is None:
            return checked

        async def run(node: Node) -> T:
            try:
                await network.ensure(node, self.call_on)
                return await checked(node)
            except EndpointFailure:
                network.forget(node)
                raise

        return run

    async def calls_on(self, node: Node, calls: Sequence[Call]) -> list[Any]:
        """The calls on one node, concurrently; their JSON answers in order. Any failure is NodeFailure."""
        if len(calls) == 1:
            return [await self.call_on(node, *calls[0])]
        return list(await asyncio.gather(*(self.call_on(node, path, body) for path, body in calls)))

    async def call_on(self, node: Node, path: str, body: dict[str, Any]) -> Any:
        request = httpx.Request(
            "POST",
            node.base + path,
            content=json.dumps(body, separators=(",", ":")),
            headers=node.headers,
            extensions={"timeout": self._timeout},
        )
        return await self._send(request, path)

    async def get_on(self, node: Node, path: str, params: dict[str, str]) -> Any:
        """GET `path` with query `params` (TronGrid's `/v1/...` API); its JSON answer. Any failure is NodeFailure."""
        request = httpx.Request(
            "GET", node.base + path, params=params, headers=node.headers, extensions={"timeout": self._timeout}
        )
        return await self._send(request, path)

    async def _send(self, request: httpx.Request, path: str) -> Any:
        self.calls += 1
        content = await exchange(
            self._transport, request, NodeFailure, "the node refused the API key or credentials", f"{path}: "
        )
        try:
            answer = json.loads(content)
        except ValueError as exc:
            raise NodeFailure(f"{path}: not JSON: {exc}") from None
        if isinstance(answer, dict) and "Error" in answer:  # java-tron's way of failing a call: HTTP 200
            raise NodeFailure(f"{path}: {str(answer['Error'])[:200]!r}")
        return answer

    async def aclose(self) -> None:
        await self._transport.aclose()


def _node(url: str, api_key: str | None, api_key_header: str) -> Node:
    endpoint = Endpoint.parse(url)  # credentials out of the URL, into a basic-auth header
    headers = dict(endpoint.headers)
    if api_key:
        headers[api_key_header] = api_key
    return Node(endpoint.url.rstrip("/"), headers)


def guarded(ask: Callable[[Node], Awaitable[T]]) -> Callable[[Node], Awaitable[T]]:
    """`ask`, with an answer missing fields we need (KeyError, TypeError, ValueError) as that node's failure."""

    async def run(node: Node) -> T:
        try:
            return await ask(node)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise NodeFailure(f"malformed answer ({type(exc).__name__}: {str(exc)[:200]})") from None

    return run
