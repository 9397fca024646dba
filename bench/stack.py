"""The whole ticket_link stack for a bench, on 127.0.0.1, stopped in reverse order on exit (errors too).

litecoind regtest (with confirmed deposits, each to its own address), a private redis-server,
deposit_check (`deposit-check serve`, its own process), a django-helpdesk (DevDesk) whose webhooks
point at ticket_link, ticket_link under uvicorn in a thread of this process (so a bench can wrap
its ASGI app), and the `ticket-link worker` process. As tests/ticket_link/test_flow.py, as plain code.
"""

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench.nodes import LTC_CONFIRMATIONS, SENDS_PER_BLOCK
from deposit_check.devnet.litecoind import Litecoind, free_port
from harness.processes import BIN, process, wait_for_port
from harness.redis_server import RedisServer
from harness.serving import Asgi, run_worker, serve
from ticket_link.app import create_app as create_ticket_link
from ticket_link.config import AppConfig, parse_config
from ticket_link.devdesk.launcher import DevDesk

HELPDESK = "desk"  # the helpdesk's name in ticket_link's config
EXPLORER = "https://explorer.example/ltc/tx/{tx_hash}"


@dataclass(frozen=True)
class LtcDeposit:
    tx_hash: str
    address: str
    amount: Decimal


@dataclass
class NoteStack:
    desk: DevDesk
    ticket_link_url: str
    deposit_check_url: str
    redis_url: str
    secret: str  # ticket_link's: it unseals queued jobs
    deposits: list[LtcDeposit]
    workdir: Path


def confirmed_deposits(node: Litecoind, count: int) -> list[LtcDeposit]:
    """`count` sends, each to a new bech32 address, then 6 blocks on top."""
    node.fund("bench", blocks=101)
    deposits = []
    for i in range(count):
        address = node.new_address("bech32")
        amount = Decimal(100_000 * (i + 1) + i).scaleb(-8)  # distinct amounts
        deposits.append(LtcDeposit(node.send(address, amount), address, amount))
        if (i + 1) % SENDS_PER_BLOCK == 0:
            node.mine(1)
    node.mine(LTC_CONFIRMATIONS)
    return deposits


def deposit_check_config(ltc_rpc_url: str) -> str:
    return f"""
[api]
dev_mode = true
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{ltc_rpc_url}"]
confirmations = {LTC_CONFIRMATIONS}
"""


def ticket_link_config(secret: str, deposit_check_url: str, desk: DevDesk, webhook_secret: str) -> str:
    return f"""
secret = "{secret}"
[api]
dev_mode = true
[deposit_check]
url = "{deposit_check_url}"
[notes]
explorer_tx_urls = {{ litecoin = "{EXPLORER}" }}
[claims]  # the benches measure load on a few tickets: the anti-amplification caps would refuse it
per_ticket = "1000000/minute"
per_helpdesk = "1000000/minute"
[delivery]
retries = 40
retry_delay_seconds = 0.2
max_retry_delay_seconds = 1
[helpdesks.{HELPDESK}]
kind = "django_helpdesk"
base_url = "{desk.base_url}"
username = "{desk.username}"
password = "{desk.password}"
webhook_secret = "{webhook_secret}"
"""


@contextmanager
def note_stack(
    workdir: Path, deposits: int, wrap: Callable[[Asgi], Asgi] = lambda app: app, worker_concurrency: int = 10
) -> Iterator[NoteStack]:
    """Start everything (deposits made and confirmed first); stop everything on exit."""
    with ExitStack() as stack:
        redis = RedisServer().start()
        stack.callback(redis.close)
        node = Litecoind(base_dir=workdir / "litecoind").start()
        stack.callback(node.close)
        made = confirmed_deposits(node, deposits)

        dc_config, dc_port = workdir / "deposit-check.toml", free_port()
        dc_config.write_text(deposit_check_config(node.rpc_url))
        dc = stack.enter_context(
            process(
                [str(BIN / "deposit-check"), "serve", "--port", str(dc_port), "--log-level", "warning"],
                {"DEPOSIT_CHECK_CONFIG": str(dc_config), "REDIS_URL": redis.url},
                workdir / "deposit-check.log",
            )
        )
        wait_for_port(dc_port, 30, dc)
        dc_url = f"http://127.0.0.1:{dc_port}"

        tl_port, webhook_secret, secret = free_port(), secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        desk = DevDesk(
            base_dir=workdir / "desk",
            webhook_urls=[f"http://127.0.0.1:{tl_port}/v1/webhooks/{HELPDESK}/{webhook_secret}"],
        )
        stack.callback(desk.close)
        desk.start()

        tl_config = workdir / "ticket-link.toml"
        tl_config.write_text(ticket_link_config(secret, dc_url, desk, webhook_secret))
        config = AppConfig(file=parse_config(tl_config.read_text(), env={}), redis_url=redis.url, source="bench")
        tl_url = stack.enter_context(serve(wrap(create_ticket_link(config)), tl_port))
        stack.enter_context(
            run_worker(tl_config, redis.url, workdir / "worker.log", worker_concurrency, log_level="info")
        )
        yield NoteStack(desk, tl_url, dc_url, redis.url, secret, made, workdir)
