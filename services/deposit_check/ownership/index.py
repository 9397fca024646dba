"""The ownership index: the `Ownership` a check asks, and the writes imports and derivation make."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from deposit_check.ownership import UNDECLARED, EntryRead, Owner
from deposit_check.ownership.backends import Backend, Change
from deposit_check.ownership.codec import Codec, Derived, Entry, Slot
from deposit_check.watch.lease import Lease

CHUNK = 5_000  # addresses read and written per round trip (a transaction each)
ACCOUNTS_KEPT = 4_096  # sealed <-> clear account references remembered in the process (never stored)


@dataclass(frozen=True)
class Counts:
    """What an import or a delete did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    absent: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, int, int, int, int]:
        return self.added, self.updated, self.unchanged, self.deleted, self.absent


Identity = Callable[[str], str]


class OwnershipIndex:
    """An `Ownership` over a backend.

    `identities` turn a chain's canonical address into what is indexed: for UTXO chains the
    scriptPubKey, so the two base58 spellings of one Litecoin P2SH script (3... and M...) are one
    entry; by default the address itself (EVM: EIP-55). `declared` names chains with extended keys
    configured (declared before their first address is derived), `key_accounts` the account of each
    key (by fingerprint)."""

    def __init__(
        self,
        backend: Backend,
        codec: Codec,
        identities: Mapping[str, Identity] | None = None,
        declared: Iterable[str] = (),
        key_accounts: Mapping[str, str | None] | None = None,
    ) -> None:
        self.backend = backend
        self._codec = codec
        self._identities = dict(identities or {})
        self._declared = frozenset(declared)
        # Sealed once: an `Owner` carries its account sealed (ownership.Owner).
        self._key_accounts = {k: codec.seal_account(a) if a else None for k, a in (key_accounts or {}).items()}
        # Sealing and opening are deterministic: remembered, so a cached check with an account costs a dict
        # lookup, not an AES-SIV open (~9 us, 4% of a cache hit here). In memory only, never stored.
        self._sealed: dict[str, str] = {}
        self._opened: dict[str, str] = {}

    def _slot(self, chain: str, address: str) -> Slot:
        identity = self._identities.get(chain)
        return self._codec.slot(chain, identity(address) if identity else address)

    async def owner_of(self, chain: str, address: str) -> Owner:
        return (await self.owner_of_many(chain, [address]))[0]

    async def owner_of_many(
        self, chain: str, addresses: Sequence[str], identities: Sequence[str] | None = None
    ) -> list[Owner]:
        if not addresses:
            return []
        if identities is not None:  # given (a block's scripts): no address parsed
            slot = self._codec.slot
            slots = [slot(chain, identity) for identity in identities]
        else:
            slots = [self._slot(chain, address) for address in addresses]
        values, count = await self.backend.lookup(chain, slots)
        return await self._owners(chain, slots, values, count)

    def entry_read(self, chain: str, address: str) -> EntryRead | None:
        slot = self._slot(chain, address)
        fields = self.backend.entry_fields(chain, slot)
        return None if fields is None else EntryRead(chain, fields, slot)

    async def owner_from(self, read: EntryRead, values: Sequence[bytes | None]) -> Owner:
        value, count = values
        return (await self._owners(read.chain, [read.slot], [value], int(count or 0)))[0]

    async def _owners(self, chain: str, slots: list[Slot], values: Sequence[bytes | None], count: int) -> list[Owner]:
        owners: list[Owner] = []
        used: dict[str, int] = {}
        for slot, value in zip(slots, values, strict=True):
            if value is None:
                owners.append(Owner(declared=True) if count > 0 or chain in self._declared else UNDECLARED)
                continue
            entry = self._codec.decode(slot, value)
            if entry.derived is not None:
                d = entry.derived
                member = f"{d.key}:{d.branch}"
                used[member] = max(used.get(member, -1), d.index)
                owners.append(Owner(declared=True, ours=True, account=self._key_accounts.get(d.key)))
            else:
                owners.append(
                    Owner(declared=True, ours=True, account=self._seal(entry.account) if entry.account else None)
                )
        if used:
            # Seen in a check or a block: the address was handed out, so derivation runs `gap` past it.
            await self.backend.mark_used(chain, used)
        return owners

    def _seal(self, account: str) -> str:
        sealed = self._sealed.get(account)
        if sealed is None:
            sealed = _remember(self._sealed, account, self._codec.seal_account(account))
        return sealed

    def open_account(self, sealed: str) -> str:
        account = self._opened.get(sealed)
        if account is None:
            account = _remember(self._opened, sealed, self._codec.open_account(sealed))
        return account

    async def version(self, chain: str) -> int:
        return (await self.backend.meta(chain))[1]

    def version_key(self, chain: str) -> str | None:
        return self.backend.version_key(chain)

    async def count(self, chain: str) -> int:
        return (await self.backend.meta(chain))[0]

    async def put(self, chain: str, entries: Mapping[str, str | None]) -> Counts:
        """Declare addresses, given by identity (scriptPubKey or EVM address, as entries.normalizer
        gives it) -> account or None, as the casino's; idempotent."""
        total = Counts()
        items = list(entries.items())
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            slots = [self._codec.slot(chain, identity) for identity, _ in chunk]
            old = await self.backend.read(chain, slots)
            change = Change()
            added = updated = unchanged = 0
            for slot, (_, account), before in zip(slots, chunk, old, strict=True):
                if before is not None and self._codec.decode(slot, before) == Entry(account=account):
                    unchanged += 1
                    continue
                change.puts.append((slot, self._codec.encode(slot, Entry(account=account))))
                added, updated = (added + 1, updated) if before is None else (added, updated + 1)
            change.count_delta = added
            if change.puts:
                await self.backend.write(chain, change)
            total += Counts(added=added, updated=updated, unchanged=unchanged)
        return total

    async def delete(self, chain: str, identities: Iterable[str]) -> Counts:
        """Remove addresses (by identity, as in `put`) from the chain's ownership."""
        total = Counts()
        items = list(dict.fromkeys(identities))
        for start in range(0, len(items), CHUNK):
            slots = [self._codec.slot(chain, identity) for identity in items[start : start + CHUNK]]
            old = await self.backend.read(chain, slots)
            change = Change(removes=[s for s, before in zip(slots, old, strict=True) if before is not None])
            change.count_delta = -len(change.removes)
            if change.removes:
                await self.backend.write(chain, change)
            total += Counts(deleted=len(change.removes), absent=len(slots) - len(change.removes))
        return total

    async def put_derived(
        self, chain: str, derived: list[tuple[str, Derived]], progress: dict[str, int], fence: Lease | None = None
    ) -> int:
        """Add derived entries (by identity: scriptPubKey or EVM address; an imported entry of the same
        address is kept) and the progress made, in one atomic write, fenced by the chain's derivation lease
        when given (LostLease: nothing written); the number added."""
        puts = []
        for identity, d in derived:
            slot = self._codec.slot(chain, identity)
            puts.append((slot, self._codec.encode(slot, Entry(derived=d))))
        return await self.backend.write_derived(chain, puts, progress, fence)


def _remember(memo: dict[str, str], key: str, value: str) -> str:
    if len(memo) >= ACCOUNTS_KEPT:
        del memo[next(iter(memo))]  # the oldest
    memo[key] = value
    return value
