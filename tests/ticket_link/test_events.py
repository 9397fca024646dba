"""The event consumer outlives bad events, on a real Redis: one it cannot handle is logged, counted and
left pending, and the events after it still become notes; a ticket link sealed under another secret
(a rotated `secret`) costs that ticket its note, not the other tickets theirs."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis
from prometheus_client import REGISTRY

from desk_common.redis_text import text
from tests.conftest import RedisServer
from ticket_link import keys
from ticket_link.events import GROUP, EventConsumer
from ticket_link.links import Links, TicketRef
from ticket_link.privacy import Pseudonymizer

CHAIN = "events-test"  # a stream of its own: the shared Redis also holds the real chains' streams
TX = "ab" * 32


class Recorder:
    """Stands in for TicketService.on_event (the consumer's only call into it): records, or fails on a poison."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.poison = True

    async def on_event(self, event: dict[str, str]) -> int:
        if event["tx_hash"] == "poison" and self.poison:
            raise ValueError("cannot read this event")
        self.seen.append(event["tx_hash"])
        return 1


def failed(kind: str) -> float:
    return REGISTRY.get_sample_value("ticket_link_events_failed_total", {"chain": CHAIN, "type": kind}) or 0.0


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[redis.Redis]:
    """A database of its own: the consumer reads every registered stream, and the shared database
    holds other tests' (their events are not ours to consume)."""
    client = redis.Redis.from_url(f"redis://127.0.0.1:{redis_server.port}/12")
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


async def write(client: redis.Redis, *tx_hashes: str) -> None:
    stream = keys.deposit_check_events(CHAIN)
    await client.sadd(keys.DEPOSIT_CHECK_STREAMS, stream)
    for tx in tx_hashes:
        fields = {"type": "status", "chain": CHAIN, "tx_hash": tx, "status": "confirmed", "verdict": "{}"}
        await client.xadd(stream, fields)  # type: ignore[arg-type]  # redis-py's field dict is invariant


async def test_a_bad_event_is_left_pending_and_the_ones_after_it_are_handled(client: redis.Redis) -> None:
    service = Recorder()
    consumer = EventConsumer(client, service, "c1", claim_idle_ms=60_000, block_ms=50)  # type: ignore[arg-type]  # on_event only
    await write(client, "one", "poison", "two")
    before = failed("status")
    assert await consumer.step() == 2
    assert service.seen == ["one", "two"]
    assert failed("status") == before + 1
    pending = await client.xpending(keys.deposit_check_events(CHAIN), GROUP)
    assert pending["pending"] == 1  # the poison, waiting to be claimed again; the others acknowledged
    # Once it can be handled (a fixed deployment), a later claim of the idle event delivers it.
    service.poison = False
    consumer.claim_idle_ms = 0
    await consumer.step()
    assert service.seen == ["one", "two", "poison"]
    assert (await client.xpending(keys.deposit_check_events(CHAIN), GROUP))["pending"] == 0


async def test_a_dead_consumers_events_are_claimed_once_idle_claim_idle_ms_not_before(client: redis.Redis) -> None:
    """`[delivery] claim_idle_seconds`: what a consumer read and never acknowledged (it died) stays its own
    until that long has passed since it read it; then another consumer claims and handles it."""
    await write(client, "held-1", "held-2")
    stream = keys.deposit_check_events(CHAIN)
    await client.xgroup_create(stream, GROUP, id="0")
    read = await client.xreadgroup(GROUP, "dead", {stream: ">"}, count=10)  # read, then never acknowledged
    read_at = time.monotonic()
    assert len(read[0][1]) == 2
    service = Recorder()
    live = EventConsumer(client, service, "live", claim_idle_ms=1500, block_ms=50)  # type: ignore[arg-type]  # on_event only
    assert await live.step() == 0 and service.seen == []  # idle < 1.5 s: still the dead one's
    pending = await client.xpending(stream, GROUP)
    assert {text(c["name"]): int(c["pending"]) for c in pending["consumers"]} == {"dead": 2}
    while time.monotonic() - read_at < 1.6:
        await asyncio.sleep(0.1)
    assert await live.step() == 2
    assert sorted(service.seen) == ["held-1", "held-2"]
    assert (await client.xpending(stream, GROUP))["pending"] == 0


async def test_the_consumer_loop_outlives_an_unexpected_error(client: redis.Redis) -> None:
    class Broken(Recorder):
        async def on_event(self, event: dict[str, str]) -> int:
            raise RuntimeError("a bug")

    consumer = EventConsumer(client, Broken(), "c2", claim_idle_ms=60_000, block_ms=50)  # type: ignore[arg-type]  # on_event only
    calls = 0
    real_step = consumer.step

    async def step() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("not an event error: the loop itself")
        return await real_step()

    consumer.step = step  # type: ignore[method-assign]  # count the loop's rounds
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    await asyncio.sleep(1.5)  # one failed round (1 s back-off), then rounds that work
    assert not task.done() and calls >= 2  # still running after the error
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_a_link_sealed_under_another_secret_does_not_cost_the_others_their_note(client: redis.Redis) -> None:
    old = Links(client, Pseudonymizer("old secret " * 4))
    new = Links(client, Pseudonymizer("new secret " * 4))
    await client.delete(keys.claim(TX), keys.deposit_tickets(TX), keys.deposit_linked_ms(TX))
    assert await old.claim(TicketRef("desk", "101"), TX) is None  # linked before the secret was rotated
    # The first claim is unreadable now, but it is still a first claim: 202 is a duplicate, never "first".
    assert await new.claim(TicketRef("desk", "202"), TX) == TicketRef("desk", "?")
    refs = [c.ref for c in await new.claimants(TX)]
    assert refs == [TicketRef("desk", "202")]
    stored: dict[Any, Any] = await client.hgetall(keys.deposit_tickets(TX))
    assert len(stored) == 2 and "101" not in json.dumps([v.decode() for v in stored.values()])
