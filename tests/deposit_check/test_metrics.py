"""GET /metrics of deposit_check after real checks on litecoind, Redis and the in-process watcher,
and `deposit-check watch --metrics-port` as its own process."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import redis as redis_lib

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.litecoind import Litecoind, free_port
from deposit_check.keys import ChainKeys
from tests.conftest import RedisServer
from tests.metrics_scrape import assert_no_secret_in_labels, scrape, value
from tests.servers import serve

API_KEY = "metrics-test-key-0123456789"
DOWN_PASSWORD = "hunter2-down-node-password"
CHAIN = "ltc-metrics-api"


def config_text(litecoind: Litecoind, down_port: int, chain: str) -> str:
    # A chain name of its own: its lease and state are no other test's. The first endpoint never
    # answers (node errors, an open circuit) and has credentials in its URL.
    return f"""
[[api.keys]]
name = "bot"
sha256 = "{hashlib.sha256(API_KEY.encode()).hexdigest()}"
[watch]
poll_seconds = 0.2
recheck_seconds = 1
[chains.{chain}]
family = "utxo"
network = "regtest"
coin = "litecoin"
rpc_urls = ["http://user:{DOWN_PASSWORD}@127.0.0.1:{down_port}/", "{litecoind.rpc_url}"]
confirmations = 2
breaker_failures = 1
timeout_seconds = 2
"""


@pytest.fixture(scope="module")
def api(litecoind: Litecoind, redis_server: RedisServer) -> Iterator[str]:
    text = config_text(litecoind, free_port(), CHAIN)
    config = AppConfig(file=parse_config(text, env={}), redis_url=redis_server.url, source="test")
    with serve(create_app(config, run_watcher=True)) as url:
        yield url


def post_check(url: str, **body: object) -> dict:
    response = httpx.post(f"{url}/v1/checks", json=body, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_metrics_count_checks_nodes_and_the_watcher(api: str, litecoind: Litecoind) -> None:
    before = scrape(f"{api}/metrics")  # no API key needed
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.3"))
    litecoind.mine(1)
    first = post_check(api, tx_hash=txid, address=address, chain=CHAIN, watch=True)
    assert first["status"] == "confirming" and first["watching"] is True
    post_check(api, tx_hash=txid, address=address, chain=CHAIN)  # served from the cache
    post_check(api, tx_hash=txid, address=address, chain=CHAIN)
    litecoind.mine(1)

    def confirmed_event() -> bool:
        now = scrape(f"{api}/metrics")
        return value(now, "deposit_check_watch_events_total", chain=CHAIN, type="status") > value(
            before, "deposit_check_watch_events_total", chain=CHAIN, type="status"
        )

    wait_for(confirmed_event)
    after = scrape(f"{api}/metrics")

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("deposit_check_checks_total", chain=CHAIN, status="confirming", cache="miss") >= 1
    assert delta("deposit_check_checks_total", chain=CHAIN, status="confirming", cache="hit") >= 1
    assert delta("deposit_check_check_seconds_count", cache="miss") >= 1
    up = f"http://127.0.0.1:{litecoind.rpc_port}"
    errors = {
        dict(ls)["endpoint"]: v
        for (n, ls), v in after.items()
        if n == "deposit_check_node_errors_total" and ("chain", CHAIN) in ls
    }
    assert errors and all(e.startswith("http://127.0.0.1:") and e != up for e in errors)  # the dead one only
    assert delta("deposit_check_node_request_seconds_count", chain=CHAIN, endpoint=up, outcome="ok") >= 1
    states = {
        dict(ls)["endpoint"]: v
        for (n, ls), v in after.items()
        if n == "deposit_check_endpoint_circuit_state" and ("chain", CHAIN) in ls
    }
    assert states[up] == 0 and max(states.values()) >= 1  # the dead endpoint is open (or half-open)
    assert delta("deposit_check_watch_blocks_total", chain=CHAIN) >= 1
    assert delta("deposit_check_watch_block_seconds_count", chain=CHAIN) >= 1
    assert value(after, "deposit_check_watch_lease_held", chain=CHAIN) == 1
    assert value(after, "deposit_check_watch_deposits", chain=CHAIN) >= 1
    # Caught up: the tip its node answered is the block it processed last, the node's height (no lag).
    height = litecoind.cli("getblockcount")
    wait_for(lambda: value(scrape(f"{api}/metrics"), "deposit_check_watch_height", chain=CHAIN) == height)
    assert value(scrape(f"{api}/metrics"), "deposit_check_watch_tip_height", chain=CHAIN) == height
    assert delta("desk_http_responses_total", app="deposit_check", route="/v1/checks", status="200") >= 3
    assert_no_secret_in_labels(after, [txid, address, DOWN_PASSWORD, "user:", litecoind.rpc_password, API_KEY])


def test_watch_process_serves_metrics_on_its_own_port(
    litecoind: Litecoind, redis_server: RedisServer, tmp_path: Path
) -> None:
    config_path = tmp_path / "deposit-check.toml"
    config_path.write_text(config_text(litecoind, free_port(), "ltc-metrics-watch"))
    port = free_port()
    env = {**os.environ, "DEPOSIT_CHECK_CONFIG": str(config_path), "REDIS_URL": redis_server.url}
    with open(tmp_path / "watch.log", "wb") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "deposit-check"), "watch", "--metrics-port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def holds_lease() -> bool:
            try:
                return (
                    value(
                        scrape(f"http://127.0.0.1:{port}/metrics"),
                        "deposit_check_watch_lease_held",
                        chain="ltc-metrics-watch",
                    )
                    == 1
                )
            except httpx.TransportError:
                return False

        wait_for(holds_lease)
        # The lease is reported before the follower reads the tip it starts from: a block mined in
        # between would be that starting point, never processed. Mine once the start is recorded.
        cursor = ChainKeys("ltc-metrics-watch").cursor
        with redis_lib.Redis.from_url(redis_server.url) as r:
            wait_for(lambda: r.exists(cursor) == 1)
        litecoind.mine(1)
        wait_for(
            lambda: (
                value(
                    scrape(f"http://127.0.0.1:{port}/metrics"),
                    "deposit_check_watch_blocks_total",
                    chain="ltc-metrics-watch",
                )
                >= 1
            )
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, (tmp_path / "watch.log").read_text()
