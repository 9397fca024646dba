"""The `electrum` lookup source: an Electrum server's history of the address's script hash.

One round trip for the history (`blockchain.scripthash.get_history`, which lists the mempool txs
too: height 0, or -1 when a parent is unconfirmed) and the server's tip; one more for the newest
`limit` txs (`blockchain.transaction.get`, raw: every Electrum server serves it) and the headers
of their blocks (`blockchain.block.header`, for the block hash and time). What paid the address
is read from the raw tx in base units. Txs of the history that pay the address nothing (it spent
from it) are left out. Coverage: the whole history (from_block None) and the mempool, up to the
server's tip; a history the server refuses as too long is an incomplete coverage, never "nothing".

Config: a UTXO chain's `electrum_urls` (docs/configuration.md); `build(config)` makes the source
for every chain that has them, whatever its check backend.
"""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from deposit_check.chains import Chain
from deposit_check.chains.electrum.chain import electrum_client
from deposit_check.chains.electrum.client import ElectrumClient, ElectrumError, Reply, result
from deposit_check.chains.electrum.rawtx import decode, header_hash, header_time, scripthash
from deposit_check.chains.jsonrpc import BadAnswer
from deposit_check.chains.utxo_address import AddressParams, params_for_chain, parse_address
from deposit_check.config import FileConfig, UtxoChainConfig
from deposit_check.lookups import Coverage, Found, SourceAnswer
from deposit_check.models import Asset, BlockRef, Payment

_HISTORY_TOO_LONG = 10_001  # ElectrumX: the history does not fit in one answer (MAX_SEND)


class ElectrumSource:
    """Lookups by address on the UTXO chains that name Electrum servers."""

    name = "electrum"

    def __init__(self, chains: dict[str, tuple[ElectrumClient, AddressParams]]) -> None:
        self._chains = chains

    def serves(self, chain: Chain) -> bool:
        return chain.name in self._chains

    async def find(self, chain: Chain, address: str, since: datetime | None, limit: int) -> SourceAnswer:
        client, params = self._chains[chain.name]
        key = scripthash(parse_address(address, params).script_pubkey)
        tip, history = await client.ask(
            [("blockchain.headers.subscribe", []), ("blockchain.scripthash.get_history", [key])], _tip_and_history
        )
        coverage = Coverage(source=self.name, chain=chain.name, to_block=tip, mempool=True)
        if history is None:
            note = "the server refuses this address's history as too long for one answer"
            return SourceAnswer(found=(), coverage=replace(coverage, complete=False, note=note))
        # Newest first: the mempool (height <= 0), then by height, later txs of a block first.
        ordered = sorted(enumerate(history), key=lambda e: (e[1][1] > 0, -e[1][1], -e[0]))
        newest = [entry for _, entry in ordered[:limit]]
        found = await self._found(client, chain, newest, parse_address(address, params).script_pubkey)
        kept = tuple(f for f in found if since is None or f.time is None or f.time >= since)
        # Left out for the cap: only if the oldest we kept is still inside the window asked.
        truncated = len(ordered) > limit and len(kept) == len(found)
        return SourceAnswer(found=tuple(f for f in kept if f.payments), coverage=coverage, truncated=truncated)

    async def _found(
        self, client: ElectrumClient, chain: Chain, entries: list[tuple[str, int]], script: str
    ) -> list[Found]:
        heights = sorted({h for _, h in entries if h > 0})
        calls: list[tuple[str, list[Any]]] = [("blockchain.transaction.get", [tx_hash]) for tx_hash, _ in entries]
        calls += [("blockchain.block.header", [h]) for h in heights]

        def interpret(replies: list[Reply]) -> list[Found]:
            headers = {h: bytes.fromhex(str(result(r))) for h, r in zip(heights, replies[len(entries) :], strict=True)}
            return [
                _found(chain.name, chain.native, tx_hash, height, str(result(reply)), script, headers)
                for (tx_hash, height), reply in zip(entries, replies[: len(entries)], strict=True)
            ]

        return await client.ask(calls, interpret) if entries else []

    async def aclose(self) -> None:
        for client, _ in self._chains.values():
            await client.aclose()


def _tip_and_history(replies: list[Reply]) -> tuple[int, list[tuple[str, int]] | None]:
    """(the server's tip, [(tx hash, height)] or None when the server will not send the history)."""
    header, history = replies
    try:
        tip = int(result(header)["height"])
        if isinstance(history, ElectrumError) and history.code == _HISTORY_TOO_LONG:
            return tip, None
        return tip, [(str(e["tx_hash"]), int(e["height"])) for e in result(history)]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadAnswer(f"malformed history: {exc!r}") from None


def _found(
    chain: str, native: Asset, tx_hash: str, height: int, raw_hex: str, script: str, headers: dict[int, bytes]
) -> Found:
    amounts = [value for value, out_script in decode(raw_hex).outputs if out_script == script]
    payments = (Payment(asset=native, amount=sum(amounts)),) if amounts else ()
    if height <= 0:
        return Found(chain=chain, tx_hash=tx_hash, block=None, time=None, payments=payments)
    header = headers[height]
    block = BlockRef(height=height, hash=header_hash(header))
    return Found(
        chain=chain,
        tx_hash=tx_hash,
        block=block,
        time=datetime.fromtimestamp(header_time(header), UTC),
        payments=payments,
    )


def build(config: FileConfig) -> ElectrumSource | None:
    """The source for every UTXO chain with `electrum_urls`; None when no chain has them."""
    chains = {
        name: (electrum_client(name, c), params_for_chain(name, c))
        for name, c in config.chains.items()
        if isinstance(c, UtxoChainConfig) and c.electrum_urls
    }
    return ElectrumSource(chains) if chains else None
