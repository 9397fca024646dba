"""What every UTXO backend shares (a node's JSON-RPC, Electrum servers): the coin's address and hash
rules, its one asset, and observing in chunks, each on one endpoint or, with a quorum, on several."""

import re
from dataclasses import replace
from functools import partial
from typing import Any, Protocol

from deposit_check.chains.quorum import combine
from deposit_check.chains.utxo_address import AddressParams, params_for_chain, parse_address
from deposit_check.config import UtxoChainConfig
from deposit_check.errors import InvalidTxHash
from deposit_check.models import Asset, Observation

_TX_HASH = re.compile(r"(?:0x)?([0-9a-f]{64})")
EVERY_OUTPUT = "*"  # in place of a script: observe the tx with every output it pays as `recipients` (`locate`)


def canonical_tx_hash(tx_hash: str) -> str:
    """64 lower-case hex digits (a 0x prefix and spaces dropped); InvalidTxHash when it cannot be a hash."""
    match = _TX_HASH.fullmatch(tx_hash.strip().lower())
    if match is None:
        raise InvalidTxHash(f"{tx_hash!r} is not a transaction hash: expected 64 hexadecimal characters")
    return match.group(1)


class _Pool(Protocol):
    async def first(self, ask: Any) -> Any: ...

    async def several(self, count: int, ask: Any) -> Any: ...


class UtxoBase:
    """A UTXO `Chain`'s shared half; a backend gives its endpoint pool (`_pool`) and `_observe_on`, which
    observes a chunk of (hash, scriptPubKey) items on one endpoint."""

    family = "utxo"
    observe_chunk = 200  # items per request in observe_many: bounded request and answer sizes

    def __init__(self, name: str, config: UtxoChainConfig) -> None:
        self.name = name
        self.config = config
        self.required_confirmations = config.confirmations
        self.address_params: AddressParams = params_for_chain(name, config)
        symbol = self.address_params.symbol
        if symbol is None:
            raise ValueError(f"chain {name!r}: set symbol, there is no built-in one for {self.address_params.coin}")
        self.native = Asset(symbol=symbol.upper(), decimals=config.decimals)

    @property
    def _pool(self) -> _Pool:
        raise NotImplementedError

    async def _observe_on(self, endpoint: Any, hashes: list[str], scripts: list[str]) -> list[Observation]:
        raise NotImplementedError

    def assets(self) -> dict[str, Asset]:
        return {self.native.symbol: self.native}

    def normalize_tx_hash(self, tx_hash: str) -> str:
        return canonical_tx_hash(tx_hash)

    def normalize_address(self, address: str) -> str:
        return parse_address(address, self.address_params).address

    async def observe(self, tx_hash: str, address: str) -> Observation:
        [seen] = await self.observe_many([(tx_hash, address)])
        return seen

    async def observe_tx(self, tx_hash: str) -> Observation:
        # An empty script: no output is locked to it that counts (the payments are dropped anyway).
        [seen] = await self._observe_chunk([tx_hash], [""])
        return replace(seen, payments=())

    async def locate(self, tx_hash: str) -> Observation:
        [seen] = await self._observe_chunk([tx_hash], [EVERY_OUTPUT])
        return seen

    async def observe_many(self, items: list[tuple[str, str]]) -> list[Observation]:
        """Observe (normalized tx hash, address) pairs, in input order: one request per chunk of at most
        `observe_chunk` items, chunks one after the other. With a quorum, each chunk goes to `quorum`
        endpoints concurrently and every observation carries each endpoint's view (chains/quorum.py)."""
        scripts = [parse_address(address, self.address_params).script_pubkey for _, address in items]
        hashes = [tx_hash for tx_hash, _ in items]
        seen: list[Observation] = []
        for start in range(0, len(items), self.observe_chunk):
            chunk = slice(start, start + self.observe_chunk)
            seen.extend(await self._observe_chunk(hashes[chunk], scripts[chunk]))
        return seen

    async def _observe_chunk(self, hashes: list[str], scripts: list[str]) -> list[Observation]:
        """The chunk on one endpoint (failing over), or with a quorum on that many endpoints at once."""
        ask = partial(self._observe_on, hashes=hashes, scripts=scripts)
        if self.config.quorum == 1:
            return list(await self._pool.first(ask))
        return combine(await self._pool.several(self.config.quorum, ask), self.config.quorum)
