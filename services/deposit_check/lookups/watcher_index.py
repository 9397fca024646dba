"""Source `watcher`: the follower's own index of payments to the casino's addresses (Redis reads, no node call).

Writing (the follower, watch/follower.py): for each block it processes, the block's payments (`Block.payments`,
read in the same node call as the block) are matched against the ownership index in one batched read; each
payment to an owned address becomes an entry in that address's sorted set (score: the block height) and a
`deposit_seen` event, written in the block's own fenced transaction (watch/changes.py), so an entry exists
exactly when its block was processed. Payments the block cannot vouch for (EVM native value before the
receipt) are asked about first, in one batched call per block that has any. A reorg removes the entries
above the fork (`seen_log` names the addresses per height). Keys live `watcher_window_hours` after their
last entry; at most `watcher_max_per_address` entries an address are kept (newest).

Reading (`WatcherSource.find`): the cursor, the index's start and the address's newest entries in one
pipeline; the coverage is the window the index holds (from its first block, or the window's start, to the
cursor), complete only for an owned address of a chain with ownership declared.
"""

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import redis.asyncio as redis

from deposit_check.chains import Chain
from deposit_check.config import LookupsConfig
from deposit_check.errors import DepositCheckError, NodeUnavailable
from deposit_check.keys import ChainKeys, seen_digest
from deposit_check.lookups import Coverage, Found, SourceAnswer
from deposit_check.models import Asset, Block, BlockPayment, BlockRef, Observation, Payment
from deposit_check.ownership import NoOwnership, Owner, Ownership
from deposit_check.verdict import Expectation, Verdict, decide
from desk_common.redis_text import text

NAME = "watcher"


@dataclass(frozen=True)
class Seen:
    """One payment (per tx and address, summed per asset) the watcher saw reach an owned address."""

    address: str  # canonical for the chain
    tx_hash: str
    block: BlockRef
    time: datetime | None
    payments: tuple[Payment, ...]

    def to_json(self) -> str:
        """The stored entry (the address is the key's): short, no account, no owner."""
        return json.dumps(
            {
                "tx": self.tx_hash,
                "h": self.block.height,
                "b": self.block.hash,
                "t": int(self.time.timestamp()) if self.time else None,
                "p": [[p.asset.symbol, p.asset.decimals, p.asset.contract, str(p.amount)] for p in self.payments],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, address: str, raw: str | bytes) -> "Seen":
        d = json.loads(raw)
        return cls(
            address=address,
            tx_hash=d["tx"],
            block=BlockRef(d["h"], d["b"]),
            time=datetime.fromtimestamp(d["t"], UTC) if d["t"] is not None else None,
            payments=tuple(Payment(Asset(s, dec, c), int(a)) for s, dec, c, a in d["p"]),
        )

    def observation(self, chain: str, tip: int) -> Observation:
        """As a check would observe it at `tip`: found, in its block, paying what it paid."""
        return Observation(chain, self.tx_hash, True, tip, self.block, self.time, self.payments)


def judge(chain: Chain, seen: Seen, tip: int, owner: Owner, expectation: Expectation | None = None) -> Verdict:
    """The verdict of an entry at `tip`, through the same `decide` a check uses."""
    return decide(
        seen.observation(chain.name, tip),
        address=seen.address,
        required=chain.required_confirmations,
        native=chain.native,
        expectation=expectation or Expectation(),
        owner=owner,
    )


@dataclass
class IndexWrite:
    """What a block (or a reorg) changes in the index: written by `changes.commit` in the block's transaction."""

    entries: list[Seen] = field(default_factory=list)
    ttl_seconds: int = 72 * 3600
    max_per_address: int = 10_000
    start: str | None = None  # "height:unix time": set once, when the index's first block is written
    forget_above: int | None = None  # a reorg: entries of blocks above this height are gone
    forget_digests: list[str] = field(default_factory=list)  # the addresses that had such entries

    def write(self, pipe: "redis.client.Pipeline", k: ChainKeys) -> None:
        if self.forget_above is not None:
            for digest in self.forget_digests:
                pipe.zremrangebyscore(k.seen_by_digest(digest), f"({self.forget_above}", "+inf")
            pipe.zremrangebyscore(k.seen_log, f"({self.forget_above}", "+inf")
        for seen in self.entries:
            key = k.seen(seen.address)
            pipe.zadd(key, {seen.to_json(): seen.block.height})
            pipe.zremrangebyrank(key, 0, -self.max_per_address - 1)  # the newest kept
            pipe.expire(key, self.ttl_seconds)
            pipe.zadd(k.seen_log, {f"{seen.block.height}:{seen_digest(seen.address)}": seen.block.height})
        if self.start is not None:
            pipe.set(k.seen_start, self.start, nx=True)


class Indexer:
    """The follower's side: a block's payments to owned addresses, as entries and the events announcing them."""

    def __init__(self, chain: Chain, ownership: Ownership, config: LookupsConfig) -> None:
        self.chain = chain
        self.ownership = ownership
        self.ttl_seconds = int(config.watcher_window_hours * 3600)
        self.max_per_address = config.watcher_max_per_address

    async def index(self, block: Block) -> tuple[IndexWrite, list[tuple[Seen, Verdict]]]:
        """The block's entries (one ownership read for all its recipients, by their scripts on UTXO chains: only
        the few found owned are parsed, for their canonical form; one node call when a payment to an owned
        address needs its receipt) and each one's verdict at the block's height, for its `deposit_seen` event."""
        write = IndexWrite(
            ttl_seconds=self.ttl_seconds,
            max_per_address=self.max_per_address,
            start=f"{block.height}:{int(block.time.timestamp()) if block.time else int(time.time())}",
        )
        if not block.payments or isinstance(self.ownership, NoOwnership):
            return write, []  # nothing declared can be owned: no read per block
        scripts: dict[str, str | None] = {}  # each recipient as the node spells it -> its script (UTXO)
        for p in block.payments:
            scripts.setdefault(p.address, p.script)
        recipients = list(scripts)
        identities = [s for s in scripts.values() if s is not None]
        if len(identities) == len(recipients):  # by script, the index's identity: no address parsed per output
            owners = await self.ownership.owner_of_many(self.chain.name, recipients, identities)
        else:
            owners = await self.ownership.owner_of_many(self.chain.name, [self._canonical(a) for a in recipients])
        owned = {a: o for a, o in zip(recipients, owners, strict=True) if o.ours}
        if not owned:
            return write, []
        by_pair: dict[tuple[str, str], list[BlockPayment]] = {}
        for p in block.payments:
            if p.address in owned:
                by_pair.setdefault((p.tx_hash, p.address), []).append(p)
        sure = {pair: ps for pair, ps in by_pair.items() if all(p.certain for p in ps)}
        unsure = [pair for pair in by_pair if pair not in sure]
        seen: list[tuple[Seen, Owner]] = []
        for (tx_hash, address), ps in sure.items():
            entry = Seen(self._canonical(address), tx_hash, block.ref, block.time, _summed(ps))
            seen.append((entry, owned[address]))
        if unsure:
            # The chain's own answer (receipt status, every allow-listed Transfer), as a check reads it.
            asked = [(tx_hash, self._canonical(address)) for tx_hash, address in unsure]
            for (tx_hash, address), obs in zip(unsure, await self.chain.observe_many(asked), strict=True):
                if obs.found and not obs.reverted and obs.payments and obs.block == block.ref:
                    entry = Seen(self._canonical(address), tx_hash, block.ref, block.time, obs.payments)
                    seen.append((entry, owned[address]))
        write.entries = [s for s, _ in seen]
        return write, [(s, judge(self.chain, s, block.height, owner)) for s, owner in seen]

    def _canonical(self, address: str) -> str:
        try:
            return self.chain.normalize_address(address)
        except DepositCheckError:
            return address  # a form the adapter does not parse: it is in no index either


def _summed(payments: Sequence[BlockPayment]) -> tuple[Payment, ...]:
    amounts: dict[Asset, int] = {}
    for p in payments:
        amounts[p.payment.asset] = amounts.get(p.payment.asset, 0) + p.payment.amount
    return tuple(Payment(asset, amount) for asset, amount in amounts.items())


async def forget_digests(client: redis.Redis, k: ChainKeys, above: int) -> list[str]:
    """The addresses with entries above height `above` (a reorg's fork): read before the reorg's transaction."""
    members = await client.zrangebyscore(k.seen_log, f"({above}", "+inf")
    return list(dict.fromkeys(text(m).split(":", 1)[1] for m in members))


class WatcherSource:
    """`LookupSource` over the index: what the follower saw pay an owned address within the window."""

    name = NAME

    def __init__(self, client: redis.Redis, ownership: Ownership, config: LookupsConfig) -> None:
        self.redis = client
        self.ownership = ownership
        self.window = timedelta(hours=config.watcher_window_hours)

    def serves(self, chain: Chain) -> bool:
        return True  # every family: the follower indexes what `Chain.block` reports

    async def find(self, chain: Chain, address: str, since: datetime | None, limit: int) -> SourceAnswer:
        k = ChainKeys(chain.name)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(k.cursor)
                pipe.get(k.seen_start)
                pipe.zrevrange(k.seen(address), 0, limit)  # one more than asked: tells a cap was hit
                cursor_raw, start_raw, raw = await pipe.execute()
            owner = await self.ownership.owner_of(chain.name, address)
        except (redis.RedisError, OSError) as exc:
            raise NodeUnavailable(f"{chain.name}: the watcher's index is unavailable: {exc}", chain=chain.name) from exc
        now = datetime.now(UTC)
        window_start = now - self.window
        cursor = int(text(cursor_raw).split(":", 1)[0]) if cursor_raw else None
        start_height, start_time = _start(start_raw)
        from_time = max(window_start, start_time) if start_time else window_start
        asked_from = since or from_time  # no `since`: as far back as the index keeps (coverage.from_time says where)
        note = None
        if not owner.declared:
            note = "no ownership declared for this chain: the watcher indexes only the casino's addresses"
        elif not owner.ours:
            note = "not one of the casino's declared addresses: the watcher indexes only those"
        elif cursor is None or start_height is None:
            note = "the watcher has not indexed this chain yet"
        elif asked_from < from_time:
            note = f"the watcher's index covers only from {from_time.isoformat(timespec='seconds')}"
        entries = [Seen.from_json(address, r) for r in raw]
        truncated = len(entries) > limit
        oldest = max(since, window_start) if since else window_start  # entries are all after the index's start
        kept = [e for e in entries[:limit] if e.time is None or e.time >= oldest]
        coverage = Coverage(
            source=NAME,
            chain=chain.name,
            from_block=start_height if start_time and start_time >= window_start else None,
            to_block=cursor,
            mempool=False,
            complete=note is None,
            note=note,
            from_time=max(from_time, since) if since else from_time,
        )
        found = tuple(Found(chain.name, e.tx_hash, e.block, e.time, e.payments) for e in kept)
        return SourceAnswer(found, coverage, truncated=truncated, tip=cursor)


def _start(raw: bytes | None) -> tuple[int | None, datetime | None]:
    if raw is None:
        return None, None
    height, stamp = text(raw).split(":", 1)
    return int(height), datetime.fromtimestamp(int(stamp), UTC)
