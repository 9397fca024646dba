"""A block's worth of changes to the watch state, written in one transaction fenced by the lease.

Either everything a block changed (states, indexes, events, the cursor) is written, or nothing
is: a follower killed mid-block leaves the last committed block as the cursor, and its successor
does that block again. So no event is lost and none is written twice.
"""

import json
from dataclasses import dataclass, field
from enum import StrEnum

import redis.asyncio as redis

from deposit_check.keys import ChainKeys
from deposit_check.lookups.watcher_index import IndexWrite
from deposit_check.models import BlockRef, Status
from deposit_check.verdict import SETTLED
from deposit_check.watch.lease import LostLease
from deposit_check.watch.state import Watch
from desk_common.redis_text import text

STREAM_MAXLEN = 100_000
REORG_MARK_SECONDS = 7 * 86_400  # longer than any verdict is cached
BLOCKS_KEPT = 1_000


class EventType(StrEnum):
    """An event's `type` on the stream (the contract in docs/api.md "Events")."""

    STATUS = "status"  # the status changed as blocks came
    REORG = "reorg"  # a reorganisation took a status back: a new generation
    REPLACED = "replaced"  # another tx took this one's inputs or nonce
    EXPIRED = "expired"  # never mined within the watch's hours: no longer followed
    DEPOSIT_SEEN = "deposit_seen"  # a block paid one of the casino's addresses (the watcher's index), watched or not


@dataclass
class Changes:
    puts: dict[str, tuple[Watch | None, Watch]] = field(default_factory=dict)  # tx -> (old, new)
    drops: dict[str, Watch] = field(default_factory=dict)  # tx -> old
    events: list[dict[str, str]] = field(default_factory=list)
    rechecks: dict[str, float] = field(default_factory=dict)  # unmined tx -> next look-up time
    cursor: BlockRef | None = None
    forget_blocks_above: int | None = None  # after a reorg: records of orphaned heights
    index: "IndexWrite | None" = None  # the watcher's index of payments to owned addresses (lookups/watcher_index.py)

    def put(self, old: Watch | None, new: Watch) -> None:
        first = self.puts.get(new.tx_hash)
        self.puts[new.tx_hash] = (first[0] if first else old, new)

    def drop(self, old: Watch) -> None:
        self.puts.pop(old.tx_hash, None)
        self.drops[old.tx_hash] = old

    def emit(self, kind: EventType, watch: Watch, previous: Status | None, verdict: dict[str, object]) -> None:
        self.events.append(
            {
                "type": kind.value,
                "chain": watch.chain,
                "tx_hash": watch.tx_hash,
                "status": watch.status.value,
                "previous_status": previous.value if previous else "",
                "generation": str(watch.generation),
                "verdict": json.dumps(verdict, separators=(",", ":"), default=str),
            }
        )

    def announce(self, kind: EventType, chain: str, tx_hash: str, status: Status, verdict: dict[str, object]) -> None:
        """An event about a tx nobody need be watching (`deposit_seen`): generation 0, no previous status."""
        self.events.append(
            {
                "type": kind.value,
                "chain": chain,
                "tx_hash": tx_hash,
                "status": status.value,
                "previous_status": "",
                "generation": "0",
                "verdict": json.dumps(verdict, separators=(",", ":"), default=str),
            }
        )

    def __bool__(self) -> bool:
        return bool(self.puts or self.drops or self.events or self.rechecks or self.cursor or self.index)


def _unindex_zsets(pipe: redis.client.Pipeline, k: ChainKeys, tx_hashes: list[str]) -> None:
    """One ZREM per sorted set for all of a phase's old watches: the same writes as one ZREM per watch
    (each member is that watch's own tx hash, which nothing earlier in the phase adds), fewer commands."""
    if tx_hashes:
        for zset in (k.unmined, k.expiry, k.confirming, k.settled):
            pipe.zrem(zset, *tx_hashes)


def _unindex_hashes(pipe: redis.client.Pipeline, k: ChainKeys, w: Watch) -> None:
    if w.observation.spends:
        pipe.hdel(k.spends, *w.observation.spends)
    if w.observation.sender_nonce:
        pipe.hdel(k.nonces, w.observation.sender_nonce)


def _index(pipe: redis.client.Pipeline, k: ChainKeys, w: Watch, recheck_at: float) -> None:
    block = w.observation.block
    if w.status is Status.REPLACED:
        pipe.zadd(k.expiry, {w.tx_hash: w.expires_at or recheck_at})  # kept a while, so the API can tell
        return
    if block is None:
        pipe.zadd(k.unmined, {w.tx_hash: recheck_at})
        pipe.zadd(k.expiry, {w.tx_hash: w.expires_at or recheck_at})
        for outpoint in w.observation.spends:
            pipe.hset(k.spends, outpoint, w.tx_hash)
        if w.observation.sender_nonce:
            pipe.hset(k.nonces, w.observation.sender_nonce, w.tx_hash)
    elif w.status in SETTLED:
        pipe.zadd(k.settled, {w.tx_hash: block.height})
    else:
        pipe.zadd(k.confirming, {w.tx_hash: block.height})


async def commit(client: redis.Redis, k: ChainKeys, owner: str | None, changes: Changes, recheck_at: float) -> None:
    """Write `changes` atomically; with an `owner`, only while that owner holds the chain's lease."""
    async with client.pipeline(transaction=True) as pipe:
        if owner is not None:
            await pipe.watch(k.lease)
            holder = await pipe.get(k.lease)
            if holder is None or text(holder) != owner:
                raise LostLease(k.lease)
        pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
        _unindex_zsets(pipe, k, [old.tx_hash for old, _ in changes.puts.values() if old is not None])
        for old, new in changes.puts.values():
            if old is not None:
                _unindex_hashes(pipe, k, old)
            pipe.hset(k.watches, new.tx_hash, new.to_json())
            _index(pipe, k, new, changes.rechecks.get(new.tx_hash, recheck_at))
        _unindex_zsets(pipe, k, [old.tx_hash for old in changes.drops.values()])
        for old in changes.drops.values():
            _unindex_hashes(pipe, k, old)
        if changes.drops:
            pipe.hdel(k.watches, *changes.drops)
        for tx, when in changes.rechecks.items():
            if tx not in changes.puts:
                pipe.zadd(k.unmined, {tx: when}, xx=True)
        for event in changes.events:
            pipe.xadd(k.events, event, maxlen=STREAM_MAXLEN, approximate=True)  # type: ignore[arg-type]  # redis-py's field dict is invariant in its key type
            if event["type"] == EventType.REORG:
                pipe.set(k.reorged(event["tx_hash"]), event["generation"], ex=REORG_MARK_SECONDS)
        if changes.index is not None:
            changes.index.write(pipe, k)
        if changes.forget_blocks_above is not None:
            pipe.zremrangebyscore(k.blocks, f"({changes.forget_blocks_above}", "+inf")
        if changes.cursor is not None:
            c = changes.cursor
            pipe.set(k.cursor, f"{c.height}:{c.hash}")
            pipe.zremrangebyscore(k.blocks, c.height, c.height)
            pipe.zadd(k.blocks, {f"{c.height}:{c.hash}": c.height})
            pipe.zremrangebyscore(k.blocks, "-inf", c.height - BLOCKS_KEPT)
        await pipe.execute()  # WatchError when the lease changed hands meanwhile
