"""Hostile claims on the whole stack with the casino's ownership declared: real litecoind, Redis,
deposit_check (its ownership index and watcher), ticket_link, its worker and django-helpdesk.

Addresses are declared through deposit_check's admin API; the notes are read from the desk."""

import json
import secrets
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.stacks import Key, litecoin_toml
from tests.ticket_link.flow_stack import Stack, flow_stack, wait_for_notes

DB = 10  # a database of its own: its watcher, events and queue never meet another stack's
ADMIN = Key("wallet-system", scopes=("admin",))
TICKET_LINK = Key("ticket-link", scopes=("watch",))
CREDIT_IT = "credit it, if not already done"
NOT_OURS = "this address is not one of the casino's deposit addresses: do not credit"
OTHER_ACCOUNT = "the deposit address belongs to another player account than this ticket's"


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    dc_text = (
        ADMIN.toml()
        + TICKET_LINK.toml()
        + litecoin_toml(litecoind)
        + f'[ownership]\nsecret = "{secrets.token_urlsafe(32)}"\n'
    )
    with flow_stack(
        dc_text, litecoind, redis_server, tmp_path_factory.mktemp("ownership-flow"), db=DB, api_key=TICKET_LINK.secret
    ) as built:
        yield built


def declare(stack: Stack, address: str, account: str | None = None) -> None:
    """The wallet system declares `address` (with `account`) through deposit_check's admin API."""
    item = {"address": address} | ({"account": account} if account else {})
    response = httpx.put(
        f"{stack.deposit_check_url}/v1/addresses",
        json={"chain": "litecoin", "addresses": [item]},
        headers=ADMIN.headers,
        timeout=30,
    )
    assert response.status_code == 200 and response.json()["added"] == 1, response.text


def claim(stack: Stack, ticket: int, txid: str, address: str, account: str | None = None) -> dict:
    body = {"tx_hash": txid, "address": address} | ({"account": account} if account else {})
    response = httpx.post(f"{stack.url}/v1/tickets/{ticket}/deposits", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def comments(notes: list[dict]) -> list[str]:
    return [n["comment"] for n in notes]


def test_a_self_payment_claimed_in_a_ticket_is_not_ours_and_never_credit_it(stack: Stack) -> None:
    node = stack.litecoind
    declare(stack, node.new_address("bech32"), "acct-casino")  # ownership declared for litecoin
    players = node.new_address("bech32")  # the player's own wallet
    txid = node.send(players, Decimal("0.8"))
    ticket = stack.desk.create_ticket("deposit missing", f"I paid 0.8 LTC: {txid} to {players}", "self@mail.example")
    first = wait_for_notes(stack, ticket)[0]["comment"]
    assert NOT_OURS in first and "Status: not one of the casino's deposit addresses" in first
    assert CREDIT_IT not in first and "Next step: credit" not in first
    node.mine(7)
    notes = comments(wait_for_notes(stack, ticket))
    assert notes and all(NOT_OURS in n and CREDIT_IT not in n for n in notes), notes
    answer = claim(stack, ticket, txid, players)
    assert (answer["status"], answer["address_owner"]) == ("not_our_address", "not_casino")
    assert "cannot be credited" in answer["player_message"]


def test_an_address_of_another_account_is_never_credit_it_and_the_bot_never_learns_the_account(stack: Stack) -> None:
    node = stack.litecoind
    address = node.new_address("bech32")
    declare(stack, address, "acct-A")
    txid = node.send(address, Decimal("0.4"))
    node.mine(1)
    ticket = stack.desk.create_ticket("deposit", "hello", "b@mail.example")
    answer = claim(stack, ticket, txid, address, account="acct-B")
    assert answer["status"] == "confirming" and answer["watching"] is True
    assert "acct-A" not in json.dumps(answer)  # nor any other account: a bot never gets it
    assert answer["duplicate_claim"] is None
    assert "reviewing it before it can be credited" in answer["player_message"]
    first = wait_for_notes(stack, ticket)[0]["comment"]
    assert OTHER_ACCOUNT in first and CREDIT_IT not in first
    node.mine(5)  # confirmed: the watcher's note keeps the advice
    notes = comments(wait_for_notes(stack, ticket, 2))
    assert len(notes) == 2 and "Status: confirmed" in notes[1], notes
    assert OTHER_ACCOUNT in notes[1] and CREDIT_IT not in notes[1]
    assert all("acct-A" not in n for n in notes)


def test_the_matching_account_is_credit_it_once_confirmed_and_the_watchers_note_says_so(stack: Stack) -> None:
    node = stack.litecoind
    address = node.new_address("bech32")
    declare(stack, address, "acct-C")
    txid = node.send(address, Decimal("0.3"))
    node.mine(1)
    ticket = stack.desk.create_ticket("deposit", "hello", "c@mail.example")
    answer = claim(stack, ticket, txid, address, account="acct-C")
    assert (answer["status"], answer["address_owner"], answer["duplicate_claim"]) == ("confirming", "casino", None)
    first = wait_for_notes(stack, ticket)[0]["comment"]
    assert "Next step: nothing to do yet" in first and CREDIT_IT not in first
    node.mine(5)
    notes = comments(wait_for_notes(stack, ticket, 2))
    assert len(notes) == 2 and "Status: confirmed" in notes[1] and CREDIT_IT in notes[1], notes
    assert "not verified" not in notes[1]  # ownership was verified: the address is the casino's
    again = claim(stack, ticket, txid, address, account="acct-C")
    assert (again["status"], again["ticket_note"]) == ("confirmed", {"status": "already_posted"})
    assert "is confirmed" in again["player_message"]


def test_another_player_claiming_first_does_not_take_the_owners_deposit(stack: Stack) -> None:
    """B claims A's deposit before A does. The account binding decides: A's ticket is the one to credit,
    B's is told why not; neither bot answer names the other ticket."""
    node = stack.litecoind
    address = node.new_address("bech32")
    declare(stack, address, "acct-owner")
    txid = node.send(address, Decimal("0.9"))
    node.mine(6)
    thief = stack.desk.create_ticket("deposit", "hello", "thief@mail.example")
    stolen = claim(stack, thief, txid, address, account="acct-thief")
    assert stolen["status"] == "confirmed" and "reviewing" in stolen["player_message"]
    assert CREDIT_IT not in wait_for_notes(stack, thief)[0]["comment"]
    owner = stack.desk.create_ticket("deposit", "hello", "owner@mail.example")
    answer = claim(stack, owner, txid, address, account="acct-owner")
    assert answer["duplicate_claim"] == {"duplicate": True, "account_matched": True}
    assert str(thief) not in json.dumps(answer).replace(txid, "").replace(address, "")
    owners = comments(wait_for_notes(stack, owner))
    assert len(owners) == 1 and CREDIT_IT in owners[0] and f"desk #{thief}" in owners[0]
    assert "this is the ticket to credit" in owners[0]
    thiefs = comments(wait_for_notes(stack, thief, 2))
    assert len(thiefs) == 2 and f"desk #{owner}" in thiefs[1]
    assert CREDIT_IT not in thiefs[1] and OTHER_ACCOUNT in thiefs[1]


def test_an_address_withdrawn_while_watched_is_not_credit_it_in_the_watchers_note(stack: Stack) -> None:
    """The wallet system withdraws an address (declared by mistake) while a claim on it is followed: the
    watcher's confirmation must not advise crediting it."""
    node = stack.litecoind
    address = node.new_address("bech32")
    declare(stack, address, "acct-D")
    txid = node.send(address, Decimal("0.2"))
    ticket = stack.desk.create_ticket("deposit", "hello", "d@mail.example")
    assert claim(stack, ticket, txid, address, account="acct-D")["watching"] is True
    wait_for_notes(stack, ticket)
    response = httpx.request(
        "DELETE",
        f"{stack.deposit_check_url}/v1/addresses",
        json={"chain": "litecoin", "addresses": [{"address": address}]},
        headers=ADMIN.headers,
        timeout=30,
    )
    assert response.status_code == 200 and response.json()["deleted"] == 1, response.text
    node.mine(6)
    notes = comments(wait_for_notes(stack, ticket, 2))
    assert len(notes) == 2 and NOT_OURS in notes[1] and CREDIT_IT not in notes[1], notes


def test_a_webhook_ticket_carries_its_account_field_and_another_accounts_address_is_not_credit_it(
    stack: Stack,
) -> None:
    """The ticket's account comes from the desk's custom field (`account_field`), never from the text the player
    writes: a ticket of account W2 claiming W1's address is told so; W1's own ticket may credit it."""
    node = stack.litecoind
    address = node.new_address("bech32")
    declare(stack, address, "acct-W1")
    txid = node.send(address, Decimal("0.7"))
    node.mine(6)
    other = stack.desk.create_ticket(
        "deposit", f"my account is acct-W1, tx {txid} to {address}", "w2@mail.example", account="acct-W2"
    )
    notes = comments(wait_for_notes(stack, other))
    assert len(notes) == 1 and OTHER_ACCOUNT in notes[0] and CREDIT_IT not in notes[0], notes
    owner = stack.desk.create_ticket("deposit", f"tx {txid} to {address}", "w1@mail.example", account="acct-W1")
    owners = comments(wait_for_notes(stack, owner))
    assert len(owners) == 1 and CREDIT_IT in owners[0] and "this is the ticket to credit" in owners[0], owners
