"""Which deposit addresses are the casino's, and the (pseudonymous) player account each belongs to.

The verdict is a credit decision only about the casino's own addresses: a check asks `owner_of`
before deciding. Operators declare ownership per chain (extended public keys derived ahead of use,
and imported address lists); a chain with nothing declared answers `Owner(declared=False)`, and the
verdict then says that ownership was not verified.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from deposit_check.ownership.codec import Slot


@dataclass(frozen=True)
class Owner:
    """What the casino declared about one address of one chain."""

    declared: bool  # the chain has ownership declared (xpubs or imported addresses)
    ours: bool = False  # the address is one of the casino's (False whenever `declared` is False)
    # The casino's opaque player account reference when known, SEALED (`Ownership.open_account` opens it): what
    # deposit_check keeps (cached answers, watch records) never holds it in the clear; only HTTP answers open it.
    account: str | None = None


UNDECLARED = Owner(declared=False)


@dataclass(frozen=True)
class EntryRead:
    """Where one address's entry lives in the check cache's Redis: hash fields a cached check reads in the same
    command as its answer (service.py), so that a miss needs no lookup of its own; `owner_from` reads them."""

    chain: str
    fields: tuple[tuple[str, bytes], ...]  # (hash key, field) pairs, in the order `owner_from` takes their values
    slot: "Slot"  # the entry's bucket and field


class Ownership(Protocol):
    """Looks up addresses in the ownership index (O(1) per check)."""

    async def owner_of(self, chain: str, address: str) -> Owner:
        """`address` in the chain's canonical form (as the chain adapter normalized it)."""
        ...

    async def owner_of_many(
        self, chain: str, addresses: Sequence[str], identities: Sequence[str] | None = None
    ) -> list[Owner]:
        """`owner_of` each address, in one round trip whatever their number (the watcher's block).
        `identities`: what the index keys each address by, when the caller already has it (UTXO: the
        scriptPubKey hex a block gives), so the addresses need not be parsed; `addresses` may then be
        spelled as the node spells them."""
        ...

    def entry_read(self, chain: str, address: str) -> EntryRead | None:
        """Where the address's entry lives in the check cache's Redis; None when the index is not kept there."""
        ...

    async def owner_from(self, read: EntryRead, values: Sequence[bytes | None]) -> Owner:
        """The owner, from the values `read.fields` held (read with the cached answer)."""
        ...

    async def version(self, chain: str) -> int:
        """Goes up with every change to the chain's declared ownership: part of a cached verdict's key."""
        ...

    def version_key(self, chain: str) -> str | None:
        """The key in the check cache's Redis whose value is `version(chain)` (the index and the cache share
        REDIS_URL), so a cached check reads both at once; None when the version is not kept there."""
        ...

    def open_account(self, sealed: str) -> str:
        """The account reference an `Owner.account` holds sealed (ValueError when it does not open)."""
        ...


class NoOwnership:
    """No ownership declared for any chain: today's behaviour, every address `unknown`."""

    async def owner_of(self, chain: str, address: str) -> Owner:
        return UNDECLARED

    async def owner_of_many(
        self, chain: str, addresses: Sequence[str], identities: Sequence[str] | None = None
    ) -> list[Owner]:
        return [UNDECLARED] * len(addresses)

    def entry_read(self, chain: str, address: str) -> EntryRead | None:
        return None

    async def owner_from(self, read: EntryRead, values: Sequence[bytes | None]) -> Owner:
        return UNDECLARED

    async def version(self, chain: str) -> int:
        return 0

    def version_key(self, chain: str) -> str | None:
        return None

    def open_account(self, sealed: str) -> str:
        raise ValueError("no ownership secret: no account reference can be opened")
