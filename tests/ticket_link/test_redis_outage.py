"""Redis goes away and comes back, on a redis-server of this module's own (AOF on, so what was
written survives its restart), never the shared one.

deposit_check keeps answering checks from the node without its cache (never a wrong verdict),
says so in `/readyz`, and answers `watch: true` with `watching: false`. ticket_link refuses a claim
it cannot record (503 `unavailable`, never "queued"), and a note queued before the outage is posted
by a real worker into a real django-helpdesk after Redis is back.
"""

import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from deposit_check.app import create_app as create_deposit_check
from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.servers import run_worker, serve
from tests.stacks import deposit_check_config, desk_toml
from tests.ticket_link.settle import wait_until_settled
from ticket_link.app import create_app as create_ticket_link
from ticket_link.config import AppConfig, parse_config
from ticket_link.devdesk.launcher import DevDesk


@dataclass
class Outage:
    redis: RedisServer
    deposit_check: str
    ticket_link: str
    config_path: Path
    config: AppConfig
    work: Path


@pytest.fixture(scope="module")
def outage(litecoind: Litecoind, devdesk: DevDesk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    server = RedisServer(appendonly=True).start()
    work = tmp_path_factory.mktemp("outage")
    try:
        with serve(create_deposit_check(deposit_check_config(litecoind, server.url, []))) as dc_url:
            text = f"""
secret = "{secrets.token_urlsafe(32)}"
[deposit_check]
url = "{dc_url}"
[delivery]
retry_delay_seconds = 0.2
max_retry_delay_seconds = 1
{desk_toml(devdesk)}"""
            config_path = work / "ticket-link.toml"
            config_path.write_text(text)
            config = AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=server.url, source="test")
            with serve(create_ticket_link(config)) as tl_url:
                yield Outage(server, dc_url, tl_url, config_path, config, work)
                if server.proc is None:  # let the apps close their queues on a live Redis
                    server.start()
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture
def down(outage: Outage) -> Iterator[RedisServer]:
    """Redis stopped for the test's body (SIGTERM: it writes its AOF out), started again after."""
    outage.redis.stop()
    try:
        yield outage.redis
    finally:
        if outage.redis.proc is None:
            outage.redis.start()


def internal_notes(desk: DevDesk, ticket: int) -> list[dict]:
    """Our notes (django-helpdesk adds its own "Referenced in ticket #n" follow-ups)."""
    return [
        f
        for f in desk.followups(ticket)
        if not f["public"] and (f["comment"] or "").startswith("[Automatic deposit check]")
    ]


def test_deposit_check_answers_without_its_cache(outage: Outage, litecoind: Litecoind, down: RedisServer) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.11"))
    litecoind.mine(2)
    body = {"tx_hash": txid, "address": address, "chain": "litecoin", "expected_amount": "0.11"}
    with httpx.Client(base_url=outage.deposit_check, timeout=30) as client:
        verdict = client.post("/v1/checks", json=body)
        assert verdict.status_code == 200, verdict.text
        got = verdict.json()
        assert (got["status"], got["confirmations"], got["amount_status"]) == ("confirming", 2, "exact")
        assert verdict.headers["x-cache"] == "miss"
        litecoind.mine(4)  # no stale cache can hold it back (or push it forward): the node says 6 of 6
        assert client.post("/v1/checks", json=body).json()["status"] == "confirmed"

        watched = client.post("/v1/checks", json={**body, "watch": True})
        assert watched.status_code == 200, watched.text
        assert watched.json()["watching"] is False and watched.json()["status"] == "confirmed"

        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["store:redis"].startswith("unavailable")
        assert ready.json()["checks"]["chain:litecoin"] == "ok"


def test_deposit_check_is_ready_again_when_redis_is_back(outage: Outage) -> None:
    deadline = time.monotonic() + 10
    while (ready := httpx.get(f"{outage.deposit_check}/readyz", timeout=30)).status_code != 200:
        assert time.monotonic() < deadline, ready.text
        time.sleep(0.2)


def test_ticket_link_refuses_what_it_cannot_record_and_loses_nothing_queued_before(
    outage: Outage, litecoind: Litecoind, devdesk: DevDesk
) -> None:
    before, during = (devdesk.create_ticket(f"deposit {i}", "hello", f"p{i}@mail.example") for i in range(2))
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.3"))
    # A deposit of its own for the second ticket: two tickets claiming one tx would each get a duplicate note.
    other_txid = litecoind.send(address, Decimal("0.4"))
    litecoind.mine(6)
    claim = {"tx_hash": txid, "address": address}
    other_claim = {"tx_hash": other_txid, "address": address}
    with httpx.Client(base_url=outage.ticket_link, timeout=30) as client:
        queued = client.post(f"/v1/tickets/{before}/deposits", json=claim)  # no worker yet: it waits in Redis
        assert queued.status_code == 200 and queued.json()["ticket_note"] == {"status": "queued"}, queued.text

        outage.redis.stop()
        try:
            refused = client.post(f"/v1/tickets/{during}/deposits", json=other_claim)
            assert refused.status_code == 503, refused.text
            assert refused.json()["status"] == "unavailable" and refused.json()["error"]["code"] == "unavailable"
            assert "Redis" in refused.json()["error"]["message"] and "retry" in refused.json()["error"]["message"]
            assert client.get("/readyz").json()["checks"]["redis"].startswith("unavailable")
        finally:
            outage.redis.start()  # same port and directory: the AOF brings back what was written

    with run_worker(outage.config_path, outage.redis.url, outage.work / "worker.log"):
        deadline = time.monotonic() + 40
        while not internal_notes(devdesk, before):
            assert time.monotonic() < deadline, (outage.work / "worker.log").read_text()[-3000:]
            time.sleep(0.3)
        assert internal_notes(devdesk, during) == []  # refused: never claimed as queued, nothing posted
        # The caller retries once Redis is back (the first call may meet a connection the restart closed:
        # an honest 503 again); the claim goes through, and the ticket gets its note once.
        for _ in range(10):
            again = httpx.post(f"{outage.ticket_link}/v1/tickets/{during}/deposits", json=other_claim, timeout=30)
            if again.status_code == 200:
                break
            assert again.status_code == 503 and again.json()["error"]["code"] == "unavailable", again.text
            time.sleep(0.5)
        assert again.status_code == 200 and again.json()["ticket_note"]["status"] in ("queued", "already_posted")
        while not internal_notes(devdesk, during):
            assert time.monotonic() < deadline + 20, (outage.work / "worker.log").read_text()[-3000:]
            time.sleep(0.3)
        wait_until_settled(outage.config)  # every note accepted is posted: no duplicate can still come
    assert len(internal_notes(devdesk, before)) == 1 and txid in internal_notes(devdesk, before)[0]["comment"]
    assert len(internal_notes(devdesk, during)) == 1
