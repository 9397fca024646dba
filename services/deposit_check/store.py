"""Where state lives: Redis when REDIS_URL is set, else an in-process store (single process only).

Key names come from keys.py.
"""

import asyncio
import hashlib
import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as redis
from redis.exceptions import NoScriptError

from desk_common.redis_connect import connect


class StoreUnavailable(Exception):
    """The store did not answer."""


class Store(Protocol):
    kind: str

    async def get(self, key: str) -> bytes | None: ...

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        """Several keys in one round trip."""
        ...

    async def get_many_or_fields(
        self, keys: list[str], fields: tuple[tuple[str, bytes], ...]
    ) -> tuple[list[bytes | None], list[bytes | None] | None]:
        """`keys`' values and, when the first is absent, the values of `fields` ((hash key, field) pairs) too, in
        one command; None instead of the fields' values when the first key is present or the store has none."""
        ...

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None: ...

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...


# A cached check's read, with what a miss needs besides (the address's ownership entry) in the same command:
# a second command costs a cold check ~80 us of redis-py's CPU, this one a cached check ~5 us more than a bare
# MGET (docs/benchmarks.md). KEYS: the strings, then the hashes; ARGV: the hashes' fields. MGET's false (an
# absent key) stays false, answered as nil.
_GET_OR_FIELDS = """
local n = #KEYS - #ARGV
local out = redis.call('MGET', unpack(KEYS, 1, n))
if out[1] then return out end
for i = 1, #ARGV do out[n + i] = redis.call('HGET', KEYS[n + i], ARGV[i]) end
return out
"""


class RedisStore:
    kind = "redis"

    def __init__(self, url: str, timeout_seconds: float = 1.0) -> None:
        # A dead or hung Redis must turn into "degraded" (a check without the cache), not a hung
        # request: each call is bounded as a whole, retries included. The bound is an asyncio
        # timeout around the call, not redis-py's socket_timeout (5 s by default), which on Python
        # 3.11 spawns a task per command to time its write (asyncio.wait_for): a tenth of a cached
        # check's cost. A call cut short leaves no half-read reply behind: redis-py drops that
        # connection.
        self._redis = connect(url, socket_timeout=None, socket_connect_timeout=timeout_seconds)
        self._timeout = timeout_seconds
        # EVALSHA sent as it is: redis-py's Script wrapper costs ~10 us of CPU a call, 5% of a cached check.
        self._get_or_fields_sha = hashlib.sha1(_GET_OR_FIELDS.encode()).hexdigest()

    async def get(self, key: str) -> bytes | None:
        return (await self.get_many([key]))[0]

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        try:
            async with asyncio.timeout(self._timeout):
                if _one_tag(keys):
                    values: list[bytes | None] = await self._redis.mget(keys)  # type: ignore[assignment]  # no decode_responses: bytes
                    return values
                # Keys of several chains (a check of an address several chains accept): one MGET per chain, sent
                # together (a Redis Cluster client sends each to its slot's node; its pipelines refuse MGET).
                by_tag: dict[str, list[int]] = {}
                for i, key in enumerate(keys):
                    by_tag.setdefault(_tag(key), []).append(i)
                replies = await asyncio.gather(*(self._redis.mget([keys[i] for i in at]) for at in by_tag.values()))
                found: list[bytes | None] = [None] * len(keys)
                for places, reply in zip(by_tag.values(), replies, strict=True):
                    for i, value in zip(places, reply, strict=True):
                        found[i] = value  # type: ignore[assignment]  # no decode_responses: bytes
                return found
        except (redis.RedisError, OSError) as exc:  # TimeoutError is an OSError
            raise StoreUnavailable(_reason(exc)) from exc

    async def get_many_or_fields(
        self, keys: list[str], fields: tuple[tuple[str, bytes], ...]
    ) -> tuple[list[bytes | None], list[bytes | None] | None]:
        if not fields or not _one_tag([*keys, *(key for key, _ in fields)]):
            return await self.get_many(keys), None  # several chains' keys: no entry read with them (the index is asked)
        words = [*keys, *(key for key, _ in fields), *(field for _, field in fields)]
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    values: list[bytes | None] = await self._redis.execute_command(  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
                        "EVALSHA", self._get_or_fields_sha, len(keys) + len(fields), *words
                    )
                except NoScriptError:  # a Redis restarted or flushed since: load the script, then again
                    await self._redis.script_load(_GET_OR_FIELDS)
                    values = await self._redis.execute_command(  # type: ignore[no-untyped-call]
                        "EVALSHA", self._get_or_fields_sha, len(keys) + len(fields), *words
                    )
        except (redis.RedisError, OSError) as exc:
            raise StoreUnavailable(_reason(exc)) from exc
        return values[: len(keys)], values[len(keys) :] if len(values) > len(keys) else None

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:  # a TTL of 0 means "do not cache"
            return
        try:
            async with asyncio.timeout(self._timeout):
                # In milliseconds: a TTL may be a fraction of a second (the tests' short pending entries).
                await self._redis.set(key, value, px=max(1, round(ttl_seconds * 1000)))
        except (redis.RedisError, OSError) as exc:
            raise StoreUnavailable(_reason(exc)) from exc

    async def ping(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.ping()
        except (redis.RedisError, OSError) as exc:
            raise StoreUnavailable(_reason(exc)) from exc

    async def aclose(self) -> None:
        await self._redis.aclose()


def _tag(key: str) -> str:
    """The part of a key Redis Cluster hashes: its first `{...}` when not empty, else the whole key."""
    start = key.find("{")
    end = key.find("}", start + 1) if start >= 0 else -1
    return key[start + 1 : end] if end > start + 1 else key


def _one_tag(keys: list[str]) -> bool:
    """Whether the keys are in one slot of a Redis Cluster by their tag (ours share a chain's tag, `keys.py`)."""
    first = _tag(keys[0])
    return all(_tag(key) == first for key in keys[1:])


def _reason(exc: Exception) -> str:
    return str(exc) or f"{type(exc).__name__} (no answer in time)"


class MemoryStore:
    """A dict with expiry, for a single process without Redis."""

    kind = "memory"

    def __init__(self, max_items: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: dict[str, tuple[float, bytes]] = {}
        self._max_items = max_items
        self._clock = clock

    async def get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            self._items.pop(key, None)
            return None
        return item[1]

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def get_many_or_fields(
        self, keys: list[str], fields: tuple[tuple[str, bytes], ...]
    ) -> tuple[list[bytes | None], list[bytes | None] | None]:
        return await self.get_many(keys), None  # holds no hashes: the ownership index is not here

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            return
        if len(self._items) >= self._max_items:
            self._evict()
        self._items[key] = (self._clock() + ttl_seconds, value)

    def _evict(self) -> None:
        now = self._clock()
        for key in [k for k, (expiry, _) in self._items.items() if expiry <= now]:
            del self._items[key]
        while len(self._items) >= self._max_items:  # still full: drop the oldest inserted
            del self._items[next(iter(self._items))]

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        self._items.clear()


def open_store(redis_url: str | None) -> Store:
    return RedisStore(redis_url) if redis_url else MemoryStore()
