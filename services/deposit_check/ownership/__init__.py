"""Which deposit addresses are the casino's, and the (pseudonymous) player account each belongs to.

The verdict is a credit decision only about the casino's own addresses: a check asks `owner_of`
before deciding. Operators declare ownership per chain (extended public keys derived ahead of use,
and imported address lists); a chain with nothing declared answers `Owner(declared=False)`, and the
verdict then says that ownership was not verified.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Owner:
    """What the casino declared about one address of one chain."""

    declared: bool  # the chain has ownership declared (xpubs or imported addresses)
    ours: bool = False  # the address is one of the casino's (False whenever `declared` is False)
    # The casino's opaque player account reference when known, SEALED (`Ownership.open_account` opens it): what
    # deposit_check keeps (cached answers, watch records) never holds it in the clear; only HTTP answers open it.
    account: str | None = None


UNDECLARED = Owner(declared=False)


class Ownership(Protocol):
    """Looks up addresses in the ownership index (O(1) per check)."""

    async def owner_of(self, chain: str, address: str) -> Owner:
        """`address` in the chain's canonical form (as the chain adapter normalized it)."""
        ...

    async def owner_of_many(self, chain: str, addresses: Sequence[str]) -> list[Owner]:
        """`owner_of` each address, in one round trip whatever their number (the watcher's block)."""
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

    async def owner_of_many(self, chain: str, addresses: Sequence[str]) -> list[Owner]:
        return [UNDECLARED] * len(addresses)

    async def version(self, chain: str) -> int:
        return 0

    def version_key(self, chain: str) -> str | None:
        return None

    def open_account(self, sealed: str) -> str:
        raise ValueError("no ownership secret: no account reference can be opened")
