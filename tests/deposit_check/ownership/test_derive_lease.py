"""One derivation loop per chain (a lease in Redis, as the watcher's): a second loop waits, and takes the
chain over when the first stops or dies; two loops deriving at once would count addresses twice. Each
batch's write is fenced by the lease: a loop paused past it writes nothing when it resumes."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aredis

from deposit_check.config import ExtendedKeyConfig
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.keys import ChainKeys
from deposit_check.ownership.ahead import run_derivation
from deposit_check.ownership.backends import RedisBackend
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.codec import Derived, Slot
from deposit_check.ownership.derive import DerivedAddress, KeyDeriver
from deposit_check.ownership.index import OwnershipIndex
from deposit_check.watch.lease import Lease, LostLease
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


class PausingBackend(RedisBackend):
    """A derivation loop's Redis backend that freezes its whole event loop (its lease keeper too) for
    `seconds` just before its `pause_on`-th write is sent, as a stopped process or a long GC pause would."""

    def __init__(self, client: aredis.Redis, pause_on: int, seconds: float) -> None:
        super().__init__(client)
        self.pause_on, self.seconds = pause_on, seconds
        self.writes = 0
        self.refused: list[dict[str, int]] = []  # the progress of each write the lease refused

    async def write_derived(
        self, chain: str, puts: list[tuple[Slot, bytes]], progress: dict[str, int], fence: Lease | None
    ) -> int:
        self.writes += 1
        if self.writes == self.pause_on:
            time.sleep(self.seconds)  # blocks this loop: nothing of it runs, nothing renews the lease
        try:
            return await super().write_derived(chain, puts, progress, fence)
        except LostLease:
            self.refused.append(progress)
            raise


class ThreadLoop:
    """A derivation loop with an event loop (and Redis client) of its own in a thread: freezing it does not
    freeze the test's loop, where the other loop runs."""

    def __init__(self, url: str, key: ExtendedKeyConfig, name: str, ttl: float, pause_on: int, seconds: float):
        self.url, self.key, self.name, self.ttl = url, key, name, ttl
        self.pause_on, self.seconds = pause_on, seconds
        self.backend: PausingBackend | None = None
        self.started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.thread.start()
        assert self.started.wait(10)

    async def _main(self) -> None:
        client = aredis.Redis.from_url(self.url)
        index = build_ownership(config(), client)
        assert isinstance(index, OwnershipIndex)
        index.backend = self.backend = PausingBackend(client, self.pause_on, self.seconds)
        deriver = KeyDeriver("litecoin", config().file.chains["litecoin"], self.key)
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self.started.set()
        lease = Lease(client, KEY, self.name, self.ttl)
        try:
            await run_derivation(index, [deriver], 4, self._stop, POLL, {"litecoin": lease})
        finally:
            await client.aclose()

    def close(self) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(10)
        assert not self.thread.is_alive()


async def test_a_loop_paused_past_its_lease_writes_nothing_when_it_resumes(
    client: aredis.Redis, own_redis: RedisServer, litecoind: Litecoind
) -> None:
    tpub = account_key("m/84'/1'/0'", network="testnet")
    key = ExtendedKeyConfig(key=tpub, script="p2wpkh", gap=40, branches=(0,))
    member = KeyDeriver("litecoin", config().file.chains["litecoin"], key).member(0)
    index = build_ownership(config(), client)
    assert isinstance(index, OwnershipIndex)

    progress_seen: list[int] = []

    async def watch_progress() -> None:
        while True:
            progress_seen.append((await index.backend.progress("litecoin")).get(member, 0))
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch_progress())
    # The first loop writes two batches of 4, then freezes for 2 s with its lease of 0.6 s about to be used.
    first = ThreadLoop(own_redis.url, key, "first", ttl=0.6, pause_on=3, seconds=2.0)
    await until(lambda: _count_is(index, 8))
    second_deriver = KeyDeriver("litecoin", config().file.chains["litecoin"], key)
    stop = asyncio.Event()
    second = asyncio.create_task(
        run_derivation(index, [second_deriver], 4, stop, POLL, {"litecoin": Lease(client, KEY, "second", 5.0)})
    )
    try:
        await until(lambda: _count_is(index, 40))  # the second took the chain over and derived the rest
        assert await client.get(KEY) == b"second"
        assert first.thread.is_alive()
        await asyncio.sleep(2.0)  # the first has woken and tried its write by now
        assert first.backend is not None and first.backend.refused == [{member: 12}]  # its third batch: 8..11
    finally:
        first.close()
        stop.set()
        await second
        watcher.cancel()
    assert progress_seen == sorted(progress_seen) and progress_seen[-1] == 40  # never taken back
    assert await index.count("litecoin") == 40  # each address counted once

    # Exactly the addresses litecoind derives for the same descriptor: 0..39 ours, 40 not yet.
    descriptor = litecoind.cli("getdescriptorinfo", f"wpkh({tpub}/0/*)")["descriptor"]
    expected = litecoind.cli("deriveaddresses", descriptor, [0, 40])
    owners = await index.owner_of_many("litecoin", expected)
    assert [o.ours for o in owners] == [True] * 40 + [False]


async def test_a_write_under_a_lease_not_held_is_refused_and_progress_never_goes_back(client: aredis.Redis) -> None:
    index = build_ownership(config(), client)
    assert isinstance(index, OwnershipIndex)
    key = ExtendedKeyConfig(key=account_key("m/84'/1'/0'", network="testnet"), gap=10, branches=(0,))
    deriver = KeyDeriver("litecoin", config().file.chains["litecoin"], key)
    member = deriver.member(0)
    entries = [(a.identity, Derived(deriver.fingerprint, 0, a.index)) for a in deriver.derive(0, 0, 8)]
    mine, theirs = Lease(client, KEY, "mine", 5.0), Lease(client, KEY, "theirs", 5.0)
    assert await theirs.hold()
    with pytest.raises(LostLease):
        await index.put_derived("litecoin", entries[:4], {member: 4}, mine)
    assert await index.count("litecoin") == 0 and await index.backend.progress("litecoin") == {}
    assert await index.put_derived("litecoin", entries, {member: 8}, theirs) == 8
    assert await index.put_derived("litecoin", entries[:4], {member: 4}, theirs) == 0  # already there
    assert await index.backend.progress("litecoin") == {member: 8}  # not back to 4
    assert await index.count("litecoin") == 8
