"""The multi-key operations of the flow on a real 3-master Redis Cluster (harness/redis_cluster.py), through a
redis-py RedisCluster client built here: the cached check's one read, a check of several chains' keys, a claim's
MULTI, the outbox, the event consumer's reads of several chains' streams and the job queue (saq) with its sweep. Each
would be refused as CROSSSLOT (or routed to the wrong node) if its keys spanned slots; the first test shows the cluster
does refuse that. The last: a slot on the move, waited out by the services' client (desk_common/redis_connect.py)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aredis
from redis.asyncio.cluster import RedisCluster as ClusterClient
from redis.crc import key_slot
from redis.exceptions import ClusterError, RedisClusterException, WatchError
from saq.job import Status

from deposit_check.keys import ChainKeys
from deposit_check.keys import check as check_key
from deposit_check.store import RedisStore
from desk_common.redis_connect import connect
from harness.redis_cluster import RedisCluster, running_cluster
from ticket_link import keys
from ticket_link.job_queue import open_queue
from ticket_link.links import Links, TicketRef
from ticket_link.privacy import Pseudonymizer


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    yield from running_cluster(3)


@pytest.fixture
async def client(cluster: RedisCluster) -> AsyncIterator[ClusterClient]:
    c = ClusterClient.from_url(cluster.url)
    await c.initialize()
    yield c
    await c.aclose()


async def test_the_cluster_refuses_keys_of_two_slots(cluster: RedisCluster, client: ClusterClient) -> None:
    a, b = "dc:v1:{litecoin}:own:version", "dc:v1:{ethereum}:own:version"
    assert key_slot(a.encode()) != key_slot(b.encode())
    with pytest.raises(RedisClusterException, match="same key slot"):  # redis-py refuses before sending
        await client.mget([a, b])
    node = aredis.Redis.from_url(cluster.url)  # and the server itself, to a client that is not cluster-aware
    try:
        with pytest.raises(aredis.ResponseError, match="don't hash to the same slot"):  # CROSSSLOT
            await node.mget([a, b])
    finally:
        await node.aclose()


async def test_a_cached_check_reads_its_answer_version_mark_and_entry_in_one_command(client: ClusterClient) -> None:
    store = RedisStore("redis://unused")
    await store.aclose()
    store._redis = client  # type: ignore[assignment]  # the cluster client the config-level factory will build
    chain = ChainKeys("litecoin")
    answer = check_key("litecoin", "litecoin", uuid.uuid4().hex, "addr", None, None)
    await client.set(chain.owned_version, b"4")
    await client.hset(chain.owned(7), b"\x00entry", b"\x01owner")
    values, entry = await store.get_many_or_fields(
        [answer, chain.owned_version, chain.reorged("ab" * 32)], ((chain.owned(7), b"\x00entry"),)
    )
    assert values == [None, b"4", None] and entry == [b"\x01owner"]
    await store.set(answer, b"cached", ttl_seconds=60)
    values, entry = await store.get_many_or_fields([answer, chain.owned_version], ((chain.owned(7), b"\x00entry"),))
    assert values == [b"cached", b"4"] and entry is None
    # An address two chains accept: each chain's keys in a command of their own.
    other = ChainKeys("ethereum")
    await client.set(other.owned_version, b"9")
    assert await store.get_many([answer, other.owned_version, chain.owned_version]) == [b"cached", b"9", b"4"]


async def test_claims_and_the_outbox_run_as_one_slot_transactions(client: ClusterClient) -> None:
    links = Links(client, Pseudonymizer("s" * 32))  # type: ignore[arg-type]
    tx = uuid.uuid4().hex * 2
    assert await links.claim(TicketRef("desk", "101"), tx) is None
    assert await links.claim(TicketRef("desk", "102"), tx) == TicketRef("desk", "101")
    assert [c.ref.ticket_id for c in await links.claimants(tx)] == ["101", "102"]
    assert await client.sismember(keys.ticket_deposits(links.ticket_key(TicketRef("desk", "102"))), tx)
    await links.outbox_add("note-1", "sealed")
    assert await links.outbox_size() == 1
    await links.outbox_done("note-1")
    assert await links.outbox_size() == 0


async def test_the_job_queue_runs_on_the_cluster_a_dead_workers_job_swept_back(cluster: RedisCluster) -> None:
    """saq's scripts and transactions under the queue's tag (the sweep's abort with PUBLISH in its MULTI, on the
    slot's master), and what saq 0.26.4 alone cannot do on a cluster (ticket_link/job_queue.py): pub/sub, disconnect."""
    queue = open_queue(cluster.cluster_url)
    await queue.connect()
    try:
        job = await queue.enqueue("deliver_note", key=keys.job("note", uuid.uuid4().hex), payload="x", retries=3)
        assert job is not None
        assert await queue.enqueue("deliver_note", key=job.key, payload="x") is None  # deduplicated by its key
        slots = {key_slot(k.encode()) for k in (queue.job_id(job.key), job.abort_id, queue.namespace("queued"))}
        assert len(slots) == 1
        taken = await queue.dequeue(timeout=2)  # a worker takes it, then dies: it never finishes it
        assert taken is not None and taken.key == job.key
        heard: list[Status] = []
        listening = asyncio.create_task(
            queue.listen([job.key], lambda _key, status: heard.append(status) or status == Status.ABORTING, timeout=10)
        )
        await asyncio.sleep(0.2)  # the listener subscribed
        assert await queue.sweep(lock=1, abort=0.2) == [taken.id]  # aborted, then retried (it has retries left)
        await asyncio.wait_for(listening, 10)
        assert heard == [Status.ABORTING]  # published in the abort's transaction, heard over pub/sub
        again = await queue.dequeue(timeout=2)
        assert again is not None and again.key == job.key and again.attempts == taken.attempts
        await again.finish(Status.COMPLETE)
        assert (await queue.job(job.key)).status == Status.COMPLETE  # type: ignore[union-attr]
        waiting = await queue.enqueue("deliver_note", key=keys.job("note", uuid.uuid4().hex), payload="y")
        assert waiting is not None
        await queue.abort(waiting, error="cancelled")  # still queued: it ends at once
        assert (await queue.job(waiting.key)).status == Status.ABORTED  # type: ignore[union-attr]
    finally:
        await queue.disconnect()  # saq's own ends with AttributeError on a cluster client (no connection_pool)


async def test_the_queues_wait_for_a_job_is_one_blmove_not_cut_by_a_socket_timeout(cluster: RedisCluster) -> None:
    """saq waits for a job with one BLMOVE as long as it likes. RedisCluster's own default socket timeout (5 s) cut
    that wait: redis-py sent it again, reconnecting and closing idle connections other tasks were taking, and a job
    the server handed over as the client gave up was left in the active list for the sweep. The services' client
    has no socket timeout unless asked, as on one Redis: one BLMOVE, answered when its own time is up."""
    queue = open_queue(cluster.cluster_url)
    await queue.connect()
    source, target = queue.namespace(f"wait-{uuid.uuid4().hex}"), queue.namespace(f"took-{uuid.uuid4().hex}")
    node = aredis.Redis(port=cluster.owner(key_slot(source.encode())))

    async def blmoves() -> int:
        return int((await node.info("commandstats")).get("cmdstat_blmove", {}).get("calls", 0))

    try:
        before = await blmoves()
        assert await queue.redis.blmove(source, target, 6.5, "LEFT", "RIGHT") is None  # longer than 5 s, nothing came
        assert await blmoves() - before == 1
    finally:
        await queue.disconnect()
        await node.aclose()


async def test_the_event_consumer_reads_several_chains_streams(client: ClusterClient) -> None:
    streams = [ChainKeys(c).events for c in ("litecoin", "ethereum", "tron")]
    assert len({key_slot(s.encode()) for s in streams}) > 1
    group = f"g{uuid.uuid4().hex[:8]}"
    for s in streams:
        await client.xgroup_create(s, group, id="$", mkstream=True)
        await client.xadd(s, {"type": "status", "tx_hash": s})
    async with client.pipeline(transaction=False) as pipe:  # as EventConsumer._read_new does with several
        for s in streams:
            pipe.xreadgroup(group, "c1", {s: ">"}, count=10)
        replies = [reply for each in await pipe.execute() for reply in (each or [])]
    assert sorted(name.decode() for name, _ in replies) == sorted(streams)


async def test_a_slot_on_the_move_is_waited_out_and_a_watched_transaction_told(cluster: RedisCluster) -> None:
    """Two keys of one slot, one already moved and the other not for 1.5 s: a command over both gets TRYAGAIN
    that long. redis-py alone gives up after ~0.4 s ("TTL exhausted"); the services' client (redis_connect) waits
    the move out, sends an unwatched MULTI again, and turns a watched one's abort into WatchError."""
    tag = uuid.uuid4().hex
    a, b = f"t:{{{tag}}}:a", f"t:{{{tag}}}:b"
    slot = key_slot(a.encode())
    ours, plain = connect(cluster.cluster_url), ClusterClient.from_url(cluster.url)
    try:
        await ours.set(a, b"1")
        await ours.set(b, b"2")
        target = next(p for p in cluster.ports if p != cluster.owner(slot))
        mover = asyncio.create_task(asyncio.to_thread(cluster.migrate_slot, slot, target, 1, 1.5))
        await asyncio.sleep(0.5)  # the first key moved, the second waits
        with pytest.raises(ClusterError, match="TTL exhausted"):
            await plain.mget([a, b])
        async with ours.pipeline(transaction=True) as pipe:
            await pipe.watch(a)
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.exists(a, b)
            with pytest.raises(WatchError):
                await pipe.execute()
        assert await ours.mget([a, b]) == [b"1", b"2"]  # once both keys are on the target (ASK there)
        assert await mover == 2 and cluster.owner(slot) == target
        async with ours.pipeline(transaction=True) as pipe:  # on its new master
            pipe.exists(a, b)
            pipe.delete(a, b)
            assert await pipe.execute() == [2, 2]
    finally:
        await ours.aclose()
        await plain.aclose()
