"""A TRON node on the right network: its genesis block (`getblockbynum 0`) against the configured network's
published id, read once per endpoint before anything else; a node on another network never gives a verdict.

What is replayed: mainnet's genesis block answer is published (tests/fixtures/tron/genesis/), Nile's and
Shasta's are not. So a chain configured for Nile or Shasta pointed at the mainnet replay is the wrong-network
case, with a real answer; a Nile chain on the Nile replay can only show that a node without block 0 fails."""

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from deposit_check.app import create_app
from deposit_check.chains.tron import TronChain
from deposit_check.chains.tron.network import GENESIS
from deposit_check.config import AppConfig, parse_config
from deposit_check.errors import NodeUnavailable
from deposit_check.models import Status
from deposit_check.verdict import Expectation, decide
from harness.tron_replay import FIXTURES, TronReplay, load_fixtures
from tests.deposit_check.tron.conftest import USDT_BLOCK, USDT_CONTRACT, USDT_PAYEE, USDT_TX, tron_config
from tests.helpers import dev_mode
from tests.servers import serve

GENESIS_PATH = "/wallet/getblockbynum"


@pytest.fixture
def nile() -> Iterator[TronReplay]:
    node = TronReplay(load_fixtures("nile"))
    yield node
    node.close()


def test_the_genesis_ids_end_in_tip_474s_chain_ids_and_mainnets_is_the_published_blocks() -> None:
    # TIP-474 gives each network's chain id apart from its genesis id: the chain id is the id's last 4 bytes.
    chain_ids = {"mainnet": 728126428, "nile": 3448148188, "shasta": 2494104990}
    assert {name: int(genesis[-8:], 16) for name, genesis in GENESIS.items()} == chain_ids
    assert all(len(g) == 64 and g.startswith("0" * 16) for g in GENESIS.values())  # height 0, 8 bytes
    published = json.loads((FIXTURES / "genesis" / "mainnet_getblockbynum_0.json").read_text())
    assert published["response"]["blockID"] == GENESIS["mainnet"]


async def test_a_mainnet_node_is_checked_once_then_trusted(chain: TronChain, replay: TronReplay) -> None:
    await chain.ready()
    assert replay.count(GENESIS_PATH) == 1
    await chain.ready()
    obs = await chain.observe(USDT_TX, USDT_PAYEE)
    await chain.head()
    assert obs.found and obs.payments and replay.count(GENESIS_PATH) == 1


async def test_concurrent_first_checks_share_one_genesis_read(chain: TronChain, replay: TronReplay) -> None:
    seen = await asyncio.gather(*(chain.observe(USDT_TX, USDT_PAYEE) for _ in range(20)))
    assert all(s.found for s in seen) and replay.count(GENESIS_PATH) == 1


@pytest.mark.parametrize("network", ["nile", "shasta"])
async def test_a_node_on_another_network_gives_no_verdict(replay: TronReplay, network: str) -> None:
    replay.set_heights(tip=USDT_BLOCK + 40, solidified=USDT_BLOCK + 21)
    tron = TronChain("tron", tron_config(replay.url, network=network, breaker_failures=100))
    wrong = rf"wrong network: the node's genesis block is {GENESIS['mainnet']} \(TRON mainnet\), this chain is configured for TRON {network}"
    try:
        with pytest.raises(NodeUnavailable, match=wrong) as caught:
            await tron.ready()
        assert caught.value.chain == "tron"
        # The replay holds this USDT transfer: on the mainnet chain it is confirmed; here no verdict at all.
        with pytest.raises(NodeUnavailable, match="wrong network"):
            await tron.observe(USDT_TX, USDT_PAYEE)
        with pytest.raises(NodeUnavailable, match="wrong network"):
            await tron.observe("ab" * 32, USDT_PAYEE)  # would be "not found" otherwise
        with pytest.raises(NodeUnavailable, match="wrong network"):
            await tron.head()
        with pytest.raises(NodeUnavailable, match="wrong network"):
            await tron.block(GENESIS["mainnet"])
        [state] = tron.endpoint_states()
        assert "wrong network" in (state["last_error"] or "")
        # Nothing else was asked of it: every call stopped at the genesis read.
        assert set(replay.counts()) == {GENESIS_PATH}
    finally:
        await tron.aclose()


async def test_a_node_without_block_0_is_refused(nile: TronReplay) -> None:
    """Nile's replay holds no genesis answer (none was published), so it answers `{}` for block 0, as a node
    does for a block it lacks: that is no TRON node we can vouch for."""
    tron = TronChain("tron", tron_config(nile.url, network="nile"))
    try:
        with pytest.raises(NodeUnavailable, match="no genesis block"):
            await tron.ready()
        with pytest.raises(NodeUnavailable, match="no genesis block"):
            await tron.tip()
    finally:
        await tron.aclose()


async def test_the_next_node_answers_when_the_first_is_unfit(replay: TronReplay, nile: TronReplay) -> None:
    tron = TronChain("tron", tron_config(nile.url, replay.url))
    try:
        obs = await tron.observe(USDT_TX, USDT_PAYEE)
        assert obs.found and obs.payments
        first, second = tron.endpoint_states()
        assert "no genesis block" in (first["last_error"] or "") and second["last_error"] is None
        await tron.ready()  # one fit endpoint is enough, as on the other families
    finally:
        await tron.aclose()


async def test_a_quorum_counts_only_nodes_on_the_network(replay: TronReplay, nile: TronReplay) -> None:
    """Two nodes must agree: one fit node is one view, so a deep enough transfer is held, never confirmed."""
    replay.set_heights(tip=USDT_BLOCK + 40, solidified=USDT_BLOCK + 21)
    tron = TronChain("tron", tron_config(replay.url, nile.url, quorum=2))
    try:
        obs = await tron.observe(USDT_TX, USDT_PAYEE)
        assert [view.endpoint for view in obs.views] == [replay.url]
        expectation = Expectation(tron.assets()["USDT"])
        v = decide(obs, address=USDT_PAYEE, required=19, native=tron.native, expectation=expectation)
        assert v.status is Status.CONFIRMING and v.awaiting_quorum
    finally:
        await tron.aclose()


async def test_a_node_that_failed_is_checked_again(chain: TronChain, replay: TronReplay) -> None:
    await chain.observe(USDT_TX, USDT_PAYEE)
    replay.down("503")
    with pytest.raises(NodeUnavailable):
        await chain.observe(USDT_TX, USDT_PAYEE)
    replay.up()
    assert (await chain.observe(USDT_TX, USDT_PAYEE)).found
    assert replay.count(GENESIS_PATH) == 2  # it came back: maybe as another node, so asked again


async def test_the_check_is_repeated_after_recheck_seconds(chain: TronChain, replay: TronReplay) -> None:
    assert chain.http.network is not None
    chain.http.network.recheck_seconds = 0.0
    for _ in range(3):
        await chain.observe(USDT_TX, USDT_PAYEE)
    assert replay.count(GENESIS_PATH) == 3


@pytest.fixture
def wrong_network_api(replay: TronReplay) -> Iterator[httpx.Client]:
    text = f"""
[cache]
final_ttl_seconds = 0
pending_ttl_seconds = 0.01
[chains.tron]
family = "tron"
network = "nile"
http_urls = ["{replay.url}"]
timeout_seconds = 2
[[chains.tron.tokens]]
symbol = "USDT"
contract = "{USDT_CONTRACT}"
decimals = 6
"""
    text = dev_mode(text) + "readyz_cache_seconds = 0\n"  # into dev_mode's [api] table
    config = AppConfig(file=parse_config(text, env={}), redis_url=None, source="test")
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_readyz_and_checks_answer_503_with_the_reason(wrong_network_api: httpx.Client, replay: TronReplay) -> None:
    replay.set_heights(tip=USDT_BLOCK + 40, solidified=USDT_BLOCK + 21)
    ready = wrong_network_api.get("/readyz")
    assert ready.status_code == 503
    assert (
        "wrong network" in ready.json()["checks"]["chain:tron"] and "TRON nile" in ready.json()["checks"]["chain:tron"]
    )
    response = wrong_network_api.post("/v1/checks", json={"tx_hash": USDT_TX, "address": USDT_PAYEE, "asset": "USDT"})
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["error"]["code"] == "unavailable"
    assert "wrong network" in body["error"]["message"]
