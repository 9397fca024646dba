"""`LookupService`: the deposits that reached an address, from every source configured for its chains.

1. **Resolve** the chains and the canonical address as a check does (`CheckService.resolve`: same 422s).
2. **Ask** every source named for each chain (`[lookups.chains.<chain>] sources`, default `watcher`) that
   `serves` it, all at once. A source that fails is a coverage entry `complete: false` saying so; when no
   source answered at all (or none is configured) the lookup is a 503 `unavailable`: nothing is known.
3. **Merge** finds by (chain, tx hash), keeping the richest (in a block over the mempool, more payments).
4. **Judge** the newest `max_results` with `verdict.decide`, as a check would: finds a source vouches for at
   its tip (the watcher's index) with no node call; the others with one `observe_many` per chain. The
   address's owner is read once per chain.
5. **Narrow and rank**: `asset` keeps deposits that paid it; `since` those in blocks at or after it;
   `expected_amount` puts exact amounts first. `truncated` says a cap was hit.
"""

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

import redis.asyncio as redis

from deposit_check.chains import Chain
from deposit_check.config import LookupsConfig
from deposit_check.errors import NodeUnavailable
from deposit_check.lookups import Coverage, Found, LookupSource, SourceAnswer
from deposit_check.lookups.schemas import CoverageOut, LookupDeposit, LookupRequest, LookupResponse
from deposit_check.models import AmountStatus, Observation, Status
from deposit_check.ownership import Owner
from deposit_check.schemas import CheckResponse
from deposit_check.service import CheckService
from deposit_check.verdict import Expectation, Verdict, decide

log = logging.getLogger(__name__)


@dataclass
class _Find:
    found: Found
    tip: int | None  # the tip its source vouches for it at; None: ask the chain
    sources: list[str]


class LookupService:
    def __init__(self, checks: CheckService, sources: dict[str, LookupSource], config: LookupsConfig) -> None:
        self.checks = checks
        self.sources = sources
        self.config = config

    async def lookup(self, req: LookupRequest) -> LookupResponse:
        pairs = self.checks.resolve(req.address, req.chain, req.asset, req.expected_amount)
        asks = [
            (chain, address, source)
            for chain, address in pairs
            for name in self.config.sources_of(chain.name).sources
            if (source := self.sources.get(name)) is not None and source.serves(chain)
        ]
        if not asks:
            names = ", ".join(c.name for c, _ in pairs)
            raise NodeUnavailable(f"no lookup source is configured for {names}", chain=pairs[0][0].name)
        answers = await asyncio.gather(*(self._ask(c, a, s, req.since) for c, a, s in asks))
        if all(isinstance(a, NodeUnavailable) for a in answers):
            raise NodeUnavailable("; ".join(a.message for a in answers if isinstance(a, NodeUnavailable)))
        coverage: list[Coverage] = []
        finds: dict[tuple[str, str], _Find] = {}
        truncated = False
        for (chain, _, source), answer in zip(asks, answers, strict=True):
            if isinstance(answer, NodeUnavailable):
                coverage.append(
                    Coverage(source.name, chain.name, complete=False, note=f"unavailable: {answer.message}")
                )
                continue
            coverage.append(answer.coverage)
            truncated = truncated or answer.truncated
            for found in answer.found:
                _merge(finds, found, answer.tip, source.name)
        kept = [f for f in finds.values() if _wanted(f.found, req)]
        kept.sort(key=_newest_first)
        truncated = truncated or len(kept) > self.config.max_results
        verdicts = await self._judge(kept[: self.config.max_results], dict(pairs), req)
        if req.asset is not None:
            verdicts = [(v, f) for v, f in verdicts if v.status is not Status.WRONG_ASSET]
        if req.expected_amount is not None:
            verdicts.sort(key=lambda pair: pair[0].amount_status is not AmountStatus.EXACT)  # stable: newest first
        now = datetime.now(UTC)
        return LookupResponse(
            chains=[c.name for c, _ in pairs],
            deposits=[_deposit(v, f, now, self.checks.names) for v, f in verdicts],
            coverage=[CoverageOut(**{**c.__dict__, "assets": list(c.assets)}) for c in coverage],
            complete=all(c.complete for c in coverage),
            truncated=truncated,
            checked_at=now,
        )

    async def _ask(
        self, chain: Chain, address: str, source: LookupSource, since: datetime | None
    ) -> SourceAnswer | NodeUnavailable:
        try:
            return await source.find(chain, address, since, self.config.max_finds)
        except NodeUnavailable as exc:
            log.warning("lookup source %s on %s unavailable: %s", source.name, chain.name, exc.message)
            return exc

    async def _judge(
        self, finds: list[_Find], addresses: dict[Chain, str], req: LookupRequest
    ) -> list[tuple[Verdict, _Find]]:
        """Each find's verdict: at its source's tip, or from the chain's own answer (one batch per chain)."""
        by_chain: dict[str, Chain] = {c.name: c for c in addresses}
        owners: dict[str, Owner] = {}
        for name in dict.fromkeys(f.found.chain for f in finds):
            chain = by_chain[name]
            try:
                owners[name] = await self.checks.ownership.owner_of(name, addresses[chain])
            except (redis.RedisError, OSError) as exc:
                raise NodeUnavailable(f"ownership index unavailable: {exc}", chain=name) from exc
        observed: dict[tuple[str, str], Observation] = {}
        for name in owners:
            chain = by_chain[name]
            ask = [f.found.tx_hash for f in finds if f.found.chain == name and f.tip is None]
            if ask:
                seen = await chain.observe_many([(tx, addresses[chain]) for tx in ask])
                observed.update({(name, tx): obs for tx, obs in zip(ask, seen, strict=True)})
        expected = Decimal(req.expected_amount) if req.expected_amount is not None else None
        verdicts: list[tuple[Verdict, _Find]] = []
        for f in finds:
            chain = by_chain[f.found.chain]
            obs = observed.get((chain.name, f.found.tx_hash)) or _observation(f)
            verdict = decide(
                obs,
                address=addresses[chain],
                required=chain.required_confirmations,
                native=chain.native,
                expectation=Expectation(asset=CheckService._asset(chain, req.asset), amount=expected),
                owner=owners[chain.name],
            )
            verdicts.append((verdict, f))
        return verdicts


def _merge(finds: dict[tuple[str, str], _Find], found: Found, tip: int | None, source: str) -> None:
    key = (found.chain, found.tx_hash)
    had = finds.get(key)
    if had is None:
        finds[key] = _Find(found, tip, [source])
        return
    had.sources.append(source)
    if _richness(found, tip) > _richness(had.found, had.tip):
        had.found, had.tip = found, tip


def _richness(found: Found, tip: int | None) -> tuple[bool, bool, int]:
    return found.block is not None, tip is not None, len(found.payments)


def _observation(f: _Find) -> Observation:
    found, tip = f.found, f.tip if f.tip is not None else 0
    return Observation(found.chain, found.tx_hash, True, tip, found.block, found.time, found.payments)


def _wanted(found: Found, req: LookupRequest) -> bool:
    if req.since is not None and found.time is not None and found.time < req.since:
        return False
    if req.asset is not None and found.payments:  # no payments known: judged, then narrowed by its verdict
        return any(p.asset.symbol.upper() == req.asset.upper() for p in found.payments)
    return True


def _newest_first(f: _Find) -> tuple[int, int, float]:
    block = f.found.block
    when = f.found.time.timestamp() if f.found.time else 0.0
    return (0, 0, -when) if block is None else (1, -block.height, -when)  # the mempool is newest


def _deposit(verdict: Verdict, f: _Find, now: datetime, names: Mapping[str, str]) -> LookupDeposit:
    response = CheckResponse.from_verdict(replace(verdict, account=None), [verdict.chain or f.found.chain], now, names)
    return LookupDeposit(**response.model_dump(), sources=f.sources)
