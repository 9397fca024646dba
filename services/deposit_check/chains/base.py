"""The one interface every chain adapter offers. Adapters return facts and know no policy."""

from typing import Any, Protocol

from deposit_check.models import Asset, Block, BlockRef, Observation


class Chain(Protocol):
    name: str
    family: str  # "utxo" | "evm" | "tron"
    required_confirmations: int
    native: Asset

    def assets(self) -> dict[str, Asset]:
        """Assets this chain can report, by upper-case symbol (the native coin included)."""
        ...

    def normalize_tx_hash(self, tx_hash: str) -> str:
        """Return the canonical form of the hash; raise InvalidTxHash when it cannot be one here."""
        ...

    def normalize_address(self, address: str) -> str:
        """Return the canonical form of the address; raise InvalidAddress when it is not of this chain."""
        ...

    async def observe(self, tx_hash: str, address: str) -> Observation:
        """Look the tx up (normalized hash and address); raise NodeUnavailable when no node answers."""
        ...

    async def observe_tx(self, tx_hash: str) -> Observation:
        """Whether the tx (normalized hash) is on this chain and where, paying nobody (no payments): for a tx
        asked about on a chain of another family, whose address cannot be one of this chain's."""
        ...

    async def locate(self, tx_hash: str) -> Observation:
        """`observe_tx`, with every address the tx paid in `recipients` (UTXO: its outputs; EVM and TRON: the
        native coin's recipient and the allow-listed tokens' Transfer logs; a mempool tx: what it will pay) and
        `unseen` set where inner calls may have paid more than can be seen. One round trip, as a check."""
        ...

    async def observe_many(self, items: list[tuple[str, str]]) -> list[Observation]:
        """`observe` each (tx hash, address) pair, in input order, with one request per chunk of items."""
        ...

    async def tip(self) -> int:
        """Best block height."""
        ...

    async def head(self) -> BlockRef:
        """Best block height and hash, read together (one node call)."""
        ...

    async def block(self, block_hash: str) -> Block:
        """The block with that hash and its txs (one node call), whether on the best chain or not.

        Raise UnknownBlock when the node knows no such block (a node may forget blocks that left
        the best chain: bitcoind keeps them, anvil does not), NodeUnavailable when no node answers.
        """
        ...

    async def ready(self) -> None:
        """Raise NodeUnavailable unless a node answers and is fit to be asked (index, chain id)."""
        ...

    def endpoint_states(self) -> list[dict[str, Any]]:
        """Each endpoint's health (circuit state, last error), credentials masked, for /readyz."""
        ...

    async def aclose(self) -> None: ...
