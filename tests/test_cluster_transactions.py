"""Transactions on a real Redis Cluster (3 masters, a replica each) through the services' client
(desk_common/redis_connect.py): each runs on a plain client of its slot's master, in the caller's event loop
(redis-py 8.1's own cluster transaction started a thread and an event loop for every queued command). A WATCH
conflict, a slot moving (MOVED, ASK, TRYAGAIN) and a master's failover end as docs/operations.md says: an unwatched
MULTI is sent again where the slot is now, exactly once; a watched one is a WatchError and the next one succeeds."""

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as aredis
from redis.crc import key_slot
from redis.exceptions import ClusterCrossSlotError, CrossSlotTransactionError, WatchError

from desk_common.redis_connect import connect
from harness.redis_cluster import RedisCluster, running_cluster

COMMANDS = 1_000


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    yield from running_cluster(3, replicas=1)


@pytest.fixture
async def client(cluster: RedisCluster) -> AsyncIterator[Any]:
    c: Any = connect(cluster.cluster_url, socket_timeout=5.0, socket_connect_timeout=2.0)
    yield c
    await c.aclose()


def _keys(*names: str) -> list[str]:
    """Keys of one new slot (a tag of their own)."""
    tag = uuid.uuid4().hex
    return [f"t:{{{tag}}}:{name}" for name in names]


def _other_master(cluster: RedisCluster, slot: int) -> int:
    return next(p for p in cluster.masters_ports() if p != cluster.owner(slot))


async def test_a_transaction_of_1000_commands_runs_in_the_callers_loop_on_the_slots_master(
    cluster: RedisCluster, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    [key] = _keys("h")
    async with client.pipeline(transaction=True) as pipe:  # connections made, the slot map known
        pipe.set(key, b"warm")
        pipe.delete(key)
        assert await pipe.execute() == [True, 1]
    started: list[str] = []
    start = threading.Thread.start

    def counted(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", counted)
    begin = time.perf_counter()
    async with client.pipeline(transaction=True) as pipe:
        for n in range(COMMANDS):
            pipe.hset(key, str(n), n)
        queued = time.perf_counter() - begin
        replies = await pipe.execute()
    assert started == []  # redis-py 8.1's cluster transaction: a thread (and an event loop) per queued command
    assert queued < 0.1  # ~1 ms here; redis-py 8.1's: 0.4-1.9 s, the caller's loop held all along
    assert replies == [1] * COMMANDS and await client.hlen(key) == COMMANDS
    assert ("127.0.0.1", cluster.owner(key_slot(key.encode()))) in client.masters.clients
    async with client.pipeline(transaction=False) as pipe:  # redis-py's own cluster pipeline: no thread either
        for n in range(COMMANDS):
            pipe.hincrby(key, str(n), 1)
        assert await pipe.execute() == [n + 1 for n in range(COMMANDS)]
    assert started == []


async def test_a_watched_key_changed_meanwhile_is_a_watch_error_and_nothing_is_written(
    cluster: RedisCluster, client: Any
) -> None:
    key, other_key = _keys("watched", "written")
    await client.set(key, b"1")
    other = aredis.Redis(port=cluster.owner(key_slot(key.encode())))  # another client of the same master
    try:
        async with client.pipeline(transaction=True) as pipe:
            await pipe.watch(key)
            assert await pipe.get(key) == b"1"  # read on the WATCH's connection, before MULTI
            await other.set(key, b"2")
            pipe.multi()
            pipe.set(key, b"3")
            pipe.set(other_key, b"3")
            with pytest.raises(WatchError):
                await pipe.execute()
    finally:
        await other.aclose()
    assert await client.mget([key, other_key]) == [b"2", None]
    async with client.pipeline(transaction=True) as pipe:  # unchanged this time: it commits
        await pipe.watch(key)
        pipe.multi()
        pipe.set(key, b"3")
        assert await pipe.execute() == [True]
    assert await client.get(key) == b"3"


async def test_after_a_slot_moved_an_unwatched_multi_follows_moved_once_and_a_watched_one_is_told(
    cluster: RedisCluster, client: Any
) -> None:
    a, b = _keys("a", "b")
    slot = key_slot(a.encode())
    await client.mset({a: 1, b: 1})
    source = cluster.owner(slot)
    target = _other_master(cluster, slot)
    assert await asyncio.to_thread(cluster.migrate_slot, slot, target) == 2  # the client's map still says source
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr(a)
        pipe.incr(b)
        assert await pipe.execute() == [2, 2]  # refused whole by the source (MOVED), then run once on the target
    assert client.nodes_manager.get_node_from_slot(slot).port == target  # the map followed
    assert await asyncio.to_thread(cluster.migrate_slot, slot, source) == 2
    async with client.pipeline(transaction=True) as pipe:
        with pytest.raises(WatchError):  # the WATCH met MOVED: nothing is watched where the keys are
            await pipe.watch(a)
    async with client.pipeline(transaction=True) as pipe:  # the map followed that MOVED: the next round commits
        await pipe.watch(a)
        pipe.multi()
        pipe.incr(a)
        assert await pipe.execute() == [3]
    assert await client.mget([a, b]) == [b"3", b"2"]


async def test_an_unwatched_multi_during_a_slot_move_waits_it_out_and_runs_once(
    cluster: RedisCluster, client: Any
) -> None:
    """One key moved and the other not for 1 s: the source answers ASK for the moved one, so the MULTI is aborted
    whole and sent again with the backoff, until the slot is the target's (MOVED): then it runs there, once."""
    a, b = _keys("a", "b")
    slot = key_slot(a.encode())
    await client.mset({a: 1, b: 1})
    target = _other_master(cluster, slot)
    mover = asyncio.create_task(asyncio.to_thread(cluster.migrate_slot, slot, target, 1, 1.0))
    await asyncio.sleep(0.4)  # the first key moved, the second waits
    begin = time.monotonic()
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr(a)
        pipe.incr(b)
        assert await pipe.execute() == [2, 2]
    assert time.monotonic() - begin > 0.3  # it waited for the move
    assert await mover == 2 and cluster.owner(slot) == target
    assert await client.mget([a, b]) == [b"2", b"2"]


async def test_keys_of_two_slots_in_one_transaction_are_refused_whole(cluster: RedisCluster, client: Any) -> None:
    [a] = _keys("a")
    here = cluster.owner(key_slot(a.encode()))
    others = {port: [] for port in cluster.masters_ports()}  # a key of another slot on each master
    while not all(others.values()):
        [b] = _keys("b")
        others[cluster.owner(key_slot(b.encode()))].append(b)
    for port, (b, *_) in others.items():
        expected = ClusterCrossSlotError if port == here else CrossSlotTransactionError  # CROSSSLOT, or MOVED
        async with client.pipeline(transaction=True) as pipe:
            pipe.set(a, b"1")
            pipe.set(b, b"1")
            begin = time.monotonic()
            with pytest.raises(expected):
                await pipe.execute()
            assert time.monotonic() - begin < 1  # refused at once, not tried again
        assert await client.exists(a) == 0 and await client.exists(b) == 0


async def test_the_masters_failover_a_watched_transaction_fails_then_the_replica_takes_them(
    cluster: RedisCluster, client: Any
) -> None:
    """SIGKILL the master of a transaction's slot while it WATCHes: WatchError (the connection holding the WATCH is
    gone). A MULTI sent meanwhile waits (connection refused, CLUSTERDOWN: the map refreshed, the backoff) until the
    cluster promotes the master's replica (after its 2 s node timeout), then runs there once."""
    counter, mark = _keys("counter", "mark")
    slot = key_slot(counter.encode())
    await client.set(counter, 10)
    master = cluster.owner(slot)
    with cluster.node(master) as node:
        assert node.execute_command("WAIT", 1, 5000) == 1  # type: ignore[no-untyped-call]  # on the replica too
    async with client.pipeline(transaction=True) as pipe:
        await pipe.watch(counter)
        assert await pipe.get(counter) == b"10"
        cluster.kill(master)
        pipe.multi()
        pipe.incr(counter)
        with pytest.raises(WatchError):
            await pipe.execute()
    begin = time.monotonic()
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr(counter)
        pipe.set(mark, b"after")
        assert await pipe.execute() == [11, True]
    took = time.monotonic() - begin
    promoted = cluster.owner(slot)
    assert promoted != master and client.nodes_manager.get_node_from_slot(slot).port == promoted
    assert 1 < took < 9  # the node timeout and an election, inside the ~8.5 s of retries
    assert await client.mget([counter, mark]) == [b"11", b"after"]
    async with client.pipeline(transaction=True) as pipe:  # and a watched one on the new master
        await pipe.watch(counter)
        pipe.multi()
        pipe.incr(counter)
        assert await pipe.execute() == [12]
