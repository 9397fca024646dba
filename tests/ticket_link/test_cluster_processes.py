"""Every process scaled out on a 3-master Redis Cluster, one watcher and one worker SIGKILLed mid-flow (issue 16).

As on several hosts: 2 deposit_check API processes and 2 ticket_link API processes, each pair behind a round-robin
load balancer (harness/balancer.py), 3 `deposit-check watch` and 3 `ticket-link worker` processes, all with
`REDIS_URL=redis+cluster://...`, a real litecoind (regtest) and django-helpdesk. Claims arrive as helpdesk
webhooks; blocks are mined. Midway the watcher holding litecoin's lease is SIGKILLed (another takes the chain over
once the lease runs out), and later a worker that has read deposit events and not acknowledged them is SIGKILLed
(another claims them from the consumer group once idle `[delivery] claim_idle_seconds`, 5 s here). Every ticket ends with one note per status, none lost, none twice.

To be sure the worker dies holding events, the three workers are stopped (SIGSTOP) while the block that confirms
the deposits is mined, and only the victim is let go on; it is killed once the group shows it holds some.
"""

import re
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from deposit_check.devnet.litecoind import Litecoind, free_port
from deposit_check.keys import ChainKeys
from desk_common.redis_connect import connect_sync
from desk_common.redis_text import text
from harness.balancer import RoundRobin, round_robin
from harness.processes import BIN, process, wait_for_port
from harness.redis_cluster import RedisCluster, running_cluster
from tests.helpers import dev_mode
from tests.stacks import desk_toml
from tests.ticket_link.settle import wait_until, wait_until_settled
from ticket_link.config import AppConfig, parse_config
from ticket_link.devdesk.launcher import DevDesk
from ticket_link.events import GROUP

pytestmark = pytest.mark.slow

WATCHERS, WORKERS, APIS = 3, 3, 2
LEASE_SECONDS = 3
# `[delivery] claim_idle_seconds`: how long the dead worker's events wait before another claims them (default 60).
CLAIM_IDLE_SECONDS = 5
TICKETS = 10
STATUS = re.compile(r"^Status: (\w+)", re.MULTILINE)
COUNT = re.compile(r"^Status: .*\(confirmations: (\d+)/(\d+)\)", re.MULTILINE)
WEBHOOK_SECRET = secrets.token_urlsafe(24)
STREAM = ChainKeys("litecoin").events


@dataclass
class Fleet:
    """The processes, what reaches them, and the Redis Cluster they share."""

    cluster_url: str
    desk: DevDesk
    config: AppConfig  # ticket_link's (for settle.py)
    watchers: list[subprocess.Popen[bytes]]
    workers: list[subprocess.Popen[bytes]]
    balancers: dict[str, RoundRobin]
    logs: Path
    client: redis.Redis = field(init=False)

    def __post_init__(self) -> None:
        self.client = connect_sync(self.cluster_url)

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(self.logs.glob("*.log")))


def _api(service: str, port: int, env: dict[str, str], log: Path, stack: ExitStack) -> subprocess.Popen[bytes]:
    proc = stack.enter_context(
        process([str(BIN / service), "serve", "--port", str(port), "--log-level", "warning"], env, log)
    )
    wait_for_port(port, 60, proc)
    return proc


def _resume(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    yield from running_cluster(3)


@pytest.fixture(scope="module")
def fleet(litecoind: Litecoind, cluster: RedisCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    work = tmp_path_factory.mktemp("fleet")
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in cluster.ports)
    dc_config = work / "deposit-check.toml"
    dc_config.write_text(
        dev_mode(
            f"""
[watch]
poll_seconds = 0.2
recheck_seconds = 1
lease_seconds = {LEASE_SECONDS}

[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{litecoind.rpc_url}"]
confirmations = 6
"""
        )
    )
    dc_env = {"DEPOSIT_CHECK_CONFIG": str(dc_config), "REDIS_URL": url}
    tl_ports = [free_port() for _ in range(APIS)]
    with ExitStack() as stack:
        dc_ports = [free_port() for _ in range(APIS)]
        for i, port in enumerate(dc_ports):
            _api("deposit-check", port, dc_env, work / f"deposit-check-api-{i}.log", stack)
        dc_balancer = stack.enter_context(round_robin(dc_ports))
        tl_balancer = stack.enter_context(round_robin(tl_ports))
        (work / "desk").mkdir()
        desk = DevDesk(
            base_dir=work / "desk", webhook_urls=[f"{tl_balancer.url}/v1/webhooks/desk/{WEBHOOK_SECRET}"]
        ).start()
        stack.callback(desk.close)
        tl_text = dev_mode(
            f"""
secret = "{secrets.token_urlsafe(32)}"
[deposit_check]
url = "{dc_balancer.url}"
[delivery]
job_timeout_seconds = 5
claim_idle_seconds = {CLAIM_IDLE_SECONDS}
retries = 40
retry_delay_seconds = 0.2
max_retry_delay_seconds = 1
{desk_toml(desk)}webhook_secret = "{WEBHOOK_SECRET}"
"""
        )
        tl_config = work / "ticket-link.toml"
        tl_config.write_text(tl_text)
        tl_env = {"TICKET_LINK_CONFIG": str(tl_config), "REDIS_URL": url}
        for i, port in enumerate(tl_ports):
            _api("ticket-link", port, tl_env, work / f"ticket-link-api-{i}.log", stack)
        watchers = [
            stack.enter_context(
                process([str(BIN / "deposit-check"), "watch", "--log-level", "info"], dc_env, work / f"watcher-{i}.log")
            )
            for i in range(WATCHERS)
        ]
        workers = [
            stack.enter_context(
                process(
                    [str(BIN / "ticket-link"), "worker", "--log-level", "info"],
                    tl_env,
                    work / f"worker-{i}.log",
                    stop_timeout=30,
                )
            )
            for i in range(WORKERS)
        ]
        # A failed test may leave workers stopped (SIGSTOP): let them go on, so that they stop when asked.
        stack.callback(_resume, workers)
        config = AppConfig(file=parse_config(tl_text, env={}), redis_url=url, source="test")
        yield Fleet(
            url, desk, config, watchers, workers, {"deposit_check": dc_balancer, "ticket_link": tl_balancer}, work
        )


@dataclass
class Ticket:
    id: int
    txid: str
    amount: str


def note_texts(desk: DevDesk, ticket: int) -> list[str]:
    return [f["comment"] for f in desk.followups(ticket) if not f["public"] and f["comment"]]


def notes(desk: DevDesk, ticket: int) -> list[str]:
    """The statuses of the ticket's internal notes, in order (one entry per note)."""
    return [(STATUS.findall(comment) or ["(none)"])[0] for comment in note_texts(desk, ticket)]


def wait_for_notes(fleet: Fleet, tickets: list[Ticket], status: str, timeout: float) -> None:
    def all_there() -> bool:
        return all(status in notes(fleet.desk, t.id) for t in tickets)

    try:
        wait_until(all_there, timeout, f"a {status!r} note in each ticket", interval=0.5)
    except AssertionError as exc:
        got = {t.id: notes(fleet.desk, t.id) for t in tickets}
        raise AssertionError(f"{exc}: {got}\n{fleet.log_tail()}") from None


def lease_holder_pid(client: redis.Redis) -> int | None:
    """The pid in the owner id (host:pid:random) holding litecoin's lease, None when it is free."""
    holder = client.get(ChainKeys("litecoin").lease)
    return None if holder is None else int(text(holder).split(":")[1])


def consumer_pid(name: str) -> int:
    return int(name.rsplit(":", 1)[1])  # ticket_link's worker names its consumer host:pid


def pending_by_consumer(client: redis.Redis) -> dict[int, int]:
    """Events read and not yet acknowledged, per worker pid."""
    summary = client.xpending(STREAM, GROUP)
    return {consumer_pid(text(c["name"])): int(c["pending"]) for c in summary["consumers"]}


def test_one_watcher_and_one_worker_killed_mid_flow_no_note_lost_or_repeated(
    fleet: Fleet, litecoind: Litecoind
) -> None:
    node, client = litecoind, fleet.client
    deposits = []
    for i in range(TICKETS):
        address = node.new_address("bech32")
        amount = f"0.{41 + i}1"  # never a trailing 0 (the note writes the amount normalized)
        deposits.append((address, node.send(address, Decimal(amount)), amount))
    node.mine(2)  # each deposit at 2/6 when its claim comes

    def claim(i: int) -> Ticket:
        address, txid, amount = deposits[i]
        ticket = fleet.desk.create_ticket(
            f"deposit {i}", f"Sent {amount} LTC.\nTx: {txid}\nTo: {address}", f"p{i}@mail.example"
        )
        return Ticket(ticket, txid, amount)

    half = TICKETS // 2
    tickets = [claim(i) for i in range(half)]
    wait_until(lambda: lease_holder_pid(client) is not None, 30, "a watcher holds litecoin's lease")
    wait_for_notes(fleet, tickets, "confirming", 90)

    # 1. The watcher following litecoin dies while a block comes and claims arrive.
    watcher_pids = {p.pid: p for p in fleet.watchers}
    dead_watcher = lease_holder_pid(client)
    assert dead_watcher in watcher_pids, (dead_watcher, list(watcher_pids))
    node.mine(1)
    watcher_pids[dead_watcher].send_signal(signal.SIGKILL)
    watcher_pids[dead_watcher].wait(10)
    killed_at = time.monotonic()
    tickets += [claim(i) for i in range(half, TICKETS)]
    wait_until(lambda: lease_holder_pid(client) not in (None, dead_watcher), 30, "another watcher takes litecoin over")
    takeover = time.monotonic() - killed_at
    new_watcher = lease_holder_pid(client)
    assert new_watcher in watcher_pids and watcher_pids[new_watcher].poll() is None
    wait_for_notes(fleet, tickets, "confirming", 90)
    wait_until_settled(fleet.config, node, 0.0, 60)

    # 2. A worker dies holding deposit events it read and did not acknowledge.
    workers = {p.pid: p for p in fleet.workers}
    for proc in workers.values():
        proc.send_signal(signal.SIGSTOP)
    time.sleep(1.5)  # their blocking reads (1 s) run out at the server: nobody reads what comes next
    before = client.xinfo_stream(STREAM)["length"]
    node.mine(3)  # 6/6: every deposit confirmed, its events written while no worker reads
    wait_until(
        lambda: client.xinfo_stream(STREAM)["length"] >= before + TICKETS, 30, "the confirmed events are written"
    )
    victim_pid = next(iter(workers))
    victim = workers[victim_pid]
    victim.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 20
    while pending_by_consumer(client).get(victim_pid, 0) == 0:
        assert time.monotonic() < deadline, "the victim never read the events"
    victim.send_signal(signal.SIGSTOP)  # hold it still: what it holds now is what it dies with
    held = pending_by_consumer(client).get(victim_pid, 0)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    died_at = time.monotonic()
    for pid, proc in workers.items():
        if pid != victim_pid:
            proc.send_signal(signal.SIGCONT)
    assert held > 0, "the victim acknowledged everything before it was stopped: nothing to claim"

    # Its events are claimed by the others once idle claim_idle_seconds; its note jobs are retried after their timeout.
    wait_until(
        lambda: pending_by_consumer(client).get(victim_pid, 0) == 0,
        CLAIM_IDLE_SECONDS + 30,
        "the dead worker's events claimed by another",
    )
    taken_after = time.monotonic() - died_at
    wait_for_notes(fleet, tickets, "confirmed", CLAIM_IDLE_SECONDS + 90)
    claimed_after = time.monotonic() - died_at
    wait_until_settled(fleet.config, node, 0.0, 60)

    for ticket in tickets:
        statuses = notes(fleet.desk, ticket.id)
        assert sorted(statuses) == ["confirmed", "confirming"], f"ticket {ticket.id}: {statuses}"
        for comment in note_texts(fleet.desk, ticket.id):  # no wrong verdict: each from the count it says
            assert ticket.txid in comment and ticket.amount in comment
            status, (got, needed) = STATUS.findall(comment)[0], COUNT.findall(comment)[0]
            assert needed == "6" and (int(got) >= 6) == (status == "confirmed"), (ticket.id, comment)
    assert pending_by_consumer(client).get(victim_pid, 0) == 0  # nothing left with the dead worker
    assert client.xpending(STREAM, GROUP)["pending"] == 0
    assert lease_holder_pid(client) in watcher_pids and lease_holder_pid(client) != dead_watcher
    for name, balancer in fleet.balancers.items():
        assert all(n > 0 for n in balancer.connections), (
            f"{name}: an API process got no request: {balancer.connections}"
        )
    print(
        f"\ncluster fleet: lease taken over {takeover:.1f} s after the watcher's kill (lease {LEASE_SECONDS} s); "
        f"{held} events held by the killed worker, claimed by another {taken_after:.1f} s after its kill and all "
        f"confirmed notes in {claimed_after:.1f} s (claim_idle_seconds {CLAIM_IDLE_SECONDS}); API connections {fleet.balancers['deposit_check'].connections} "
        f"(deposit_check), {fleet.balancers['ticket_link'].connections} (ticket_link)"
    )
