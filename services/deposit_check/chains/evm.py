"""Adapter for EVM chains (Ethereum and its kin): native coin and allow-listed ERC-20 tokens.

One JSON-RPC batch per check, sent with web3's `make_batch_request`: unlike `w3.batch_requests()`,
it returns raw replies, so a null (unknown tx, pending receipt) does not sink the other results.
"""

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from web3 import AsyncHTTPProvider, AsyncWeb3

from deposit_check.chains import evm_parse
from deposit_check.chains.endpoints import EndpointFailure, EndpointPool
from deposit_check.chains.evm_parse import TRANSFER_TOPIC, PaymentParser, hex_int, missing_method, parse_address
from deposit_check.chains.quorum import combine
from deposit_check.config import EvmChainConfig
from deposit_check.errors import InvalidAddress, InvalidTxHash, NodeUnavailable, UnknownBlock
from deposit_check.models import Asset, Block, BlockRef, InternalTransfers, Observation

__all__ = ["TRANSFER_TOPIC", "EvmChain", "parse_address"]

T = TypeVar("T")

_TX_HASH = re.compile(r"(?:0x)?([0-9a-f]{64})")
_BLOCK_TIMES_KEPT = 4096
_NOBODY = "0x" + "0" * 40
# How a node shows a tx's inner calls, in order of preference: Parity-style traces (anvil, Erigon, Reth,
# Nethermind), else geth's call tracer. Each endpoint is asked once which it has (`_Node.tracer`).
_TRACERS: dict[str, Callable[[str], list[Any]]] = {
    "trace_transaction": lambda tx_hash: [tx_hash],
    "debug_traceTransaction": lambda tx_hash: [tx_hash, {"tracer": "callTracer"}],
}


class _NodeFailure(EndpointFailure):
    """This node's answer cannot be used: ask the next one."""


@dataclass
class _Node:
    w3: AsyncWeb3[AsyncHTTPProvider]
    secrets: tuple[str, ...]  # parts of the URL to scrub from library messages
    session: aiohttp.ClientSession | None = field(default=None)
    tracer: str | None = None  # the method of _TRACERS it answers, once known
    tracer_known: bool = False  # False: not asked yet; True with tracer None: it has none


class EvmChain:
    """A `Chain` backed by Ethereum JSON-RPC nodes, tried in order (`EndpointPool`), or with a quorum
    asked `quorum` at a time (observations only; `tip`, `head` and `block` ask the first that answers)."""

    family = "evm"
    observe_chunk = 100  # items per request in observe_many: 2 calls each, ~200 per batch

    def __init__(self, name: str, config: EvmChainConfig) -> None:
        """ValueError when a token's contract is no address or two assets share a contract or symbol."""
        self.name = name
        self.config = config
        self.required_confirmations = config.confirmations
        self.native = Asset(config.symbol, config.decimals, None)
        self._tokens: dict[str, Asset] = {}  # by lower-case contract
        for token in config.tokens:
            try:
                contract = parse_address(token.contract)
            except InvalidAddress as exc:
                raise ValueError(f"chain {name!r}, token {token.symbol}: {exc.message}") from None
            if contract.lower() in self._tokens:
                raise ValueError(f"chain {name!r}: contract {contract} is listed twice")
            self._tokens[contract.lower()] = Asset(token.symbol, token.decimals, contract)
        self._assets = {a.symbol.upper(): a for a in (self.native, *self._tokens.values())}
        if len(self._assets) != 1 + len(self._tokens):
            raise ValueError(f"chain {name!r}: two assets share a symbol")
        self._payments = PaymentParser(self.native, self._tokens)
        self._timeout = aiohttp.ClientTimeout(total=config.timeout_seconds)
        self._pool: EndpointPool[_Node] = EndpointPool(
            name,
            [(url, self._node(url)) for url in config.rpc_urls],
            timeout_seconds=config.timeout_seconds,
            breaker_failures=config.breaker_failures,
            breaker_reset_seconds=config.breaker_reset_seconds,
            max_in_flight=config.max_requests_in_flight,
        )
        self._block_times: OrderedDict[str, datetime] = OrderedDict()  # LRU; block hashes never change

    def _node(self, url: str) -> _Node:
        parts = urlsplit(url)
        secrets = tuple(s for s in (parts.password, parts.username, parts.query, parts.path) if s and s != "/")
        provider = AsyncHTTPProvider(url, request_kwargs={"timeout": self._timeout})
        return _Node(AsyncWeb3(provider), (url, *secrets))

    def assets(self) -> dict[str, Asset]:
        return dict(self._assets)

    def normalize_tx_hash(self, tx_hash: str) -> str:
        match = _TX_HASH.fullmatch(tx_hash.strip().lower())
        if match is None:
            raise InvalidTxHash(
                f"{tx_hash!r} is not a transaction hash: expected 0x followed by 64 hexadecimal characters"
            )
        return "0x" + match.group(1)

    def normalize_address(self, address: str) -> str:
        return parse_address(address)

    async def observe(self, tx_hash: str, address: str) -> Observation:
        [seen] = await self.observe_many([(tx_hash, address)])
        return seen

    async def observe_tx(self, tx_hash: str) -> Observation:
        # Asked for nobody: no address can match (the zero address's payments are dropped), nothing is traced.
        ask = _guarded(lambda node: self._observe_on(node, [(tx_hash, _NOBODY)], trace=False))
        [seen] = await self._pool.first(ask)
        return replace(seen, payments=(), internal_transfers=None)

    async def locate(self, tx_hash: str) -> Observation:
        ask = _guarded(lambda node: self._observe_on(node, [(tx_hash, _NOBODY)], trace=False, every=True))
        [seen] = await self._observe_chunk_with(ask)
        return replace(seen, payments=(), internal_transfers=None)

    async def observe_many(self, items: list[tuple[str, str]]) -> list[Observation]:
        """Observe (normalized tx hash, address) pairs, in input order.

        One JSON-RPC batch per chunk of at most `observe_chunk` items (tx and receipt per item,
        one eth_blockNumber, one eth_chainId), chunks one after the other. Mined txs whose block
        time is neither on the receipt (older nodes) nor cached cost one more batch per chunk.
        With a quorum, each chunk goes to `quorum` endpoints concurrently and every observation
        carries each endpoint's view (chains/quorum.py).
        """
        seen: list[Observation] = []
        for start in range(0, len(items), self.observe_chunk):
            chunk = [(tx_hash, address.lower()) for tx_hash, address in items[start : start + self.observe_chunk]]
            seen.extend(await self._observe_chunk(chunk))
        return seen

    async def _observe_chunk(self, chunk: list[tuple[str, str]]) -> list[Observation]:
        """The chunk on one endpoint (failing over), or with a quorum on that many endpoints at once."""
        return await self._observe_chunk_with(_guarded(lambda node: self._observe_on(node, chunk)))

    async def _observe_chunk_with(self, ask: Callable[[_Node], Awaitable[list[Observation]]]) -> list[Observation]:
        if self.config.quorum == 1:
            return await self._pool.first(ask)
        return combine(await self._pool.several(self.config.quorum, ask), self.config.quorum)

    async def tip(self) -> int:
        return await self._pool.first(_guarded(self._tip_on))

    async def head(self) -> BlockRef:
        return await self._pool.first(_guarded(self._head_on))

    async def block(self, block_hash: str) -> Block:
        """The block with its txs; anvil forgets the blocks a reorg or a revert took off its chain."""
        match = _TX_HASH.fullmatch(block_hash.strip().lower())
        if match is None:
            raise UnknownBlock(f"{self.name}: {block_hash!r} is no block hash", block_hash)
        return await self._pool.first(_guarded(lambda node: self._block_on(node, "0x" + match.group(1))))

    async def ready(self) -> None:
        """Ask every endpoint (not those whose circuit is open); NodeUnavailable when none is fit."""
        answers = await self._pool.each(_guarded(self._tip_on))  # the tip batch checks the chain id too
        if all(isinstance(answer, EndpointFailure) for _, answer in answers):
            failures = "; ".join(f"{label}: {answer}" for label, answer in answers)
            raise NodeUnavailable(f"{self.name}: no node answered usefully ({failures})", chain=self.name)

    def endpoint_states(self) -> list[dict[str, Any]]:
        """Each endpoint's circuit state and last error, credentials masked (for /readyz)."""
        return self._pool.states()

    async def aclose(self) -> None:
        for endpoint in self._pool.endpoints:
            node = endpoint.client
            await node.w3.provider.disconnect()
            if node.session is not None:
                await node.session.close()

    # --- one node ---

    async def _observe_on(
        self, node: _Node, chunk: list[tuple[str, str]], trace: bool = True, every: bool = False
    ) -> list[Observation]:
        """`every`: with each tx's `recipients` (`locate`)."""
        # eth_chainId rides along in every batch (no extra round trip): a node behind a URL that
        # now serves another chain must never give a verdict.
        calls = [
            (method, [tx_hash])
            for tx_hash, _ in chunk
            for method in ("eth_getTransactionByHash", "eth_getTransactionReceipt")
        ]
        *found, tip, chain_id = await self._batch(node, [*calls, ("eth_blockNumber", []), ("eth_chainId", [])])
        self._check_chain_id(chain_id)
        txs, receipts = found[0::2], found[1::2]
        times = await self._times_of(node, [(t, r) for t, r in zip(txs, receipts, strict=True) if t and r])
        seen = [
            self._observation(tx_hash, address, tx, receipt, hex_int(tip), times)
            for (tx_hash, address), tx, receipt in zip(chunk, txs, receipts, strict=True)
        ]
        if every:
            seen = [
                replace(o, recipients=self._payments.recipients(tx, receipt), unseen=self._unseen(tx, receipt))
                if tx is not None
                else o
                for o, tx, receipt in zip(seen, txs, receipts, strict=True)
            ]
        return await self._with_internal(node, seen, chunk, txs) if trace else seen

    async def _with_internal(
        self, node: _Node, seen: list[Observation], chunk: list[tuple[str, str]], txs: list[dict[str, Any] | None]
    ) -> list[Observation]:
        """Mined, successful txs that can have paid the address through inner calls, traced in one more batch;
        their internal native value added to the payments. A plain transfer to the address costs nothing."""
        traced = [
            i
            for i, (o, tx) in enumerate(zip(seen, txs, strict=True))
            if tx is not None
            and o.block is not None
            and not o.reverted
            and evm_parse.needs_trace(tx, chunk[i][1], self._tokens)
        ]
        if not traced:
            return seen
        method = await self._tracer(node, seen[traced[0]].tx_hash)
        if method is None:
            for i in traced:
                seen[i] = replace(seen[i], internal_transfers=InternalTransfers.UNAVAILABLE)
            return seen
        hashes = list(dict.fromkeys(seen[i].tx_hash for i in traced))  # a batch payout: one trace, several payees
        by_hash = dict(
            zip(hashes, await self._batch(node, [(method, _TRACERS[method](h)) for h in hashes]), strict=True)
        )
        for i in traced:
            address, answer = chunk[i][1], by_hash[seen[i].tx_hash]
            if answer is None:  # the node forgot the tx between the two batches (a reorg): say so
                seen[i] = replace(seen[i], internal_transfers=InternalTransfers.UNAVAILABLE)
                continue
            value = (
                evm_parse.traced_value_parity(answer, address)
                if method == "trace_transaction"
                else evm_parse.traced_value_geth(answer, address)
            )
            seen[i] = replace(
                seen[i],
                payments=evm_parse.with_native(seen[i].payments, self.native, value),
                internal_transfers=InternalTransfers.COUNTED if value else InternalTransfers.NONE,
            )
        return seen

    def _unseen(self, tx: dict[str, Any], receipt: dict[str, Any] | None) -> bool:
        """A located tx may have paid native coin through inner calls, which `locate` does not trace: it runs code
        (not an allow-listed token's) or creates a contract, and did not revert."""
        if receipt is not None and hex_int(receipt.get("status", "0x1")) == 0:
            return False
        return evm_parse.needs_trace(tx, (tx.get("to") or "").lower(), self._tokens)

    async def _tracer(self, node: _Node, probe_tx: str) -> str | None:
        """Which of _TRACERS this node answers (asked once per endpoint, with `probe_tx`); None: neither."""
        if node.tracer_known:
            return node.tracer
        for method, params in _TRACERS.items():
            [reply] = await self._replies(node, [(method, params(probe_tx))])
            error = reply.get("error")
            if error is None:
                node.tracer, node.tracer_known = method, True
                return method
            if not missing_method(error):
                raise _NodeFailure(f"{method}: RPC error {error!r:.200}")
        node.tracer, node.tracer_known = None, True
        return None

    def _observation(
        self,
        tx_hash: str,
        address: str,
        tx: dict[str, Any] | None,
        receipt: dict[str, Any] | None,
        tip: int,
        times: dict[str, datetime | None],
    ) -> Observation:
        seen = Observation(chain=self.name, tx_hash=tx_hash, found=tx is not None, tip=tip)
        if tx is None:
            return seen
        seen = replace(seen, sender_nonce=evm_parse.sender_nonce(tx))
        if receipt is None:
            # In the mempool (or the node has no receipt yet): what it will pay once mined. Inner calls can
            # only be traced once mined.
            internal = (
                InternalTransfers.UNAVAILABLE
                if evm_parse.needs_trace(tx, address, self._tokens)
                else InternalTransfers.NONE
            )
            return replace(seen, payments=self._payments.intended(tx, address), internal_transfers=internal)
        block = BlockRef(height=hex_int(receipt["blockNumber"]), hash=receipt["blockHash"])
        seen = replace(seen, block=block, block_time=times.get(block.hash), internal_transfers=InternalTransfers.NONE)
        if hex_int(receipt.get("status", "0x1")) == 0:
            return replace(seen, reverted=True)
        # Internal transfers are added by _with_internal, for the txs that can have any.
        return replace(seen, payments=self._payments.mined(tx, receipt, address))

    async def _tip_on(self, node: _Node) -> int:
        chain_id, tip = await self._batch(node, [("eth_chainId", []), ("eth_blockNumber", [])])
        self._check_chain_id(chain_id)
        return hex_int(tip)

    async def _head_on(self, node: _Node) -> BlockRef:
        # One block answer gives height and hash together (eth_blockNumber + a hash could straddle a block).
        latest, chain_id = await self._batch(node, [("eth_getBlockByNumber", ["latest", False]), ("eth_chainId", [])])
        self._check_chain_id(chain_id)
        return evm_parse.head(latest)

    async def _block_on(self, node: _Node, block_hash: str) -> Block:
        calls: list[tuple[str, list[Any]]] = [("eth_getBlockByHash", [block_hash, True]), ("eth_chainId", [])]
        if self._tokens:
            # The allow-listed tokens' Transfers in this block, for the watcher's index: same round trip.
            # (A log exists only for a successful tx, so these are certain; EIP-234's blockHash filter.)
            logs_filter = {"blockHash": block_hash, "address": list(self._tokens), "topics": [TRANSFER_TOPIC]}
            calls.append(("eth_getLogs", [logs_filter]))
        raw, chain_id, *logs = await self._batch(node, calls)
        self._check_chain_id(chain_id)
        if raw is None:
            raise UnknownBlock(f"{self.name}: the node knows no block {block_hash}", block_hash)
        block = evm_parse.block(raw, self._payments, logs[0] if logs else [])
        if block.time is not None:
            self._remember_time(block.hash, block.time)
        return block

    def _check_chain_id(self, chain_id: str) -> None:
        if hex_int(chain_id) != self.config.chain_id:
            raise _NodeFailure(
                f"wrong network: the node serves chain id {hex_int(chain_id)}, this chain is configured "
                f"for chain id {self.config.chain_id}"
            )

    async def _times_of(
        self, node: _Node, mined: list[tuple[dict[str, Any], dict[str, Any]]]
    ) -> dict[str, datetime | None]:
        """Block time by block hash of mined (tx, receipt) pairs: `blockTimestamp` (newer nodes put it
        on receipts and txs), else the cache, else one batch of eth_getBlockByHash for the rest."""
        times: dict[str, datetime | None] = {}
        missing: list[str] = []
        for tx, receipt in mined:
            block_hash = receipt["blockHash"]
            if block_hash in times or block_hash in missing:
                continue
            if (when := evm_parse.stamped_time(tx, receipt) or self._cached_time(block_hash)) is not None:
                times[block_hash] = when
            else:
                missing.append(block_hash)
        if missing:
            blocks = await self._batch(node, [("eth_getBlockByHash", [h, False]) for h in missing])
            for block_hash, block in zip(missing, blocks, strict=True):
                # None: reorged out since the receipt was read: no time rather than a wrong one.
                times[block_hash] = (
                    None if block is None else self._remember_time(block_hash, evm_parse.timestamp(block["timestamp"]))
                )
        return times

    def _cached_time(self, block_hash: str) -> datetime | None:
        if (cached := self._block_times.get(block_hash)) is not None:
            self._block_times.move_to_end(block_hash)
        return cached

    def _remember_time(self, block_hash: str, when: datetime) -> datetime:
        self._block_times[block_hash] = when  # LRU: block hashes never change
        self._block_times.move_to_end(block_hash)
        if len(self._block_times) > _BLOCK_TIMES_KEPT:
            self._block_times.popitem(last=False)
        return when

    # --- transport ---

    async def rpc(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """One batch on the first endpoint that answers (failing over), its chain id checked: each call's raw
        reply (`result` or `error`), for the lookup sources, which tell a refused call from a failed node."""

        async def ask(node: _Node) -> list[dict[str, Any]]:
            *replies, chain_id = await self._replies(node, [*calls, ("eth_chainId", [])])
            if chain_id.get("error") is not None:
                raise _NodeFailure(f"eth_chainId: RPC error {chain_id['error']!r:.200}")
            self._check_chain_id(chain_id["result"])
            return replies

        return await self._pool.first(_guarded(ask))

    async def _batch(self, node: _Node, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """One HTTP request; the results in order (None for a null). Any failure raises _NodeFailure."""
        results = []
        for (method, _), reply in zip(calls, await self._replies(node, calls), strict=True):
            if reply.get("error") is not None:
                raise _NodeFailure(f"{method}: RPC error {reply['error']!r:.200}")
            if "result" not in reply:  # a null result means "no such tx": it must be said, not assumed
                raise _NodeFailure(f"{method}: reply without a result")
            results.append(reply.get("result"))
        return results

    async def _replies(self, node: _Node, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """One HTTP request; each call's reply object, in order. A transport failure raises _NodeFailure."""
        provider = node.w3.provider
        if node.session is None or node.session.closed:
            # Our own session: web3's default one closes the connection after every request,
            # a new TCP (and TLS) handshake per check.
            node.session = aiohttp.ClientSession(raise_for_status=True)
            await provider.cache_async_session(node.session)
        try:
            replies = await provider.make_batch_request(calls)  # type: ignore[arg-type]
        except aiohttp.ClientResponseError as exc:  # its message carries the full URL
            raise _NodeFailure(f"HTTP {exc.status} {exc.message}") from None
        except TimeoutError:
            raise _NodeFailure(f"no answer within {self.config.timeout_seconds} s") from None
        except aiohttp.ClientError as exc:
            raise _NodeFailure(_scrub(f"{type(exc).__name__}: {exc}", node.secrets)) from None
        except ValueError as exc:
            raise _NodeFailure(_scrub(f"not JSON: {str(exc)[:200]}", node.secrets)) from None
        if not isinstance(replies, list) or len(replies) != len(calls):
            error = replies.get("error") if isinstance(replies, dict) else None
            raise _NodeFailure(f"no answer per call to a batch (batches unsupported?): {error or replies!r:.200}")
        for (method, _), reply in zip(calls, replies, strict=True):
            if not isinstance(reply, dict):
                raise _NodeFailure(f"{method}: malformed reply {reply!r:.200}")
        return [dict(reply) for reply in replies]


def _guarded(ask: Callable[[_Node], Awaitable[T]]) -> Callable[[_Node], Awaitable[T]]:
    """`ask`, with an answer missing fields we need (KeyError, TypeError, ValueError) as that node's failure."""

    async def guarded(node: _Node) -> T:
        try:
            return await ask(node)
        except (KeyError, TypeError, ValueError) as exc:
            raise _NodeFailure(f"malformed answer ({type(exc).__name__}: {exc})") from None

    return guarded


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
