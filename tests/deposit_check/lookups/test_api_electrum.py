"""POST /v1/lookups end to end with the `electrum` source: real uvicorn, a real ElectrumX of this module's own
(it is stopped at the end) over the shared litecoind, and Redis for the watcher's index.

Two chains over the same node: `litecoin` asks the watcher's index and Electrum, `ltc_electrum` asks
Electrum alone; so one stopped server shows both documented rules: a source that fails is coverage
`complete: false` beside the ones that answered, and when no source answered the lookup is a 503."""

import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.litecoind import Litecoind
from harness.electrumx import ElectrumX
from harness.redis_server import RedisServer, running_redis
from tests.deposit_check.owners import DictOwnership
from tests.servers import serve
from tests.stacks import Key

DESK = Key("desk", scopes=("lookup",))


def config(litecoind: Litecoind, server: ElectrumX, redis_url: str) -> AppConfig:
    chains = "".join(
        f"""
[chains.{name}]
family = "utxo"
coin = "litecoin"
network = "regtest"
rpc_urls = ["{litecoind.rpc_url}"]
electrum_urls = ["{server.url}"]
timeout_seconds = 3
confirmations = 2
"""
        for name in ("litecoin", "ltc_electrum")
    )
    text = f"""{DESK.toml()}
[watch]
poll_seconds = 0.2
recheck_seconds = 1

[lookups.chains.litecoin]
sources = ["watcher", "electrum"]

[lookups.chains.ltc_electrum]
sources = ["electrum"]
{chains}"""
    return AppConfig(file=parse_config(text, env={}), redis_url=redis_url, source="test")


@pytest.fixture(scope="module")
def server(litecoind: Litecoind) -> Iterator[ElectrumX]:
    with ElectrumX(litecoind) as electrumx:
        yield electrumx


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    yield from running_redis()


@pytest.fixture(scope="module")
def ownership() -> DictOwnership:
    return DictOwnership()


@pytest.fixture(scope="module")
def api(
    litecoind: Litecoind, server: ElectrumX, own_redis: RedisServer, ownership: DictOwnership
) -> Iterator[httpx.Client]:
    app = create_app(config(litecoind, server, own_redis.url), run_watcher=True, ownership=ownership)
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def lookup(api: httpx.Client, address: str, chain: str) -> httpx.Response:
    return api.post("/v1/lookups", json={"address": address, "chain": chain}, headers=DESK.headers)


def test_deposits_across_blocks_and_the_mempool_newest_first(
    api: httpx.Client, litecoind: Litecoind, server: ElectrumX
) -> None:
    address = litecoind.new_address("bech32")
    first = litecoind.send(address, Decimal("0.1"))
    litecoind.mine(1)
    second = litecoind.send(address, Decimal("0.2"))
    litecoind.mine(1)
    pending = litecoind.send(address, Decimal("0.3"))
    tip = server.wait_synced()
    body = _until(api, address, "ltc_electrum", 3)
    got = [(d["tx_hash"], d["status"], d["confirmations"], d["received_amount"]) for d in body["deposits"]]
    assert got == [
        (pending, "pending", 0, "0.3"),
        (second, "confirming", 1, "0.2"),
        (first, "confirmed", 2, "0.1"),
    ]
    assert all(d["sources"] == ["electrum"] and d["address_owner"] == "unknown" for d in body["deposits"])
    [coverage] = body["coverage"]
    assert (coverage["source"], coverage["from_block"], coverage["to_block"]) == ("electrum", None, tip)
    assert coverage["mempool"] is True and coverage["complete"] is True and body["complete"] is True


def test_an_address_with_none_is_empty_with_full_coverage(api: httpx.Client, litecoind: Litecoind) -> None:
    response = lookup(api, litecoind.new_address("bech32"), "ltc_electrum")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["deposits"] == [] and body["complete"] is True and body["coverage"][0]["complete"] is True


def test_server_stopped_is_incomplete_beside_another_source_and_503_alone(
    api: httpx.Client, litecoind: Litecoind, server: ElectrumX, ownership: DictOwnership
) -> None:
    ours = litecoind.new_address("bech32")
    ownership.declare("litecoin", ours)
    sent = litecoind.send(ours, Decimal("0.4"))
    litecoind.mine(1)
    _until(api, ours, "litecoin", 1, lambda d: "watcher" in d["sources"])
    server.stop()  # last test of the module
    response = lookup(api, ours, "litecoin")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [d["tx_hash"] for d in body["deposits"]] == [sent] and body["complete"] is False
    coverage = {c["source"]: c for c in body["coverage"]}
    assert coverage["watcher"]["complete"] is True
    assert coverage["electrum"]["complete"] is False and coverage["electrum"]["note"].startswith("unavailable")
    alone = lookup(api, ours, "ltc_electrum")
    assert alone.status_code == 503, alone.text
    assert alone.json()["status"] == "unavailable"


def _until(api: httpx.Client, address: str, chain: str, count: int, each: object = None) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 30
    while True:
        response = lookup(api, address, chain)
        assert response.status_code == 200, response.text
        body = response.json()
        ready = [d for d in body["deposits"] if each is None or each(d)]  # type: ignore[operator]
        if len(ready) >= count or time.monotonic() > deadline:
            return body  # type: ignore[no-any-return]
        time.sleep(0.3)
