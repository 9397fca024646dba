"""Following a deposit: deposit_check's event stream on a real Redis, the re-ask fallback, the end."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis

from tests.conftest import RedisServer
from tests.ticket_link.web.conftest import TX, verdict
from ticket_link.follow import Deposit, follow
from ticket_link.keys import deposit_check_events as event_stream

CHAIN = "follow-test"  # a stream of its own: the shared Redis also holds the real chains' streams


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    await client.delete(event_stream(CHAIN))
    try:
        yield client
    finally:
        await client.aclose()


class Answers:
    """deposit_check answering from a script; records whether each ask was fresh (bypassing the cache)."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)
        self.fresh: list[bool] = []

    async def __call__(self, fresh: bool) -> dict[str, Any]:
        self.fresh.append(fresh)
        return self.answers[min(len(self.fresh), len(self.answers)) - 1]


def event(tx_hash: str, status: str) -> dict[str, str]:
    return {"type": "status", "chain": CHAIN, "tx_hash": tx_hash, "status": status, "verdict": "{}"}


async def test_an_event_of_the_tx_brings_a_fresh_card_and_final_ends_it(client: redis.Redis) -> None:
    ask = Answers(
        verdict(status="pending", confirmations=0, checked_at="2026-11-24T09:00:00Z"),
        verdict(status="confirming", confirmations=1, checked_at="2026-11-24T09:01:00Z"),
        verdict(status="confirmed", confirmations=6, final=True, checked_at="2026-11-24T09:06:00Z"),
    )
    cards = follow(client, Deposit(TX, CHAIN), ask, refresh_seconds=60)
    assert (await anext(cards))["status"] == "pending" and ask.fresh == [False]
    await client.xadd(event_stream(CHAIN), event("ab" * 32, "confirmed"))  # another tx: not ours
    await client.xadd(event_stream(CHAIN), event(TX, "confirming"))
    assert (await asyncio.wait_for(anext(cards), 5))["status"] == "confirming"
    assert ask.fresh == [False, True]  # the event asked afresh: the cache may lag behind it
    await client.xadd(event_stream(CHAIN), event(TX, "confirmed"))
    assert (await asyncio.wait_for(anext(cards), 5))["status"] == "confirmed"
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(cards), 5)


async def test_events_from_before_the_card_opened_are_not_replayed(client: redis.Redis) -> None:
    await client.xadd(event_stream(CHAIN), event(TX, "pending"))
    ask = Answers(verdict(status="pending", confirmations=0))
    cards = follow(client, Deposit(TX, CHAIN), ask, refresh_seconds=60)
    await anext(cards)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(cards), 1.5)
    assert ask.fresh == [False]


async def test_without_events_it_re_asks_and_never_steps_back_to_an_older_answer(client: redis.Redis) -> None:
    ask = Answers(
        verdict(status="confirming", confirmations=2, checked_at="2026-11-24T09:02:00Z"),
        verdict(status="confirming", confirmations=2, checked_at="2026-11-24T09:02:00Z"),  # same: no new card
        verdict(status="confirming", confirmations=1, checked_at="2026-11-24T09:01:00Z"),  # older (cached): ignored
        verdict(status="confirming", confirmations=3, checked_at="2026-11-24T09:03:00Z"),
        verdict(status="confirmed", confirmations=6, final=True, checked_at="2026-11-24T09:06:00Z"),
    )
    shown = [
        (v["status"], v["confirmations"]) async for v in follow(client, Deposit(TX, CHAIN), ask, refresh_seconds=0.1)
    ]
    assert shown == [("confirming", 2), ("confirming", 3), ("confirmed", 6)]
    assert ask.fresh == [False] * 5


async def test_it_stops_after_max_seconds_and_copes_without_redis(redis_server: RedisServer) -> None:
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    ask = Answers(verdict(status="pending", confirmations=0))
    shown = [v async for v in follow(dead, Deposit(TX, None), ask, refresh_seconds=0.1, max_seconds=0.5)]
    assert [v["status"] for v in shown] == ["pending"] and len(ask.fresh) >= 3  # polled, then gave up
    await dead.aclose()
