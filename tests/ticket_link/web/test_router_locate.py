"""The form with a hash and no address, over HTTP (deposit_check's `/v1/locate` and `/v1/checks` answered by the
stand-in, in the shapes docs/api.md gives): one casino address paid on one chain is the usual card of its check,
saying the address was found from the hash; anything else a card of what was found, asking for the address."""

import re
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.conftest import RedisServer
from tests.ticket_link.test_locate import LTC_A, LTC_B, TX, answer, entry
from tests.ticket_link.web.conftest import DepositCheck, csrf_of, make_app, sign_in, verdict
from ticket_link.caps import Admission
from ticket_link.errors import AddressNeeded
from ticket_link.links import TicketRef
from ticket_link.schemas import DepositClaim, claim_response
from ticket_link.service import ClaimOutcome

# What a card about a located tx must never say: a credit, or a deposit's own verdict words.
CREDIT = ("credit it", "can be credited", "Confirmed</span>")


def answering(located: dict[str, Any], checked: dict[str, Any] | None = None) -> Any:
    """The stand-in's answer: the locate answer to a body with no address, the verdict to a check."""
    return lambda body: httpx.Response(200, json=located if "address" not in body else (checked or verdict()))


async def signed_in(client: httpx.AsyncClient) -> str:
    await sign_in(client)
    return csrf_of((await client.get("/")).text)


async def test_a_bare_hash_paying_one_casino_address_is_checked_with_it(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    deposit_check.answer = answering(answer(entry("litecoin", LTC_A)), verdict(tx_hash=TX, address=LTC_A))
    token = await signed_in(client)
    response = await client.post("/check", data={"tx_hash": f" txid: {TX} ", "address": " ", "csrf_token": token})
    assert response.status_code == 200, response.text
    assert deposit_check.paths == ["/v1/locate", "/v1/checks"]
    assert deposit_check.requests == [
        {"tx_hash": TX},
        {"tx_hash": TX, "address": LTC_A, "chain": "litecoin", "watch": True},
    ]
    html = response.text
    assert 'data-status="confirming"' in html and "2 of 6" in html and LTC_A in html
    assert "data-located" in html and "found from its hash" in html
    assert 'id="address" name="address" type="text"' in html and f'value="{LTC_A}"' not in html  # field left empty
    events = re.search(r'data-events="([^"]+)"', html)
    assert events and "located=true" in events[1] and "chain=litecoin" in events[1]
    # The card's live updates keep saying so (until the deposit is final).
    final = verdict(tx_hash=TX, address=LTC_A, status="confirmed", confirmations=6, final=True)
    deposit_check.answer = answering(answer(), final)
    streamed = await client.get(events[1].replace("&amp;", "&"), timeout=30)
    assert 'data-status="confirmed"' in streamed.text and "found from its hash" in streamed.text


@pytest.mark.parametrize(
    ("located", "words"),
    [
        (
            answer(entry("litecoin", others=2)),
            [
                "Found on litecoin",
                "confirming (2 of 6), block 204",
                "It paid no deposit address of the casino (2 other addresses)",
                "Do not credit",
            ],
        ),
        (
            answer(entry("litecoin", LTC_A, LTC_B)),
            ["these deposit addresses", LTC_A, LTC_B, "Ask the player which deposit address"],
        ),
        (
            answer(entry("litecoin", declared=False, others=3)),
            ["not declared on litecoin", "3 addresses paid", "Ask the player for the deposit address"],
        ),
        (answer(), ["no chain deposit_check checks", "Not on</dt><dd>ethereum", "may not have propagated yet"]),
        (
            answer(entry("litecoin", status="failed", failure_reason="OUT_OF_ENERGY", others=0, declared=None)),
            ["failed on chain: it moved no funds", "(OUT_OF_ENERGY)", "It paid no address."],
        ),
    ],
)
async def test_a_bare_hash_that_pairs_no_address_says_what_was_found(
    client: httpx.AsyncClient, deposit_check: DepositCheck, located: dict[str, Any], words: list[str]
) -> None:
    deposit_check.answer = answering(located)
    token = await signed_in(client)
    response = await client.post("/check", data={"tx_hash": TX, "address": "", "csrf_token": token})
    assert response.status_code == 200, response.text
    assert deposit_check.paths == ["/v1/locate"]  # nothing checked: no address to check
    html = response.text
    assert 'data-status="address_needed"' in html and "Address needed" in html
    for word in words:
        assert word in html, word
    assert not any(c in html for c in CREDIT)
    assert "data-events" not in html  # nothing to follow


async def test_found_nowhere_while_a_chain_did_not_answer_is_no_not_found(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    deposit_check.answer = answering(answer(unavailable=("tron",)))
    token = await signed_in(client)
    response = await client.post("/check", data={"tx_hash": TX, "csrf_token": token})
    assert response.status_code == 503
    html = response.text
    assert 'data-outcome="incomplete"' in html and "Not known yet" in html
    assert "Not asked</dt><dd>tron: the node did not answer" in html and 'this is not a "not found"' in html


async def test_a_chain_down_beside_where_it_was_found_is_named(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    deposit_check.answer = answering(answer(entry("litecoin", others=1), unavailable=("tron",)))
    token = await signed_in(client)
    response = await client.post("/check", data={"tx_hash": TX, "csrf_token": token})
    assert response.status_code == 200 and 'data-outcome="paid_none"' in response.text
    assert "Not asked</dt><dd>tron" in response.text


async def test_deposit_check_down_is_said_as_for_a_check(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    deposit_check.answer = lambda _: httpx.Response(503, json={"error": {"code": "unavailable", "message": "down"}})
    token = await signed_in(client)
    response = await client.post("/check", data={"tx_hash": TX, "csrf_token": token})
    assert response.status_code == 503 and 'role="alert"' in response.text
    assert "Address needed" not in response.text and deposit_check.paths == ["/v1/locate"]


async def test_posting_a_bare_hash_takes_the_bot_apis_path(
    deposit_check: DepositCheck, redis_server: RedisServer
) -> None:
    app = make_app(deposit_check, redis_server.url)
    service = app.state.service
    claims: list[DepositClaim] = []
    outcomes: list[Any] = []

    async def claim(ref: TicketRef, req: DepositClaim) -> ClaimOutcome:
        claims.append(req)
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def admit(helpdesk: str, ticket_key: str, wanted: int) -> Admission:
        return Admission(wanted)

    service.claim = claim
    service.caps = SimpleNamespace(admit=admit)
    paired = verdict(status="confirmed", confirmations=6, final=True, address=LTC_A)
    outcomes.append(ClaimOutcome(claim_response(paired, "msg", queued=True, duplicate=None), None))
    needed = AddressNeeded("address: the transaction paid no deposit address of the casino")
    needed.located, needed.noted = answer(entry("litecoin", others=2)), True
    outcomes.append(needed)
    again = AddressNeeded("address: same")
    again.located, again.noted = needed.located, False
    outcomes.append(again)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        form = {"tx_hash": TX, "address": "", "ticket_ref": "#77", "csrf_token": await signed_in(client)}
        first = await client.post("/web/post", data=form)
        assert first.status_code == 200 and claims[0].address is None  # located by the service, as for a bot
        assert 'data-status="confirmed"' in first.text and "found from its hash" in first.text
        assert "Note queued for desk #77" in first.text
        second = await client.post("/web/post", data=form)
        assert second.status_code == 200 and 'data-outcome="paid_none"' in second.text
        assert "Note queued for desk #77" in second.text and not any(c in second.text for c in CREDIT)
        third = await client.post("/web/post", data=form)
        assert "Already posted: desk #77 has this note." in third.text
        assert deposit_check.requests == []  # the service's claim did the asking


async def test_a_bare_hash_without_the_csrf_token_or_a_session_asks_nothing(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    anonymous = await client.post("/check", data={"tx_hash": TX})
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/web/sign-in"
    await signed_in(client)
    for path in ("/check", "/web/post"):
        forged = await client.post(path, data={"tx_hash": TX, "ticket_ref": "1", "csrf_token": "x" * 40})
        assert forged.status_code == 403, path
    assert deposit_check.requests == []
