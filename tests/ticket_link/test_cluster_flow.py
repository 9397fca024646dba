"""The whole ticket flow on a real 3-master Redis Cluster (issue 16), every process on `redis+cluster://...`.

deposit_check (API and watcher, litecoind regtest and anvil with a test USDT, ownership declared, lookups from the
watcher's index, a rate-limited key), ticket_link (API, event consumer, worker, web form) and django-helpdesk: a
webhook leads to a note, the watcher's confirmation to another, an ERC-20 deposit's too, a second ticket claiming the
same tx tells both. Then the slots holding a ticket's keys, a deposit's, the chain's watch state and streams, the
outbox and the job queue move to other masters while webhooks arrive and blocks are mined (harness/redis_cluster.py
`migrate_slot`: IMPORTING/MIGRATING, MIGRATE key by key, SETSLOT NODE, as `redis-cli --cluster reshard` does): the
clients follow ASK and MOVED, and every ticket ends with one note per status, the verdicts right.
"""

import os
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from eth_utils import to_checksum_address
from redis.crc import key_slot

from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.keys import ChainKeys
from deposit_check.models import Asset
from harness.redis_cluster import RedisCluster, running_cluster
from tests.stacks import Key, ethereum_toml, litecoin_toml
from tests.ticket_link.flow_stack import Stack, flow_stack, internal_notes, wait_for_notes
from tests.ticket_link.settle import wait_until, wait_until_settled
from tests.ticket_link.statuses import STATUS, Ticket, assert_one_note_per_status, wait_for
from tests.ticket_link.web.conftest import DepositCheck, make_app, sign_in
from ticket_link import keys
from ticket_link.privacy import Pseudonymizer

pytestmark = pytest.mark.slow

ADMIN = Key("wallet-system", scopes=("admin",))
TICKET_LINK = Key("ticket-link", scopes=("check", "watch", "lookup"))
TINY = Key("tiny", scopes=("check",), rate_limit="3/minute")


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    yield from running_cluster(3)


@pytest.fixture(scope="module")
def stack(
    litecoind: Litecoind, anvil: Anvil, usdt: Asset, cluster: RedisCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    dc_text = (
        ADMIN.toml()
        + TICKET_LINK.toml()
        + TINY.toml()
        + litecoin_toml(litecoind)
        + ethereum_toml(anvil, usdt, 12)
        + f"""[ownership]
secret = "{secrets.token_urlsafe(32)}"
"""
    )
    work = tmp_path_factory.mktemp("cluster")
    with flow_stack(dc_text, litecoind, None, work, redis_url=cluster.cluster_url, api_key=TICKET_LINK.secret) as built:
        yield built


def declare(stack: Stack, chain: str, *addresses: str) -> None:
    """The wallet system declares `addresses` the casino's (the ownership index, in the chain's slot)."""
    response = httpx.put(
        f"{stack.deposit_check_url}/v1/addresses",
        json={"chain": chain, "addresses": [{"address": a} for a in addresses]},
        headers=ADMIN.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_webhook_note_then_the_watchers_confirmation_note(stack: Stack) -> None:
    node = stack.litecoind
    address = node.new_address("bech32")
    declare(stack, "litecoin", address)
    txid = node.send(address, Decimal("0.42"))
    node.mine(2)
    ticket = stack.desk.create_ticket(
        "Deposit missing", f"Sent 0.42 LTC.\nTx: {txid}\nTo: {address}", "c1@mail.example"
    )
    notes = wait_for_notes(stack, ticket, 1)
    assert STATUS.findall(notes[0]["comment"]) == ["confirming"] and "2/6" in notes[0]["comment"].replace(" ", "")
    node.mine(4)
    notes = wait_for_notes(stack, ticket, 2)
    assert [STATUS.findall(n["comment"])[0] for n in notes] == ["confirming", "confirmed"]
    assert all(txid in n["comment"] and "0.42" in n["comment"] for n in notes)
    assert "credit it, if not already done" in notes[1]["comment"]  # the casino's address, one claim
    # A second ticket claims the same tx: it is told of the first, the first of it; neither says "credit it".
    second = stack.desk.create_ticket("Deposit again", f"my tx {txid} to {address}", "c1b@mail.example")
    told = wait_for_notes(stack, second, 1)
    assert f"desk #{ticket}" in told[0]["comment"] and "credit it, if not already" not in told[0]["comment"]
    first = wait_for_notes(stack, ticket, 3)
    assert f"desk #{second}" in first[2]["comment"] and "more than one ticket claims" in first[2]["comment"]


def test_an_erc20_deposit_claimed_by_a_bot(stack: Stack, anvil: Anvil, usdt: Asset) -> None:
    ticket = stack.desk.create_ticket("USDT", "hello", "c2@mail.example")
    casino = to_checksum_address("0x" + os.urandom(20).hex())
    tx = anvil.token_transfer(usdt.contract, anvil.accounts[0], casino, 12_500_000)  # type: ignore[arg-type]
    anvil.receipt(tx)
    answer = httpx.post(
        f"{stack.url}/v1/tickets/{ticket}/deposits", json={"tx_hash": tx, "address": casino}, timeout=30
    ).json()
    assert (answer["status"], answer["watching"], answer["received_amount"]) == ("confirming", True, "12.5"), answer
    wait_for_notes(stack, ticket, 1)
    anvil.mine(11)
    notes = wait_for_notes(stack, ticket, 2)
    assert "confirmed" in notes[-1]["comment"].lower() and "12.5" in notes[-1]["comment"]
    assert len(internal_notes(stack.desk, ticket)) == 2


def test_lookups_ownership_and_the_rate_limit_on_the_cluster(stack: Stack) -> None:
    node = stack.litecoind
    owned = node.new_address("bech32")
    declare(stack, "litecoin", owned)
    txid = node.send(owned, Decimal("0.07"))
    node.mine(6)

    def lookup() -> list[dict]:
        response = httpx.post(
            f"{stack.deposit_check_url}/v1/lookups", json={"address": owned}, headers=TICKET_LINK.headers, timeout=30
        )
        assert response.status_code == 200, response.text
        return list(response.json().get("deposits") or [])

    wait_until(lambda: bool(lookup()), 30, "the watcher's index did not find the deposit")
    assert [d["tx_hash"] for d in lookup()] == [txid]
    body = {"tx_hash": txid, "address": owned, "chain": "litecoin"}
    codes = []
    for _ in range(4):  # the cached answer, read with the chain's ownership version and the address's entry
        response = httpx.post(f"{stack.deposit_check_url}/v1/checks", json=body, headers=TINY.headers, timeout=30)
        codes.append(response.status_code)
        if response.status_code == 200:
            assert (response.json()["status"], response.json()["address_owner"]) == ("confirmed", "casino")
    assert codes == [200, 200, 200, 429]  # the key's 3/minute, counted in the cluster (`limits`' cluster storage)


async def test_the_web_forms_sign_in_on_the_cluster(cluster: RedisCluster) -> None:
    transport = httpx.ASGITransport(app=make_app(DepositCheck(), cluster.cluster_url))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await sign_in(client, password="wrong")).status_code != 303
        assert (await sign_in(client)).status_code == 303
        page = await client.get("/")  # signed in: the session's version, read from the cluster
        assert page.status_code == 200 and 'name="tx_hash"' in page.text


def test_slots_move_to_other_masters_mid_flow_nothing_lost(
    stack: Stack, cluster: RedisCluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    node = stack.litecoind
    deposits = []
    for i in range(7):
        address = node.new_address("bech32")
        amount = f"0.{51 + i}"
        deposits.append((address, node.send(address, Decimal(amount)), amount))
    declare(stack, "litecoin", *(address for address, _, _ in deposits))
    node.mine(2)  # every deposit at 2/6: confirming when its ticket is checked

    def open_ticket(i: int) -> Ticket:
        address, txid, amount = deposits[i]
        opened = time.monotonic()
        body = f"Sent {amount} LTC.\nTx: {txid}\nTo: {address}"
        return Ticket(stack.desk.create_ticket(f"reshard {i}", body, f"r{i}@mail.example"), txid, amount, opened)

    tickets = [open_ticket(0), open_ticket(1)]
    wait_for(stack, tickets, {"confirming"}, 30)
    # The slots to move: ticket 0's lists, its deposit's claim and links, the chain's watch state, streams and
    # cached answers, the outbox and saq's queue. Each to the next master.
    privacy = Pseudonymizer(stack.config.file.secret.get_secret_value())
    ticket_key = privacy.ticket_key("desk", str(tickets[0].id))
    moving = {
        "ticket": key_slot(keys.ticket_deposits(ticket_key).encode()),
        "deposit": key_slot(keys.claim(tickets[0].txid).encode()),
        "chain": key_slot(ChainKeys("litecoin").cursor.encode()),
        "outbox": key_slot(keys.OUTBOX.encode()),
        "queue": key_slot(f"saq:{keys.QUEUE}:queued".encode()),
    }
    before = {what: cluster.owner(slot) for what, slot in moving.items()}
    targets = {what: cluster.ports[(cluster.ports.index(port) + 1) % 3] for what, port in before.items()}
    monitors = [_monitor(port, tmp_path_factory.mktemp(f"monitor{port}") / "log") for port in cluster.ports]
    moved: dict[str, int] = {}
    failed: list[BaseException] = []

    def reshard() -> None:
        try:
            for what, slot in moving.items():
                moved[what] = cluster.migrate_slot(slot, targets[what], batch=2, pause=0.2)
        except BaseException as exc:  # seen by the test's thread below
            failed.append(exc)

    mover = threading.Thread(target=reshard)
    started = time.monotonic()
    mover.start()
    # Meanwhile: webhooks arrive, blocks come, and ticket 0 claims its deposit again (its own slots moving).
    i, reclaims = 2, 0
    while mover.is_alive() or i < len(deposits):
        if i < len(deposits):
            tickets.append(open_ticket(i))
            i += 1
        node.mine(1)
        if reclaims < 6:  # within the claim cap (claims.per_ticket, 10 a minute)
            again = httpx.post(
                f"{stack.url}/v1/tickets/{tickets[0].id}/deposits",
                json={"tx_hash": tickets[0].txid, "address": deposits[0][0]},
                timeout=30,
            )
            assert again.status_code == 200, again.text
            reclaims += 1
        time.sleep(0.5)
    mover.join(120)
    resharded = time.monotonic() - started
    assert not failed, failed
    node.mine(6)  # every deposit past 6/6 now
    sixth = time.monotonic()
    wait_for(stack, tickets, {"confirmed"}, 90)
    wait_until_settled(stack.config, node, stack.started, 60)
    asking = [_stop(monitor) for monitor in monitors]

    assert {what: cluster.owner(slot) for what, slot in moving.items()} == targets
    # Each slot held keys when it moved (the outbox's may be empty: every note posted by then).
    assert all(moved[what] >= 1 for what in ("ticket", "deposit", "chain", "queue")), moved
    assert sum(asking) >= 1, asking  # some client met ASK and followed it (ASKING then the command)
    for ticket in tickets:
        assert_one_note_per_status(stack, ticket)
    print(
        f"\ncluster reshard mid-flow: {len(moving)} slots ({sum(moved.values())} keys: {moved}) moved in "
        f"{resharded:.1f} s while {len(tickets) - 2} webhooks arrived; ASKING seen {sum(asking)} times; "
        f"confirmed notes {sorted(round(t.seen['confirmed'] - sixth, 2) for t in tickets)} s after the last block"
    )


def _monitor(port: int, log: os.PathLike[str]) -> tuple[subprocess.Popen[bytes], os.PathLike[str]]:
    """`redis-cli monitor` of one node into `log`: every command the node runs, ASKING included."""
    out = open(log, "wb")  # noqa: SIM115  # closed by the process's end in _stop
    return subprocess.Popen(["redis-cli", "-p", str(port), "monitor"], stdout=out, stderr=subprocess.DEVNULL), log


def _stop(monitor: tuple[subprocess.Popen[bytes], os.PathLike[str]]) -> int:
    """Stop one monitor; how many ASKING commands its node ran."""
    proc, log = monitor
    proc.terminate()
    proc.wait(10)
    with open(log, "rb") as f:
        return sum(1 for line in f if b'"ASKING"' in line or b'"asking"' in line)
