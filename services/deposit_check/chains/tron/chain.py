"""Adapter for TRON: TRX and allow-listed TRC-20 tokens over the java-tron HTTP API.

A check is one round trip of three concurrent calls: the tx (`gettransactionbyid`: its contract and
`ret[0].contractRet`), its info (`gettransactioninfobyid`: block number, time, logs) and the node's heads
(`getnodeinfo`: the latest and the solidified block, height and id, in one call where `getnowblock` and
`/walletsolidity/getnowblock` would be two, each carrying a whole block). The info names the block's
height but not its id, which would take one more round trip: a check reports none (the verdict rests on
the height and the solidified line), the watcher reads whole blocks by id.

Before an endpoint is first asked anything, its genesis block is read and compared with the configured
network's (network.py): one call per endpoint, again only after a failure or every few minutes.
"""

import re
from dataclasses import replace
from typing import Any

import httpx

from deposit_check.chains.endpoints import EndpointFailure
from deposit_check.chains.quorum import combine
from deposit_check.chains.tron import parse
from deposit_check.chains.tron.address import key_hash, parse_address
from deposit_check.chains.tron.http import Node, NodeFailure, TronHttp
from deposit_check.config import TronChainConfig
from deposit_check.errors import InvalidAddress, InvalidTxHash, NodeUnavailable, UnknownBlock
from deposit_check.models import Asset, Block, BlockRef, InternalTransfers, Observation

_TX_HASH = re.compile(r"(?:0x)?([0-9a-f]{64})")


class TronChain:
    """A `Chain` backed by java-tron HTTP endpoints, tried in order (`EndpointPool`), or with a quorum asked
    `quorum` at a time (observations only; `tip`, `head` and `block` ask the first that answers)."""

    family = "tron"
    observe_chunk = 25  # items per round in observe_many: 2 calls each, concurrently, and one getnodeinfo

    def __init__(
        self,
        name: str,
        config: TronChainConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        network_check: bool = True,
    ) -> None:
        """ValueError when a token's contract is no TRON address or two assets share a contract or symbol.
        `transport` swaps httpx's network transport (tests). `network_check=False` skips the genesis check
        (chains/tron/network.py): only for tests replaying a network whose genesis block answer was never
        published (Nile, the 2021 testnet); no config key reaches it."""
        self.name = name
        self.config = config
        self.required_confirmations = config.required_confirmations
        self.native = Asset(config.symbol, config.decimals, None)
        tokens: dict[str, Asset] = {}  # by the contract's 20-byte key hash, as logs name it
        for token in config.tokens:
            try:
                contract = parse_address(token.contract)
            except InvalidAddress as exc:
                raise ValueError(f"chain {name!r}, token {token.symbol}: {exc.message}") from None
            if key_hash(contract) in tokens:
                raise ValueError(f"chain {name!r}: contract {contract} is listed twice")
            tokens[key_hash(contract)] = Asset(token.symbol, token.decimals, contract)
        self._assets = {a.symbol.upper(): a for a in (self.native, *tokens.values())}
        if len(self._assets) != 1 + len(tokens):
            raise ValueError(f"chain {name!r}: two assets share a symbol")
        self._payments = parse.PaymentParser(self.native, tokens)
        self.http = TronHttp(
            name,
            config.http_urls,
            config.timeout_seconds,
            api_key=config.api_key.get_secret_value() if config.api_key else None,
            api_key_header=config.api_key_header,
            transport=transport,
            breaker_failures=config.breaker_failures,
            breaker_reset_seconds=config.breaker_reset_seconds,
            max_in_flight=config.max_requests_in_flight,
            network=config.network if network_check else None,
        )

    def assets(self) -> dict[str, Asset]:
        return dict(self._assets)

    def normalize_tx_hash(self, tx_hash: str) -> str:
        """64 lower-case hex digits, as java-tron and Tronscan spell a tx id (a 0x prefix is dropped)."""
        match = _TX_HASH.fullmatch(tx_hash.strip().lower())
        if match is None:
            raise InvalidTxHash(f"{tx_hash!r} is not a transaction hash: expected 64 hexadecimal characters")
        return match.group(1)

    def normalize_address(self, address: str) -> str:
        return parse_address(address)

    async def observe(self, tx_hash: str, address: str) -> Observation:
        [seen] = await self.observe_many([(tx_hash, address)])
        return seen

    async def observe_tx(self, tx_hash: str) -> Observation:
        [seen] = await self._observe_chunk([(tx_hash, None)])
        return seen

    async def locate(self, tx_hash: str) -> Observation:
        [seen] = await self._observe_chunk([(tx_hash, None)], every=True)
        return seen

    async def observe_many(self, items: list[tuple[str, str]]) -> list[Observation]:
        """Observe (normalized tx hash, address) pairs, in input order: a round trip per chunk of at most
        `observe_chunk` items (each item's two calls and one getnodeinfo, concurrently), one after the other."""
        seen: list[Observation] = []
        for start in range(0, len(items), self.observe_chunk):
            seen.extend(await self._observe_chunk(list(items[start : start + self.observe_chunk])))
        return seen

    async def _observe_chunk(self, chunk: list[tuple[str, str | None]], every: bool = False) -> list[Observation]:
        """The chunk on one endpoint (failing over), or with a quorum on that many endpoints at once; `every`: with
        each tx's recipients (`locate`)."""

        async def ask(node: Node) -> list[Observation]:
            return await self._observe_on(node, chunk, every)

        if self.config.quorum == 1:
            return await self.http.first(ask)
        return combine(await self.http.several(self.config.quorum, ask), self.config.quorum)

    async def tip(self) -> int:
        return (await self.head()).height

    async def head(self) -> BlockRef:
        return await self.http.first(self._head_on)

    async def block(self, block_hash: str) -> Block:
        """The block and its txs' infos (two concurrent calls): TRX transfers from the block, TRC-20 Transfers
        from the infos' logs. Infos are read by height; the block id starts with it."""
        block_id = block_hash.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", block_id):
            raise UnknownBlock(f"{self.name}: {block_hash!r} is no block id", block_hash)

        async def ask(node: Node) -> Block:
            raw, infos = await self.http.calls_on(
                node,
                [
                    ("/wallet/getblockbyid", {"value": block_id}),
                    ("/wallet/gettransactioninfobyblocknum", {"num": parse.height_of(block_id)}),
                ],
            )
            if not parse.found(raw):
                raise UnknownBlock(f"{self.name}: the node knows no block {block_id}", block_id)
            block = parse.block(raw, infos if isinstance(infos, list) else [], self._payments)
            if block.hash != block_id:
                raise NodeFailure(f"asked for block {block_id}, the node answered {block.hash}")
            return block

        return await self.http.first(ask)

    async def ready(self) -> None:
        """Ask every endpoint (not those whose circuit is open); NodeUnavailable when none answers usefully."""
        answers = await self.http.each(self._head_on)
        if all(isinstance(answer, EndpointFailure) for _, answer in answers):
            failures = "; ".join(f"{label}: {answer}" for label, answer in answers)
            raise NodeUnavailable(f"{self.name}: no node answered usefully ({failures})", chain=self.name)

    def endpoint_states(self) -> list[dict[str, Any]]:
        return self.http.pool.states()

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- one node ---

    async def _head_on(self, node: Node) -> BlockRef:
        [info] = await self.http.calls_on(node, [("/wallet/getnodeinfo", {})])
        latest, _ = parse.node_heads(info)
        return latest

    async def _observe_on(
        self, node: Node, chunk: list[tuple[str, str | None]], every: bool = False
    ) -> list[Observation]:
        calls = [
            (path, {"value": tx_hash})
            for tx_hash, _ in chunk
            for path in ("/wallet/gettransactionbyid", "/wallet/gettransactioninfobyid")
        ]
        *answers, nodeinfo = await self.http.calls_on(node, [*calls, ("/wallet/getnodeinfo", {})])
        latest, solid = parse.node_heads(nodeinfo)
        seen = [
            self._observation(tx_hash, address, tx, info, latest.height, solid.height)
            for (tx_hash, address), tx, info in zip(chunk, answers[0::2], answers[1::2], strict=True)
        ]
        if every:
            seen = [self._paid(o, tx, info) for o, tx, info in zip(seen, answers[0::2], answers[1::2], strict=True)]
        return seen

    def _paid(self, seen: Observation, tx: Any, info: Any) -> Observation:
        """A located tx's recipients, and whether a contract it called may have paid TRX on unseen (internal txs)."""
        if not seen.found:
            return seen
        body = tx if parse.found(tx) else None
        mined = info if parse.found(info) and "blockNumber" in info else None
        contract = parse.called(body, mined or {})
        unseen = not seen.reverted and self._payments.internal(contract, "") is InternalTransfers.UNAVAILABLE
        return replace(seen, recipients=self._payments.recipients(body, mined), unseen=unseen)

    def _observation(
        self, tx_hash: str, address: str | None, tx: Any, info: Any, tip: int, solidified: int
    ) -> Observation:
        """One tx's facts from its body and its info. The info alone decides a contract call (its receipt says
        whether it succeeded, its logs what it paid); a TRX transfer needs the body (its amount and recipient)."""
        seen = Observation(chain=self.name, tx_hash=tx_hash, found=False, tip=tip, solidified=solidified)
        body = tx if parse.found(tx) else None
        if body is not None and str(body["txID"]).lower() != tx_hash:
            raise NodeFailure(f"asked for tx {tx_hash}, the node answered {body['txID']!r:.80}")
        mined = parse.found(info) and "blockNumber" in info
        if body is None and not mined:
            return seen
        contract = parse.called(body, info if mined else {})
        if body is None and contract is None:
            raise NodeFailure(f"the node has the result of {tx_hash} but not the tx, and it is no contract call")
        seen = replace(seen, found=True, internal_transfers=self._payments.internal(contract, address))
        if body is not None and not mined:
            # Known, its result not yet (or not on this node): what it will pay, not credited on this alone.
            return replace(seen, payments=self._payments.intended(body, address))
        height = int(info["blockNumber"])
        seen = replace(
            seen,
            tip=max(tip, height),  # the info may be of a block newer than the heads read beside it
            # The info names the height, not the id, and reading the id would be one more round trip per
            # check: left empty (null in answers). A TRON verdict rests on the height and the solidified line.
            block=BlockRef(height, ""),
            block_time=parse.millis(info["blockTimeStamp"]) if "blockTimeStamp" in info else None,
        )
        reason = parse.failure(body, info)
        if reason is not None:
            return replace(seen, reverted=True, failure=reason, internal_transfers=InternalTransfers.NONE)
        return replace(seen, payments=self._payments.mined(body, info, address))
