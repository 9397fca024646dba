"""Claims as a hostile player would make them, on a real Redis: another player's deposit claimed first,
one ticket spelt two ways, injection through `account`. deposit_check stands in as the verdict JSON its
contract promises (`address_owner`, `account`); ticket_link never imports it."""

import json
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pydantic
import pytest
import redis.asyncio as redis

from tests.conftest import RedisServer
from ticket_link.config import NotesConfig
from ticket_link.errors import InvalidRequest
from ticket_link.helpdesks import payload
from ticket_link.links import Links, TicketRef
from ticket_link.privacy import Pseudonymizer
from ticket_link.schemas import DepositClaim
from ticket_link.service import TicketService, enrich_key

ADDRESS = "rltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdd3276w"
CREDIT_IT = "credit it, if not already done"
SECRET = "security-test-secret-" + "x" * 16


class Checker:
    """deposit_check's `/v1/checks` answer for any tx: a confirmed deposit to `owner`'s address."""

    def __init__(self, owner: str = "unknown", account: str | None = None) -> None:
        self.owner, self.account = owner, account

    async def check(self, tx_hash: str, address: str, **_: Any) -> dict[str, Any]:
        return {
            "status": "confirmed",
            "chain": "litecoin",
            "tx_hash": tx_hash,
            "address": address,
            "confirmations": 6,
            "required_confirmations": 6,
            "payments": [{"asset": "LTC", "amount": "0.5", "contract": None}],
            "asset": "LTC",
            "received_amount": "0.5",
            "final": True,
            "summary": "Your deposit of 0.5 LTC is confirmed on litecoin.",
            "address_owner": self.owner,
            "account": self.account,
        }


class Notes:
    """Stands in for the job queue: the notes queued, per ticket, by idempotency key."""

    def __init__(self) -> None:
        self.queued: dict[str, dict[str, str]] = {}
        self.enriched: list[tuple[TicketRef, list[dict[str, Any]]]] = []
        self.guards: dict[str, dict[str, Any]] = {}  # key -> what a "credit it" note was decided from

    async def enqueue_note(
        self, ref: TicketRef, key: str, body: str, credit_guard: dict[str, Any] | None = None
    ) -> bool:
        self.queued.setdefault(ref.ticket_id, {})[key] = body
        if credit_guard is not None:
            self.guards[key] = credit_guard
        return True

    async def enqueue_enrich(self, ref: TicketRef, claims: list[dict[str, Any]], key: str) -> bool:
        self.enriched.append((ref, claims))
        return True

    def of(self, ticket: str) -> list[str]:
        return list(self.queued.get(ticket, {}).values())


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(f"redis://127.0.0.1:{redis_server.port}/14")
    try:
        yield client
    finally:
        await client.aclose()


def service(client: redis.Redis, checker: Checker, notes: Notes) -> TicketService:
    links = Links(client, Pseudonymizer(SECRET))
    return TicketService(checker, links, notes, NotesConfig(), ["desk"], client)  # type: ignore[arg-type]  # stand-ins


def claim(**fields: Any) -> DepositClaim:
    return DepositClaim(**{"tx_hash": secrets.token_hex(32), "address": ADDRESS, **fields})


async def test_b_claims_as_deposit_first_and_the_account_binding_decides(client: redis.Redis) -> None:
    notes = Notes()
    tl = service(client, Checker("casino", "acct-A"), notes)
    b_claim = claim(account="acct-B")
    b = await tl.claim(TicketRef("desk", "200"), b_claim)
    assert CREDIT_IT not in notes.of("200")[0] and "another player account" in notes.of("200")[0]
    assert b.answer.duplicate_claim is None and "reviewing it" in b.answer.player_message
    a = await tl.claim(TicketRef("desk", "100"), claim(tx_hash=b_claim.tx_hash, account="acct-A"))
    (a_note,) = notes.of("100")
    assert CREDIT_IT in a_note and "this is the ticket to credit" in a_note and "desk #200" in a_note
    assert len(notes.of("200")) == 2 and all(CREDIT_IT not in n for n in notes.of("200"))
    assert "desk #100" in notes.of("200")[1]  # agents are told of the other ticket
    answer = a.answer.model_dump(mode="json")
    assert answer["duplicate_claim"] == {"duplicate": True, "account_matched": True}
    assert "200" not in json.dumps(answer).replace(b_claim.tx_hash, "") and "acct-A" not in json.dumps(answer)


async def test_without_accounts_a_duplicate_claim_never_says_credit_it(client: redis.Redis) -> None:
    notes = Notes()
    tl = service(client, Checker(), notes)  # today's deposit_check: no address_owner, no account
    first = claim()
    await tl.claim(TicketRef("desk", "300"), first)
    assert CREDIT_IT in notes.of("300")[0] and "was not verified" in notes.of("300")[0]
    second = await tl.claim(TicketRef("desk", "301"), claim(tx_hash=first.tx_hash))
    assert [CREDIT_IT in n for n in notes.of("300")] == [True, False]  # the first ticket is told as well
    assert all(CREDIT_IT not in n for n in notes.of("301"))
    assert second.answer.model_dump()["duplicate_claim"] == {"duplicate": True, "account_matched": None}
    again = await tl.claim(TicketRef("desk", "301"), claim(tx_hash=first.tx_hash))  # the same claim again
    assert again.answer.ticket_note is not None and len(notes.of("300")) == 2 and len(notes.of("301")) == 1


async def test_one_ticket_spelt_two_ways_is_one_claimant(client: redis.Redis) -> None:
    notes = Notes()
    tl = service(client, Checker(), notes)
    assert tl.ticket("desk", "0123") == tl.ticket("desk", "123") == TicketRef("desk", "123")
    first = claim()
    await tl.claim(tl.ticket(None, "0123"), first)
    answer = await tl.claim(tl.ticket(None, " 123"), claim(tx_hash=first.tx_hash))
    assert answer.answer.duplicate_claim is None and len(notes.of("123")) == 1
    for impossible in ("0", "000", "-1", "12a", "１２", "9223372036854775808", "1" * 21, ""):
        with pytest.raises(InvalidRequest) as refused:
            tl.ticket("desk", impossible)
        assert refused.value.status_code == 422


@pytest.mark.parametrize(
    "account",
    ["acct\nStatus: confirmed", "acct\r\nNext step: credit it", "\u202eacct", "a\x00b", "x" * 129, "", "\u2028"],
)
def test_account_refuses_control_characters_and_length(account: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        claim(account=account)


async def test_an_account_is_never_stored_logged_or_shown_in_the_clear(
    client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    account = "acct-<script>alert(1)</script>-" + secrets.token_hex(4)
    notes = Notes()
    tl = service(client, Checker("casino", account), notes)
    caplog.set_level(logging.DEBUG)
    c = claim(account=account)
    answer = await tl.claim(TicketRef("desk", "400"), c)
    assert CREDIT_IT in notes.of("400")[0]  # its own account: credited
    assert account not in notes.of("400")[0] and account not in answer.answer.model_dump_json()
    assert account not in caplog.text
    for key in await client.keys(f"*{c.tx_hash}*"):
        assert account.encode() not in repr(await _value(client, key)).encode()


async def _value(client: redis.Redis, key: bytes) -> Any:
    kind = (await client.type(key)).decode()
    if kind == "hash":
        return await client.hgetall(key)
    if kind == "set":
        return await client.smembers(key)
    return await client.get(key) if kind == "string" else None


class Desk:
    """A verified webhook's helpdesk: the generic body, and the account in a custom field."""

    name, kind, webhook_scheme, account_field = "desk", "rt", "path_secret", "fields.player"

    def read_webhook(self, body: bytes) -> Any:
        return payload.generic(json.loads(body))


async def test_a_webhook_claim_carries_the_configured_account_keyed_hashed(client: redis.Redis) -> None:
    notes = Notes()
    tl = service(client, Checker("casino", "acct-A"), notes)
    tx = secrets.token_hex(32)
    body = {"ticket_id": "0500", "text": f"tx {tx} to {ADDRESS}", "fields": {"player": "acct-B"}}
    assert await tl.accept_webhook(Desk(), json.dumps(body).encode()) == 1  # type: ignore[arg-type]  # a stand-in
    ((ref, claims),) = notes.enriched
    assert ref == TicketRef("desk", "500") and "acct-B" not in json.dumps(claims)
    await tl.enrich(ref, claims)
    (note,) = notes.of("500")
    assert "another player account" in note and CREDIT_IT not in note


async def test_a_credit_it_is_guarded_and_a_later_claim_takes_it_back(client: redis.Redis) -> None:
    """What the worker asks before it posts a "credit it" (`still_credit`): true until another ticket claims the
    tx with no account binding to tell them apart; a binding that decides keeps the owner's "credit it"."""
    notes = Notes()
    tl = service(client, Checker(), notes)
    first = claim()
    await tl.claim(TicketRef("desk", "500"), first)
    [(key, guard)] = notes.guards.items()
    assert CREDIT_IT in notes.queued["500"][key] and await tl.still_credit(TicketRef("desk", "500"), guard)
    await tl.claim(TicketRef("desk", "501"), claim(tx_hash=first.tx_hash))
    assert not await tl.still_credit(TicketRef("desk", "500"), guard)  # taken back
    assert list(notes.guards) == [key]  # no note of the duplicate says "credit it", none is guarded

    bound = Notes()
    tl = service(client, Checker("casino", "acct-O"), bound)
    owners = claim(account="acct-O")
    await tl.claim(TicketRef("desk", "510"), owners)
    [guard] = bound.guards.values()
    await tl.claim(TicketRef("desk", "511"), claim(tx_hash=owners.tx_hash, account="acct-T"))
    assert await tl.still_credit(TicketRef("desk", "510"), guard)  # the binding decides: still the owner's


def test_a_redelivered_webhook_is_one_job_unless_its_account_changed() -> None:
    claims = [{"tx_hash": "ab" * 32, "address": ADDRESS, "account": "k1"}]
    same = [dict(c) for c in claims]
    changed = [{**c, "account": "k2"} for c in claims]
    assert enrich_key("t", claims) == enrich_key("t", same) != enrich_key("t", changed)
    assert enrich_key("t", claims) != enrich_key("t", [{**c, "account": None} for c in claims])
