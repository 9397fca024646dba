"""A worker killed with SIGKILL in the middle of posting a note: the job is retried by another
worker, and the note is in the ticket exactly once (the retry finds it there and does not post again)."""

import secrets
import signal
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import redis

from deposit_check.app import create_app as create_deposit_check
from deposit_check.config import AppConfig as DepositCheckConfig
from deposit_check.config import parse_config as parse_deposit_check
from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.servers import run_worker, serve
from tests.stacks import desk_toml, litecoin_toml
from ticket_link.app import create_app as create_ticket_link
from ticket_link.config import AppConfig, parse_config
from ticket_link.devdesk.launcher import DevDesk


class HoldingProxy:
    """Forwards to the desk; while `hold` is set, keeps the answer to a posted note to itself for a while
    (the note is saved in the desk, the worker never hears so)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.hold = threading.Event()
        self.held = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.request(
                    self.command, proxy.upstream + self.path, content=body, headers=headers, timeout=30
                )
                if self.command == "POST" and proxy.hold.is_set():
                    proxy.held.set()
                    time.sleep(30)  # the worker is killed meanwhile
                self.send_response(answer.status_code)
                for k, v in answer.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def crash_stack(
    litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple]:
    dc_text = litecoin_toml(litecoind, watch=False)
    dc_config = DepositCheckConfig(
        file=parse_deposit_check(dev_mode(dc_text), env={}), redis_url=redis_server.url, source="test"
    )
    desk = DevDesk(base_dir=tmp_path_factory.mktemp("crashdesk")).start()
    proxy = HoldingProxy(desk.base_url)
    work = tmp_path_factory.mktemp("crash")
    try:
        with serve(create_deposit_check(dc_config)) as dc_url:
            text = f"""
secret = "{secrets.token_urlsafe(32)}"
[deposit_check]
url = "{dc_url}"
[delivery]
job_timeout_seconds = 3
retries = 10
retry_delay_seconds = 0.2
max_retry_delay_seconds = 1
{desk_toml(desk, proxy.url)}webhook_secret = "{secrets.token_urlsafe(16)}"
"""
            config_path = work / "ticket-link.toml"
            config_path.write_text(text)
            config = AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=redis_server.url, source="test")
            with serve(create_ticket_link(config)) as url:
                yield desk, proxy, url, config_path, work
    finally:
        proxy.close()
        desk.close()


def internal_notes(desk: DevDesk, ticket: int) -> list[dict]:
    return [f for f in desk.followups(ticket) if not f["public"]]


def test_killed_mid_post_the_note_is_posted_once(
    crash_stack: tuple, litecoind: Litecoind, redis_server: RedisServer
) -> None:
    desk, proxy, url, config_path, work = crash_stack
    ticket = desk.create_ticket("deposit", "hello", "k@mail.example")
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.9"))
    litecoind.mine(6)
    proxy.hold.set()
    log = work / "worker-a.log"
    with run_worker(config_path, redis_server.url, log) as worker_a:
        response = httpx.post(
            f"{url}/v1/tickets/{ticket}/deposits", json={"tx_hash": txid, "address": address}, timeout=30
        )
        assert response.json()["ticket_note"]["status"] == "queued"
        assert proxy.held.wait(20), "the worker never posted"
        deadline = time.monotonic() + 10
        while not internal_notes(desk, ticket) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(internal_notes(desk, ticket)) == 1  # saved in the desk; the worker has not heard
        worker_a.send_signal(signal.SIGKILL)
        worker_a.wait(10)
    proxy.hold.clear()
    client = redis.Redis.from_url(redis_server.url)
    with run_worker(config_path, redis_server.url, work / "worker-b.log"):
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if (
                any(True for _ in client.scan_iter("tl:v1:posted:*"))
                and "already there" in (work / "worker-b.log").read_text()
            ):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the job was not retried: " + (work / "worker-b.log").read_text()[-2000:])
    notes = internal_notes(desk, ticket)
    assert len(notes) == 1 and txid in notes[0]["comment"]
