"""The outbox's oldest note age (`ticket_link_outbox_oldest_seconds`) counts from acceptance, on a real Redis: a
note queued again by the reconcile round keeps its age, a posted one leaves it."""

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from tests.conftest import RedisServer
from ticket_link import keys
from ticket_link.links import Links
from ticket_link.privacy import Pseudonymizer


@pytest.fixture
async def links(redis_server: RedisServer) -> AsyncIterator[Links]:
    client = redis.Redis.from_url(f"redis://127.0.0.1:{redis_server.port}/15")  # a database no other test uses
    await client.delete(keys.OUTBOX, keys.OUTBOX_ACCEPTED, keys.OUTBOX_PAYLOADS)
    try:
        yield Links(client, Pseudonymizer("outbox age secret " * 3))
    finally:
        await client.delete(keys.OUTBOX, keys.OUTBOX_ACCEPTED, keys.OUTBOX_PAYLOADS)
        await client.aclose()


async def test_the_oldest_note_age_counts_from_acceptance(links: Links) -> None:
    assert await links.outbox_oldest_age(now=1e10) == 0.0  # empty
    await links.outbox_add("first", "sealed-1")
    await links.redis.zadd(keys.OUTBOX_ACCEPTED, {"first": 1000.0}, xx=True)  # accepted at t=1000
    await links.redis.zadd(keys.OUTBOX, {"first": 1000.0}, xx=True)
    await links.outbox_add("second", "sealed-2")
    await links.outbox_touch("first")  # the reconcile round queued it again: not younger for that
    await links.outbox_add("first", "sealed-1")  # accepted again (a redelivery): keeps its first time
    assert await links.outbox_oldest_age(now=1600.0) == 600.0
    await links.outbox_done("first")
    age = await links.outbox_oldest_age(now=1600.0)
    assert age == 0.0  # "second" was accepted now (after t=1600 in this clock): never negative
    assert await links.outbox_size() == 1
    await links.outbox_done("second")
    assert await links.redis.zcard(keys.OUTBOX_ACCEPTED) == 0
