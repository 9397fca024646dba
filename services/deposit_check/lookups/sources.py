"""The lookup sources a deployment can name in `[lookups.chains.<chain>] sources`, by name.

To add a source: write a class with the `LookupSource` protocol (lookups/__init__.py), a factory
`(SourceContext) -> LookupSource` that reads its options (`context.options(chain, name)`: the table
`[lookups.chains.<chain>.options.<name>]`, validated by the source itself), and one line in `FACTORIES`.
A source is built once at start-up when any chain names it; `serves(chain)` says which chains it can look on.
Start-up stops, saying which chain and source, when a chain names a source that cannot look on it (`evm_logs`
on a UTXO chain, `electrum` on a chain without `electrum_urls`), gives options a source does not take, or
gives options the source refuses: a source named but never asked would make lookups say less than the config says.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import redis.asyncio as redis
from pydantic import ValidationError

from deposit_check.chains import Chain
from deposit_check.config import AppConfig, LookupsConfig, TronChainConfig
from deposit_check.lookups import LookupSource, SourceAnswer, electrum, evm_logs, evm_trace, trongrid
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
        by_chain: dict[str, LookupSource] = {}
        for chain in context.chains:
            if name not in lookups.sources_of(chain).sources:
                continue
            try:
                by_chain[chain] = build(context.options(chain, name))
            except ValidationError as exc:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                raise ValueError(f"lookups.chains.{chain}.options.{name}: {problems}") from None
        return PerChain(name, by_chain)

    return factory


def _electrum(context: SourceContext) -> LookupSource:
    source = electrum.build(context.config.file)
    if source is None:
        raise ValueError("lookup source 'electrum' needs `electrum_urls` on the UTXO chains that name it")
    return source


def _trongrid(context: SourceContext) -> LookupSource:
    """One TronGrid client per TRON chain naming the source, built from the chain's config and its options."""
    lookups, chains = context.config.file.lookups, context.config.file.chains
    named = {}
    for name in context.chains:
        config = chains.get(name)
        if trongrid.NAME in lookups.sources_of(name).sources and isinstance(config, TronChainConfig):
            try:
                named[name] = (config, trongrid.TronGridConfig.model_validate(context.options(name, trongrid.NAME)))
            except ValidationError as exc:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                raise ValueError(f"lookups.chains.{name}.options.{trongrid.NAME}: {problems}") from None
    return trongrid.build(named)


FACTORIES: dict[str, Callable[[SourceContext], LookupSource]] = {
    "watcher": _watcher,
    "electrum": _electrum,
    "evm_logs": _per_chain(evm_logs.NAME, evm_logs.build),
    "evm_trace": _per_chain(evm_trace.NAME, evm_trace.build),
    "trongrid": _trongrid,
}
# The sources that read `[lookups.chains.<chain>.options.<name>]` (the others take none).
WITH_OPTIONS = {"evm_logs", "evm_trace", "trongrid"}
# What a chain needs for each source to look on it (said when a chain names a source that cannot).
NEEDS = {
    "electrum": "a UTXO chain with `electrum_urls`",
    "evm_logs": "an EVM chain",
    "evm_trace": "an EVM chain",
    "trongrid": "a TRON chain",
}


def build_sources(context: SourceContext) -> dict[str, LookupSource]:
    """Every source some chain names; ValueError (start-up stops, saying which chain and source) for a name no
    factory has, options a source does not take or refuses, a source that cannot look on a chain naming it.
    Without Redis, the default `watcher` of chains not configured is left out (a lookup then answers 503)."""
    lookups = context.config.file.lookups
    named: dict[str, bool] = {}  # name -> named explicitly by some chain
    for chain in context.chains:
        explicit = chain in lookups.chains
        for name in lookups.sources_of(chain).sources:
            named[name] = named.get(name, False) or explicit
    for name in named:
        if name not in FACTORIES:
            raise ValueError(f"lookups: unknown source {name!r}; known: {', '.join(sorted(FACTORIES))}")
    _check_options(lookups)
    sources: dict[str, LookupSource] = {}
    for name, explicit in named.items():
        if name == "watcher" and context.redis is None and not explicit:
            continue
        sources[name] = FACTORIES[name](context)
    for where, on in context.chains.items():
        for name in lookups.sources_of(where).sources:
            source = sources.get(name)
            if source is not None and not source.serves(on):
                needs = NEEDS.get(name, "another kind of chain")
                raise ValueError(f"lookups.chains.{where}: source {name!r} cannot look on it: it needs {needs}")
    return sources


def _check_options(lookups: LookupsConfig) -> None:
    """Options only for sources the chain names and that take some (a misspelt table is not ignored)."""
    for chain, config in lookups.chains.items():
        if len(set(config.sources)) != len(config.sources):
            raise ValueError(f"lookups.chains.{chain}.sources names a source twice: {config.sources}")
        for name in config.options:
            if name not in config.sources:
                raise ValueError(
                    f"lookups.chains.{chain}.options.{name}: the chain does not name {name!r} in `sources`"
                )
            if name not in WITH_OPTIONS:
                raise ValueError(f"lookups.chains.{chain}.options.{name}: {name!r} takes no options")


@runtime_checkable
class _Closable(Protocol):
    async def aclose(self) -> None: ...


async def close_sources(sources: Mapping[str, LookupSource]) -> None:
    """Close what the sources opened (the Electrum source's connections), at shutdown."""
    for source in sources.values():
        if isinstance(source, _Closable):
            await source.aclose()
