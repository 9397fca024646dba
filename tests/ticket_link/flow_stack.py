"""The full stack the flow tests run against: real litecoind, Redis, deposit_check (with its watcher),
ticket_link, its worker and django-helpdesk (DevDesk), whose webhooks go to ticket_link."""

import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from deposit_check.app import create_app as create_deposit_check
from deposit_check.config import AppConfig as DepositCheckConfig
from deposit_check.config import parse_config as parse_deposit_check
from deposit_check.devnet.litecoind import Litecoind, free_port
from desk_common.redis_connect import connect_sync
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.servers import run_worker, serve
from tests.stacks import desk_toml
from tests.ticket_link.settle import wait_until, wait_until_settled
from ticket_link.app import create_app as create_ticket_link
from ticket_link.config import AppConfig, parse_config
from ticket_link.devdesk.launcher import DevDesk

WEBHOOK_SECRET = secrets.token_urlsafe(24)
EXPLORER = "https://explorer.example/ltc/tx/{tx_hash}"


@dataclass
class Stack:
    desk: DevDesk
    url: str  # ticket_link
    redis: RedisServer | None  # None: `redis_url` named another kind of Redis (a Sentinel set)
    config: AppConfig
    litecoind: Litecoind
    worker_log: Path
    worker_metrics: str  # the worker's /metrics (--metrics-port)
    started: float  # time.time() when it started: events before then are earlier tests'
    deposit_check_url: str = ""


def ticket_link_config(deposit_check_url: str, desk: DevDesk, api_key: str | None = None, extra: str = "") -> str:
    key = f'api_key = "{api_key}"\n' if api_key else ""
    return f"""
secret = "{secrets.token_urlsafe(32)}"
[deposit_check]
url = "{deposit_check_url}"
{key}[notes]
explorer_tx_urls = {{ litecoin = "{EXPLORER}" }}
[delivery]
retries = 40
retry_delay_seconds = 0.2
max_retry_delay_seconds = 1
{desk_toml(desk)}webhook_secret = "{WEBHOOK_SECRET}"
account_field = "ticket.custom_player_account"
{extra}"""


@contextmanager
def flow_stack(
    dc_text: str,
    litecoind: Litecoind,
    redis_server: RedisServer | None,
    work: Path,
    *,
    db: int = 0,
    redis_url: str | None = None,
    api_key: str | None = None,
    deposit_check_via: Callable[[str], str] | None = None,
    ticket_link_extra: str = "",
) -> Iterator[Stack]:
    """deposit_check from `dc_text` (its watcher on), ticket_link (with `api_key` for deposit_check), its worker
    and a DevDesk, all on Redis database `db`. `deposit_check_via` gives the URL ticket_link reaches deposit_check
    at from its real URL (a proxy the test can take down); `ticket_link_extra` is appended to ticket_link's config
    (its `[[api.keys]]`: without any, loopback callers have every scope). `redis_url`: any REDIS_URL instead of
    `redis_server`'s."""
    if redis_url is None:
        assert redis_server is not None
        redis_url = f"redis://127.0.0.1:{redis_server.port}/{db}"
        # The session's Redis is shared by modules: start from an empty database, or an earlier stack's leftovers
        # (a note in its outbox, its jobs, sealed under another secret) are this stack's worker's to deliver, and
        # never can be (a CI run failed four tests on one such note).
        with connect_sync(redis_url) as client:
            client.flushdb()
    dc_config = DepositCheckConfig(
        file=parse_deposit_check(dev_mode(dc_text), env={}), redis_url=redis_url, source="test"
    )
    started = time.time()
    port = free_port()
    (work / "desk").mkdir()
    desk = DevDesk(base_dir=work / "desk", webhook_urls=[f"http://127.0.0.1:{port}/v1/webhooks/desk/{WEBHOOK_SECRET}"])
    desk.start()
    # Ticket ids that cannot be mistaken for anything else when we scan Redis and the logs.
    with sqlite3.connect(desk.base_dir / "devdesk.sqlite3") as sqlite:
        sqlite.execute("DELETE FROM sqlite_sequence WHERE name = 'helpdesk_ticket'")
        sqlite.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('helpdesk_ticket', 48213950)")
    try:
        with serve(create_deposit_check(dc_config, run_watcher=True)) as dc_url:
            config_path, worker_log = work / "ticket-link.toml", work / "worker.log"
            reach = deposit_check_via(dc_url) if deposit_check_via else dc_url
            config_path.write_text(ticket_link_config(reach, desk, api_key, ticket_link_extra))
            config = AppConfig(
                file=parse_config(dev_mode(config_path.read_text()), env={}), redis_url=redis_url, source="test"
            )
            metrics_port = free_port()
            with (
                serve(create_ticket_link(config), port=port) as url,
                run_worker(config_path, redis_url, worker_log, metrics_port=metrics_port),
            ):
                yield Stack(
                    desk,
                    url,
                    redis_server,
                    config,
                    litecoind,
                    worker_log,
                    f"http://127.0.0.1:{metrics_port}/metrics",
                    started,
                    dc_url,
                )
    finally:
        desk.close()


def wait_for_notes(stack: Stack, ticket_id: int, count: int = 1, timeout: float = 60.0) -> list[dict]:
    """The ticket's internal notes once there are `count` of them and nothing more is on its way (to see extras)."""
    wait_until(
        lambda: len(internal_notes(stack.desk, ticket_id)) >= count,
        timeout,
        f"ticket {ticket_id}: {count} internal note(s) did not arrive; got {stack.desk.followups(ticket_id)}",
    )
    wait_until_settled(stack.config, stack.litecoind, stack.started, timeout)
    return internal_notes(stack.desk, ticket_id)


def internal_notes(desk: DevDesk, ticket_id: int) -> list[dict]:
    # Without a comment: django-helpdesk's own "Referenced in ticket #N" follow-up, made when a note names a ticket.
    return [f for f in desk.followups(ticket_id) if not f["public"] and f["comment"]]


def confirmed_deposit(node: Litecoind, amount: str) -> tuple[str, str]:
    address = node.new_address("bech32")
    txid = node.send(address, Decimal(amount))
    node.mine(6)
    return txid, address
