"""POST /v1/lookups over HTTP (real uvicorn, litecoind, Redis): keys and scopes, clear 422s, 503 when no source
could answer, and a lookup of the real watcher's index end to end."""

import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.litecoind import Litecoind
from harness.redis_server import RedisServer, running_redis
from tests.deposit_check.owners import DictOwnership
from tests.servers import serve
from tests.stacks import Key

LOOKUP = Key("desk", scopes=("lookup",), rate_limit="3/minute")
CHECK_ONLY = Key("bot", scopes=("check",))
FREE = Key("free")  # every scope but explicit ones (lookup included)


def config(litecoind: Litecoind, redis_url: str) -> AppConfig:
    text = f"""{LOOKUP.toml()}{CHECK_ONLY.toml()}{FREE.toml()}
[lookups]
max_results = 2
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{litecoind.rpc_url}"]
confirmations = 6
"""
    return AppConfig(file=parse_config(text, env={}), redis_url=redis_url, source="test")


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    yield from running_redis()


@pytest.fixture(scope="module")
def ownership(litecoind: Litecoind) -> DictOwnership:
    owned = DictOwnership()
    owned.declare("litecoin", litecoind.new_address("bech32"))
    return owned


@pytest.fixture(scope="module")
def api(litecoind: Litecoind, own_redis: RedisServer, ownership: DictOwnership) -> Iterator[httpx.Client]:
    app = create_app(config(litecoind, own_redis.url), run_watcher=True, ownership=ownership)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def lookup(api: httpx.Client, key: Key = LOOKUP, **body: object) -> httpx.Response:
    return api.post("/v1/lookups", json=body, headers=key.headers)


class TestLookups:
    def test_anonymous(self, api: httpx.Client) -> None:
        assert api.post("/v1/lookups", json={"address": "x"}).status_code == 401

    def test_missing_scope(self, api: httpx.Client, litecoind: Litecoind) -> None:
        response = lookup(api, CHECK_ONLY, address=litecoind.new_address("bech32"))
        assert response.status_code == 403 and "lookup" in response.text

    def test_bad_input_is_a_clear_422(self, api: httpx.Client, litecoind: Litecoind) -> None:
        address = litecoind.new_address("bech32")
        cases = {
            "invalid_address": {"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},  # no EVM chain here
            "unknown_chain": {"address": address, "chain": "dogecoin"},
            "unknown_asset": {"address": address, "chain": "litecoin", "asset": "USDT"},
            "invalid_request": {"address": address, "since": "2026-12-01T09:00:00"},  # no time zone
        }
        for code, body in cases.items():
            response = lookup(api, FREE, **body)
            assert response.status_code == 422, (code, response.text)
            assert response.json()["error"]["code"] == code, response.text

    def test_valid_deposits_from_the_watchers_index_capped_and_truncated(
        self, api: httpx.Client, litecoind: Litecoind, ownership: DictOwnership
    ) -> None:
        ours = litecoind.new_address("bech32")
        ownership.declare("litecoin", ours)
        sent = [litecoind.send(ours, Decimal(a)) for a in ("0.1", "0.2", "0.3")]
        litecoind.mine(1)
        body = _until_found(api, ours, 2)
        assert {d["tx_hash"] for d in body["deposits"]} <= set(sent) and body["truncated"] is True
        assert body["deposits"][0]["status"] == "confirming" and body["deposits"][0]["payments"][0]["asset"] == "LTC"
        assert body["coverage"][0]["source"] == "watcher" and body["complete"] is True

    def test_rate_limited_like_checks(self, api: httpx.Client, litecoind: Litecoind) -> None:
        address = litecoind.new_address("bech32")
        codes = [lookup(api, LOOKUP, address=address).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]

    def test_no_source_answering_is_503_never_an_empty_list(
        self, api: httpx.Client, own_redis: RedisServer, litecoind: Litecoind
    ) -> None:
        address = litecoind.new_address("bech32")
        own_redis.stop()  # the watcher's index is gone (last test of the module)
        response = lookup(api, FREE, address=address, chain="litecoin")
        assert response.status_code == 503, response.text
        assert response.json()["status"] == "unavailable" and "watcher" in response.json()["error"]["message"]


def _until_found(api: httpx.Client, address: str, count: int) -> dict:
    deadline = time.monotonic() + 20
    while True:
        response = lookup(api, FREE, address=address)
        assert response.status_code == 200, response.text
        if len(response.json()["deposits"]) >= count or time.monotonic() > deadline:
            return response.json()
        time.sleep(0.3)
