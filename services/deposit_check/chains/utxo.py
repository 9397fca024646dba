"""Adapter for Bitcoin-Core-like chains (Bitcoin, Litecoin): one JSON-RPC batch per check."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from deposit_check.chains.jsonrpc import BadAnswer, JsonRpcClient, Reply, RpcError, result
from deposit_check.chains.utxo_address import params_for_chain, parse_address
from deposit_check.config import UtxoChainConfig
from deposit_check.errors import InvalidTxHash
from deposit_check.models import Asset, BlockRef, Observation, Payment

_TX_HASH = re.compile(r"(?:0x)?([0-9a-f]{64})")
_NO_SUCH_TX = -5  # RPC_INVALID_ADDRESS_OR_KEY
_METHOD_NOT_FOUND = -32601
_CORE_CHAIN = {"mainnet": "main", "testnet": "test", "regtest": "regtest"}  # getblockchaininfo's names


class UtxoChain:
    """A `Chain` backed by the JSON-RPC of Bitcoin Core or a fork of it (needs -txindex)."""

    family = "utxo"

    def __init__(
        self, name: str, config: UtxoChainConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        """`transport` swaps httpx's network transport (tests count or fake requests with it)."""
        self.name = name
        self.config = config
        self.required_confirmations = config.confirmations
        self.address_params = params_for_chain(name, config)
        symbol = self.address_params.symbol
        if symbol is None:
            raise ValueError(f"chain {name!r}: set symbol, there is no built-in one for {self.address_params.coin}")
        self.native = Asset(symbol=symbol.upper(), decimals=config.decimals)
        self._rpc = JsonRpcClient(name, config.rpc_urls, config.timeout_seconds, transport)

    def assets(self) -> dict[str, Asset]:
        return {self.native.symbol: self.native}

    def normalize_tx_hash(self, tx_hash: str) -> str:
        match = _TX_HASH.fullmatch(tx_hash.strip().lower())
        if match is None:
            raise InvalidTxHash(f"{tx_hash!r} is not a transaction hash: expected 64 hexadecimal characters")
        return match.group(1)

    def normalize_address(self, address: str) -> str:
        return parse_address(address, self.address_params).address

    async def observe(self, tx_hash: str, address: str) -> Observation:
        script = parse_address(address, self.address_params).script_pubkey
        tx, tip = await self._rpc.batch(
            [("getrawtransaction", [tx_hash, True]), ("getblockcount", [])], _tx_and_tip
        )
        if tx is None:
            return Observation(chain=self.name, tx_hash=tx_hash, found=False, tip=tip)
        payments = self._payments(tx, script)
        confirmations = tx.get("confirmations") or 0
        if "blockhash" not in tx:
            return Observation(chain=self.name, tx_hash=tx_hash, found=True, tip=tip, payments=payments)
        if confirmations <= 0:
            # Its block is off the best chain (reorged out): it counts as mined nowhere.
            in_mempool = await self._in_mempool(tx_hash)
            return Observation(chain=self.name, tx_hash=tx_hash, found=in_mempool, tip=tip, payments=payments)
        # The batch runs its calls in turn: a block found between them makes this height too high
        # by that many blocks, but tip - height + 1 still equals the node's own confirmations.
        block = BlockRef(height=tip - confirmations + 1, hash=tx["blockhash"])
        block_time = datetime.fromtimestamp(int(tx["blocktime"]), UTC) if "blocktime" in tx else None
        return Observation(
            chain=self.name, tx_hash=tx_hash, found=True, tip=tip,
            block=block, block_time=block_time, payments=payments,
        )

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

    async def _in_mempool(self, tx_hash: str) -> bool:
        def interpret(replies: list[Reply]) -> bool:
            reply = replies[0]
            if isinstance(reply, RpcError) and reply.code == _NO_SUCH_TX:
                return False
            result(reply)
            return True

        return await self._rpc.batch([("getmempoolentry", [tx_hash])], interpret)

    async def tip(self) -> int:
        return int(await self._rpc.call("getblockcount"))

    async def ready(self) -> None:
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

        await self._rpc.batch([("getblockchaininfo", []), ("getindexinfo", [])], interpret)

    async def aclose(self) -> None:
        await self._rpc.aclose()


def _tx_and_tip(replies: list[Reply]) -> tuple[dict[str, Any] | None, int]:
    """(the verbose tx or None when the node is sure it does not exist, best height)."""
    tx_reply, tip_reply = replies
    tip = int(result(tip_reply))
    if isinstance(tx_reply, RpcError) and tx_reply.code == _NO_SUCH_TX:
        # Without a (synced) tx index the node only knows its mempool: that is no "not found".
        if "-txindex" in tx_reply.message or "being indexed" in tx_reply.message:
            raise BadAnswer(f"cannot look the tx up: {tx_reply.message}")
        return None, tip
    tx = result(tx_reply)
    if not isinstance(tx, dict):
        raise BadAnswer("getrawtransaction did not answer an object")
    return tx, tip
