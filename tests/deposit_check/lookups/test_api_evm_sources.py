"""POST /v1/lookups end to end on an EVM chain naming every EVM source (`watcher`, `evm_logs`, `evm_trace`):
real uvicorn, anvil behind a proxy that enforces a provider's range cap (harness/rpc_limits.py), Redis."""

import os
import time
from collections.abc import Iterator

import httpx
import pytest
from eth_utils import to_checksum_address

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.anvil import Anvil
from harness.redis_server import RedisServer, running_redis
from harness.rpc_limits import RpcLimits
from tests.deposit_check.owners import DictOwnership
from tests.servers import serve
from tests.stacks import Key

pytestmark = pytest.mark.anvil

ETHER = 10**18
DESK = Key("desk", scopes=("lookup",))
CAP = 50  # the provider refuses eth_getLogs / trace_filter over more blocks than this


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    with Anvil(chain_id=31337) as anvil:
        anvil.mine(500)  # a history longer than `max_blocks_back` (400), itself wider than the cap
        yield anvil


@pytest.fixture(scope="module")
def token(node: Anvil) -> str:
    return node.deploy_token("Tether USD (test)", "USDT", 6, node.accounts[0])


@pytest.fixture(scope="module")
def payouts(node: Anvil) -> str:
    return node.deploy_payouts(node.accounts[0])[0]


@pytest.fixture(scope="module")
def proxy(node: Anvil) -> Iterator[RpcLimits]:
    limits = RpcLimits(node.rpc_url, max_blocks=CAP, capped=("eth_getLogs", "trace_filter"))
    yield limits
    limits.close()


def config(proxy: RpcLimits, token: str, redis_url: str) -> AppConfig:
    text = f"""{DESK.toml()}
[watch]
poll_seconds = 0.2
recheck_seconds = 1

[lookups.chains.ethereum]
sources = ["watcher", "evm_logs", "evm_trace"]

[lookups.chains.ethereum.options.evm_logs]
max_blocks_back = 400
chunk_blocks = 256

[lookups.chains.ethereum.options.evm_trace]
max_blocks_back = 400
chunk_blocks = 256

[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{proxy.url}"]
confirmations = 3

[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "{token}"
decimals = 6
"""
    return AppConfig(file=parse_config(text, env={}), redis_url=redis_url, source="test")


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    yield from running_redis()


@pytest.fixture(scope="module")
def ownership() -> DictOwnership:
    return DictOwnership()


@pytest.fixture(scope="module")
def api(proxy: RpcLimits, token: str, own_redis: RedisServer, ownership: DictOwnership) -> Iterator[httpx.Client]:
    app = create_app(config(proxy, token, own_redis.url), run_watcher=True, ownership=ownership)
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def lookup(api: httpx.Client, address: str) -> httpx.Response:
    return api.post("/v1/lookups", json={"address": address, "chain": "ethereum"}, headers=DESK.headers)


def test_token_and_forwarded_native_deposits_found_by_every_source(
    api: httpx.Client, node: Anvil, token: str, payouts: str, proxy: RpcLimits, ownership: DictOwnership
) -> None:
    casino = to_checksum_address("0x" + os.urandom(20).hex())
    ownership.declare("ethereum", casino)
    tokens = node.token_transfer(token, node.accounts[0], casino, 1_500_000).lower()
    node.mine(60)
    forwarded = node.call(node.accounts[4], payouts, "forward(address)", casino, value=2 * ETHER).lower()
    node.mine(1)  # 2 confirmations of 3
    body = _until(api, casino, lambda b: any("watcher" in d["sources"] for d in b["deposits"]))
    deposits = {d["tx_hash"]: d for d in body["deposits"]}
    assert [d["tx_hash"] for d in body["deposits"]] == [forwarded, tokens]  # newest first
    native = deposits[forwarded]
    assert (native["status"], native["confirmations"]) == ("confirming", 2)
    assert paid_in(native) == [("ETH", "2")]
    assert native["internal_transfers"] == "counted" and "evm_trace" in native["sources"]
    paid = deposits[tokens]
    assert (paid["status"], paid_in(paid)) == ("confirmed", [("USDT", "1.5")])
    assert {"watcher", "evm_logs"} <= set(paid["sources"])
    assert all(d["address_owner"] == "casino" for d in body["deposits"])
    coverage = {c["source"]: c for c in body["coverage"]}
    assert set(coverage) == {"watcher", "evm_logs", "evm_trace"} and body["complete"] is True
    tip = node.block_number()
    for name, assets in (("evm_logs", ["USDT"]), ("evm_trace", ["ETH"])):
        c = coverage[name]
        assert (c["from_block"], c["to_block"], c["assets"], c["complete"]) == (tip - 399, tip, assets, True)
    # The provider's cap was hit by both methods, and the chunks were halved until it was obeyed.
    assert proxy.refused and all(high - low + 1 > CAP for low, high in proxy.refused)
    assert proxy.count("trace_filter") > 1 and proxy.count("eth_getLogs") > 1


def test_a_range_the_provider_refuses_outright_is_incomplete_coverage(
    api: httpx.Client, node: Anvil, token: str, proxy: RpcLimits, ownership: DictOwnership
) -> None:
    casino = to_checksum_address("0x" + os.urandom(20).hex())
    ownership.declare("ethereum", casino)
    sent = node.token_transfer(token, node.accounts[0], casino, 2_000_000).lower()
    _until(api, casino, lambda b: len(b["deposits"]) == 1 and "watcher" in b["deposits"][0]["sources"])
    proxy.max_blocks = 0  # now even one block is too much
    try:
        body = lookup(api, casino).json()
    finally:
        proxy.max_blocks = CAP
    assert [d["tx_hash"] for d in body["deposits"]] == [sent]  # the watcher's index still answers
    coverage = {c["source"]: c for c in body["coverage"]}
    assert coverage["watcher"]["complete"] is True and body["complete"] is False
    for name, method in (("evm_logs", "eth_getLogs"), ("evm_trace", "trace_filter")):
        assert coverage[name]["complete"] is False
        assert f"refused {method} even for block" in coverage[name]["note"]


def paid_in(deposit: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(p["asset"], p["amount"]) for p in deposit["payments"]]


def _until(api: httpx.Client, address: str, done: object, timeout: float = 30) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        response = lookup(api, address)
        assert response.status_code == 200, response.text
        body = response.json()
        if done(body) or time.monotonic() > deadline:  # type: ignore[operator]
            return body  # type: ignore[no-any-return]
        time.sleep(0.3)
