"""Declaring addresses: what the CLI and the admin API call (checked lists in, counts out)."""

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from deposit_check.config import ChainConfig
from deposit_check.errors import UnknownChain
from deposit_check.ownership import Owner, Ownership
from deposit_check.ownership.entries import Normalize, checked, normalizer
from deposit_check.ownership.errors import OwnershipNotConfigured
from deposit_check.ownership.index import Counts, OwnershipIndex

Items = Iterable[tuple[int | str, str | None, Any]]  # (where, address, account or error), as entries.py reads them


class OwnershipAdmin:
    def __init__(self, ownership: Ownership, chains: dict[str, ChainConfig]) -> None:
        self._index = ownership if isinstance(ownership, OwnershipIndex) else None
        self._chains = chains

    def index(self) -> OwnershipIndex:
        """The index; OwnershipNotConfigured when there is none."""
        return self._index_or_refuse()

    def _index_or_refuse(self) -> OwnershipIndex:
        if self._index is None:
            raise OwnershipNotConfigured("set [ownership] secret in the config to declare the casino's addresses")
        return self._index

    def _normalizer(self, chain: str) -> tuple[Normalize, str]:
        config = self._chains.get(chain)
        if config is None:
            raise UnknownChain(f"chain {chain!r} is not configured (configured: {', '.join(self._chains) or 'none'})")
        return normalizer(chain, config)

    async def put(self, chain: str, items: Items) -> Counts:
        """Every item checked first (InvalidEntries, nothing written), then written; idempotent."""
        index = self._index_or_refuse()
        normalize, label = self._normalizer(chain)
        return await index.put(chain, checked(items, normalize, label))

    async def delete(self, chain: str, items: Items) -> Counts:
        index = self._index_or_refuse()
        normalize, label = self._normalizer(chain)
        return await index.delete(chain, checked(items, normalize, label))

    async def version(self, chain: str) -> int:
        return await self._index_or_refuse().version(chain)

    async def lookup(self, chain: str, address: str) -> tuple[str, Owner]:
        """The canonical address and what the index says of it, its account opened: the admin's answer (the only
        other place than a check's answer where an account reference is in the clear). InvalidAddress when the
        address is not of the chain."""
        index = self._index_or_refuse()
        normalize, _ = self._normalizer(chain)
        canonical, _ = normalize(address)
        owner = await index.owner_of(chain, canonical)
        if owner.account is not None:
            owner = replace(owner, account=index.open_account(owner.account))
        return canonical, owner
