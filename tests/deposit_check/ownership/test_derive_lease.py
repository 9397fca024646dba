"""One derivation loop per chain (a lease in Redis, as the watcher's): a second loop waits, and takes the
chain over when the first stops or dies; two loops deriving at once would count addresses twice."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aredis

from deposit_check.config import ExtendedKeyConfig
from deposit_check.keys import ChainKeys
from deposit_check.ownership.ahead import run_derivation
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.derive import DerivedAddress, KeyDeriver
from deposit_check.ownership.index import OwnershipIndex
from deposit_check.watch.lease import Lease
from harness.redis_server import RedisServer
from tests.deposit_check.ownership.conftest import account_key, config

POLL = 0.05
KEY = ChainKeys("litecoin").owned_lease


class CountedDeriver(KeyDeriver):
    """Counts the batches this loop derived; each takes at least `seconds` (a slow machine, a big batch)."""

    batches = 0
    seconds = 0.0

    def derive(self, branch: int, start: int, count: int) -> list[DerivedAddress]:
        self.batches += 1
        time.sleep(self.seconds)  # in derivation's thread, as the elliptic-curve work is
        return super().derive(branch, start, count)


@pytest.fixture
async def client(own_redis: RedisServer) -> AsyncIterator[aredis.Redis]:
    client = aredis.Redis.from_url(own_redis.url)
    await client.flushdb()
    yield client
    await client.aclose()


def deriver() -> CountedDeriver:
    key = ExtendedKeyConfig(key=account_key("m/84'/1'/0'", network="testnet"), gap=10, branches=(0,))
    return CountedDeriver("litecoin", config().file.chains["litecoin"], key)


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not await condition():
            await asyncio.sleep(POLL / 2)


class Loop:
    """`deposit-check addresses derive` as a task: its own lease holder name, deriver and stop event."""

    def __init__(
        self, client: aredis.Redis, index: OwnershipIndex, name: str, ttl: float = 5.0, batch: int = 4
    ) -> None:
        self.deriver = deriver()
        self.stop = asyncio.Event()
        lease = Lease(client, KEY, name, ttl)
        self.task = asyncio.create_task(
            run_derivation(index, [self.deriver], batch, self.stop, POLL, {"litecoin": lease})
        )

    async def close(self) -> None:
        self.stop.set()
        await self.task


async def test_a_second_loop_waits_then_takes_over_when_the_first_stops(client: aredis.Redis) -> None:
    index = build_ownership(config(), client)
    assert isinstance(index, OwnershipIndex)
    first = Loop(client, index, "first")
    await until(lambda: _count_is(index, 10))
    assert first.deriver.batches > 0
    second = Loop(client, index, "second")
    try:
        await asyncio.sleep(POLL * 6)  # several passes of both
        member = first.deriver.member(0)
        await index.backend.mark_used("litecoin", {member: 9})  # a check found index 9: 10 more to derive
        await until(lambda: _count_is(index, 20))
        await asyncio.sleep(POLL * 6)
        assert second.deriver.batches == 0 and await client.get(KEY) == b"first"
        assert await index.count("litecoin") == 20  # counted once

        await first.close()  # released on the way out
        await index.backend.mark_used("litecoin", {member: 19})
        await until(lambda: _count_is(index, 30))
        assert second.deriver.batches > 0 and await client.get(KEY) == b"second"
    finally:
        await first.close()
        await second.close()
    assert await client.get(KEY) is None  # each loop lets go of what it holds


async def test_a_dead_loops_chain_is_taken_over_after_its_lease_runs_out(client: aredis.Redis) -> None:
    index = build_ownership(config(), client)
    assert isinstance(index, OwnershipIndex)
    assert await Lease(client, KEY, "dead", 1.5).hold()  # held by a process that then died, never released
    loop = Loop(client, index, "alive")
    try:
        await asyncio.sleep(0.5)
        assert loop.deriver.batches == 0 and await index.count("litecoin") == 0
        await until(lambda: _count_is(index, 10), seconds=5)
        assert await client.get(KEY) == b"alive"
    finally:
        await loop.close()


async def test_a_batch_longer_than_the_lease_is_kept(client: aredis.Redis) -> None:
    index = build_ownership(config(), client)
    assert isinstance(index, OwnershipIndex)
    loop = Loop(client, index, "slow", ttl=0.6, batch=10)
    loop.deriver.seconds = 1.5  # the batch outlasts the lease: renewed meanwhile, not thrown away
    try:
        await until(lambda: _count_is(index, 10), seconds=5)
        assert loop.deriver.batches == 1 and await client.get(KEY) == b"slow"
    finally:
        await loop.close()


async def _count_is(index: OwnershipIndex, expected: int) -> bool:
    return await index.count("litecoin") == expected
