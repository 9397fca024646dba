"""The whole desk on this machine: Redis, the dev chains with sample deposits, both services (APIs,
watcher, worker), django-helpdesk wired to ticket_link, the agent form, and sample tickets.

Everything lives in one temporary folder (under $TMPDIR), removed on the way out with every process.
"""

import dataclasses
import hashlib
import secrets
import shutil
import socket
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import httpx

from deposit_check.demo import TRONSCAN_TX, Demo, Sample
from deposit_check.devnet.litecoind import free_port
from deposit_check.models import Status
from harness.demo.supervisor import Child, ChildDied, Stopped, Supervisor, elapsed, follow_logs, tail_of
from harness.demo.tickets import SampleTicket, sample_tickets
from harness.processes import BIN
from harness.redis_server import RedisServer
from ticket_link.devdesk.launcher import DevDesk
from ticket_link.web.auth import hash_password

AGENT = "demo"  # the agent form's user
DESK_USER = "agent"  # the helpdesk's staff user
DEFAULT_PORTS = {"deposit_check": 8080, "ticket_link": 8090, "desk": 8000}
START_TIMEOUT = 90.0
# The helpdesk's migrated database, made by the first run and copied by the next ones (in the
# checkout, ignored by git, like .venv): a fresh migration is the slowest step of the start-up.
DESK_TEMPLATE = Path(__file__).resolve().parents[2] / ".demo" / f"devdesk-{version('django-helpdesk')}.sqlite3"
FIRST_NOTES_TIMEOUT = 60.0


@dataclass(frozen=True)
class Options:
    block_seconds: float = 5.0
    verbose: bool = False


@dataclass
class Secrets:
    """Made for this run; printed (the agent's, the desk's, the demo key) or kept in the configs."""

    agent_password: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(12))
    desk_password: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(12))
    demo_key: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(24))
    service_key: str = dataclasses.field(
        default_factory=lambda: secrets.token_urlsafe(24)
    )  # ticket_link -> deposit_check
    webhook_secret: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(24))
    ticket_secret: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(32))
    session_secret: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(32))
    ownership_secret: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(32))
    # The wallet system's key, which declares the casino's addresses (scope admin); not printed.
    admin_key: str = dataclasses.field(default_factory=lambda: secrets.token_urlsafe(24))


def port_or_free(default: int) -> int:
    """`default` when nothing listens there, else a free port."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", default))
            return default
        except OSError:
            return free_port()


def key_entry(name: str, key: str, scopes: str = "") -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f'[[api.keys]]\nname = "{name}"\nsha256 = "{digest}"\n{scopes}'


def deposit_check_extra(s: Secrets) -> str:
    """Before the chains in deposit_check's config: a brisk watcher, the ownership index and the three keys (the
    demo's, ticket_link's, and the wallet system's that declares the casino's addresses)."""
    return (
        "[watch]\npoll_seconds = 0.5\nrecheck_seconds = 2\n\n"
        + f'[ownership]\nsecret = "{s.ownership_secret}"\n\n'
        + key_entry("demo", s.demo_key)
        + "\n"
        + key_entry("ticket-link", s.service_key, 'scopes = ["watch"]\n')
        + "\n"
        + key_entry("wallet-system", s.admin_key, 'scopes = ["admin"]\n')
        + "\n"
    )


def ticket_link_config(s: Secrets, deposit_check_url: str, desk: DevDesk) -> str:
    return f"""# Written by the demo
secret = "{s.ticket_secret}"

[deposit_check]
url = "{deposit_check_url}"
api_key = "{s.service_key}"

[notes]
explorer_tx_urls = {{ tron = "{TRONSCAN_TX}" }}

[delivery]
retry_delay_seconds = 0.5
max_retry_delay_seconds = 2

[helpdesks.desk]
kind = "django_helpdesk"
base_url = "{desk.base_url}"
username = "{desk.username}"
password = "{desk.password}"
webhook_secret = "{s.webhook_secret}"

[web]
session_secret = "{s.session_secret}"
cookie_secure = false
refresh_seconds = 1

[[web.users]]
name = "{AGENT}"
password_hash = "{hash_password(s.agent_password)}"

{key_entry("demo", s.demo_key)}"""


class DeskDemo:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.began = time.monotonic()
        self.workdir = Path(tempfile.mkdtemp(prefix="desk-demo-"))
        try:
            self._prepare()
        except BaseException:  # a signal right now, say: the folder goes
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise

    def _prepare(self) -> None:
        self.logs = self.workdir / "logs"
        self.logs.mkdir()
        self.secrets = Secrets()
        self.supervisor = Supervisor(self.logs)
        self.ports = {name: port_or_free(port) for name, port in DEFAULT_PORTS.items()}
        self.redis = RedisServer(dir=str(self.workdir), logfile=str(self.logs / "redis.log"))
        self.chains = Demo(workdir=str(self.workdir / "chains"), api_port=self.ports["deposit_check"])
        tl = f"http://127.0.0.1:{self.ports['ticket_link']}"
        self.desk = DevDesk(
            base_dir=self.workdir / "desk",
            webhook_urls=[f"{tl}/v1/webhooks/desk/{self.secrets.webhook_secret}"],
            port=self.ports["desk"],
            username=DESK_USER,
            password=self.secrets.desk_password,
            startup_timeout=START_TIMEOUT,
            template=DESK_TEMPLATE,
        )
        self.tickets: list[SampleTicket] = []
        # Children's env: one Redis, and bitcoinlib's data folder in ours (else it stays in $TMPDIR).
        self.env = {
            "REDIS_URL": self.redis.url,
            "BCL_DATA_DIR": str(self.workdir / "bitcoinlib"),
            "PYTHONUNBUFFERED": "1",
        }
        self._watch_nodes()

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def _watch_nodes(self) -> None:
        """Redis, the chains and the desk, watched like the services (stopped last, in this order reversed)."""
        r, ltc, evm, tron, desk = self.redis, self.chains.litecoind, self.chains.anvil, self.chains.tron, self.desk
        add = self.supervisor.add
        add(Child("redis-server", lambda: r.proc.poll() if r.proc else None, self.logs / "redis.log",
                  lambda: tail_of(self.logs / "redis.log"), r.stop))  # fmt: skip
        add(Child("litecoind", ltc.exit_code, ltc.datadir / "regtest" / "debug.log", ltc.log_tail, ltc.stop))
        add(Child("anvil", evm.exit_code, evm.log, evm.log_tail, evm.stop))
        add(Child("tron-replay", tron.exit_code, tron.log, tron.log_tail, tron.stop))
        add(Child("helpdesk", desk.exit_code, desk.log_path, desk.log_tail, desk.stop))

    # --- start ---

    def start(self) -> None:
        """Everything up, the sample tickets filed and their first notes in; raises what failed."""
        with ThreadPoolExecutor(5, thread_name_prefix="demo-start") as pool:
            redis: Future[RedisServer] = pool.submit(self.redis.start)
            litecoin = pool.submit(self.chains.start_litecoin)
            ethereum = pool.submit(self.chains.start_ethereum)
            tron = pool.submit(self.chains.start_tron)
            desk: Future[DevDesk] = pool.submit(self.desk.start)
            try:
                redis.result()
                self._start_ticket_link()
                litecoin.result()
                token = ethereum.result()
                tron.result()
                self.chains.add_wrong_network_sample()
                self._start_deposit_check(token)
                desk.result()
            except BaseException:
                self.supervisor.stop_all()  # what is up goes down, so that the other threads end soon
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        for name in ("deposit_check", "ticket_link"):
            self._wait_http(f"{self.url(name)}/healthz")
        for name in ("watcher", "worker"):
            self._wait_http(f"http://127.0.0.1:{self.ports[name + '_metrics']}/metrics")
        self._declare_casino_addresses()
        self._file_tickets()
        self._wait_first_notes()

    def _start_ticket_link(self) -> None:
        config = self.workdir / "ticket-link.toml"
        config.write_text(ticket_link_config(self.secrets, self.url("deposit_check"), self.desk))
        env = self.env | {"TICKET_LINK_CONFIG": str(config)}
        self.ports["worker_metrics"] = free_port()
        tl = str(BIN / "ticket-link")
        self.supervisor.spawn("ticket-link", [tl, "serve", "--port", str(self.ports["ticket_link"])], env)
        self.supervisor.spawn(
            "worker", [tl, "worker", "--concurrency", "4", "--metrics-port", str(self.ports["worker_metrics"])], env
        )

    def _start_deposit_check(self, token: str) -> None:
        config = self.workdir / "deposit-check.toml"
        config.write_text(self.chains.config_text(token, deposit_check_extra(self.secrets)))
        env = self.env | {"DEPOSIT_CHECK_CONFIG": str(config)}
        self.ports["watcher_metrics"] = free_port()
        dc = str(BIN / "deposit-check")
        self.supervisor.spawn("deposit-check", [dc, "serve", "--port", str(self.ports["deposit_check"])], env)
        self.supervisor.spawn("watcher", [dc, "watch", "--metrics-port", str(self.ports["watcher_metrics"])], env)

    def _wait_http(self, url: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self.supervisor.check()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not answer within {START_TIMEOUT:.0f} s (logs: {self.logs})")

    def _declare_casino_addresses(self) -> None:
        """The casino's deposit addresses, declared through deposit_check's admin API as a wallet system would, before
        any ticket is filed: a ticket naming a hash alone is then found with its address."""
        for chain, addresses in self.chains.casino_addresses().items():
            response = httpx.put(
                f"{self.url('deposit_check')}/v1/addresses",
                json={"chain": chain, "addresses": [{"address": a} for a in addresses]},
                headers={"authorization": f"Bearer {self.secrets.admin_key}"},
                timeout=30,
            )
            if response.status_code != 200:
                raise RuntimeError(
                    f"deposit_check refused the {chain} addresses: {response.status_code} {response.text}"
                )

    def _file_tickets(self) -> None:
        """One ticket per sample deposit, as a player writes it; the desk's webhook tells ticket_link. A ticket whose
        text names no claim ticket_link can check (a TRON hash beside an 0x address) is claimed by the bot API."""
        for ticket in sample_tickets(self.chains.samples):
            ticket_id = self.desk.create_ticket(ticket.title, ticket.body, f"player-{ticket.lang}@example.invalid")
            self.tickets.append(dataclasses.replace(ticket, ticket_id=ticket_id))
            if not ticket.paired_in_text:
                self._claim_by_bot(ticket_id, ticket)

    def _claim_by_bot(self, ticket_id: int, ticket: SampleTicket) -> None:
        claim = {"tx_hash": ticket.sample.tx_hash, "address": ticket.sample.address, "lang": ticket.lang}
        response = httpx.post(
            f"{self.url('ticket_link')}/v1/tickets/{ticket_id}/deposits",
            json=claim,
            headers={"authorization": f"Bearer {self.secrets.demo_key}"},
            timeout=30,
        )
        if response.status_code != 200:
            raise RuntimeError(
                f"the bot API refused ticket {ticket_id}'s claim: {response.status_code} {response.text}"
            )

    def _wait_first_notes(self) -> None:
        deadline = time.monotonic() + FIRST_NOTES_TIMEOUT
        waiting = {t.ticket_id for t in self.tickets}
        while waiting and time.monotonic() < deadline:
            self.supervisor.check()
            waiting = {t for t in waiting if not self.internal_notes(t)}
            time.sleep(0.2)
        if waiting:
            print(f"demo: no note yet in tickets {sorted(waiting)} (see {self.logs})", file=sys.stderr)

    def internal_notes(self, ticket_id: int) -> list[str]:
        return [str(f["comment"]) for f in self.desk.followups(ticket_id) if not f["public"] and f["comment"]]

    # --- run ---

    def run(self) -> None:
        """Mine a block on each chain every `block_seconds`; ChildDied as soon as a process exits."""
        next_block = time.monotonic() + self.options.block_seconds
        while True:
            self.supervisor.check()
            if time.monotonic() >= next_block:
                next_block += self.options.block_seconds
                try:
                    self.chains.litecoind.mine(1)
                    self.chains.anvil.mine(1)
                except Exception:
                    self.supervisor.check()  # a node that died says so; anything else: try the next block
            time.sleep(0.2)

    def close(self) -> None:
        self.supervisor.stop_all()
        self.chains.litecoind.close()
        self.chains.anvil.close()
        self.chains.tron.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- what the user reads ---

    def banner(self) -> str:
        s, tl, desk = self.secrets, self.url("ticket_link"), self.url("desk")
        pending = next((t for t in self.tickets if t.sample.status == Status.PENDING), self.tickets[0])
        lines = [
            f"Deposit desk demo: ready in {elapsed(self.began)}",
            "",
            f"  Agent form  {tl}/   sign in as {AGENT} / {s.agent_password}",
            f"  Helpdesk    {desk}/helpdesk/   sign in as {DESK_USER} / {s.desk_password}",
            "",
            f"  Sample tickets, status at start (their notes are in; a block is mined every {self.options.block_seconds:g} s"
            " on litecoin and ethereum):",
        ]
        for t in self.tickets:
            lines.append(
                f"    #{t.ticket_id:<3} {t.lang}  {t.sample.chain:<9} {t.sample.status:<14} {_what(t.sample):<48}"
                f" {desk}/helpdesk/tickets/{t.ticket_id}/"
            )
        p = pending.sample
        auth = f"-H 'authorization: Bearer {s.demo_key}' -H 'content-type: application/json'"
        lines += [
            f"  TRON is a replay of published mainnet answers (tests/fixtures/tron/), not a live node: {self.chains.tron.url}",
            "",
            f"  Bot API (ticket #{pending.ticket_id}), and deposit_check's /v1/checks, with the demo key:",
            f"    curl -s {tl}/v1/tickets/{pending.ticket_id}/deposits {auth} \\",
            f'      -d \'{{"tx_hash": "{p.tx_hash}", "address": "{p.address}"}}\'',
            f"    curl -s {self.url('deposit_check')}/v1/checks {auth} \\",
            f'      -d \'{{"tx_hash": "{p.tx_hash}", "address": "{p.address}", "chain": "{p.chain}"}}\'',
            "",
            f"  Logs: {self.logs}/ (--verbose shows them here). Ctrl-C stops everything and removes {self.workdir}.",
        ]
        return "\n".join(lines)


def _what(sample: Sample) -> str:
    return f"{sample.sent}: {sample.what}"


def main(options: Options) -> int:
    demo: DeskDemo | None = None
    try:
        print("Starting the deposit desk demo ...", flush=True)
        demo = DeskDemo(options)
        if options.verbose:
            desk_log = demo.desk.log_path
            follow_logs(demo.logs, lambda: [desk_log])
        demo.start()
        print(demo.banner(), flush=True)
        demo.run()
    except Stopped as signal_name:
        print(f"\ndemo: {signal_name}: stopping everything ...", file=sys.stderr, flush=True)
        return 0
    except ChildDied as died:
        print(f"\ndemo: {died}\ndemo: stopping everything.", file=sys.stderr, flush=True)
        return 1
    except Exception as exc:
        print(f"\ndemo: could not start: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if demo is not None:
            demo.close()
            print(f"demo: every process is down and {demo.workdir} is removed.", file=sys.stderr, flush=True)
    return 0
