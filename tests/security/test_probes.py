"""`/readyz` needs no key (issue 12, item 7): anyone who reaches it made us ask the nodes once per call.

Against a real litecoind behind a proxy that counts the RPC requests: deposit_check's `/readyz`
answers from a probe at most `[api] readyz_cache_seconds` old, and concurrent calls share the one
probe in flight; over D seconds, 100 calls reach the node at most ceil(D / ttl) + 1 times. The same
for ticket_link's `/readyz`, counted at deposit_check.
"""

import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from deposit_check.app import create_app as create_deposit_check
from deposit_check.config import AppConfig as DepositCheckConfig
from deposit_check.config import parse_config as parse_deposit_check
from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.servers import serve
from ticket_link.app import create_app as create_ticket_link
from ticket_link.config import AppConfig, parse_config

TTL = 0.5


class CountingProxy:
    """Forwards every request to `upstream` (path, headers and body) and counts them."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.requests = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                with proxy._lock:
                    proxy.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.request(self.command, proxy.upstream + self.path, content=body, headers=headers)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def node(litecoind: Litecoind) -> Iterator[CountingProxy]:
    proxy = CountingProxy(f"http://127.0.0.1:{litecoind.rpc_port}")
    yield proxy
    proxy.close()


def deposit_check(litecoind: Litecoind, node: CountingProxy, ttl: float) -> DepositCheckConfig:
    text = f"""
[api]
dev_mode = true
readyz_cache_seconds = {ttl}
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["http://{litecoind.rpc_user}:{litecoind.rpc_password}@127.0.0.1:{node.port}/"]
confirmations = 6
"""
    return DepositCheckConfig(file=parse_deposit_check(text, env={}), redis_url=None, source="test")


def hammer(url: str, calls: int = 100, spread_seconds: float = 1.5, workers: int = 10) -> tuple[list[int], float]:
    """`calls` GETs of `url`, `workers` at a time, spread over about `spread_seconds`: statuses, duration."""
    started = time.monotonic()

    def one(i: int) -> int:
        time.sleep(max(0.0, started + spread_seconds * i / calls - time.monotonic()))
        return httpx.get(url, timeout=30).status_code

    with ThreadPoolExecutor(workers) as pool:
        statuses = list(pool.map(one, range(calls)))
    return statuses, time.monotonic() - started


def test_one_readyz_probe_is_one_node_request(litecoind: Litecoind, node: CountingProxy) -> None:
    """The unit the bound below counts in, and the control that the proxy sees the probes at all."""
    with serve(create_deposit_check(deposit_check(litecoind, node, ttl=0))) as url:
        before = node.requests
        assert httpx.get(f"{url}/readyz").status_code == 200
        assert httpx.get(f"{url}/readyz").status_code == 200
        assert node.requests - before == 2  # ttl 0: a probe per call (the old behaviour)


def test_100_readyz_calls_reach_the_node_at_most_once_per_ttl(litecoind: Litecoind, node: CountingProxy) -> None:
    with serve(create_deposit_check(deposit_check(litecoind, node, ttl=TTL))) as url:
        before = node.requests
        statuses, duration = hammer(f"{url}/readyz")
        asked = node.requests - before
    assert statuses == [200] * 100
    assert 1 <= asked <= math.ceil(duration / TTL) + 1, (asked, duration)


def test_concurrent_readyz_calls_share_one_probe(litecoind: Litecoind, node: CountingProxy) -> None:
    with serve(create_deposit_check(deposit_check(litecoind, node, ttl=60))) as url:
        before = node.requests
        statuses, _ = hammer(f"{url}/readyz", calls=50, spread_seconds=0, workers=50)
        assert statuses == [200] * 50
        assert node.requests - before == 1


def test_ticket_link_readyz_asks_deposit_check_at_most_once_per_ttl(
    litecoind: Litecoind, node: CountingProxy, redis_server: RedisServer
) -> None:
    with serve(create_deposit_check(deposit_check(litecoind, node, ttl=0))) as dc_url:
        at_deposit_check = CountingProxy(dc_url)
        try:
            text = f"""
secret = "{"s" * 40}"
[api]
dev_mode = true
readyz_cache_seconds = {TTL}
[deposit_check]
url = "http://127.0.0.1:{at_deposit_check.port}"
"""
            config = AppConfig(file=parse_config(text, env={}), redis_url=redis_server.url, source="test")
            with serve(create_ticket_link(config)) as url:
                statuses, duration = hammer(f"{url}/readyz")
            asked = at_deposit_check.requests
        finally:
            at_deposit_check.close()
    assert statuses == [200] * 100
    assert 1 <= asked <= math.ceil(duration / TTL) + 1, (asked, duration)
