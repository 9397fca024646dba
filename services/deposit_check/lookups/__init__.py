"""Finding deposits without their hash: what reached an address, from several sources (issue 14).

A source answers, for one chain and one canonical address, the txs that paid it (`Found`) and
exactly what it searched (`Coverage`); `LookupService` (lookups/service.py) asks every source
configured for the chain, merges their finds by tx hash, judges each find as a check would (the
verdict's rules, verdict.py) and says "nothing found" only about what the coverages cover.

Sources (each optional by config):
- `watcher`: the watcher's own index of payments to owned addresses (lookups/watcher_index.py);
- `electrum`: an Electrum server's history of the address's script hash (UTXO chains);
- `evm_logs`: `eth_getLogs` for allow-listed tokens' `Transfer` to the address over a block range;
- `evm_trace`: `trace_filter` (toAddress) for native coin, internal transfers included;
- `trongrid`: TronGrid's account index for allow-listed TRC-20 tokens and TRX (TRON chains).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from deposit_check.chains import Chain
from deposit_check.models import BlockRef, Payment


@dataclass(frozen=True)
class Found:
    """One tx that paid the address, as a source saw it. `block` None: in the mempool."""

    chain: str
    tx_hash: str  # canonical for the chain
    block: BlockRef | None
    time: datetime | None  # the block's time (or, in the mempool, when the source first saw it)
    payments: tuple[Payment, ...]  # what reached the address (may be empty when the source cannot tell)
    internal: bool = False  # native coin that arrived through an internal call (EVM)


@dataclass(frozen=True)
class Coverage:
    """What one source searched for one lookup: say nothing about what lies outside it."""

    source: str  # "watcher" | "electrum" | "evm_logs" | "evm_trace" | "trongrid"
    chain: str
    from_block: int | None = None  # inclusive; None: from the address's first use (a full history), or see from_time
    to_block: int | None = None  # inclusive; None: up to the tip as the source knew it
    mempool: bool = False  # unconfirmed txs searched too
    assets: tuple[str, ...] = ()  # the asset symbols searched (empty: every asset the source can see)
    complete: bool = True  # False: the source searched less than asked (a cap, a refused range, an outage)
    note: str | None = None  # why not complete, or what the source cannot see (e.g. "no trace_filter")
    from_time: datetime | None = None  # a source that keeps a time window (the watcher's): the earliest time covered


@dataclass(frozen=True)
class SourceAnswer:
    found: tuple[Found, ...]
    coverage: Coverage
    truncated: bool = False  # a cap on finds was hit: older finds left out
    # The best height the finds are complete facts at (their payments are final for their block): they are judged
    # at it with no node call. None: the service asks the chain about each find (observe_many) to judge it.
    tip: int | None = None


class LookupSource(Protocol):
    """One place to look for payments to an address. Raise NodeUnavailable when it cannot answer."""

    name: str

    def serves(self, chain: Chain) -> bool:
        """Whether this source can look on that chain (its family, its config)."""
        ...

    async def find(self, chain: Chain, address: str, since: datetime | None, limit: int) -> SourceAnswer:
        """The txs that paid `address` (canonical for `chain`) since `since` (None: as far back as the
        source keeps), newest first, at most `limit`."""
        ...
