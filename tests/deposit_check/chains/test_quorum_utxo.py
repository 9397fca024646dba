"""Failover, circuit breaking and quorum of the UTXO adapter against real litecoind nodes.

Failover and the breaker use the session's node behind a dead or silent endpoint; the quorum uses
two nodes of its own on one regtest chain, forked off from each other and joined again.
"""

import socket
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.litecoind import Litecoind, free_port
from deposit_check.errors import NodeUnavailable
from deposit_check.models import Status
from deposit_check.verdict import decide
from tests.servers import serve

from .conftest import MakeUtxoChain

pytestmark = pytest.mark.litecoind

UNKNOWN_TXID = "ab" * 32


class PortCountingTransport(httpx.AsyncBaseTransport):
    """Counts the requests sent to each port; requests to `down` ports fail as a refused connection,
    those to `redirect` ports go to another port (a node that comes back)."""

    def __init__(self) -> None:
        self.requests: dict[int, int] = {}
        self.down: set[int] = set()
        self.redirect: dict[int, int] = {}
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port or 80
        self.requests[port] = self.requests.get(port, 0) + 1
        if port in self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if port in self.redirect:
            request.url = request.url.copy_with(port=self.redirect[port])
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def verdict_of(chain: object, obs: object) -> Status:
    return decide(obs, address="x", required=6, native=chain.native).status  # type: ignore[arg-type,attr-defined]


# --- failover and the breaker, on the session's node ---


async def test_first_endpoint_dead_second_answers(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    dead_port = free_port()
    transport = PortCountingTransport()
    chain = make_utxo_chain(f"http://u:s3cret@127.0.0.1:{dead_port}/", litecoind.rpc_url, transport=transport)
    assert not (await chain.observe(UNKNOWN_TXID, litecoind.new_address())).found
    assert transport.requests == {dead_port: 1, litecoind.rpc_port: 1}
    dead, live = chain.endpoint_states()
    assert dead["endpoint"] == f"http://127.0.0.1:{dead_port}" and dead["state"] == "closed"
    assert "ConnectError" in dead["last_error"] and dead["consecutive_failures"] == 1
    assert live["last_error"] is None and live["last_ok_at"] is not None
    assert "s3cret" not in str(chain.endpoint_states()) and litecoind.rpc_password not in str(chain.endpoint_states())


async def test_breaker_opens_skips_and_half_opens(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    flaky_port = free_port()  # nothing listens there: refused, then redirected to the node ("back up")
    transport = PortCountingTransport()
    transport.down.add(flaky_port)
    flaky_url = litecoind.rpc_url.replace(str(litecoind.rpc_port), str(flaky_port))
    chain = make_utxo_chain(
        flaky_url, litecoind.rpc_url, transport=transport, breaker_failures=2, breaker_reset_seconds=0.5
    )
    address = litecoind.new_address()

    for _ in range(2):
        assert not (await chain.observe(UNKNOWN_TXID, address)).found
    assert transport.requests[flaky_port] == 2 and chain.endpoint_states()[0]["state"] == "open"
    for _ in range(3):  # open: the failing endpoint is not asked at all
        assert not (await chain.observe(UNKNOWN_TXID, address)).found
        await chain.tip()
    assert transport.requests[flaky_port] == 2
    assert transport.requests[litecoind.rpc_port] == 2 + 6

    time.sleep(0.55)  # half-open: one probe, which fails: open again
    assert chain.endpoint_states()[0]["state"] == "half_open"
    await chain.observe(UNKNOWN_TXID, address)
    assert transport.requests[flaky_port] == 3 and chain.endpoint_states()[0]["state"] == "open"
    await chain.observe(UNKNOWN_TXID, address)
    assert transport.requests[flaky_port] == 3

    time.sleep(0.55)  # the node is back: the probe succeeds and the endpoint is first again
    transport.down.clear()
    transport.redirect[flaky_port] = litecoind.rpc_port
    before = transport.requests[litecoind.rpc_port]
    await chain.observe(UNKNOWN_TXID, address)
    await chain.tip()
    # Both went to the endpoint that is back (counted under its own port), none to the second one.
    assert transport.requests[flaky_port] == 5 and transport.requests[litecoind.rpc_port] == before
    state = chain.endpoint_states()[0]
    assert (state["state"], state["consecutive_failures"], state["retry_in_seconds"]) == ("closed", 0, None)


async def test_silent_endpoint_times_out_then_is_skipped(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        chain = make_utxo_chain(
            f"http://127.0.0.1:{silent.getsockname()[1]}/", litecoind.rpc_url, timeout_seconds=0.3, breaker_failures=1
        )
        address = litecoind.new_address()
        started = time.monotonic()
        assert not (await chain.observe(UNKNOWN_TXID, address)).found
        assert 0.25 < time.monotonic() - started < 2
        assert chain.endpoint_states()[0]["last_error"] in ("no answer within 0.3 s", "ReadTimeout")
        started = time.monotonic()
        assert not (await chain.observe(UNKNOWN_TXID, address)).found
        assert time.monotonic() - started < 0.2  # skipped while its circuit is open


async def test_ready_names_every_endpoint(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    dead = f"http://u:s3cret@127.0.0.1:{free_port()}/"
    await make_utxo_chain(dead, litecoind.rpc_url).ready()  # one fit endpoint is enough
    chain = make_utxo_chain(dead, litecoind.rpc_url, network="testnet")
    with pytest.raises(NodeUnavailable) as caught:
        await chain.ready()
    assert "ConnectError" in caught.value.message and "configured for 'test'" in caught.value.message
    assert "s3cret" not in caught.value.message


# --- quorum: two nodes on one chain ---


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Litecoind, Litecoind]]:
    """Two connected litecoind on one regtest chain; `a` has the wallet. Whitelisted: txs relay at once."""
    a = Litecoind(extra_args=["-whitelist=127.0.0.1"]).start()
    b = Litecoind(extra_args=["-whitelist=127.0.0.1"]).start()
    try:
        a.fund("dev", blocks=101)
        b.connect(a)
        b.wait_synced(a)
        yield a, b
    finally:
        a.close()
        b.close()


@pytest.fixture
def joined(pair: tuple[Litecoind, Litecoind]) -> Iterator[tuple[Litecoind, Litecoind]]:
    """The pair, connected and synced when the test starts and again after it."""
    a, b = pair
    yield a, b
    for node in (a, b):
        node.set_network_active(True)
    if not a.cli("getpeerinfo"):
        b.connect(a)
    a.mine(1)
    b.wait_synced(a)


def fork_off(a: Litecoind, b: Litecoind) -> None:
    b.set_network_active(False)
    a._wait(lambda: not a.cli("getpeerinfo"), 30, "a still sees b")


def join(a: Litecoind, b: Litecoind) -> None:
    """Reconnect; `a` mines one block more so that its side of the fork is the longer one."""
    b.set_network_active(True)
    b.connect(a)
    a.mine(1)
    b.wait_synced(a)


async def test_tx_mined_on_one_side_of_a_fork_is_disputed_then_confirmed(
    joined: tuple[Litecoind, Litecoind], make_utxo_chain: MakeUtxoChain
) -> None:
    a, b = joined
    chain = make_utxo_chain(a.rpc_url, b.rpc_url, quorum=2)
    address = a.new_address()
    fork_off(a, b)
    txid = a.send(address, Decimal("0.25"))  # b never hears of it
    [block_hash] = a.mine(1)

    seen = await chain.observe(txid, address)  # b lags one block behind: no contradiction yet
    assert verdict_of(chain, seen) is Status.CONFIRMING
    assert [v.block.hash if v.block else None for v in seen.views] == [block_hash, None]

    b.mine(1, address)  # b reaches that height on its own side, without the tx
    seen = await chain.observe(txid, address)
    assert verdict_of(chain, seen) is Status.DISPUTED
    assert [(v.found, v.block.hash if v.block else None) for v in seen.views] == [(True, block_hash), (False, None)]
    a.mine(6)
    assert verdict_of(chain, await chain.observe(txid, address)) is Status.DISPUTED  # never confirmed on one side

    join(a, b)  # b reorganises onto a's longer side
    seen = await chain.observe(txid, address)
    assert {v.block.hash if v.block else None for v in seen.views} == {block_hash}
    assert seen.confirmations == 8 and verdict_of(chain, seen) is Status.CONFIRMED


async def test_tx_in_different_blocks_on_each_side_is_disputed(
    joined: tuple[Litecoind, Litecoind], make_utxo_chain: MakeUtxoChain
) -> None:
    a, b = joined
    chain = make_utxo_chain(a.rpc_url, b.rpc_url, quorum=2)
    address = a.new_address()
    txid = a.send(address, Decimal("0.5"))
    b.wait_in_mempool(txid)
    fork_off(a, b)
    [on_a] = a.mine(1)
    [on_b] = b.mine(1, address)
    assert on_a != on_b
    a.mine(6)
    b.mine(6, address)

    [seen] = await chain.observe_many([(txid, address)])
    assert {v.block.hash for v in seen.views if v.block} == {on_a, on_b}
    assert verdict_of(chain, seen) is Status.DISPUTED

    join(a, b)
    seen = await chain.observe(txid, address)
    assert [v.block.hash for v in seen.views if v.block] == [on_a, on_a]
    assert verdict_of(chain, seen) is Status.CONFIRMED


async def test_one_endpoint_answering_is_never_confirmed(
    joined: tuple[Litecoind, Litecoind], make_utxo_chain: MakeUtxoChain
) -> None:
    a, _ = joined
    address = a.new_address()
    txid = a.send(address, Decimal("0.1"))
    a.mine(6)
    dead = f"http://u:p@127.0.0.1:{free_port()}/"
    alone = make_utxo_chain(a.rpc_url, dead, quorum=2)
    seen = await alone.observe(txid, address)
    assert seen.confirmations == 6 and len(seen.views) == 1
    assert verdict_of(alone, seen) is Status.CONFIRMING
    assert verdict_of(alone, await make_utxo_chain(a.rpc_url, dead).observe(txid, address)) is Status.CONFIRMED
    with pytest.raises(NodeUnavailable):  # none answers: unavailable, as without a quorum
        await make_utxo_chain(dead, dead.replace("u:p", "v:q"), quorum=2).observe(txid, address)


async def test_quorum_spare_endpoint_replaces_a_dead_one(
    joined: tuple[Litecoind, Litecoind], make_utxo_chain: MakeUtxoChain
) -> None:
    a, b = joined
    address = a.new_address()
    txid = a.send(address, Decimal("0.1"))
    a.mine(6)
    b.wait_synced(a)
    chain = make_utxo_chain(f"http://u:p@127.0.0.1:{free_port()}/", a.rpc_url, b.rpc_url, quorum=2)
    seen = await chain.observe(txid, address)
    assert [v.endpoint for v in seen.views] == [f"http://127.0.0.1:{a.rpc_port}", f"http://127.0.0.1:{b.rpc_port}"]
    assert verdict_of(chain, seen) is Status.CONFIRMED


def test_api_answers_disputed_with_each_view(pair: tuple[Litecoind, Litecoind], joined: object) -> None:
    a, b = pair
    config = AppConfig(
        file=parse_config(
            f"""
[cache]
pending_ttl_seconds = 0
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{a.rpc_url}", "{b.rpc_url}"]
confirmations = 2
quorum = 2
[api]
dev_mode = true
""",
            env={},
        ),
        redis_url=None,
        source="test",
    )
    address = a.new_address()
    fork_off(a, b)
    txid = a.send(address, Decimal("0.3"))
    block_hash = a.mine(2)[0]
    b.mine(2, address)
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as api:
        body = api.post("/v1/checks", json={"tx_hash": txid, "address": address}).json()
        assert body["status"] == "disputed" and body["final"] is False
        height, tip_a, tip_b = (
            a.cli("getblockheader", block_hash)["height"],
            a.cli("getblockcount"),
            b.cli("getblockcount"),
        )
        assert body["dispute"]["endpoints"] == [
            {
                "endpoint": f"http://127.0.0.1:{a.rpc_port}",
                "found": True,
                "block_height": height,
                "block_hash": block_hash,
                "confirmations": 2,
                "tip": tip_a,
            },
            {
                "endpoint": f"http://127.0.0.1:{b.rpc_port}",
                "found": False,
                "block_height": None,
                "block_hash": None,
                "confirmations": 0,
                "tip": tip_b,
            },
        ]
        assert "disagree" in body["note"] and a.rpc_password not in str(body)
        join(a, b)
        body = api.post("/v1/checks", json={"tx_hash": txid, "address": address}).json()
        assert (body["status"], body["note"], body["dispute"]) == ("confirmed", None, None)
