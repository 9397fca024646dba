"""The account binding of claims attacked on the whole stack: real litecoind, Redis, deposit_check (its
ownership index and watcher), ticket_link, its worker and django-helpdesk.

- a player claims another account's deposit: the owner's account reference is kept nowhere in the clear
  (Redis keys, values, stream entries; logs), so it cannot be learnt and replayed;
- a webhook redelivered with the account field changed is checked again; an identical one is not;
- a second claim while the first ticket's "credit it" waits in the queue: that note is never posted.
"""

import json
import logging
import secrets
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
import redis

from deposit_check.devnet.litecoind import Litecoind
from desk_common.logging import quiet_libraries
from tests.conftest import RedisServer
from tests.metrics_scrape import scrape, value
from tests.security.test_ownership_flow import ADMIN, CREDIT_IT, OTHER_ACCOUNT, TICKET_LINK, claim, comments, declare
from tests.stacks import litecoin_toml
from tests.ticket_link.flow_stack import WEBHOOK_SECRET, Stack, flow_stack, internal_notes, wait_for_notes
from tests.ticket_link.settle import wait_until, wait_until_settled

DB = 12  # a database of its own: the scan below reads every key in it
DUPLICATE = "more than one ticket claims this transaction"


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    dc_text = (
        ADMIN.toml()
        + TICKET_LINK.toml()
        + litecoin_toml(litecoind)
        + f'[ownership]\nsecret = "{secrets.token_urlsafe(32)}"\n'
    )
    with flow_stack(
        dc_text, litecoind, redis_server, tmp_path_factory.mktemp("account-binding"), db=DB, api_key=TICKET_LINK.secret
    ) as built:
        yield built


def everything_in(client: redis.Redis) -> list[tuple[bytes, bytes]]:
    """(key, piece) for every key of the database and every piece of its value, stream entries included."""
    found: list[tuple[bytes, bytes]] = []
    for key in client.scan_iter("*"):
        kind = client.type(key).decode()
        pieces: list[bytes] = [key]
        if kind == "string":
            pieces.append(client.get(key) or b"")
        elif kind == "hash":
            for k, v in client.hgetall(key).items():
                pieces += [k, v]
        elif kind == "list":
            pieces += client.lrange(key, 0, -1)
        elif kind == "set":
            pieces += list(client.smembers(key))
        elif kind == "zset":
            pieces += list(client.zrange(key, 0, -1))
        elif kind == "stream":
            for _, fields in client.xrange(key):
                for k, v in fields.items():
                    pieces += [k, v]
        else:
            raise AssertionError(f"{key!r}: a {kind} the scan does not read")
        found += [(key, p) for p in pieces]
    return found


def webhook(stack: Stack, ticket: int, text: str, account: str | None) -> httpx.Response:
    """What django-helpdesk sends for a ticket (its body shape), delivered (again) to ticket_link."""
    body = {
        "ticket": {
            "id": ticket,
            "title": "deposit",
            "description": text,
            "submitter_email": "redelivered@mail.example",
            "custom_player_account": account,
            "followup_set": [],
        },
        "queue_slug": "support",
    }
    return httpx.post(f"{stack.url}/v1/webhooks/desk/{WEBHOOK_SECRET}", json=body, timeout=30)


def test_a_player_claiming_another_accounts_deposit_never_finds_its_account_at_rest_or_in_a_log(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole flow with accounts: the owner's ticket (webhook, account field), a thief's bot claim with their
    own account, the watcher's confirmation notes. The owner's account reference is then in no Redis key or
    value, no event and no log line: only deposit_check's HTTP answers (a check, the admin lookup) carry it."""
    caplog.set_level(logging.DEBUG)
    quiet_libraries()  # as configure_logging does in every process we start
    node = stack.litecoind
    owners, thiefs = f"acct-{secrets.token_hex(6)}", f"acct-{secrets.token_hex(6)}"
    address = node.new_address("bech32")
    declare(stack, address, owners)
    txid = node.send(address, Decimal("0.45"))
    node.mine(1)
    owner = stack.desk.create_ticket("deposit", f"tx {txid} to {address}", "owner@mail.example", account=owners)
    assert "Status: confirming" in wait_for_notes(stack, owner)[0]["comment"]
    thief = stack.desk.create_ticket("deposit", "hello", "thief@mail.example")
    stolen = claim(stack, thief, txid, address, account=thiefs)
    assert stolen["duplicate_claim"] == {"duplicate": True, "account_matched": False}
    assert owners not in json.dumps(stolen)
    node.mine(5)  # confirmed: the watcher's events, and a note in each ticket from them
    owner_notes = comments(wait_for_notes(stack, owner, 3))
    assert "Status: confirmed" in owner_notes[-1] and CREDIT_IT in owner_notes[-1], owner_notes
    thief_notes = comments(wait_for_notes(stack, thief, 2))
    assert all(CREDIT_IT not in n and OTHER_ACCOUNT in n for n in thief_notes), thief_notes

    # Where the reference is in the clear: deposit_check's answers over HTTP, and nowhere else.
    check = httpx.post(
        f"{stack.deposit_check_url}/v1/checks",
        json={"tx_hash": txid, "address": address},
        headers=TICKET_LINK.headers,
        timeout=30,
    )
    assert (check.json()["address_owner"], check.json()["account"]) == ("casino", owners)
    again = httpx.post(
        f"{stack.deposit_check_url}/v1/checks",
        json={"tx_hash": txid, "address": address},
        headers=TICKET_LINK.headers,
        timeout=30,
    )
    assert again.json()["account"] == owners  # the cached answer, opened again
    lookup = httpx.get(f"{stack.deposit_check_url}/v1/addresses/litecoin/{address}", headers=ADMIN.headers, timeout=30)
    assert lookup.json()["account"] == owners
    wait_until_settled(stack.config, node, stack.started)

    client = redis.Redis.from_url(f"redis://127.0.0.1:{stack.redis.port}/{DB}")
    try:
        pieces = everything_in(client)
    finally:
        client.close()
    kinds = {key.split(b":")[0] + b":" + key.split(b":")[1] for key, _ in pieces}
    assert {b"dc:v1", b"tl:v1"} <= kinds and any(b"events" in key for key, _ in pieces), kinds  # it did look
    assert any(b"answer" in key for key, _ in pieces) and any(b"watches" in key for key, _ in pieces)
    for account in (owners, thiefs):
        for key, piece in pieces:
            assert account.encode() not in piece, f"{account!r} in Redis at {key!r}"
    worker_lines = stack.worker_log.read_text().splitlines()
    assert any("deliver_note" in line for line in worker_lines)  # the worker did log its jobs
    lines = [r.getMessage() for r in caplog.records] + caplog.text.splitlines() + worker_lines
    assert any("/v1/tickets/{ticket_ref}/deposits" in line for line in lines)  # the access log did log
    for line in lines:
        assert owners not in line and thiefs not in line, f"an account reference in a log line: {line[:200]}"


def test_a_webhook_redelivered_with_another_account_is_checked_again_an_identical_one_is_not(stack: Stack) -> None:
    """The first delivery names the owner's account: credit it. A redelivery naming another account must not leave
    that advice standing (the enrichment's key holds the account's keyed hash); the same body again changes nothing."""
    node = stack.litecoind
    address = node.new_address("bech32")
    declare(stack, address, "acct-R1")
    txid = node.send(address, Decimal("0.35"))
    node.mine(6)
    text = f"tx {txid} to {address}"
    ticket = stack.desk.create_ticket("deposit", text, "r@mail.example", account="acct-R1")
    notes = comments(wait_for_notes(stack, ticket))
    assert len(notes) == 1 and CREDIT_IT in notes[0], notes
    assert webhook(stack, ticket, text, "acct-R1").status_code == 202  # identical: the same job, nothing new
    assert len(wait_for_notes(stack, ticket)) == 1
    assert webhook(stack, ticket, text, "acct-R2").status_code == 202  # the account field changed
    notes = comments(wait_for_notes(stack, ticket, 2))
    assert len(notes) == 2 and OTHER_ACCOUNT in notes[1] and CREDIT_IT not in notes[1], notes
    assert webhook(stack, ticket, text, "acct-R2").status_code == 202  # that one again: nothing new
    assert len(wait_for_notes(stack, ticket, 2)) == 2
    # The ticket's claim now carries acct-R2: a claim without an account does not clear it (that would be a way
    # back to "credit it").
    again = claim(stack, ticket, txid, address)  # the bot, without an account: the ticket keeps acct-R2
    assert again["duplicate_claim"] is None and "reviewing" in again["player_message"]


def test_a_second_claim_while_the_first_tickets_credit_it_waits_takes_it_back(stack: Stack) -> None:
    """A's "credit it" is queued while the desk is down; B claims the same tx; then the desk comes back. With no
    account binding to tell them apart, A's waiting note is never posted: A gets the duplicate note instead. Where
    the binding does decide (A's account is the address's, B's is not), A's waiting "credit it" still goes out."""
    node = stack.litecoind
    unbound_address, bound_address = node.new_address("bech32"), node.new_address("bech32")
    declare(stack, unbound_address)  # the casino's, no account
    declare(stack, bound_address, "acct-Q1")
    unbound = node.send(unbound_address, Decimal("0.25"))
    bound = node.send(bound_address, Decimal("0.15"))
    node.mine(6)
    a, b, a2, b2 = (stack.desk.create_ticket("deposit", "hello", f"{n}@mail.example") for n in ("a", "b", "a2", "b2"))
    superseded_before = value(
        scrape(stack.worker_metrics), "ticket_link_notes_total", helpdesk="desk", result="superseded"
    )
    stack.desk.stop()
    try:
        first = claim(stack, a, unbound, unbound_address)
        assert first["duplicate_claim"] is None and first["ticket_note"] == {"status": "queued"}, first
        assert claim(stack, a2, bound, bound_address, account="acct-Q1")["duplicate_claim"] is None
        # The worker has tried (and failed) to post them: they wait for their retries, not for the claims.
        wait_until(
            lambda: (
                value(scrape(stack.worker_metrics), "ticket_link_notes_total", helpdesk="desk", result="retried") > 0
            ),
            20,
            "the worker did not try the notes while the desk was down",
        )
        second = claim(stack, b, unbound, unbound_address)
        assert second["duplicate_claim"] == {"duplicate": True, "account_matched": None}
        assert claim(stack, b2, bound, bound_address, account="acct-Q2")["duplicate_claim"]["duplicate"] is True
    finally:
        stack.desk.start()
    a_notes = comments(wait_for_notes(stack, a, 1, timeout=40))
    assert all(CREDIT_IT not in n for n in a_notes), a_notes
    assert len(a_notes) == 1 and DUPLICATE in a_notes[0] and f"desk #{b}" in a_notes[0], a_notes
    b_notes = comments(wait_for_notes(stack, b, 1, timeout=40))
    assert len(b_notes) == 1 and CREDIT_IT not in b_notes[0] and DUPLICATE in b_notes[0], b_notes
    after = value(scrape(stack.worker_metrics), "ticket_link_notes_total", helpdesk="desk", result="superseded")
    assert after >= superseded_before + 1
    # The binding decides: the owner's ticket keeps its "credit it", the other is told why not.
    a2_notes = comments(wait_for_notes(stack, a2, 1, timeout=40))
    assert any(CREDIT_IT in n for n in a2_notes), a2_notes
    b2_notes = comments(wait_for_notes(stack, b2, 1, timeout=40))
    assert all(CREDIT_IT not in n and OTHER_ACCOUNT in n for n in b2_notes), b2_notes
    assert not any(CREDIT_IT in n for n in comments(internal_notes(stack.desk, a)))
