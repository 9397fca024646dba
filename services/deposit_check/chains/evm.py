"""Adapter for EVM chains (Ethereum and its kin): native coin and allow-listed ERC-20 tokens.

One JSON-RPC batch per check, sent with web3's `make_batch_request`: unlike `w3.batch_requests()`,
it returns raw replies, so a null (unknown tx, pending receipt) does not sink the other results.
"""

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import AsyncHTTPProvider, AsyncWeb3

from deposit_check.config import EvmChainConfig
from deposit_check.errors import InvalidAddress, InvalidTxHash, NodeUnavailable
from deposit_check.models import Asset, BlockRef, Observation, Payment

T = TypeVar("T")

_TX_HASH = re.compile(r"(?:0x)?([0-9a-f]{64})")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
_TRANSFER_CALL = "0xa9059cbb"  # selector of transfer(address,uint256)
_BLOCK_TIMES_KEPT = 4096


class _NodeFailure(Exception):
    """This node's answer cannot be used: ask the next one."""


@dataclass
class _Node:
    label: str  # scheme://host:port: safe in messages, unlike the URL (keys in paths, passwords)
    w3: AsyncWeb3[AsyncHTTPProvider]
    secrets: tuple[str, ...]  # parts of the URL to scrub from library messages
    session: aiohttp.ClientSession | None = field(default=None)


def _int(value: int | str) -> int:
    """JSON-RPC quantities are hex strings; some fields (anvil's receipt blockTimestamp) are ints."""
    return value if isinstance(value, int) else int(value, 16)


def parse_address(address: str) -> str:
    """The EIP-55 checksummed form; InvalidAddress for anything else or a wrong mixed-case checksum."""
    text = address.strip()
    if not _ADDRESS.fullmatch(text):
        raise InvalidAddress(f"{address!r} is not an EVM address: expected 0x followed by 40 hexadecimal characters")
    checksummed = to_checksum_address(text)
    body = text[2:]
    # All-lower and all-upper carry no checksum; mixed case does and must be right (typo guard).
    if body not in (body.lower(), body.upper()) and text != checksummed:
        raise InvalidAddress(f"{address!r} has a bad checksum: check it for typos (EIP-55 mixed case)")
    return checksummed


class EvmChain:
    """A `Chain` backed by Ethereum JSON-RPC nodes, tried in order."""

    family = "evm"

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
        self._timeout = aiohttp.ClientTimeout(total=config.timeout_seconds)
        self._nodes = [self._node(url) for url in config.rpc_urls]
        self._block_times: OrderedDict[str, datetime] = OrderedDict()  # LRU; block hashes never change

    def _node(self, url: str) -> _Node:
        parts = urlsplit(url)
        label = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        secrets = tuple(s for s in (parts.password, parts.username, parts.query, parts.path) if s and s != "/")
        provider = AsyncHTTPProvider(url, request_kwargs={"timeout": self._timeout})
        return _Node(label, AsyncWeb3(provider), (url, *secrets))

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
        return await self._first(lambda node: self._observe_on(node, tx_hash, address.lower()))

    async def tip(self) -> int:
        return await self._first(self._tip_on)

    async def ready(self) -> None:
        await self.tip()  # the tip batch checks the chain id too

    async def aclose(self) -> None:
        for node in self._nodes:
            await node.w3.provider.disconnect()
            if node.session is not None:
                await node.session.close()

    # --- one node ---

    async def _observe_on(self, node: _Node, tx_hash: str, address: str) -> Observation:
        # eth_chainId rides along in every batch (no extra round trip): a node behind a URL that
        # now serves another chain must never give a verdict.
        tx, receipt, tip, chain_id = await self._batch(node, [
            ("eth_getTransactionByHash", [tx_hash]),
            ("eth_getTransactionReceipt", [tx_hash]),
            ("eth_blockNumber", []),
            ("eth_chainId", []),
        ])
        self._check_chain_id(chain_id)
        seen = Observation(chain=self.name, tx_hash=tx_hash, found=tx is not None, tip=_int(tip))
        if tx is None:
            return seen
        if receipt is None:
            # In the mempool (or the node has no receipt yet): what it will pay once mined.
            return replace(seen, payments=self._intended_payments(tx, address))
        block = BlockRef(height=_int(receipt["blockNumber"]), hash=receipt["blockHash"])
        block_time = await self._block_time(node, block.hash, receipt, tx)
        if _int(receipt.get("status", "0x1")) == 0:
            return replace(seen, block=block, block_time=block_time, reverted=True)
        return replace(seen, block=block, block_time=block_time, payments=self._mined_payments(tx, receipt, address))

    async def _tip_on(self, node: _Node) -> int:
        chain_id, tip = await self._batch(node, [("eth_chainId", []), ("eth_blockNumber", [])])
        self._check_chain_id(chain_id)
        return _int(tip)

    def _check_chain_id(self, chain_id: str) -> None:
        if _int(chain_id) != self.config.chain_id:
            raise _NodeFailure(
                f"wrong network: the node serves chain id {_int(chain_id)}, this chain is configured "
                f"for chain id {self.config.chain_id}"
            )

    async def _block_time(
        self, node: _Node, block_hash: str, receipt: dict[str, Any], tx: dict[str, Any]
    ) -> datetime | None:
        """From `blockTimestamp` (newer nodes put it on receipts and txs), else the block, cached."""
        stamp = receipt.get("blockTimestamp", tx.get("blockTimestamp"))
        if stamp is not None:
            return datetime.fromtimestamp(_int(stamp), UTC)
        if (cached := self._block_times.get(block_hash)) is not None:
            self._block_times.move_to_end(block_hash)
            return cached
        [block] = await self._batch(node, [("eth_getBlockByHash", [block_hash, False])])
        if block is None:  # reorged out since the receipt was read: no time rather than a wrong one
            return None
        when = datetime.fromtimestamp(_int(block["timestamp"]), UTC)
        self._block_times[block_hash] = when
        if len(self._block_times) > _BLOCK_TIMES_KEPT:
            self._block_times.popitem(last=False)
        return when

    # --- payments ---

    def _native_value(self, tx: dict[str, Any], address: str) -> int:
        return _int(tx.get("value", "0x0")) if (tx.get("to") or "").lower() == address else 0

    def _intended_payments(self, tx: dict[str, Any], address: str) -> tuple[Payment, ...]:
        """What a pending tx pays `address`: its value, or an allow-listed token's transfer(address, amount)."""
        amounts = {self.native: self._native_value(tx, address)}
        token = self._tokens.get((tx.get("to") or "").lower())
        data = (tx.get("input") or tx.get("data") or "").lower()
        # transfer(to, amount): the selector, the recipient left-padded to 32 bytes, the amount.
        pays_address = data[:10] == _TRANSFER_CALL and data[10:74] == "0" * 24 + address[2:] and len(data) >= 138
        if token is not None and pays_address:
            amounts[token] = int(data[74:138], 16)
        return _payments(amounts)

    def _mined_payments(self, tx: dict[str, Any], receipt: dict[str, Any], address: str) -> tuple[Payment, ...]:
        """The tx's value to `address` plus every Transfer to it logged by an allow-listed token."""
        amounts = {self.native: self._native_value(tx, address)}
        for log in receipt.get("logs") or []:
            # Anyone can emit a Transfer event: only the listed contracts' logs are money.
            token = self._tokens.get((log.get("address") or "").lower())
            topics = [t.lower() for t in log.get("topics") or []]
            data = log.get("data") or ""
            if token is None or len(topics) != 3 or topics[0] != TRANSFER_TOPIC or len(data) != 66:
                continue
            if topics[2][-40:] == address[2:]:
                amounts[token] = amounts.get(token, 0) + int(data, 16)
        return _payments(amounts)

    # --- transport ---

    async def _first(self, ask: Callable[[_Node], Awaitable[T]]) -> T:
        """`ask` the nodes in order; the first useful answer wins, else NodeUnavailable naming each failure."""
        failures: list[str] = []
        for node in self._nodes:
            try:
                return await ask(node)
            except _NodeFailure as exc:
                failures.append(f"{node.label}: {exc}")
            except (KeyError, TypeError, ValueError) as exc:  # a tx or receipt missing fields we need
                failures.append(f"{node.label}: malformed answer ({type(exc).__name__}: {exc})")
        raise NodeUnavailable(f"{self.name}: no node answered usefully ({'; '.join(failures)})", chain=self.name)

    async def _batch(self, node: _Node, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """One HTTP request; the results in order (None for a null). Any failure raises _NodeFailure."""
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
        results = []
        for (method, _), reply in zip(calls, replies, strict=True):
            if not isinstance(reply, dict):
                raise _NodeFailure(f"{method}: malformed reply {reply!r:.200}")
            if reply.get("error") is not None:
                raise _NodeFailure(f"{method}: RPC error {reply['error']!r:.200}")
            if "result" not in reply:  # a null result means "no such tx": it must be said, not assumed
                raise _NodeFailure(f"{method}: reply without a result")
            results.append(reply.get("result"))
        return results


def _payments(amounts: dict[Asset, int]) -> tuple[Payment, ...]:
    """Non-zero amounts only: a 0-value tx or Transfer (address poisoning) paid nothing."""
    return tuple(Payment(asset=asset, amount=amount) for asset, amount in amounts.items() if amount > 0)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
