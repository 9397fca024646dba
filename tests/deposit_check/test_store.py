"""The store against real Redis (the machine's, on a private key prefix) and the in-process one."""

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest

from deposit_check.keys import check as check_key
from deposit_check.service import Answer
from deposit_check.store import MemoryStore, RedisStore, StoreUnavailable
from tests.conftest import RedisServer, running_redis
from tests.helpers import commands_sent

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest):
    s = MemoryStore(clock=Clock()) if request.param == "memory" else RedisStore(REDIS_URL)
    yield s
    await s.aclose()


async def test_set_get_and_expiry(store) -> None:
    key = f"test:{uuid.uuid4()}"
    assert await store.get(key) is None
    if isinstance(store, MemoryStore):  # our own expiry: on the store's clock
        await store.set(key, b"v", ttl_seconds=1)
        assert await store.get(key) == b"v"
        store._clock.now += 0.99
        assert await store.get(key) == b"v"
        store._clock.now += 0.01
    else:  # Redis's expiry: on its clock, so a TTL of a few milliseconds (set in ms, as the store does)
        await store.set(key, b"v", ttl_seconds=0.05)
        assert await store.get(key) == b"v"
        await asyncio.sleep(0.06)
    assert await store.get(key) is None


async def test_zero_ttl_is_not_stored(store) -> None:
    key = f"test:{uuid.uuid4()}"
    await store.set(key, b"v", ttl_seconds=0)
    assert await store.get(key) is None


async def test_memory_store_is_bounded() -> None:
    s = MemoryStore(max_items=10)
    for i in range(25):
        await s.set(f"k{i}", b"v", 60)
    assert len(s._items) <= 10 and await s.get("k24") == b"v"


async def test_dead_redis_raises_store_unavailable() -> None:
    s = RedisStore("redis://127.0.0.1:1/0")
    with pytest.raises(StoreUnavailable):
        await s.get("x")
    with pytest.raises(StoreUnavailable):
        await s.ping()
    await s.aclose()


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this module's own, to pause."""
    yield from running_redis()


async def test_a_redis_that_does_not_answer_is_unavailable_within_the_timeout(own_redis: RedisServer) -> None:
    """Each call is bounded as a whole (redis-py's own socket timeout is off), and the connection a
    call was cut short on is not reused: the next call gets its own answer, not the late one."""
    store = RedisStore(own_redis.url, timeout_seconds=0.3)
    admin = own_redis.client()
    try:
        await store.set("a", b"A", 60)
        await store.set("b", b"B", 60)
        admin.execute_command("CLIENT", "PAUSE", 1000, "ALL")  # Redis holds every client's command for 1 s
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await store.get_many(["a"])
        assert time.monotonic() - started < 0.8
        with pytest.raises(StoreUnavailable):
            await store.set("c", b"C", 60)
        admin.ping()  # held by the pause as well: back when it is over
        # The replies to "a" and "c" were on dropped connections.
        assert await store.get_many(["b", "a"]) == [b"B", b"A"]
        assert await store.get("c") in (b"C", None)  # written or not, never another command's reply
    finally:
        admin.close()
        await store.aclose()


def test_an_answer_is_cached_with_its_metric_labels() -> None:
    answer = Answer(b'{"status":"confirmed","chain":"litecoin"}', "confirmed", "litecoin", cached=False)
    back = Answer.from_stored(answer.stored())
    assert back == Answer(answer.body, "confirmed", "litecoin", cached=True)
    # What an earlier version cached under another key (bare JSON), or anything else, is a miss.
    assert Answer.from_stored(answer.body) is None
    assert Answer.from_stored(b"confirmed\n{}") is None


def test_check_key_separates_requests() -> None:
    a = check_key("litecoin", "litecoin", "ab", "addr", None, None)
    assert a.startswith("dc:v1:{litecoin}:answer:")  # in the chain's slot, with its ownership version
    assert a != check_key("litecoin", None, "ab", "addr", None, None)
    assert a != check_key("litecoin", "litecoin", "ab", "addr", "LTC", None)
    assert a != check_key("litecoin", "litecoin", "ab", "addr", None, "1")
    assert a == check_key("litecoin", "litecoin", "ab", "addr", None, None)


async def test_hash_fields_are_read_with_the_keys_only_on_a_miss(store) -> None:
    tag = uuid.uuid4()
    answer, version, bucket = (f"test:{{{tag}}}:{name}" for name in ("answer", "version", "bucket"))  # one slot
    fields = ((bucket, b"\x00field"), (bucket, b"absent"))
    await store.set(version, b"3", ttl_seconds=60)
    if isinstance(store, RedisStore):
        await store._redis.hset(bucket, b"\x00field", b"\x01entry")
    values, read = await store.get_many_or_fields([answer, version], fields)
    assert values == [None, b"3"]
    assert read == ([b"\x01entry", None] if isinstance(store, RedisStore) else None)  # memory: no hashes here
    await store.set(answer, b"cached", ttl_seconds=60)
    values, read = await store.get_many_or_fields([answer, version], fields)
    assert values == [b"cached", b"3"] and read is None  # a hit: the fields are not read
    assert await store.get_many_or_fields([answer], ()) == ([b"cached"], None)
    if isinstance(store, RedisStore):
        await store._redis.delete(bucket)  # the machine's Redis: leave nothing behind


async def test_keys_of_several_chains_are_read_one_slot_a_command(store) -> None:
    """A check of an address several chains accept reads their keys: one MGET per hash tag (one Redis Cluster
    slot each), sent together, values in the order asked; no ownership entry is read with them."""
    a, b = uuid.uuid4(), uuid.uuid4()
    names = [f"test:{{{a}}}:answer", f"test:{{{b}}}:version", f"test:{{{a}}}:mark", f"test:{{{b}}}:mark"]
    await store.set(names[1], b"2", ttl_seconds=60)
    await store.set(names[2], b"m", ttl_seconds=60)
    fields = ((f"test:{{{a}}}:bucket", b"f"),)
    if isinstance(store, RedisStore):
        async with commands_sent(store._redis) as sent:
            values, read = await store.get_many_or_fields(names, fields)
        mgets = [c for c in sent if c.upper().startswith("MGET")]
        assert len(mgets) == 2 and all((str(a) in c) != (str(b) in c) for c in mgets), sent
    else:
        values, read = await store.get_many_or_fields(names, fields)
    assert values == [None, b"2", b"m", None] and read is None
