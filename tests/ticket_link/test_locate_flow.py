"""A ticket naming a transaction hash and no deposit address, on the whole stack: real litecoind, anvil with a real
ERC-20, the TRON replay node (published answers), a Redis of its own, deposit_check (its ownership index declared
through the admin API), ticket_link, its worker and django-helpdesk. ticket_link asks deposit_check's `/v1/locate`
where the tx is; one casino address paid makes it a normal claim, anything else a note asking for the address."""

import os
import secrets
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.models import Asset
from harness.redis_server import RedisServer, running_redis
from harness.tron_replay import TronReplay, load_fixtures
from tests.deposit_check.tron.conftest import USDT_BLOCK, USDT_CONTRACT, USDT_TX
from tests.stacks import Key, ethereum_toml, litecoin_toml
from tests.ticket_link.flow_stack import Stack, flow_stack, internal_notes, wait_for_notes
from tests.ticket_link.settle import wait_until
from tests.ticket_link.test_lookups_flow import Switch

pytestmark = pytest.mark.anvil

ADMIN = Key("wallet-system", scopes=("admin",))
TICKET_LINK = Key("ticket-link", scopes=("watch",))
# The credit advice of each language's note: a locate alone must never give it.
CREDIT_IT = ("credit it, if not already", "créditez le dépôt", "zaksięguj wpłatę", "зачислите депозит")


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    yield from running_redis()


@pytest.fixture(scope="module")
def switch() -> Iterator[Switch]:
    found = Switch("/v1/locate")
    yield found
    found.server.shutdown()


@pytest.fixture(scope="module")
def tron() -> Iterator[TronReplay]:
    replay = TronReplay(load_fixtures("mainnet"), tip=USDT_BLOCK + 30, solidified=USDT_BLOCK + 11)
    yield replay
    replay.close()


@pytest.fixture(scope="module")
def stack(
    litecoind: Litecoind,
    anvil: Anvil,
    usdt: Asset,
    tron: TronReplay,
    redis: RedisServer,
    switch: Switch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    dc_text = (
        ADMIN.toml()
        + TICKET_LINK.toml()
        + litecoin_toml(litecoind)
        + ethereum_toml(anvil, usdt, 12)
        + f"""[chains.tron]
family = "tron"
http_urls = ["{tron.url}"]
timeout_seconds = 2
[[chains.tron.tokens]]
symbol = "USDT"
contract = "{USDT_CONTRACT}"
decimals = 6
[ownership]
secret = "{secrets.token_urlsafe(32)}"
"""
    )
    work = tmp_path_factory.mktemp("locate-flow")
    with flow_stack(dc_text, litecoind, redis, work, api_key=TICKET_LINK.secret, deposit_check_via=switch.via) as built:
        yield built


def declare(stack: Stack, chain: str, address: str) -> str:
    response = httpx.put(
        f"{stack.deposit_check_url}/v1/addresses",
        json={"chain": chain, "addresses": [{"address": address}]},
        headers=ADMIN.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return address


def only_note(stack: Stack, ticket: int) -> str:
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert not any(words in note.lower() for words in CREDIT_IT[1:]) and "credit it, if not already" not in note
    return note


def test_a_bare_txid_paying_a_casino_address_is_checked_with_that_address(stack: Stack) -> None:
    casino = declare(stack, "litecoin", stack.litecoind.new_address("bech32"))
    txid = stack.litecoind.send(casino, Decimal("0.35"))
    stack.litecoind.mine(2)
    ticket = stack.desk.create_ticket("Deposit missing", f"I deposited, here is my txid: {txid}", "a@mail.example")
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert "Status: confirming (confirmations: 2/6)" in note and "Received: 0.35 LTC" in note
    assert f"Deposit address: {casino}" in note
    assert "this is the casino's deposit address the transaction paid, found from its hash" in note
    assert "Chain: litecoin" in note


def test_a_bare_txid_paying_no_casino_address_is_not_credited(stack: Stack) -> None:
    declare(stack, "litecoin", stack.litecoind.new_address("bech32"))  # ownership declared, not this address
    players = stack.litecoind.new_address("bech32")
    txid = stack.litecoind.send(players, Decimal("0.5"))
    stack.litecoind.mine(1)
    ticket = stack.desk.create_ticket("Deposit missing", f"tx {txid}", "b@mail.example")
    note = only_note(stack, ticket)
    assert "Found on litecoin: confirming (confirmations: 1/6)" in note
    assert "It paid no deposit address of the casino (2 other addresses)." in note
    assert "Next step: do not credit this transaction" in note
    assert players not in note  # the addresses it paid are not the casino's: not named


def test_a_hash_known_nowhere_says_so(stack: Stack) -> None:
    unknown = os.urandom(32).hex()
    ticket = stack.desk.create_ticket("Deposit missing", f"hash {unknown} please", "c@mail.example")
    note = only_note(stack, ticket)
    assert f"Transaction: {unknown}" in note
    assert "It was not found on any chain we check (" in note and "litecoin" in note and "tron" in note
    assert "ask the player for the deposit address their account shows" in note


def test_locate_down_is_retried_and_the_claim_is_not_lost(stack: Stack, switch: Switch) -> None:
    casino = declare(stack, "litecoin", stack.litecoind.new_address("bech32"))
    txid = stack.litecoind.send(casino, Decimal("0.45"))
    stack.litecoind.mine(1)
    refused = switch.refused
    switch.down.set()
    try:
        ticket = stack.desk.create_ticket("Deposit missing", f"txid {txid}", "d@mail.example")
        wait_until(lambda: switch.refused >= refused + 2, 30, "the worker did not ask again")
        assert internal_notes(stack.desk, ticket) == []  # nothing said while nothing is known
    finally:
        switch.down.clear()
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket, timeout=60)]
    assert f"Deposit address: {casino}" in note and "0.45 LTC" in note


def test_a_trc20_hash_next_to_an_erc20_address_is_wrong_network(stack: Stack) -> None:
    erc20 = "0x" + os.urandom(20).hex()
    text = f"I sent 3.5 USDT to {erc20}, transaction {USDT_TX}, still not there"
    ticket = stack.desk.create_ticket("USDT missing", text, "e@mail.example")
    note = only_note(stack, ticket)
    assert "Status: wrong network" in note and "Found on: tron" in note
    assert "Next step: do not credit it: it went to tron, not ethereum" in note


def test_a_bot_claim_without_an_address_is_located(stack: Stack) -> None:
    casino = declare(stack, "litecoin", stack.litecoind.new_address("bech32"))
    txid = stack.litecoind.send(casino, Decimal("0.55"))
    stack.litecoind.mine(1)
    ticket = stack.desk.create_ticket("Deposit", "hello", "bot@mail.example")
    url = f"{stack.url}/v1/tickets/{ticket}/deposits"
    paired = httpx.post(url, json={"tx_hash": txid, "lang": "fr"}, timeout=30)
    assert paired.status_code == 200, paired.text
    body = paired.json()
    assert (body["status"], body["address"], body["chain"], body["received_amount"]) == (
        "confirming",
        casino,
        "litecoin",
        "0.55",
    )
    assert body["ticket_note"] == {"status": "queued"}
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert f"Deposit address: {casino}" in note and "found from its hash" in note

    players = stack.litecoind.new_address("bech32")
    other = stack.litecoind.send(players, Decimal("0.05"))
    refused = httpx.post(url, json={"tx_hash": other}, timeout=30)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "address_needed" and "paid no deposit address of the casino" in error["message"]
    notes = [n["comment"] for n in wait_for_notes(stack, ticket, count=2)]
    assert "It paid no deposit address of the casino" in notes[1] and players not in notes[1]
    only_check = httpx.post(url, json={"tx_hash": other, "post_note": False}, timeout=30)
    assert only_check.status_code == 422 and len(wait_for_notes(stack, ticket, count=2)) == 2
