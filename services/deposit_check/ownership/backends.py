"""Where the index lives: Redis (a chain's keys in its hash slot) or a dict (one process, no REDIS_URL).

Both hold the same bytes (codec.py); only the index (index.py) decides what they mean.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as redis

from deposit_check.keys import ChainKeys
from deposit_check.ownership.codec import Slot
from deposit_check.ownership.errors import OwnershipUnavailable
from deposit_check.watch.lease import Lease, LostLease
from desk_common.redis_text import text


@dataclass
class Change:
    """One write of an import or a delete: values set, slots removed, how the address count moves."""

    puts: list[tuple[Slot, bytes]] = field(default_factory=list)
    removes: list[Slot] = field(default_factory=list)
    count_delta: int = 0


class Backend(Protocol):
    async def read(self, chain: str, slots: list[Slot]) -> list[bytes | None]: ...

    async def lookup(self, chain: str, slots: list[Slot]) -> tuple[list[bytes | None], int]:
        """The slots' values and the chain's address count, in one round trip."""
        ...

    def entry_fields(self, chain: str, slot: Slot) -> tuple[tuple[str, bytes], ...] | None:
        """The (hash key, field) pairs `lookup` reads for `slot`, the slot's value then the count; None outside
        Redis."""
        ...

    async def write(self, chain: str, change: Change) -> None:
        """All of it or none (one transaction); bumps the version."""
        ...

    async def write_derived(
        self, chain: str, puts: list[tuple[Slot, bytes]], progress: dict[str, int], fence: Lease | None
    ) -> int:
        """Set each value whose slot is empty (an entry already there, imported or derived, is kept) and move
        each branch's progress ("<key>:<branch>" -> next index to derive) forward, never back; the version is
        bumped when something was added. All of it or none, and with `fence` only while that lease is held
        (LostLease otherwise). The number added."""
        ...

    async def meta(self, chain: str) -> tuple[int, int]:
        """(address count, version)."""
        ...

    def version_key(self, chain: str) -> str | None:
        """The Redis key holding the chain's version as an integer string; None outside Redis."""
        ...

    async def mark_used(self, chain: str, marks: dict[str, int]) -> None:
        """Remember each index as used for its key's branch (member) when it is above what is remembered."""
        ...

    async def used(self, chain: str) -> dict[str, int]: ...

    async def progress(self, chain: str) -> dict[str, int]: ...


class MemoryBackend:
    kind = "memory"

    def __init__(self) -> None:
        self._values: dict[tuple[str, int, bytes], bytes] = {}
        self._meta: dict[str, list[int]] = {}
        self._used: dict[str, dict[str, int]] = {}
        self._progress: dict[str, dict[str, int]] = {}

    async def read(self, chain: str, slots: list[Slot]) -> list[bytes | None]:
        return [self._values.get((chain, s.bucket, s.field)) for s in slots]

    async def lookup(self, chain: str, slots: list[Slot]) -> tuple[list[bytes | None], int]:
        values = [self._values.get((chain, s.bucket, s.field)) for s in slots]
        return values, self._meta.get(chain, [0, 0])[0]

    def entry_fields(self, chain: str, slot: Slot) -> tuple[tuple[str, bytes], ...] | None:
        return None

    async def write(self, chain: str, change: Change) -> None:
        for slot, value in change.puts:
            self._values[(chain, slot.bucket, slot.field)] = value
        for slot in change.removes:
            self._values.pop((chain, slot.bucket, slot.field), None)
        meta = self._meta.setdefault(chain, [0, 0])
        meta[0] += change.count_delta
        meta[1] += 1

    async def write_derived(
        self, chain: str, puts: list[tuple[Slot, bytes]], progress: dict[str, int], fence: Lease | None
    ) -> int:
        """`fence` is not looked at: an index in this process has one writer (leases live in Redis)."""
        added = 0
        for slot, value in puts:
            if (chain, slot.bucket, slot.field) not in self._values:
                self._values[(chain, slot.bucket, slot.field)] = value
                added += 1
        meta = self._meta.setdefault(chain, [0, 0])
        meta[0] += added
        meta[1] += 1 if added else 0
        kept = self._progress.setdefault(chain, {})
        for member, index in progress.items():
            kept[member] = max(kept.get(member, 0), index)
        return added

    async def meta(self, chain: str) -> tuple[int, int]:
        count, version = self._meta.get(chain, [0, 0])
        return count, version

    def version_key(self, chain: str) -> str | None:
        return None

    async def mark_used(self, chain: str, marks: dict[str, int]) -> None:
        used = self._used.setdefault(chain, {})
        for member, index in marks.items():
            used[member] = max(used.get(member, -1), index)

    async def used(self, chain: str) -> dict[str, int]:
        return dict(self._used.get(chain, {}))

    async def progress(self, chain: str) -> dict[str, int]:
        return dict(self._progress.get(chain, {}))


# A lookup as one command, whatever the number of addresses (a watcher's block may decide hundreds): a
# pipeline costs redis-py about twice the CPU of one command per command in it (docs/benchmarks.md). KEYS:
# the chain's meta hash, then each address's bucket; ARGV: each address's field. Every key is in the chain's
# hash slot. An absent field is Lua's false (not nil, which would cut the list short), answered as nil.
_LOOKUP = """
local out = {}
for i = 1, #ARGV do out[i] = redis.call('HGET', KEYS[i + 1], ARGV[i]) end
out[#ARGV + 1] = redis.call('HGET', KEYS[1], 'count')
return out
"""


# Derivation's write, fenced by the chain's derivation lease: a loop that lost it (paused past its TTL, then
# resumed) writes nothing, so its successor's progress is never taken back nor its addresses counted twice.
# KEYS: the lease, the meta hash, the progress hash, the version, then each entry's bucket; ARGV: the
# lease's holder ("" without a lease), the number of progress pairs, those pairs, then each entry's
# field and value. Answers the number added, or -1 when the lease is not held. One chain: one hash slot.
_WRITE_DERIVED = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local progressed = tonumber(ARGV[2])
local added = 0
for i = 5, #KEYS do
    local at = 3 + 2 * progressed + 2 * (i - 5)
    added = added + redis.call('HSETNX', KEYS[i], ARGV[at], ARGV[at + 1])
end
for j = 0, progressed - 1 do
    local member, index = ARGV[3 + 2 * j], tonumber(ARGV[4 + 2 * j])
    if index > tonumber(redis.call('HGET', KEYS[3], member) or '0') then redis.call('HSET', KEYS[3], member, index) end
end
if added > 0 then
    redis.call('HINCRBY', KEYS[2], 'count', added)
    redis.call('INCR', KEYS[4])
end
return added
"""


class RedisBackend:
    """Buckets are hashes of a few dozen fields: Redis keeps them listpack-encoded (compact)."""

    kind = "redis"

    def __init__(self, client: "redis.Redis", timeout_seconds: float = 2.0) -> None:
        """`client` without decode_responses: values are bytes."""
        self._redis = client
        self._timeout = timeout_seconds
        self._lookup = client.register_script(_LOOKUP)
        self._write_derived = client.register_script(_WRITE_DERIVED)
        self._chain_keys: dict[str, ChainKeys] = {}

    def _keys(self, chain: str) -> ChainKeys:
        """A chain's key names, built once (a dozen f-strings: a few percent of a cached check)."""
        keys = self._chain_keys.get(chain)
        if keys is None:
            keys = self._chain_keys[chain] = ChainKeys(chain)
        return keys

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (redis.RedisError, OSError) as exc:  # TimeoutError is an OSError
            raise OwnershipUnavailable(f"ownership index: {exc or type(exc).__name__}") from exc

    async def read(self, chain: str, slots: list[Slot]) -> list[bytes | None]:
        keys = self._keys(chain)
        with self._guard():
            async with asyncio.timeout(self._timeout + len(slots) / 20_000):
                pipe = self._redis.pipeline(transaction=False)
                for s in slots:
                    pipe.hget(keys.owned(s.bucket), s.field)
                values: list[bytes | None] = await pipe.execute()
                return values

    async def lookup(self, chain: str, slots: list[Slot]) -> tuple[list[bytes | None], int]:
        keys = self._keys(chain)
        with self._guard():
            async with asyncio.timeout(self._timeout + len(slots) / 20_000):
                buckets = [keys.owned(s.bucket) for s in slots]
                *values, count = await self._lookup(keys=[keys.owned_meta, *buckets], args=[s.field for s in slots])
                return values, int(count or 0)

    def entry_fields(self, chain: str, slot: Slot) -> tuple[tuple[str, bytes], ...] | None:
        keys = self._keys(chain)
        return (keys.owned(slot.bucket), slot.field), (keys.owned_meta, b"count")

    async def write(self, chain: str, change: Change) -> None:
        keys = self._keys(chain)
        with self._guard():
            async with asyncio.timeout(self._timeout + (len(change.puts) + len(change.removes)) / 10_000):
                pipe = self._redis.pipeline(transaction=True)  # every key in the chain's slot
                for slot, value in change.puts:
                    pipe.hset(keys.owned(slot.bucket), slot.field, value)
                for slot in change.removes:
                    pipe.hdel(keys.owned(slot.bucket), slot.field)
                if change.count_delta:
                    pipe.hincrby(keys.owned_meta, "count", change.count_delta)
                pipe.incr(keys.owned_version)
                await pipe.execute()

    async def write_derived(
        self, chain: str, puts: list[tuple[Slot, bytes]], progress: dict[str, int], fence: Lease | None
    ) -> int:
        keys = self._keys(chain)
        lease_key = keys.owned_lease if fence is None else fence.key
        buckets = [keys.owned(slot.bucket) for slot, _ in puts]
        args: list[bytes | str | int] = ["" if fence is None else fence.owner, len(progress)]
        for member, index in progress.items():
            args += [member, index]
        for slot, value in puts:
            args += [slot.field, value]
        with self._guard():
            async with asyncio.timeout(self._timeout + len(puts) / 10_000):
                added = int(
                    await self._write_derived(
                        keys=[lease_key, keys.owned_meta, keys.owned_derived, keys.owned_version, *buckets], args=args
                    )
                )
        if added < 0:
            raise LostLease(lease_key)
        return added

    async def meta(self, chain: str) -> tuple[int, int]:
        keys = self._keys(chain)
        with self._guard():
            async with asyncio.timeout(self._timeout):
                pipe = self._redis.pipeline(transaction=False)
                pipe.hget(keys.owned_meta, "count")
                pipe.get(keys.owned_version)
                count, version = await pipe.execute()
                return int(count or 0), int(version or 0)

    def version_key(self, chain: str) -> str | None:
        return self._keys(chain).owned_version

    async def mark_used(self, chain: str, marks: dict[str, int]) -> None:
        with self._guard():
            async with asyncio.timeout(self._timeout):
                await self._redis.zadd(self._keys(chain).owned_used, marks, gt=True)

    async def used(self, chain: str) -> dict[str, int]:
        with self._guard():
            async with asyncio.timeout(self._timeout):
                pairs: list[Any] = await self._redis.zrange(self._keys(chain).owned_used, 0, -1, withscores=True)
                return {text(m): int(score) for m, score in pairs}

    async def progress(self, chain: str) -> dict[str, int]:
        with self._guard():
            async with asyncio.timeout(self._timeout):
                raw = await self._redis.hgetall(self._keys(chain).owned_derived)
                return {text(k): int(v) for k, v in raw.items()}
