"""The store against real Redis (the machine's, on a private key prefix) and the in-process one."""

import asyncio
import uuid

import pytest

from deposit_check.keys import check as check_key
from deposit_check.store import MemoryStore, RedisStore, StoreUnavailable

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest):
    s = MemoryStore() if request.param == "memory" else RedisStore(REDIS_URL)
    yield s
    await s.aclose()


async def test_set_get_and_expiry(store) -> None:
    key = f"test:{uuid.uuid4()}"
    assert await store.get(key) is None
    await store.set(key, b"v", ttl_seconds=1)
    assert await store.get(key) == b"v"
    await asyncio.sleep(1.1)
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


def test_check_key_separates_requests() -> None:
    a = check_key("litecoin", "ab", "addr", None, None)
    assert a.startswith("dc:v1:check:")
    assert a != check_key(None, "ab", "addr", None, None)
    assert a != check_key("litecoin", "ab", "addr", "LTC", None)
    assert a != check_key("litecoin", "ab", "addr", None, "1")
    assert a == check_key("litecoin", "ab", "addr", None, None)
