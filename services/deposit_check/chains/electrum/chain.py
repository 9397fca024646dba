"""A UTXO `Chain` served by Electrum servers instead of a node (backend = "electrum").

A check is one round trip to one server: `blockchain.headers.subscribe` (the server's tip) and
`blockchain.transaction.get` verbose for each tx, pipelined. Verbose answers come from the server's
own node (ElectrumX and Fulcrum pass them through; electrs does not serve them, so it cannot back
checks) and need -txindex there, as our node backend does. What paid the address is read from the
raw tx (`hex`) in base units, never from the JSON's float values. A tx whose block left the best
chain counts as mined nowhere: found only if it is back in the mempool, which the server tells
through `blockchain.scripthash.get_mempool` of the asked address (a second round trip, for those
txs only).

The watcher needs whole blocks with their txs (`block`), which the Electrum protocol does not
serve: with `rpc_urls` set, blocks are read from that node; without, the watcher refuses the chain
at start-up (watch/runner.py) and `block` raises NodeUnavailable saying so.
"""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from deposit_check.chains.electrum.client import ElectrumClient, ElectrumError, ElectrumServer, Reply, result
from deposit_check.chains.electrum.rawtx import decode, header_hash, scripthash
from deposit_check.chains.endpoints import EndpointFailure, EndpointPool
from deposit_check.chains.jsonrpc import BadAnswer
from deposit_check.chains.utxo import UtxoChain, recipients
from deposit_check.chains.utxo_base import EVERY_OUTPUT, UtxoBase
from deposit_check.config import UtxoChainConfig
from deposit_check.errors import NodeUnavailable
from deposit_check.models import Block, BlockRef, Observation, Payment

# The genesis block of each network, as `server.features` names it: a server of another chain is unfit.
GENESIS = {
    ("bitcoin", "mainnet"): "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    ("bitcoin", "testnet"): "000000000933ea01ad0ee984209779baaedc4d7e34e13e2a20ba61380ff7da9a",
    ("bitcoin", "regtest"): "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
    ("litecoin", "mainnet"): "12a765e31ffd4059bada1e25190f6e98c99d9714d334efa41a195a7e7e04bfe2",
    ("litecoin", "testnet"): "4966625a4b2851d9fdee139e56211a0d88575f59ed816ff5e6a63deb4e3e29a0",
    ("litecoin", "regtest"): "530827f38f93b43ed12af0b3ad25a288dc02ed74d6d7857862df51fc56c416f9",
}


def electrum_client(name: str, config: UtxoChainConfig) -> ElectrumClient:
    """The chain's Electrum servers with its timeout and breaker settings."""
    return ElectrumClient(
        name,
        config.electrum_urls,
        config.timeout_seconds,
        breaker_failures=config.breaker_failures,
        breaker_reset_seconds=config.breaker_reset_seconds,
        max_in_flight=config.max_requests_in_flight,
    )


class ElectrumChain(UtxoBase):
    """A `Chain` over Electrum servers, failing over in order; with a quorum, `quorum` servers at once."""

    def __init__(self, name: str, config: UtxoChainConfig) -> None:
        super().__init__(name, config)
        self.client = electrum_client(name, config)
        # Blocks for the watcher, when a node is configured besides the servers.
        self._node = UtxoChain(name, config) if config.rpc_urls else None

    @property
    def _pool(self) -> EndpointPool[ElectrumServer]:
        return self.client.pool

    async def _observe_on(self, server: ElectrumServer, hashes: list[str], scripts: list[str]) -> list[Observation]:
        calls: list[tuple[str, list[Any]]] = [("blockchain.headers.subscribe", [])]
        calls += [("blockchain.transaction.get", [h, True]) for h in hashes]
        tip_reply, *tx_replies = await server.calls(calls)
        tip = _height(tip_reply)
        seen = [
            self._observation(h, _verbose_tx(reply), script, tip)
            for h, reply, script in zip(hashes, tx_replies, scripts, strict=True)
        ]
        stale = [i for i, (obs, off_best) in enumerate(seen) if off_best]
        if not stale:
            return [obs for obs, _ in seen]
        # Back in the mempool? The server knows the mempool txs of each script (those it pays); a located tx's
        # (EVERY_OUTPUT), those of its first output.
        asked = [_script(scripts[i], seen[i][0]) for i in stale]
        mempools = await server.calls([("blockchain.scripthash.get_mempool", [scripthash(s)]) for s in asked])
        observations = [obs for obs, _ in seen]
        for i, reply in zip(stale, mempools, strict=True):
            pooled = {str(entry.get("tx_hash")) for entry in result(reply) or [] if isinstance(entry, dict)}
            observations[i] = replace(observations[i], found=hashes[i] in pooled)
        return observations

    def _observation(self, tx_hash: str, tx: dict[str, Any] | None, script: str, tip: int) -> tuple[Observation, bool]:
        """The item's facts, and whether its block left the best chain (the caller asks the mempool)."""
        if tx is None:
            return Observation(chain=self.name, tx_hash=tx_hash, found=False, tip=tip), False
        raw = decode(str(tx.get("hex", "")))
        amount = sum(value for value, out_script in raw.outputs if out_script == script)
        has_output = any(out_script == script for _, out_script in raw.outputs)
        seen = Observation(
            chain=self.name,
            tx_hash=tx_hash,
            found=True,
            tip=tip,
            payments=(Payment(asset=self.native, amount=amount),) if has_output else (),
            spends=raw.spends,
            # The server's node's verbose outputs (amounts parsed as Decimal): only which addresses, never how much.
            recipients=recipients(tx, self.native) if script == EVERY_OUTPUT else (),
        )
        if "blockhash" not in tx:
            return seen, False
        confirmations = int(tx.get("confirmations") or 0)
        if confirmations <= 0:
            return seen, True
        # Confirmations are the server's node's; the tip is the server's index. They differ only
        # while the server indexes a new block: then the height reads low, the confirmations right.
        block = BlockRef(height=tip - confirmations + 1, hash=str(tx["blockhash"]))
        block_time = datetime.fromtimestamp(int(tx["blocktime"]), UTC) if "blocktime" in tx else None
        return replace(seen, block=block, block_time=block_time), False

    async def tip(self) -> int:
        return (await self.head()).height

    async def head(self) -> BlockRef:
        """The server's tip: height and header from one `blockchain.headers.subscribe` answer."""

        def interpret(replies: list[Reply]) -> BlockRef:
            header = result(replies[0])
            try:
                return BlockRef(height=int(header["height"]), hash=header_hash(bytes.fromhex(header["hex"])))
            except (KeyError, TypeError, ValueError) as exc:
                raise BadAnswer(f"malformed headers.subscribe answer: {exc!r}") from None

        return await self.client.ask([("blockchain.headers.subscribe", [])], interpret)

    async def block(self, block_hash: str) -> Block:
        if self._node is None:
            raise NodeUnavailable(
                f"{self.name}: Electrum servers do not serve whole blocks; the watcher needs rpc_urls (a node) "
                "on this chain",
                chain=self.name,
            )
        return await self._node.block(block_hash)

    async def ready(self) -> None:
        """Ask every server (not those whose circuit is open); NodeUnavailable when none is fit."""
        expected = GENESIS.get((self.address_params.coin, self.config.network))

        def interpret(replies: list[Reply]) -> None:
            features, header = replies
            genesis = result(features).get("genesis_hash")
            if expected is not None and genesis != expected:
                raise BadAnswer(f"the server's genesis block is {genesis!r}: another network than {expected!r}")
            _height(header)

        calls: list[tuple[str, list[Any]]] = [("server.features", []), ("blockchain.headers.subscribe", [])]

        async def on(server: ElectrumServer) -> None:
            interpret(await server.calls(calls))

        answers = await self.client.pool.each(on)
        if all(isinstance(answer, EndpointFailure) for _, answer in answers):
            failures = "; ".join(f"{label}: {answer}" for label, answer in answers)
            raise NodeUnavailable(f"{self.name}: no Electrum server answered usefully ({failures})", chain=self.name)

    def endpoint_states(self) -> list[dict[str, Any]]:
        """Each server's (and the block node's) circuit state and last error, for /readyz."""
        return self.client.pool.states() + (self._node.endpoint_states() if self._node else [])

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._node is not None:
            await self._node.aclose()


def _script(script: str, seen: Observation) -> str:
    """The script whose mempool tells whether a tx is back in it: the asked address's, or a located tx's first."""
    if script != EVERY_OUTPUT:
        return script
    first = next((r.script for r in seen.recipients if r.script), None)
    if first is None:
        raise BadAnswer("a located tx off the best chain pays no standard output: its mempool cannot be asked")
    return first


def _height(reply: Reply) -> int:
    try:
        return int(result(reply)["height"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadAnswer(f"malformed headers.subscribe answer: {exc!r}") from None


def _verbose_tx(reply: Reply) -> dict[str, Any] | None:
    """The verbose tx, or None when the server's node is sure no such tx exists."""
    if isinstance(reply, ElectrumError):
        # ElectrumX wraps the node's error: "daemon error: {'code': -5, 'message': 'No such ...'}".
        if "txindex" in reply.message or "being indexed" in reply.message:
            raise BadAnswer(f"the server's node cannot look the tx up: {reply.message}")
        if "'code': -5" in reply.message or "No such mempool or blockchain transaction" in reply.message:
            return None
        raise BadAnswer(str(reply))
    if not isinstance(reply, dict) or "hex" not in reply:
        raise BadAnswer("blockchain.transaction.get verbose did not answer a tx with its hex (electrs cannot)")
    return reply
