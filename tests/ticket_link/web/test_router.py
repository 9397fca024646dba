"""The form's pages over HTTP: off without config, security headers, a check from pasted lines."""

import logging
import re
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.conftest import RedisServer
from tests.ticket_link.web.conftest import ADDRESS, TX, DepositCheck, csrf_of, make_app, sign_in, verdict
from ticket_link.caps import Admission
from ticket_link.links import TicketRef
from ticket_link.schemas import DepositClaim, DuplicateClaim, claim_response
from ticket_link.service import ClaimOutcome


async def test_without_web_config_the_form_is_404_and_a_line_says_so(
    deposit_check: DepositCheck, caplog: pytest.LogCaptureFixture, redis_server: RedisServer
) -> None:
    caplog.set_level(logging.INFO, logger="ticket_link.web")
    app = make_app(deposit_check, redis_server.url, web=False)
    assert any("web form disabled" in r.getMessage() for r in caplog.records)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for path in ("/", "/check", "/web/sign-in", "/web/static/web.js", "/web/events"):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.post("/web/sign-in", data={"name": "alice"})).status_code == 404
        assert (await client.get("/healthz")).status_code == 200


async def test_pages_and_files_carry_security_headers_and_no_inline_script(client: httpx.AsyncClient) -> None:
    page = await client.get("/web/sign-in")
    await sign_in(client)
    form = await client.get("/")
    script = await client.get("/web/static/web.js")
    for response in (page, form, script):
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
    assert form.headers["cache-control"] == "no-store"
    assert script.headers["content-type"].startswith("text/javascript")
    for html in (page.text, form.text):
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # every script is a file
        assert " style=" not in html and "<style" not in html and " on" + "click=" not in html
    api = await client.get("/healthz")
    assert "content-security-policy" not in api.headers  # /docs keeps working


async def test_a_check_takes_pasted_lines_and_shows_the_card(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    await sign_in(client)
    token = csrf_of((await client.get("/")).text)
    response = await client.post(
        "/check",
        data={
            "tx_hash": f"  tx: {TX.upper()} \n",
            "address": f"\taddress: {ADDRESS}  (deposit)\n",
            "expected_amount": " 0,5 LTC",
            "ticket_ref": "desk #4321",
            "lang": "fr",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200, response.text
    assert deposit_check.requests == [{"tx_hash": TX, "address": ADDRESS, "watch": True, "expected_amount": "0.5"}]
    html = response.text
    assert 'data-status="confirming"' in html and "Confirming" in html and 'class="icon"' in html
    assert '<progress id="confirmations" max="6" value="2">' in html and "2 of 6" in html
    assert "0.5 LTC" in html and "as expected" in html and "2026-11-24 09:12:03 UTC" in html
    assert f'href="https://explorer.example/ltc/tx/{TX}"' in html
    assert "dépôt" in html  # the player sentence in French
    assert 'value="4321"' in html  # the ticket number as the form keeps it
    assert f'data-events="/web/events?tx_hash={TX}' in html  # not final: the card follows the deposit
    assert 'type="button" class="secondary" id="copy-button"' in html and 'formaction="/web/post"' in html


async def test_a_tronscan_line_is_checked_on_its_address_and_a_wrong_network_card_links_where_it_went(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    """USDT sent on TRON to the casino's ERC-20 address's owner: the card says wrong network, links Tronscan (the
    chain it was found on), and its player sentence says another network, never a credit."""
    tron_tx = "7c2d4206c03a883dd9066d620335dc1be272a8dc733cfa3f6d10308faa37facc"
    tron_address = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    deposit_check.answer = lambda body: httpx.Response(
        200,
        json=verdict(
            status="wrong_network",
            chain="tron-nile",
            chains_checked=["tron-nile"],
            found_on="tron",
            tx_hash=body["tx_hash"],
            address=body["address"],
            confirmations=0,
            required_confirmations=19,
            payments=[],
            asset=None,
            received_amount=None,
            amount_status=None,
            final=True,
        ),
    )
    await sign_in(client)
    token = csrf_of((await client.get("/")).text)
    line = f"USDT TRC20 https://nile.tronscan.org/#/transaction/{tron_tx.upper()} sent to {tron_address}"
    response = await client.post("/check", data={"tx_hash": line, "address": "", "csrf_token": token})
    assert response.status_code == 200, response.text
    assert deposit_check.requests == [{"tx_hash": tron_tx, "address": tron_address, "watch": True}]
    html = response.text
    assert 'data-status="wrong_network"' in html
    assert f'href="https://tronscan.org/#/transaction/{tron_tx}"' in html
    assert "another network than the deposit address" in html and "confirmed" not in html


async def test_a_final_card_does_not_follow(client: httpx.AsyncClient, deposit_check: DepositCheck) -> None:
    deposit_check.answer = lambda _: httpx.Response(200, json=verdict(status="confirmed", confirmations=6, final=True))
    await sign_in(client)
    token = csrf_of((await client.get("/")).text)
    html = (await client.post("/check", data={"tx_hash": TX, "address": ADDRESS, "csrf_token": token})).text
    assert 'data-status="confirmed"' in html and "data-events" not in html and "6 of 6" in html


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (
            httpx.Response(422, json={"error": {"code": "invalid_tx_hash", "message": "not 64 hexadecimal"}}),
            422,
            "not 64 hexadecimal",
        ),
        (httpx.Response(503, json={"error": {"code": "unavailable", "message": "node down"}}), 503, "node down"),
    ],
)
async def test_deposit_check_refusals_are_shown_on_the_form(
    client: httpx.AsyncClient, deposit_check: DepositCheck, answer: httpx.Response, status: int, words: str
) -> None:
    deposit_check.answer = lambda _: answer
    await sign_in(client)
    token = csrf_of((await client.get("/")).text)
    response = await client.post("/check", data={"tx_hash": TX, "address": ADDRESS, "csrf_token": token})
    assert response.status_code == status and words in response.text and 'role="alert"' in response.text


async def test_empty_fields_and_a_missing_ticket_number_are_said_plainly(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    await sign_in(client)
    token = csrf_of((await client.get("/")).text)
    empty = await client.post("/check", data={"tx_hash": "  ", "address": "", "csrf_token": token})
    assert empty.status_code == 422 and "Enter the transaction hash." in empty.text
    assert "deposit address" not in empty.text.split('role="alert"')[1].split("</div>")[0]  # a hash alone will do
    no_ticket = await client.post("/web/post", data={"tx_hash": TX, "address": ADDRESS, "csrf_token": token})
    assert no_ticket.status_code == 422 and "Enter the ticket number" in no_ticket.text
    assert deposit_check.requests == []


@pytest.mark.parametrize(
    ("field", "code"), [("tx_hash", "invalid_tx_hash"), ("address", "invalid_address"), ("chain", "invalid_chain")]
)
async def test_the_event_stream_takes_only_shaped_values(
    client: httpx.AsyncClient, deposit_check: DepositCheck, field: str, code: str
) -> None:
    await sign_in(client)
    params = {"tx_hash": TX, "address": ADDRESS, "chain": "litecoin"} | {field: "[x](https://evil.example)"}
    response = await client.get("/web/events", params=params, timeout=30)
    assert response.status_code == 422 and response.json()["error"]["code"] == code
    assert "evil" not in response.text and deposit_check.requests == []


async def test_the_event_stream_sends_the_card_until_it_is_final(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    answers = iter(
        [verdict(status="confirming", confirmations=5), verdict(status="confirmed", confirmations=6, final=True)]
    )
    deposit_check.answer = lambda _: httpx.Response(200, json=next(answers))
    await sign_in(client)
    params = {"tx_hash": TX, "address": ADDRESS, "chain": "litecoin", "expected_amount": "0.5", "lang": "ru"}
    response = await client.get("/web/events", params=params, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = [block for block in response.text.split("\n\n") if block.strip()]
    assert [e.split("\n")[0] for e in events] == ["event: card", "event: card", "event: end"]
    assert 'data-status="confirming"' in events[0] and 'data-status="confirmed"' in events[1]
    assert events[2].endswith("data: final")
    assert all(
        "watch" in r and r["expected_amount"] == "0.5" and r["chain"] == "litecoin" for r in deposit_check.requests
    )
    assert [r["watch"] for r in deposit_check.requests] == [False, False]  # re-asks read the cache


async def test_posting_says_what_became_of_the_note(deposit_check: DepositCheck, redis_server: RedisServer) -> None:
    app = make_app(deposit_check, redis_server.url)
    service = app.state.service
    claims: list[tuple[TicketRef, DepositClaim]] = []
    later: list[tuple[TicketRef, list[dict[str, Any]]]] = []
    real_claim = service.claim

    async def claim(ref: TicketRef, req: DepositClaim) -> ClaimOutcome:
        claims.append((ref, req))
        answer = verdict(status="confirmed", confirmations=6, final=True)
        duplicate = DuplicateClaim(account_matched=None)
        return ClaimOutcome(claim_response(answer, "msg", queued=True, duplicate=duplicate), "desk #45")

    async def enqueue_enrich(ref: TicketRef, claims: list[dict[str, Any]], key: str) -> bool:
        later.append((ref, claims))
        return True

    async def admit(helpdesk: str, ticket_key: str, wanted: int) -> Admission:
        return Admission(wanted)  # no Redis here: the claims caps have tests of their own

    service.claim = claim
    service.delivery = SimpleNamespace(enqueue_enrich=enqueue_enrich)
    service.caps = SimpleNamespace(admit=admit)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        await sign_in(client)
        form = {
            "tx_hash": TX,
            "address": ADDRESS,
            "ticket_ref": "desk #4321",
            "lang": "fr",
            "csrf_token": csrf_of((await client.get("/")).text),
        }
        posted = await client.post("/web/post", data=form)
        assert posted.status_code == 200
        assert claims[0][0] == TicketRef("desk", "4321") and (claims[0][1].tx_hash, claims[0][1].lang) == (TX, "fr")
        assert "Note queued for desk #4321" in posted.text and 'data-status="confirmed"' in posted.text
        assert "Duplicate claim: desk #45 claimed this transaction first" in posted.text
        # deposit_check down: the service's own fallback (as for the bot API) queues the claim.
        service.claim = real_claim
        deposit_check.answer = lambda _: httpx.Response(503, json={"error": {"code": "unavailable", "message": "x"}})
        queued = await client.post("/web/post", data=form)
        assert queued.status_code == 503 and "the check is queued and the note will follow" in queued.text
        assert [(ref, [c["tx_hash"] for c in cs]) for ref, cs in later] == [(TicketRef("desk", "4321"), [TX])]
