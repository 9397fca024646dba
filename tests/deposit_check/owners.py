"""A tiny in-test `Ownership` (a dict): the index itself (Redis, xpubs, imports) is tested where it lives."""

from collections.abc import Sequence
from dataclasses import dataclass, field

import redis

from deposit_check.ownership import UNDECLARED, EntryRead, Owner
from deposit_check.ownership.codec import Codec

CODEC = Codec("owners-test-secret")  # accounts travel sealed, as the real index hands them out


@dataclass
class DictOwnership:
    """Per chain, the casino's addresses (canonical form) and their accounts; a chain with none is undeclared."""

    addresses: dict[str, dict[str, str | None]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    down: bool = False  # answer like a Redis that does not: the check must not fall back to "not verified"
    lookups: int = 0

    def declare(self, chain: str, address: str, account: str | None = None) -> None:
        self.addresses.setdefault(chain, {})[address] = account
        self.versions[chain] = self.versions.get(chain, 0) + 1

    def withdraw(self, chain: str, address: str) -> None:
        del self.addresses[chain][address]
        self.versions[chain] += 1

    async def owner_of(self, chain: str, address: str) -> Owner:
        self._answer()
        self.lookups += 1
        if chain not in self.addresses:
            return UNDECLARED
        ours = address in self.addresses[chain]
        account = self.addresses[chain].get(address)
        return Owner(declared=True, ours=ours, account=CODEC.seal_account(account) if account else None)

    def open_account(self, sealed: str) -> str:
        return CODEC.open_account(sealed)

    async def owner_of_many(
        self, chain: str, addresses: Sequence[str], identities: Sequence[str] | None = None
    ) -> list[Owner]:  # by address (canonical): the identities are not needed here
        return [await self.owner_of(chain, address) for address in addresses]

    def entry_read(self, chain: str, address: str) -> EntryRead | None:
        return None  # not in Redis: the check asks `owner_of`

    async def owner_from(self, read: EntryRead, values: Sequence[bytes | None]) -> Owner:
        raise AssertionError("entry_read gives nothing to read")

    async def version(self, chain: str) -> int:
        self._answer()
        return self.versions.get(chain, 0)

    def version_key(self, chain: str) -> str | None:
        return None  # not in Redis: the check asks `version`

    def _answer(self) -> None:
        if self.down:
            raise redis.ConnectionError("ownership index down (test)")
