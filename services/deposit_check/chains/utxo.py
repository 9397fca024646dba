"""Adapter for Bitcoin-Core-like chains (Bitcoin, Litecoin): one JSON-RPC batch per check."""

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from deposit_check.chains.endpoints import EndpointFailure, EndpointPool
from deposit_check.chains.jsonrpc import BadAnswer, Endpoint, JsonRpcClient, Reply, RpcError, result
from deposit_check.chains.utxo_base import EVERY_OUTPUT, UtxoBase
from deposit_check.config import UtxoChainConfig
from deposit_check.errors import NodeUnavailable, UnknownBlock
from deposit_check.models import Asset, Block, BlockPayment, BlockRef, BlockTx, Observation, Payment, Recipient

_BLOCK_HASH = re.compile(r"[0-9a-f]{64}")
_NO_PARENT = "0" * 64  # the genesis block's previous-block hash in its header
_NO_SUCH_TX = -5  # RPC_INVALID_ADDRESS_OR_KEY
_METHOD_NOT_FOUND = -32601
_CORE_CHAIN = {"mainnet": "main", "testnet": "test", "regtest": "regtest"}  # getblockchaininfo's names


class UtxoChain(UtxoBase):
    """A `Chain` backed by the JSON-RPC of Bitcoin Core or a fork of it (needs -txindex).

    Endpoints are tried in order, each behind a circuit breaker (chains/endpoints.py). With a
    quorum, observations are asked of `quorum` endpoints at once; `tip`, `head` and `block` (the
    watcher's calls) ask the first endpoint that answers.
    """

    def __init__(
        self, name: str, config: UtxoChainConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        """`transport` swaps httpx's network transport (tests count or fake requests with it)."""
        super().__init__(name, config)
        self._rpc = JsonRpcClient(
            name,
            config.rpc_urls,
            config.timeout_seconds,
            transport,
            breaker_failures=config.breaker_failures,
            breaker_reset_seconds=config.breaker_reset_seconds,
            max_in_flight=config.max_requests_in_flight,
        )

    @property
    def _pool(self) -> EndpointPool[Endpoint]:
        return self._rpc.pool

    async def _observe_on(self, endpoint: Endpoint, hashes: list[str], scripts: list[str]) -> list[Observation]:
        """The chunk's observations as one endpoint sees them (its batches all go to that endpoint)."""

        def interpret(replies: list[Reply]) -> list[tuple[Observation, bool]]:
            # Parsed here, so that a malformed answer moves on to the next node.
            txs, tip = _txs_and_tip(replies)
            return [
                (self._observation(tx_hash, tx, script, tip), tx is not None and _off_best_chain(tx))
                for tx_hash, tx, script in zip(hashes, txs, scripts, strict=True)
            ]

        calls = [("getrawtransaction", [tx_hash, True]) for tx_hash in hashes]
        seen = await self._rpc.batch_on(endpoint, [*calls, ("getblockcount", [])], interpret)
        stale = [obs.tx_hash for obs, off_best in seen if off_best]
        in_mempool = await self._in_mempool(endpoint, stale) if stale else set()
        # A tx whose block left the best chain counts as mined nowhere: found only if back in the mempool.
        return [replace(obs, found=obs.tx_hash in in_mempool) if off_best else obs for obs, off_best in seen]

    def _observation(self, tx_hash: str, tx: dict[str, Any] | None, script: str, tip: int) -> Observation:
        """One item's facts; a tx whose block left the best chain reads as unmined (see the caller)."""
        if tx is None:
            return Observation(chain=self.name, tx_hash=tx_hash, found=False, tip=tip)
        seen = Observation(
            chain=self.name,
            tx_hash=tx_hash,
            found=True,
            tip=tip,
            payments=self._payments(tx, script),
            spends=_spends(tx),
            recipients=recipients(tx, self.native) if script == EVERY_OUTPUT else (),
        )
        if "blockhash" not in tx or _off_best_chain(tx):
            return seen
        # The batch runs its calls in turn: a block found between them makes this height too high
        # by that many blocks, but tip - height + 1 still equals the node's own confirmations.
        block = BlockRef(height=tip - int(tx["confirmations"]) + 1, hash=tx["blockhash"])
        block_time = datetime.fromtimestamp(int(tx["blocktime"]), UTC) if "blocktime" in tx else None
        return replace(seen, block=block, block_time=block_time)

    def _payments(self, tx: dict[str, Any], script: str) -> tuple[Payment, ...]:
        """Sum of every output locked to `script` (by scriptPubKey, so either RPC address form works)."""
        values = [out["value"] for out in tx.get("vout", []) if out.get("scriptPubKey", {}).get("hex") == script]
        if not values:
            return ()
        try:
            amount = sum(self.native.to_base_units(Decimal(v)) for v in values)
        except (ValueError, ArithmeticError) as exc:
            raise BadAnswer(f"output value not exact in base units: {exc}") from None
        return (Payment(asset=self.native, amount=amount),)

    async def _in_mempool(self, endpoint: Endpoint, hashes: list[str]) -> set[str]:
        """Those of `hashes` in the endpoint's mempool (one batch)."""

        def interpret(replies: list[Reply]) -> set[str]:
            present = set()
            for tx_hash, reply in zip(hashes, replies, strict=True):
                if isinstance(reply, RpcError) and reply.code == _NO_SUCH_TX:
                    continue
                result(reply)
                present.add(tx_hash)
            return present

        return await self._rpc.batch_on(endpoint, [("getmempoolentry", [h]) for h in hashes], interpret)

    async def tip(self) -> int:
        return int(await self._rpc.call("getblockcount"))

    async def head(self) -> BlockRef:
        # getblockchaininfo reads both under one lock: getblockcount + getbestblockhash in a batch
        # could straddle a new block and pair a height with another block's hash.
        return await self._rpc.batch([("getblockchaininfo", [])], _head)

    async def block(self, block_hash: str) -> Block:
        """The block (verbosity 2: each tx with its inputs), on the best chain or not (bitcoind keeps both)."""
        block_hash = block_hash.strip().lower()
        if not _BLOCK_HASH.fullmatch(block_hash):
            raise UnknownBlock(f"{self.name}: {block_hash!r} is no block hash", block_hash)

        def interpret(replies: list[Reply]) -> Block:
            [reply] = replies
            if isinstance(reply, RpcError) and reply.code == _NO_SUCH_TX:  # -5 "Block not found"
                raise UnknownBlock(f"{self.name}: the node knows no block {block_hash}", block_hash)
            return _block(result(reply), self.native)

        return await self._rpc.batch([("getblock", [block_hash, 2])], interpret)

    async def ready(self) -> None:
        """Ask every endpoint (not those whose circuit is open); NodeUnavailable when none is fit."""
        expected = _CORE_CHAIN[self.config.network]

        def interpret(replies: list[Reply]) -> None:
            info, index = replies
            chain = result(info).get("chain")
            if chain != expected:
                raise BadAnswer(f"the node is on chain {chain!r}, this chain is configured for {expected!r}")
            if isinstance(index, RpcError) and index.code == _METHOD_NOT_FOUND:
                return  # a node older than 0.21 cannot tell; accept it
            txindex = result(index).get("txindex")
            if txindex is None:
                raise BadAnswer("the node runs without -txindex: it cannot say a transaction does not exist")
            if not txindex.get("synced"):
                raise BadAnswer("the node's transaction index is still syncing")

        calls: list[tuple[str, list[Any]]] = [("getblockchaininfo", []), ("getindexinfo", [])]
        answers = await self._rpc.pool.each(lambda endpoint: self._rpc.batch_on(endpoint, calls, interpret))
        if all(isinstance(answer, EndpointFailure) for _, answer in answers):
            failures = "; ".join(f"{label}: {answer}" for label, answer in answers)
            raise NodeUnavailable(f"{self.name}: no node answered usefully ({failures})", chain=self.name)

    def endpoint_states(self) -> list[dict[str, Any]]:
        """Each endpoint's circuit state and last error, credentials masked (for /readyz)."""
        return self._rpc.pool.states()

    async def aclose(self) -> None:
        await self._rpc.aclose()


def _txs_and_tip(replies: list[Reply]) -> tuple[list[dict[str, Any] | None], int]:
    """(each verbose tx, or None when the node is sure it does not exist; the best height)."""
    *tx_replies, tip_reply = replies
    tip = int(result(tip_reply))
    txs: list[dict[str, Any] | None] = []
    for reply in tx_replies:
        if isinstance(reply, RpcError) and reply.code == _NO_SUCH_TX:
            # Without a (synced) tx index the node only knows its mempool: that is no "not found".
            if "-txindex" in reply.message or "being indexed" in reply.message:
                raise BadAnswer(f"cannot look the tx up: {reply.message}")
            txs.append(None)
            continue
        tx = result(reply)
        if not isinstance(tx, dict):
            raise BadAnswer("getrawtransaction did not answer an object")
        txs.append(tx)
    return txs, tip


def _off_best_chain(tx: dict[str, Any]) -> bool:
    """Mined in a block that is not on the best chain now (the txindex still points at it)."""
    return "blockhash" in tx and (tx.get("confirmations") or 0) <= 0


def _spends(tx: dict[str, Any]) -> tuple[str, ...]:
    """The outpoints "txid:vout" the tx spends; a coinbase input has no txid."""
    try:
        return tuple(f"{vin['txid']}:{int(vin['vout'])}" for vin in tx.get("vin") or [] if "txid" in vin)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadAnswer(f"malformed tx input: {exc!r}") from None


def _head(replies: list[Reply]) -> BlockRef:
    info = result(replies[0])
    try:
        return BlockRef(height=int(info["blocks"]), hash=str(info["bestblockhash"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise BadAnswer(f"malformed getblockchaininfo: {exc!r}") from None


def _block(raw: Any, native: Asset) -> Block:
    """A `getblock HASH 2` answer as a Block, with what its outputs paid (the watcher's index)."""
    try:
        txs = tuple(BlockTx(tx_hash=str(tx["txid"]), spends=_spends(tx)) for tx in raw["tx"])
        return Block(
            height=int(raw["height"]),
            hash=str(raw["hash"]),
            parent_hash=str(raw.get("previousblockhash", _NO_PARENT)),
            time=datetime.fromtimestamp(int(raw["time"]), UTC),
            txs=txs,
            payments=tuple(_outputs(raw["tx"], native)),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise BadAnswer(f"malformed block: {exc!r}") from None


def recipients(tx: dict[str, Any], native: Asset) -> tuple[Recipient, ...]:
    """The addresses a verbose tx's outputs pay (more than 0), each once, in output order."""
    try:
        return tuple(Recipient(p.address, native, p.script) for p in _outputs([tx], native))
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise BadAnswer(f"malformed tx outputs: {exc!r}") from None


def _outputs(txs: list[dict[str, Any]], native: Asset) -> Iterator[BlockPayment]:
    """Each output paying one address, summed per (tx, address). Bitcoin Core 22+ spells the output's
    address `address`, older ones (Litecoin 0.21) `addresses` (a list); bare multisig and OP_RETURN have none."""
    for tx in txs:
        paid: dict[str, int] = {}
        scripts: dict[str, str | None] = {}
        for out in tx.get("vout") or ():
            script = out.get("scriptPubKey") or {}
            address = script.get("address")
            if address is None:
                listed: list[str] = script.get("addresses") or []
                address = listed[0] if len(listed) == 1 else None
            if address is not None:
                paid[address] = paid.get(address, 0) + native.to_base_units(Decimal(out["value"]))
                scripts[address] = script.get("hex")
        for address, amount in paid.items():
            if amount > 0:
                yield BlockPayment(address, str(tx["txid"]), Payment(native, amount), script=scripts[address])
