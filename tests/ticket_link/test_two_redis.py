"""The two-Redis layout (docs/operations.md): deposit_check keeps its watches and event streams in a
Redis of its own; ticket_link keeps its links and queue in another and reads deposit_check's
events from deposit_check's (DEPOSIT_EVENTS_REDIS_URL). Real litecoind, watcher, worker, helpdesk.

The shared-Redis layout is the one tests/ticket_link/test_flow.py runs.
"""

import asyncio
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

import httpx
import pytest

from deposit_check.app import create_app as create_deposit_check
from deposit_check.config import AppConfig as DepositCheckConfig
from deposit_check.config import parse_config as parse_deposit_check
from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer, running_redis
from tests.helpers import dev_mode
from tests.servers import run_worker, serve
from tests.stacks import desk_toml, litecoin_toml
from ticket_link.app import create_app as create_ticket_link
from ticket_link.bootstrap import build_components
from ticket_link.config import AppConfig, Settings, load_config
from ticket_link.devdesk.launcher import DevDesk

own_redis = contextmanager(running_redis)


@dataclass
class TwoRedisStack:
    url: str  # ticket_link
    config: AppConfig
    deposit_check_redis: RedisServer
    ticket_link_redis: RedisServer


def _notes(desk: DevDesk, ticket: int, count: int, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notes = [f for f in desk.followups(ticket) if not f["public"]]
        if len(notes) >= count:
            return notes
        time.sleep(0.1)
    raise AssertionError(f"ticket {ticket}: {count} internal note(s) did not arrive; got {desk.followups(ticket)}")


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, devdesk: DevDesk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRedisStack]:
    dc_text = litecoin_toml(litecoind)
    with own_redis() as dc_redis, own_redis() as tl_redis:
        dc_config = DepositCheckConfig(
            file=parse_deposit_check(dev_mode(dc_text), env={}), redis_url=dc_redis.url, source="test"
        )
        with serve(create_deposit_check(dc_config, run_watcher=True)) as dc_url:
            config_path = tmp_path_factory.mktemp("two_redis") / "ticket-link.toml"
            config_path.write_text(
                f"""
secret = "{secrets.token_urlsafe(32)}"
[api]
dev_mode = true
[deposit_check]
url = "{dc_url}"
[delivery]
retry_delay_seconds = 0.2
max_retry_delay_seconds = 1
{desk_toml(devdesk)}"""
            )
            # As an operator sets it: the worker process reads both URLs from its environment.
            env = {"TICKET_LINK_CONFIG": str(config_path), "DEPOSIT_EVENTS_REDIS_URL": dc_redis.url}
            with ExitStack() as running:
                with mock.patch.dict(os.environ, env):
                    config = load_config(Settings(redis_url=tl_redis.url))
                    running.enter_context(run_worker(config_path, tl_redis.url, config_path.parent / "worker.log"))
                assert (config.redis_url, config.events_redis_url) == (tl_redis.url, dc_redis.url)
                url = running.enter_context(serve(create_ticket_link(config)))
                yield TwoRedisStack(url, config, dc_redis, tl_redis)


def test_a_watcher_event_in_deposit_checks_redis_reaches_the_ticket(
    stack: TwoRedisStack, litecoind: Litecoind, devdesk: DevDesk
) -> None:
    ticket = devdesk.create_ticket("deposit pending", "hello", "two-redis@mail.example")
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.3"))
    claim = httpx.post(
        f"{stack.url}/v1/tickets/{ticket}/deposits", json={"tx_hash": txid, "address": address}, timeout=30
    )
    assert claim.status_code == 200, claim.text
    assert claim.json()["status"] == "pending" and claim.json()["watching"] is True
    _notes(devdesk, ticket, 1)
    litecoind.mine(1)  # the watcher's event, in deposit_check's Redis only: the second note comes from it
    notes = _notes(devdesk, ticket, 2)
    assert "1/6" in notes[1]["comment"].replace(" ", "")

    dc, tl = stack.deposit_check_redis.client(), stack.ticket_link_redis.client()
    assert not list(tl.scan_iter("dc:*"))  # nothing of deposit_check's lands in ticket_link's Redis
    assert not list(dc.scan_iter("tl:*")) and not list(dc.scan_iter("saq:*"))  # nor the other way round
    assert list(tl.scan_iter("tl:v1:claim:*")) and list(tl.scan_iter("saq:*"))
    streams = [s.decode() for s in dc.smembers("dc:v1:streams")]
    assert streams == ["dc:v1:{litecoin}:events"]
    groups = dc.xinfo_groups(streams[0])
    assert [(g["name"], g["pending"]) for g in groups] == [(b"ticket_link", 0)]  # read and acknowledged there

    ready = httpx.get(f"{stack.url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"redis": "ok", "deposit_check": "ok", "deposit_events": "ok"}


async def test_the_forms_live_card_hears_deposit_checks_events_from_its_redis(
    stack: TwoRedisStack, litecoind: Litecoind
) -> None:
    """The form's follow reads the events where deposit_check writes them: with a re-ask every 10
    minutes, only the watcher's event in deposit_check's Redis can bring the second card in time."""
    components = build_components(stack.config)
    try:
        address = litecoind.new_address("bech32")
        txid = litecoind.send(address, Decimal("0.4"))
        # As the form's check does first: deposit_check watches the deposit, so its events follow.
        await components.service.check(txid, address, chain="litecoin", expected_amount=None, watch=True)
        cards = components.service.follow(txid, address, "litecoin", None, refresh_seconds=600)
        first = await anext(cards)
        assert first["status"] == "pending"
        litecoind.mine(1)
        second = await asyncio.wait_for(anext(cards), 30)  # a re-ask would come in 10 minutes
        assert (second["status"], second["confirmations"]) == ("confirming", 1)
        await cards.aclose()  # type: ignore[attr-defined]  # typed AsyncIterator; an async generator in fact
    finally:
        await components.aclose()
