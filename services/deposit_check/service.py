"""The check: resolve which chains to ask, ask them concurrently, decide, cache.

Routes call `CheckService.check_json`; everything about chains and caching stays here.
"""

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import redis.asyncio as redis

from deposit_check import keys, metrics
from deposit_check.chains import Chain
from deposit_check.config import CacheConfig
from deposit_check.errors import (
    DepositCheckError,
    InvalidAddress,
    InvalidRequest,
    InvalidTxHash,
    NodeUnavailable,
    UnknownAsset,
    UnknownChain,
)
from deposit_check.keys import ChainKeys
from deposit_check.models import Asset, Observation, Status
from deposit_check.ownership import UNDECLARED, EntryRead, NoOwnership, Owner, Ownership
from deposit_check.schemas import CheckRequest, CheckResponse
from deposit_check.store import Store, StoreUnavailable
from deposit_check.verdict import Expectation, Verdict, decide, not_found
from deposit_check.watch.judge import verdict_of
from deposit_check.watch.registry import Registry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """One chain to ask, with the hash and address in that chain's canonical form."""

    chain: Chain
    tx_hash: str
    address: str


@dataclass(frozen=True)
class Plan:
    targets: list[Target]
    asked_chain: str | None  # None when the address format picked the chains
    asset_symbol: str | None
    expected: Decimal | None
    cache_key: str  # the verdict cached for this request
    reorg_marks: tuple[str, ...]  # set by the watcher when a reorg took a target's status back
    entry: EntryRead | None  # one chain asked, its index in the cache's Redis: the address's entry, read with the cache


@dataclass(frozen=True)
class Answer:
    """A check's answer: the response JSON, and the metric labels it is counted under."""

    body: bytes
    status: str
    chain: str  # a configured chain's name, or "none"
    cached: bool

    def stored(self) -> bytes:
        """As cached: the labels on a first line, so a hit is counted without parsing its JSON."""
        return f"{self.status} {self.chain}\n".encode() + self.body

    @classmethod
    def from_stored(cls, value: bytes) -> "Answer | None":
        head, newline, body = value.partition(b"\n")  # compact JSON holds no raw newline
        labels = head.split(b" ")
        if not newline or len(labels) != 2:
            return None  # not written by this version: a miss
        return cls(body, labels[0].decode(), labels[1].decode(), cached=True)


Followed = tuple[Target, Observation, Owner]
"""What a watch follows: the chain and canonical address, the last observation, and the address's owner."""

PLANS_KEPT = 4096
_SEALED_ACCOUNT = b'"account":"'  # where an answer's (sealed) account reference starts, when it has one
_REQUEST_FIELDS = tuple(CheckRequest.model_fields)  # every field: a new one cannot be forgotten in the key


class CheckService:
    def __init__(
        self,
        chains: dict[str, Chain],
        store: Store,
        cache: CacheConfig,
        registry: Registry | None = None,
        ownership: Ownership | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """`names`: each chain's name for people (FileConfig.display_names), for answers; default: the chain names."""
        self.chains = chains
        self.names: Mapping[str, str] = names or {}
        self.store = store
        self.cache = cache
        self.registry = registry  # None without Redis: nothing can be watched
        self.ownership: Ownership = ownership or NoOwnership()  # built once at start-up (app.py)
        # Plans of recent requests, oldest first. Normalizing the hash and the address costs more than
        # the rest of a cache hit (bitcoinlib's pure-Python base58/bech32, EIP-55 keccak), and a plan
        # depends only on the request and the chains, which never change after start-up.
        self._plans: dict[tuple[object, ...], Plan] = {}
        self._versions: dict[str, int] = {}  # each chain's ownership version as last read (a guess, see _read_cache)
        # Requests whose answer is known to be cached (this process cached it, or read it), until when (monotonic):
        # their next read is most likely a hit and reads the cache alone (MGET). Any other request reads its
        # address's ownership entry along (a Lua script): on a hit that costs ~5% of a cached check more than a
        # bare MGET here (Redis answers later, and the process sleeps and wakes for it; docs/benchmarks.md).
        # Both ways are correct; this only picks the cheaper guess.
        self._cached_until: dict[str, float] = {}

    def forget(self) -> None:
        """Drop what this process remembers of requests (plans, answers it knows cached), as a new process
        would start: for benches and tests of a request never seen."""
        self._plans.clear()
        self._cached_until.clear()

    def _expect_cached(self, plan: Plan, seconds: float) -> None:
        if seconds <= 0:
            return
        if len(self._cached_until) >= PLANS_KEPT and plan.cache_key not in self._cached_until:
            del self._cached_until[next(iter(self._cached_until))]
        self._cached_until[plan.cache_key] = time.monotonic() + seconds

    # -- planning: pure, no I/O, every 422 comes from here ---------------------------------

    def plan(self, req: CheckRequest) -> Plan:
        """The chains to ask and the canonical hash and address for each; remembered per request."""
        key = tuple(getattr(req, name) for name in _REQUEST_FIELDS)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._make_plan(req)  # an invalid request raises: nothing is remembered
            if len(self._plans) >= PLANS_KEPT:
                del self._plans[next(iter(self._plans))]
            self._plans[key] = plan
        return plan

    def resolve(
        self, address: str, chain: str | None, asset: str | None, expected_amount: str | None
    ) -> list[tuple[Chain, str]]:
        """The chains an address is asked about, with its canonical form on each, as a check resolves them (a
        lookup by address asks the same ones): the named chain, or every chain whose format accepts it, narrowed
        by the asset; 422s for an unknown chain or asset, a bad address, an amount finer than the asset."""
        if chain is not None:
            named = self._named_chain(chain)
            pairs = [(named, named.normalize_address(address))]
        else:
            pairs = []
            for candidate in self.chains.values():
                try:
                    pairs.append((candidate, candidate.normalize_address(address)))
                except InvalidAddress:
                    continue
            if not pairs:
                raise self._no_chain_for(address)
            pairs = self._with_asset(pairs, asset)
        self._check_amount([c for c, _ in pairs], asset, expected_amount)
        return pairs

    def _named_chain(self, name: str) -> Chain:
        chain = self.chains.get(name)
        if chain is None:
            known = ", ".join(sorted(self.chains)) or "none"
            raise UnknownChain(f"unknown chain {name!r}; configured chains: {known}")
        return chain

    def _no_chain_for(self, address: str) -> InvalidAddress:
        known = ", ".join(sorted(self.chains)) or "none"
        return InvalidAddress(
            f"{address!r} is not an address of any configured chain ({known}); check it, or name the chain"
        )

    @staticmethod
    def _with_asset(pairs: list[tuple[Chain, str]], asset: str | None) -> list[tuple[Chain, str]]:
        """With no chain named, the asset narrows the search to chains that know it."""
        if asset is None:
            return pairs
        with_asset = [(c, a) for c, a in pairs if asset.upper() in c.assets()]
        if not with_asset:
            known = "; ".join(f"{c.name}: {', '.join(sorted(c.assets()))}" for c, _ in pairs)
            raise UnknownAsset(f"unknown asset {asset!r} (known: {known})")
        return with_asset

    def _check_amount(self, chains: list[Chain], asset: str | None, expected_amount: str | None) -> None:
        expected = Decimal(expected_amount) if expected_amount is not None else None
        for chain in chains:
            of = self._asset(chain, asset) or chain.native
            if expected is not None:
                try:
                    of.to_base_units(expected)
                except ValueError as exc:
                    raise InvalidRequest(f"expected_amount: {exc}") from exc

    def _make_plan(self, req: CheckRequest) -> Plan:
        if req.chain is not None:
            targets = [self._target(self._named_chain(req.chain), req)]
        else:
            targets = self._targets_by_address(req)
            kept = {id(c) for c, _ in self._with_asset([(t.chain, t.address) for t in targets], req.asset)}
            targets = [t for t in targets if id(t.chain) in kept]
        self._check_amount([t.chain for t in targets], req.asset, req.expected_amount)
        expected = Decimal(req.expected_amount) if req.expected_amount is not None else None
        asset_symbol = req.asset.upper() if req.asset else None
        first = targets[0]
        cache_key = keys.check(
            first.chain.name, req.chain, first.tx_hash, first.address, asset_symbol, req.expected_amount
        )
        marks = tuple(ChainKeys(t.chain.name).reorged(t.tx_hash) for t in targets)
        entry = self.ownership.entry_read(first.chain.name, first.address) if len(targets) == 1 else None
        return Plan(targets, req.chain, asset_symbol, expected, cache_key, marks, entry)

    def _target(self, chain: Chain, req: CheckRequest) -> Target:
        return Target(chain, chain.normalize_tx_hash(req.tx_hash), chain.normalize_address(req.address))

    def _targets_by_address(self, req: CheckRequest) -> list[Target]:
        targets: list[Target] = []
        hash_error: InvalidTxHash | None = None
        for chain in self.chains.values():
            try:
                address = chain.normalize_address(req.address)
            except InvalidAddress:
                continue
            try:
                targets.append(Target(chain, chain.normalize_tx_hash(req.tx_hash), address))
            except InvalidTxHash as exc:
                hash_error = exc
        if targets:
            return targets
        if hash_error is not None:
            raise hash_error
        raise self._no_chain_for(req.address)

    @staticmethod
    def _asset(chain: Chain, symbol: str | None) -> Asset | None:
        if symbol is None:
            return None
        asset = chain.assets().get(symbol.upper())
        if asset is None:
            known = ", ".join(sorted(chain.assets()))
            raise UnknownAsset(f"unknown asset {symbol!r} on {chain.name}; known: {known}")
        return asset

    # -- checking ----------------------------------------------------------------------------

    async def check(self, plan: Plan) -> Verdict:
        verdict, _ = await self._evaluate(plan)
        return verdict

    async def _evaluate(self, plan: Plan, owner: Owner | None = None) -> tuple[Verdict, list[Followed]]:
        """The verdict, and what a watch would follow (none for a wrong network): each observation with the
        owner of its chain's address, so that the watcher decides as this check did. `owner`: the asked
        chain's, when already read (with the cache, `_read_cache`)."""
        first = plan.targets[0]
        if len(plan.targets) == 1 and owner is None:
            # One chain: its owner is known before the node answers, so ask both at once.
            observations, owner = await asyncio.gather(self._observe_all(plan.targets), self._owner(first))
        else:
            observations = await self._observe_all(plan.targets)
        found = [(t, o) for t, o in observations if isinstance(o, Observation) and o.found]
        if found:
            target, obs = max(found, key=lambda pair: (bool(pair[1].payments), pair[1].confirmations))
            if owner is None or target is not first:
                owner = await self._owner(target)
            return self._decide(plan, target, obs, None, owner), [(target, obs, owner)]
        failures = [o for _, o in observations if isinstance(o, NodeUnavailable)]
        if failures:
            # One chain that did not answer means we do not know: never "not found".
            raise NodeUnavailable("; ".join(f.message for f in failures), chain=failures[0].chain)
        unknown = [(t, o) for t, o in observations if isinstance(o, Observation)]
        replaced = await self._replaced(unknown)
        if replaced is not None:
            return replaced, []
        elsewhere = await self._look_elsewhere(plan)
        if elsewhere is not None:
            # About the asked chain's address: its owner is the asked chain's.
            owner = owner or await self._owner(first)
            target, obs = elsewhere
            return self._decide(plan, target, obs, first.chain.name, owner), []
        # Not found: it may yet appear on any chain searched, each decided with its own chain's owner.
        owners = [owner] if owner is not None else await asyncio.gather(*(self._owner(t) for t, _ in unknown))
        # Chains whose owners differ: no one owner for a verdict about none of them.
        owner = owners[0] if len(set(owners)) == 1 else UNDECLARED
        verdict = not_found(
            first.tx_hash,
            first.address,
            first.chain.name if len(plan.targets) == 1 else None,
            first.chain.required_confirmations,
            plan.expected,
            owner,
        )
        return verdict, [(t, o, w) for (t, o), w in zip(unknown, owners, strict=True)]

    async def _owner(self, target: Target) -> Owner:
        """Whose the target's address is; an index that does not answer is `unavailable` (503): a check
        must not fall back to "not verified" where ownership is declared."""
        try:
            return await self.ownership.owner_of(target.chain.name, target.address)
        except (redis.RedisError, OSError) as exc:
            raise NodeUnavailable(f"ownership index unavailable: {exc}", chain=target.chain.name) from exc

    async def _owner_from(self, entry: EntryRead, values: list[bytes | None]) -> Owner:
        """`_owner`, from the entry read with the cached answer (no lookup of its own)."""
        try:
            return await self.ownership.owner_from(entry, values)
        except (redis.RedisError, OSError) as exc:
            raise NodeUnavailable(f"ownership index unavailable: {exc}", chain=entry.chain) from exc

    async def _cache_key(self, plan: Plan) -> str:
        """The plan's cache key under the asked chains' ownership versions (one round trip, chains at once)."""
        try:
            if len(plan.targets) == 1:  # the common case, without gather's tasks
                versions = [await self.ownership.version(plan.targets[0].chain.name)]
            else:
                versions = await asyncio.gather(*(self.ownership.version(t.chain.name) for t in plan.targets))
        except (redis.RedisError, OSError) as exc:
            raise NodeUnavailable(f"ownership index unavailable: {exc}", chain=plan.targets[0].chain.name) from exc
        return keys.check_under_ownership(plan.cache_key, tuple(versions))

    async def _read_cache(self, plan: Plan) -> tuple[str, Answer | None, Owner | None]:
        """The plan's cache key, its cached answer unless a reorg has since taken a status back, and on a miss
        the owner of the plan's address when it was read with them (None: ask the index).

        Where the ownership versions live in the cache's Redis, they are read in the same command as the answer
        cached under the versions last seen (one round trip, as without ownership: a second one costs a
        cached check a third of its time); only after an import or a delete do they differ, and the answer
        is read again under the new ones. On a miss the same command reads the address's ownership entry
        (`plan.entry`), so a cold check makes no lookup of its own either."""
        chains = [t.chain.name for t in plan.targets]
        version_keys = [self.ownership.version_key(c) for c in chains]
        known = [k for k in version_keys if k is not None]
        guess = tuple(self._versions.get(c, 0) for c in chains)
        cache_key = keys.check_under_ownership(plan.cache_key, guess) if known else await self._cache_key(plan)
        likely_hit = self._cached_until.get(plan.cache_key, 0.0) > time.monotonic()
        fields = plan.entry.fields if plan.entry is not None and known and not likely_hit else ()
        try:
            (cached, *rest), entry = await self.store.get_many_or_fields([cache_key, *known, *plan.reorg_marks], fields)
        except StoreUnavailable as exc:
            log.warning("cache unavailable, checking without it: %s", exc)
            return (await self._cache_key(plan) if known else cache_key), None, None
        read, reorged = rest[: len(known)], rest[len(known) :]
        if known:
            if len(known) < len(chains) or None in read:  # a version never written or not in this Redis: ask
                versioned = await self._cache_key(plan)
                entry = None  # nor can the entry read there be trusted: the index may live elsewhere
            else:
                versions = tuple(int(v or 0) for v in read)
                self._versions.update(zip(chains, versions, strict=True))
                versioned = keys.check_under_ownership(plan.cache_key, versions)
            if versioned != cache_key:
                cache_key = versioned
                try:
                    [cached] = await self.store.get_many([cache_key])
                except StoreUnavailable as exc:
                    log.warning("cache unavailable, checking without it: %s", exc)
                    return cache_key, None, None
        answer = Answer.from_stored(cached) if cached is not None and not any(reorged) else None
        if answer is not None and not likely_hit:
            self._expect_cached(plan, self.cache.pending_ttl_seconds)  # cached for at least that long, likely
        if answer is not None or entry is None or plan.entry is None:
            return cache_key, answer, None
        # Read in the same command as the versions: the owner as of the index version this answer is keyed on.
        return cache_key, None, await self._owner_from(plan.entry, entry)

    async def _replaced(self, unknown: list[tuple[Target, Observation]]) -> Verdict | None:
        """A tx the nodes no longer know may be one the watcher saw replaced: say so, not "not found"."""
        if self.registry is None:
            return None
        for target, _ in unknown:
            try:
                watch = await self.registry.watched(target.chain.name, target.tx_hash)
            except (redis.RedisError, OSError) as exc:
                # Without Redis we cannot know of a replacement: the node's word stands.
                log.warning("watch state unavailable: %s", exc)
                return None
            if watch is not None and watch.replaced_by:
                # With the owner the index gives now, as the watcher decides (and a record written before accounts
                # were sealed never reaches an answer).
                return verdict_of(target.chain, watch.with_(owner=await self._owner(target)))
        return None

    async def _observe_all(self, targets: list[Target]) -> list[tuple[Target, Observation | NodeUnavailable]]:
        async def one(t: Target) -> Observation | NodeUnavailable:
            try:
                return await t.chain.observe(t.tx_hash, t.address)
            except NodeUnavailable as exc:
                log.warning("chain %s unavailable: %s", t.chain.name, exc.message)
                return exc

        results = await asyncio.gather(*(one(t) for t in targets))
        return list(zip(targets, results, strict=True))

    async def _look_elsewhere(self, plan: Plan) -> tuple[Target, Observation] | None:
        """Find the tx on another configured chain that takes the same hash: with the address where that chain
        takes it too, else (another family: a TRC-20 hash asked with an 0x address, an ERC-20 one with a T...)
        the tx alone, which pays nobody asked about, so the verdict credits nothing. Its target keeps the
        asked address: the verdict is about it."""
        asked = {t.chain.name for t in plan.targets}
        first = plan.targets[0]
        others: list[tuple[Target, bool]] = []  # (target, whether the address is that chain's)
        for chain in self.chains.values():
            if chain.name in asked:
                continue
            try:
                tx_hash = chain.normalize_tx_hash(first.tx_hash)
            except DepositCheckError:
                continue
            try:
                others.append((Target(chain, tx_hash, chain.normalize_address(first.address)), True))
            except DepositCheckError:
                others.append((Target(chain, tx_hash, first.address), False))

        async def one(target: Target, own: bool) -> Observation | None:
            try:
                if own:
                    return await target.chain.observe(target.tx_hash, target.address)
                return await target.chain.observe_tx(target.tx_hash)
            except NodeUnavailable as exc:  # a hint only: the asked chains' answer stands
                log.warning("chain %s unavailable: %s", target.chain.name, exc.message)
                return None

        seen = await asyncio.gather(*(one(t, own) for t, own in others))
        for (target, _), obs in zip(others, seen, strict=True):
            if obs is not None and obs.found:
                return target, obs
        return None

    def _decide(self, plan: Plan, target: Target, obs: Observation, asked_chain: str | None, owner: Owner) -> Verdict:
        return decide(
            obs,
            address=target.address,
            required=target.chain.required_confirmations,
            native=target.chain.native,
            expectation=Expectation(
                asset=self._asset(target.chain, plan.asset_symbol) if asked_chain is None else None,
                amount=plan.expected,
            ),
            asked_chain=asked_chain,
            owner=owner,
        )

    # -- the API path: cache in front of check ------------------------------------------------

    async def check_json(self, req: CheckRequest) -> tuple[bytes, bool]:
        """Answer a request as JSON bytes; the flag says whether it came from the cache.

        With `watch`, the cache is not read: the watch is registered from a fresh observation.
        """
        started = time.perf_counter()
        try:
            answer = await self._answer(req)
            body = self._opened(answer.body, answer.chain)
        except NodeUnavailable as exc:
            asked = exc.chain if exc.chain in self.chains else req.chain
            metrics.checked(asked if asked in self.chains else "none", Status.UNAVAILABLE, "miss")
            raise
        except DepositCheckError:
            metrics.checked(req.chain if req.chain in self.chains else "none", "invalid", "miss")
            raise
        cache = "hit" if answer.cached else "miss"
        metrics.checked(answer.chain, answer.status, cache, time.perf_counter() - started)
        return body, answer.cached

    def _opened(self, body: bytes, chain: str) -> bytes:
        """The answer with its account reference opened: kept sealed (the cache, watch records), it is in the
        clear only here, in the HTTP answer. A reference that no longer opens (the secret changed) is a 503, as
        an index that does not answer: never an answer without the account it had."""
        at = body.find(_SEALED_ACCOUNT)  # compact JSON: a quote inside a string value is escaped, so only the field
        if at < 0:
            return body
        start = at + len(_SEALED_ACCOUNT)
        end = body.index(b'"', start)
        try:
            account = self.ownership.open_account(body[start:end].decode())
        except ValueError as exc:
            raise NodeUnavailable(f"ownership index unavailable: {exc}", chain=chain) from None
        return body[:start] + json.dumps(account)[1:-1].encode() + body[end:]

    async def _answer(self, req: CheckRequest) -> Answer:
        plan = self.plan(req)
        owner = None
        if req.watch:
            cache_key = await self._cache_key(plan)
        else:
            cache_key, answer, owner = await self._read_cache(plan)
            if answer is not None:
                return answer
        verdict, followed = await self._evaluate(plan, owner)
        response = CheckResponse.from_verdict(
            verdict, [t.chain.name for t in plan.targets], datetime.now(UTC), self.names
        )
        if req.watch:
            response.watching = await self._watch(plan, verdict, followed)
        about = verdict.chain or verdict.found_on or req.chain
        answer = Answer(
            response.model_dump_json().encode(),
            verdict.status.value,
            about if about in self.chains else "none",
            cached=False,
        )
        ttl = self.cache.final_ttl_seconds if verdict.final else self.cache.pending_ttl_seconds
        try:
            await self.store.set(cache_key, answer.stored(), ttl)
        except StoreUnavailable as exc:
            log.warning("cache unavailable, verdict not cached: %s", exc)
        else:
            self._expect_cached(plan, ttl)
        return answer

    async def _watch(self, plan: Plan, verdict: Verdict, followed: list[Followed]) -> bool:
        """Ask the watcher to follow the deposit on each chain it may be on; False when it cannot.

        Each watch keeps the owner this check knew of its chain's address, so the watcher can never say
        `confirmed` where this check would say `not_our_address`."""
        if self.registry is None or not followed:
            return False
        try:
            results = [
                await self.registry.watch(
                    obs, target.address, verdict.status, plan.asset_symbol, _text(plan.expected), owner
                )
                for target, obs, owner in followed
            ]
        except (redis.RedisError, OSError) as exc:
            log.warning("watch not registered, Redis unavailable: %s", exc)
            return False
        return any(results)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
