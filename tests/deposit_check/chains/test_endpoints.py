"""EndpointPool and Breaker without a node: failover order, circuit states, probes, timeouts, masking."""

import asyncio
import re

import pytest

from deposit_check.chains.endpoints import Breaker, EndpointFailure, EndpointPool, label_of
from deposit_check.config import UtxoChainConfig
from deposit_check.errors import NodeUnavailable, UnknownBlock


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Node:
    """A fake endpoint client: answers its name, or fails, or hangs; counts the calls it got."""

    def __init__(self, name: str, mode: str = "ok") -> None:
        self.name = name
        self.mode = mode
        self.calls = 0

    async def ask(self) -> str:
        self.calls += 1
        if self.mode == "fail":
            raise EndpointFailure("boom")
        if self.mode == "hang":
            await asyncio.sleep(3600)
        if self.mode == "slow":
            await asyncio.sleep(0.05)
        if self.mode == "no_block":
            raise UnknownBlock("no such block", "ab" * 32)
        return self.name


def pool(
    *nodes: Node, failures: int = 2, reset: float = 10.0, timeout: float = 1.0, clock: Clock | None = None
) -> EndpointPool[Node]:
    urls = [f"http://user:pw{i}@127.0.0.1:{9000 + i}/wallet/k?key=SECRET" for i in range(len(nodes))]
    return EndpointPool(
        "test",
        list(zip(urls, nodes, strict=True)),
        timeout_seconds=timeout,
        breaker_failures=failures,
        breaker_reset_seconds=reset,
        clock=clock or Clock(),
    )


async def ask(node: Node) -> str:
    return await node.ask()


def test_labels_are_masked_and_unique() -> None:
    assert label_of("https://u:p@rpc.example.com:8443/v3/APIKEY?x=1") == "https://rpc.example.com:8443"
    assert label_of("http://[::1]:8545") == "http://[::1]:8545"
    p = EndpointPool(
        "c",
        [("http://a:b@h:1/k1", 1), ("http://h:1/k2", 2)],
        timeout_seconds=1,
        breaker_failures=1,
        breaker_reset_seconds=1,
    )
    assert [e.label for e in p.endpoints] == ["http://h:1", "http://h:1#2"]


async def test_first_fails_over_in_order() -> None:
    a, b, c = Node("a", "fail"), Node("b"), Node("c")
    p = pool(a, b, c)
    assert await p.first(ask) == "b"
    assert (a.calls, b.calls, c.calls) == (1, 1, 0)
    assert p.endpoints[0].last_error == "boom" and p.endpoints[0].breaker.state == "closed"


async def test_circuit_opens_skips_then_probes_once() -> None:
    clock = Clock()
    dead, live = Node("dead", "fail"), Node("live")
    p = pool(dead, live, failures=2, reset=10, clock=clock)
    for _ in range(2):
        assert await p.first(ask) == "live"
    assert dead.calls == 2 and p.endpoints[0].breaker.state == "open"
    for _ in range(5):  # open: not asked at all
        assert await p.first(ask) == "live"
    assert dead.calls == 2
    state = p.states()[0]
    assert state["state"] == "open" and state["consecutive_failures"] == 2 and state["retry_in_seconds"] == 10
    assert state["last_error"] == "boom" and state["endpoint"] == "http://127.0.0.1:9000"
    assert "SECRET" not in str(p.states()) and "pw0" not in str(p.states())

    clock.now += 10  # half-open: one probe, which fails: open again for another 10 s
    assert p.states()[0]["state"] == "half_open"
    assert await p.first(ask) == "live"
    assert dead.calls == 3 and p.endpoints[0].breaker.state == "open"
    assert await p.first(ask) == "live"
    assert dead.calls == 3

    clock.now += 10
    dead.mode = "ok"  # back: the probe succeeds and closes the circuit
    assert await p.first(ask) == "dead"
    assert p.states()[0]["state"] == "closed" and p.endpoints[0].breaker.failures == 0


async def test_half_open_lets_one_probe_through_at_a_time() -> None:
    clock = Clock()
    slow, live = Node("slow", "fail"), Node("live")
    p = pool(slow, live, failures=1, reset=5, clock=clock)
    await p.first(ask)
    clock.now += 5
    slow.mode = "slow"
    answers = await asyncio.gather(*(p.first(ask) for _ in range(5)))
    assert sorted(answers) == ["live"] * 4 + ["slow"]  # the others did not wait on the probe
    assert slow.calls == 2


async def test_all_open_fails_fast_naming_each() -> None:
    a, b = Node("a", "fail"), Node("b", "fail")
    p = pool(a, b, failures=1)
    with pytest.raises(NodeUnavailable, match=re.escape("127.0.0.1:9000: boom; http://127.0.0.1:9001: boom")):
        await p.first(ask)
    with pytest.raises(NodeUnavailable, match="skipped, circuit open after 1 consecutive failures; last error: boom"):
        await p.first(ask)
    assert (a.calls, b.calls) == (1, 1)


async def test_timeout_is_a_failure_and_opens_the_circuit() -> None:
    hung, live = Node("hung", "hang"), Node("live")
    p = pool(hung, live, failures=1, timeout=0.1)
    assert await p.first(ask) == "live"
    assert p.endpoints[0].last_error == "no answer within 0.1 s" and p.endpoints[0].breaker.state == "open"
    started = asyncio.get_running_loop().time()
    assert await p.first(ask) == "live"
    assert asyncio.get_running_loop().time() - started < 0.05 and hung.calls == 1


async def test_an_answer_that_is_no_failure_is_raised_and_counts_as_working() -> None:
    node = Node("n", "no_block")
    p = pool(node, Node("other"), failures=1)
    with pytest.raises(UnknownBlock):
        await p.first(ask)
    assert p.endpoints[0].breaker.state == "closed" and p.endpoints[0].last_ok_at is not None


async def test_cancellation_counts_neither_way() -> None:
    clock = Clock()
    node = Node("n", "fail")
    p = pool(node, failures=1, reset=1, clock=clock)
    with pytest.raises(NodeUnavailable):
        await p.first(ask)
    clock.now += 1
    node.mode = "hang"
    task = asyncio.create_task(p.first(ask))  # the half-open probe
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    breaker = p.endpoints[0].breaker
    assert breaker.state == "half_open" and breaker.failures == 1  # not closed, and a new probe may go
    assert breaker.admit()


async def test_several_asks_concurrently_and_replaces_a_failing_one() -> None:
    a, b, c = Node("a", "slow"), Node("b", "fail"), Node("c", "slow")
    p = pool(a, b, c)
    started = asyncio.get_running_loop().time()
    assert await p.several(2, ask) == [("http://127.0.0.1:9000", "a"), ("http://127.0.0.1:9002", "c")]
    assert asyncio.get_running_loop().time() - started < 0.09  # a and c at the same time
    assert (a.calls, b.calls, c.calls) == (1, 1, 1)


async def test_several_returns_what_answered_and_raises_when_none() -> None:
    a, b = Node("a"), Node("b", "fail")
    p = pool(a, b)
    assert await p.several(2, ask) == [("http://127.0.0.1:9000", "a")]
    a.mode = "fail"
    with pytest.raises(NodeUnavailable, match="no node answered"):
        await p.several(2, ask)


async def test_each_asks_every_endpoint() -> None:
    a, b = Node("a", "fail"), Node("b")
    answers = await pool(a, b).each(ask)
    assert [label for label, _ in answers] == ["http://127.0.0.1:9000", "http://127.0.0.1:9001"]
    assert isinstance(answers[0][1], EndpointFailure) and answers[1][1] == "b"


def test_breaker_needs_consecutive_failures() -> None:
    clock = Clock()
    breaker = Breaker(3, 5, clock)
    for _ in range(2):
        breaker.failed()
    breaker.succeeded()
    breaker.failed()
    assert breaker.state == "closed" and breaker.failures == 1


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"quorum": 2}, "quorum 2 needs at least 2 rpc_urls"),
        ({"quorum": 2, "rpc_urls": ["http://a:1", "http://a:1"]}, "independent endpoints"),
        ({"quorum": 0}, "greater than or equal to 1"),
        ({"breaker_failures": 0}, "greater than or equal to 1"),
        ({"breaker_reset_seconds": 0}, "greater than 0"),
    ],
)
def test_config_refuses_an_impossible_quorum(fields: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        UtxoChainConfig.model_validate({"family": "utxo", "rpc_urls": ["http://a:1"], "confirmations": 6, **fields})


def test_config_defaults() -> None:
    config = UtxoChainConfig.model_validate({"family": "utxo", "rpc_urls": ["http://a:1"], "confirmations": 6})
    assert (config.quorum, config.breaker_failures, config.breaker_reset_seconds) == (1, 3, 30.0)


async def test_requests_in_flight_per_endpoint_are_bounded() -> None:
    """More callers than slots wait in the process instead of overflowing the node's work queue."""
    p = EndpointPool(
        "c", [("http://h:1", 1)], timeout_seconds=5, breaker_failures=3, breaker_reset_seconds=30, max_in_flight=3
    )
    in_flight = peak = 0

    async def ask(_: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return 7

    results = await asyncio.gather(*(p.first(ask) for _ in range(20)))
    assert results == [7] * 20 and peak == 3
