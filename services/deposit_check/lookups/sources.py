"""The lookup sources a deployment can name in `[lookups.chains.<chain>] sources`, by name.

To add a source: write a class with the `LookupSource` protocol (lookups/__init__.py), a factory
`(SourceContext) -> LookupSource` that reads its options (`context.options(chain, name)`: the table
`[lookups.chains.<chain>.options.<name>]`, validated by the source itself), and one line in `FACTORIES`.
A source is built once at start-up when any chain names it; `serves(chain)` says which chains it can look on.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as redis

from deposit_check.chains import Chain
from deposit_check.config import AppConfig
from deposit_check.lookups import LookupSource, SourceAnswer, electrum, evm_logs, evm_trace
from deposit_check.lookups.watcher_index import WatcherSource
from deposit_check.ownership import Ownership


@dataclass(frozen=True)
class SourceContext:
    """What a source's factory may use: the config, the Redis client, the ownership index, the chains."""

    config: AppConfig
    redis: redis.Redis | None
    ownership: Ownership
    chains: Mapping[str, Chain]

    def options(self, chain: str, source: str) -> dict[str, Any]:
        return dict(self.config.file.lookups.sources_of(chain).options.get(source, {}))


def _watcher(context: SourceContext) -> LookupSource:
    if context.redis is None:
        raise ValueError("lookup source 'watcher' needs REDIS_URL (the watcher's index lives in Redis)")
    return WatcherSource(context.redis, context.ownership, context.config.file.lookups)


class PerChain:
    """One source of a kind per chain, each built with that chain's options, asked as one."""

    def __init__(self, name: str, by_chain: dict[str, LookupSource]) -> None:
        self.name = name
        self._by_chain = by_chain

    def serves(self, chain: Chain) -> bool:
        source = self._by_chain.get(chain.name)
        return source is not None and source.serves(chain)

    async def find(self, chain: Chain, address: str, since: datetime | None, limit: int) -> SourceAnswer:
        return await self._by_chain[chain.name].find(chain, address, since, limit)


def _per_chain(
    name: str, build: Callable[[Mapping[str, Any]], LookupSource]
) -> Callable[[SourceContext], LookupSource]:
    """A factory building `build(options)` for every chain that names the source."""

    def factory(context: SourceContext) -> LookupSource:
        lookups = context.config.file.lookups
        return PerChain(
            name,
            {c: build(context.options(c, name)) for c in context.chains if name in lookups.sources_of(c).sources},
        )

    return factory


def _electrum(context: SourceContext) -> LookupSource:
    source = electrum.build(context.config.file)
    if source is None:
        raise ValueError("lookup source 'electrum' needs `electrum_urls` on the UTXO chains that name it")
    return source


FACTORIES: dict[str, Callable[[SourceContext], LookupSource]] = {
    "watcher": _watcher,
    "electrum": _electrum,
    "evm_logs": _per_chain(evm_logs.NAME, evm_logs.build),
    "evm_trace": _per_chain(evm_trace.NAME, evm_trace.build),
}


def build_sources(context: SourceContext) -> dict[str, LookupSource]:
    """Every source some chain names; ValueError for a name no factory has (start-up stops, saying which).
    Without Redis, the default `watcher` of chains not configured is left out (a lookup then answers 503)."""
    lookups = context.config.file.lookups
    named: dict[str, bool] = {}  # name -> named explicitly by some chain
    for chain in context.chains:
        explicit = chain in lookups.chains
        for name in lookups.sources_of(chain).sources:
            named[name] = named.get(name, False) or explicit
    sources: dict[str, LookupSource] = {}
    for name, explicit in named.items():
        factory = FACTORIES.get(name)
        if factory is None:
            raise ValueError(f"lookups: unknown source {name!r}; known: {', '.join(sorted(FACTORIES))}")
        if name == "watcher" and context.redis is None and not explicit:
            continue
        sources[name] = factory(context)
    return sources
