"""The shared gate: keys, implied scopes, limits; counted in memory, and in a Redis of this module's own
for the batches (the API tests count in the session's Redis)."""

import asyncio
import hashlib
import time
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from desk_common.auth import LIMITER_TIMEOUT_SECONDS, AuthFailed, Gate, MissingScope, RateLimited
from desk_common.config import ApiKey
from tests.conftest import RedisServer, running_redis

SCOPES = {"check": {"check"}, "post": {"check", "post"}}


def key(name: str, secret: str, **extra: object) -> ApiKey:
    return ApiKey(name=name, sha256=hashlib.sha256(secret.encode()).hexdigest(), **extra)


def test_scopes_default_to_all_and_imply_others() -> None:
    gate = Gate(
        [key("old", "a"), key("poster", "b", scopes=["post"]), key("checker", "c", scopes=["check"])], SCOPES, None, "t"
    )
    assert gate.authenticate("a", None).scopes == {"check", "post"}
    assert gate.authenticate("b", None).scopes == {"check", "post"}
    checker = gate.authenticate(" c ", None)
    checker.require("check", "checking")
    with pytest.raises(MissingScope, match="lacks the scope 'post' \\(posting\\)"):
        checker.require("post", "posting")


def test_no_keys_in_dev_mode_means_loopback_only_with_every_scope() -> None:
    gate = Gate([], SCOPES, None, "t", dev_mode=True)
    assert gate.authenticate(None, "::1").scopes == {"check", "post"}
    with pytest.raises(AuthFailed, match="loopback"):
        gate.authenticate("anything", "203.0.113.9")


async def test_limit_counts_per_key_and_says_when_to_retry() -> None:
    gate = Gate([key("a", "a", rate_limit="2/hour"), key("b", "b", rate_limit="1/second")], SCOPES, None, "t")
    await gate.admit("a", None)
    await gate.admit("a", None)
    with pytest.raises(RateLimited) as refused:
        await gate.admit("a", None)
    assert 3500 < refused.value.retry_after <= 3600
    await gate.admit("b", None)  # its own budget
    loopback = Gate([], SCOPES, None, "t", dev_mode=True)
    for _ in range(500):
        await loopback.admit(None, "127.0.0.1")


@pytest.mark.parametrize("bad", ["often", "0/minute", "10 per fortnight", ""])
def test_rate_limit_is_checked_with_the_config(bad: str) -> None:
    with pytest.raises(ValidationError, match="rate_limit"):
        key("x", "x", rate_limit=bad)


def test_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="'x': unknown scope pots; known: check, post"):
        Gate([key("x", "x", scopes=["pots"])], SCOPES, None, "t")


@pytest.mark.parametrize(
    ("limit", "batch"), [("120/minute", 1), ("199/minute", 1), ("1000/hour", 10), ("100000/minute", 100)]
)
def test_busy_keys_take_their_requests_in_batches(limit: str, batch: int) -> None:
    gate = Gate([key("k", "k", rate_limit=limit)], SCOPES, None, "t")
    assert gate.authenticate("k", None).batch == batch


@pytest.mark.parametrize("limit", [1000, 1005])
async def test_batches_let_exactly_the_limit_through_in_one_process(limit: int) -> None:
    gate = Gate([key("k", "k", rate_limit=f"{limit}/hour")], SCOPES, None, "t")
    for _ in range(limit):  # the last 5 of 1005 do not fit a batch of 10: taken one by one
        await gate.admit("k", None)
    with pytest.raises(RateLimited):
        await gate.admit("k", None)


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this module's own: its command counts are this module's alone."""
    yield from running_redis()


def limiter_calls(server: RedisServer) -> int:
    """Scripts run by the limiter so far (a first NOSCRIPT attempt, before the script is loaded, is not one)."""
    with server.client() as client:
        stats = client.info("commandstats")
    runs = [stats.get(f"cmdstat_{name}", {}) for name in ("evalsha", "eval")]
    return sum(s.get("calls", 0) - s.get("failed_calls", 0) for s in runs)


async def test_two_processes_share_a_busy_key_in_redis_with_a_round_trip_per_batch(own_redis: RedisServer) -> None:
    keys = [key("bot", "bot", rate_limit="1000/hour")]
    first, second = (Gate(keys, SCOPES, own_redis.url, "shared") for _ in range(2))
    try:
        before = limiter_calls(own_redis)
        passed = 0
        refused = {first: False, second: False}
        while not all(refused.values()):  # two API processes, requests alternating between them
            for gate in (first, second):
                if refused[gate]:
                    continue
                try:
                    await gate.admit("bot", None)
                    passed += 1
                except RateLimited:
                    refused[gate] = True
        assert passed == 1000  # each used what it took: the shared window let exactly the limit through
        calls = limiter_calls(own_redis) - before
        # A round trip per batch of 10 (100), three per refusal (batch, single, stats) and the
        # scripts' first loading; one per request would be over 1,000.
        assert calls <= 100 + 2 * 3 + 4
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_batch_taken_is_not_used_after_its_window(own_redis: RedisServer) -> None:
    # The gate's clock is ours: the window "moves on" when we say so, not after seconds of waiting.
    now = [1000.0]
    gate = Gate(
        [key("fast", "fast", rate_limit="1000 per 3 seconds")], SCOPES, own_redis.url, "window", clock=lambda: now[0]
    )
    try:
        await gate.admit("fast", None)  # takes a batch of 10
        before = limiter_calls(own_redis)
        for _ in range(9):
            await gate.admit("fast", None)
        assert limiter_calls(own_redis) == before  # the rest of the batch: no round trip
        await gate.admit("fast", None)
        assert limiter_calls(own_redis) == before + 1  # used up: the next batch, 9 of it left
        now[0] += 2.9
        await gate.admit("fast", None)
        assert limiter_calls(own_redis) == before + 1  # still in its window: taken from the batch
        now[0] += 0.2  # the window moved on: what is left of that batch is void
        await gate.admit("fast", None)
        assert limiter_calls(own_redis) == before + 2
    finally:
        await gate.aclose()


async def test_concurrent_requests_wait_for_one_batch_instead_of_each_asking(own_redis: RedisServer) -> None:
    gate = Gate([key("bot", "bot", rate_limit="1000/hour")], SCOPES, own_redis.url, "concurrent")
    try:
        before = limiter_calls(own_redis)
        await asyncio.gather(*(gate.admit("bot", None) for _ in range(10)))
        assert limiter_calls(own_redis) == before + 1  # one asked, nine waited for its batch of 10
        await asyncio.gather(*(gate.admit("bot", None) for _ in range(25)))
        assert limiter_calls(own_redis) == before + 4  # 25 more: three batches, asked one after another
    finally:
        await gate.aclose()


async def test_a_limiter_store_that_hangs_lets_waiting_requests_through_together() -> None:
    """Requests waiting for a batch from a Redis that never answers pass with the one that asked,
    after one timeout, not one timeout after another."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)  # takes the command, never answers
        await asyncio.sleep(30)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    gate = Gate([key("bot", "bot", rate_limit="1000/hour")], SCOPES, f"redis://127.0.0.1:{port}/0", "hung")
    try:
        started = time.monotonic()
        await asyncio.gather(*(gate.admit("bot", None) for _ in range(8)))
        assert time.monotonic() - started < 3 * LIMITER_TIMEOUT_SECONDS  # eight in a row would take 8 s
    finally:
        await gate.aclose()
        server.close()
