"""The bot API's lookups by address (`POST /v1/tickets/{ticket_ref}/lookups`) as an attacker would use them: a
player typing into a support bot. The answer never names another ticket nor an account; hostile text in any field
is a 422 that does not quote it, before anything is asked or stored; the claim caps bound the lookups that note.

On the whole stack (tests/ticket_link/flow_stack.py): real litecoind, Redis, deposit_check with its ownership index
and watcher, ticket_link, its worker and django-helpdesk."""

import secrets
import time
from collections.abc import Iterator

import httpx
import pytest

from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.stacks import Key, litecoin_toml
from tests.ticket_link.flow_stack import Stack, flow_stack, internal_notes
from tests.ticket_link.settle import wait_until
from tests.ticket_link.test_lookups_flow import ADMIN, TICKET_LINK, bot_lookup, declared, deposits, plain_ticket

DB = 7  # a database of its own
BOT = Key("any-bot")  # no `scopes`: every scope, as a key written before scopes
ATTACK = "[Urgent: re-verify player KYC here](https://evil.example/desk-login)"
ACCOUNT = "player-4711-secret-ref"


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    dc_text = (
        ADMIN.toml()
        + TICKET_LINK.toml()
        + litecoin_toml(litecoind)
        + f'[ownership]\nsecret = "{secrets.token_urlsafe(32)}"\n'
    )
    caps = '[claims]\nper_ticket = "3/minute"\n'
    work = tmp_path_factory.mktemp("lookups-security")
    with flow_stack(
        dc_text, litecoind, redis_server, work, db=DB, api_key=TICKET_LINK.secret, ticket_link_extra=caps + BOT.toml()
    ) as built:
        yield built


def test_the_answer_never_names_another_ticket_nor_an_account(stack: Stack) -> None:
    address = declared(stack)
    [txid] = deposits(stack, address, ["0.45"])
    first = plain_ticket(stack)
    claim = httpx.post(
        f"{stack.url}/v1/tickets/{first}/deposits",
        json={"tx_hash": txid, "address": address, "account": ACCOUNT},
        headers=BOT.headers,
        timeout=60,
    )
    assert claim.status_code == 200, claim.text  # the first ticket claims the deposit (linked, noted)
    second = plain_ticket(stack)
    response = bot_lookup(stack, second, {"address": address, "expected_amount": "0.45"}, key=BOT)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [d["tx_hash"] for d in answer["deposits"]] == [txid]  # the deposit is listed...
    text = response.text
    assert str(first) not in text and ACCOUNT not in text  # ...never whose ticket claims it, nor its account
    for field in ("account", "address_owner", "duplicate_claim", "earlier_ticket", "summary", "note"):
        assert field not in text.replace("ticket_note", "")
    assert set(answer["deposits"][0]) == {
        "tx_hash",
        "chain",
        "status",
        "confirmations",
        "required_confirmations",
        "asset",
        "received_amount",
        "amount_status",
        "block_time",
    }
    # The second ticket's lookup note lists the candidate, never the first ticket either. (Not "settled": the
    # first ticket's claim is watched, and blocks other tests mine keep noting it.)
    wait_until(lambda: bool(internal_notes(stack.desk, second)), 60, "the lookup note did not arrive")
    notes = [n["comment"] for n in internal_notes(stack.desk, second)]
    assert len(notes) == 1 and txid in notes[0] and str(first) not in notes[0] and ACCOUNT not in notes[0]


HOSTILE = [
    ("address", ATTACK),
    ("address", "ltc1q" + "<b>" * 10),
    ("chain", "litecoin<script>alert(1)</script>"),
    ("asset", "<b>USDT</b>"),
    ("asset", "USDT https://evil.example"),
    ("expected_amount", "1e9"),
    ("expected_amount", "-0.5"),
    ("since", "yesterday " + ATTACK),
    ("since", "2026-12-01T08:00:00"),  # no time zone: which moment is unknowable
    ("lang", "en" + "x" * 40),
    ("helpdesk", ATTACK),
    ("comment", ATTACK),  # an unknown field
]


@pytest.mark.parametrize(("field", "value"), HOSTILE)
def test_hostile_text_in_a_field_is_a_422_naming_it_without_quoting_it(stack: Stack, field: str, value: str) -> None:
    address = declared(stack)
    ticket = plain_ticket(stack)
    body = {"address": address, field: value}
    response = bot_lookup(stack, ticket, body, key=BOT)
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert field in message
    assert "evil.example" not in response.text and "<b>" not in response.text and "<script>" not in response.text
    time.sleep(0.5)  # a note would come from the worker: give it a moment (the refusal itself is synchronous)
    assert internal_notes(stack.desk, ticket) == []  # refused at the door: nothing queued, nothing noted


def test_lookups_that_note_count_against_the_claim_caps(stack: Stack) -> None:
    address = declared(stack)
    ticket = plain_ticket(stack)
    answers = [bot_lookup(stack, ticket, {"address": address}, key=BOT) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    capped = bot_lookup(stack, ticket, {"address": address}, key=BOT)
    assert capped.status_code == 429 and capped.json()["error"]["code"] == "claims_capped"
    assert 'claims.per_ticket = "3/minute"' in capped.json()["error"]["message"]
    assert int(capped.headers["Retry-After"]) >= 1
    # Looking up without a note stores nothing about the ticket: the key's rate limit bounds it, not the cap.
    only = bot_lookup(stack, ticket, {"address": address, "post_note": False}, key=BOT)
    assert only.status_code == 200 and only.json()["ticket_note"] is None
