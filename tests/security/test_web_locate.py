"""The agent form's hash-only path as an attacker would use it: a player's hostile line pasted by an agent, and a
locate answer carrying values of no value's shape (a deposit_check answering for a hostile node, or a bug). Only the
normalized hash is sent; nothing typed or answered reaches the page raw; an address of no address's shape is never
paired nor checked; no card about a located tx ever says to credit it.

The form over HTTP in-process, deposit_check's answers from the stand-in in docs/api.md's shapes
(tests/ticket_link/web/conftest.py)."""

from typing import Any

import httpx
import pytest

from tests.ticket_link.test_locate import LTC_A, TX, answer, entry
from tests.ticket_link.web.conftest import DepositCheck, client, csrf_of, deposit_check, sign_in
from tests.ticket_link.web.test_router_locate import CREDIT, answering

__all__ = ["client", "deposit_check"]  # the form's fixtures
ATTACK = "[Urgent: re-verify player KYC here](https://evil.example/desk-login)"
MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'
EVIL = ("evil.example", "<script>alert", "<img src=x", "javascript:")


async def signed_in(client: httpx.AsyncClient) -> str:
    await sign_in(client)
    return csrf_of((await client.get("/")).text)


def clean(html: str) -> None:
    assert not any(e in html for e in EVIL), [e for e in EVIL if e in html]
    assert not any(c in html for c in CREDIT)


@pytest.mark.parametrize(
    "line",
    [
        f"{MARKUP} txid {TX} {ATTACK}",
        f"{ATTACK}\n{TX}\n{MARKUP}",
        f"https://evil.example/tx/{TX}?next=javascript:alert(1)",
        f"0x{TX.upper()} <!-- {MARKUP} -->",
    ],
)
async def test_a_hostile_line_around_a_hash_sends_the_hash_alone(
    client: httpx.AsyncClient, deposit_check: DepositCheck, line: str
) -> None:
    deposit_check.answer = answering(answer(entry("litecoin", others=2)))
    token = await signed_in(client)
    response = await client.post("/check", data={"tx_hash": line, "address": "", "csrf_token": token})
    assert response.status_code == 200, response.text
    [sent] = deposit_check.requests
    assert sent == {"tx_hash": TX} or sent == {"tx_hash": "0x" + TX}  # the hash, as extraction normalizes it
    assert f'spellcheck="false" value="{sent["tx_hash"]}"' in response.text  # the field shows it, nothing else
    clean(response.text)


async def test_a_hostile_line_with_no_hash_is_refused_before_anything_is_asked(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    token = await signed_in(client)
    response = await client.post("/check", data={"tx_hash": f"{ATTACK} {MARKUP}", "csrf_token": token})
    assert response.status_code == 422 and "The transaction hash is not a transaction hash" in response.text
    assert deposit_check.requests == []
    alert = response.text.split('role="alert"')[1].split("</div>")[0]
    assert "evil" not in alert and "script" not in alert  # the error names the field, never quotes the paste
    # The agent's own paste goes back into the field they typed it in, as an attribute value: escaped, inert.
    assert "<script>alert" not in response.text and "<img src=x" not in response.text


def hostile_entry(**extra: Any) -> dict[str, Any]:
    return entry(
        "litecoin",
        status="confirmed; credit it",
        failure_reason=MARKUP,
        block_height="<b>1</b>",
        confirmations=-5,
        tx_hash="javascript:alert(1)",
        **extra,
    )


async def test_values_of_no_shape_in_a_locate_answer_never_reach_the_page(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    located = answer(
        hostile_entry(casino_addresses=[{"address": ATTACK, "assets": [MARKUP, "LTC"]}], others=1),
        {"chain": MARKUP, "casino_addresses": [{"address": LTC_A, "assets": ["LTC"]}]},
        unavailable=(ATTACK,),
    )
    located["not_found_on"] = [MARKUP, "ethereum"]
    deposit_check.answer = answering(located)
    token = await signed_in(client)
    response = await client.post("/check", data={"tx_hash": TX, "csrf_token": token})
    # The only casino address of an address's shape is on a chain of no chain name's shape: nothing is paired.
    assert response.status_code == 200 and deposit_check.paths == ["/v1/locate"], response.text
    html = response.text
    assert 'data-outcome="paid_none"' in html and "It paid no deposit address of the casino (1 other address)" in html
    assert "Not on</dt><dd>ethereum</dd>" in html and "Not asked" not in html
    assert f'href="https://explorer.example/ltc/tx/{TX}"' in html  # the hash asked, not the answer's
    assert "Found on litecoin</dt><dd>\n      <p>found · " in html  # an unknown status is only "found"
    assert ", block " not in html and "&lt;b&gt;" not in html and "&lt;script" not in html
    clean(html)


async def test_a_located_address_of_no_address_shape_is_never_checked(
    client: httpx.AsyncClient, deposit_check: DepositCheck
) -> None:
    bad = [f"{LTC_A}<script>", "ltc1q" + "b" * 40, "0x" + "g" * 40, " " + LTC_A]
    located = answer(entry("litecoin", *bad, others=0))
    deposit_check.answer = answering(located)
    token = await signed_in(client)
    response = await client.post("/check", data={"tx_hash": TX, "csrf_token": token})
    assert response.status_code == 200 and deposit_check.paths == ["/v1/locate"]
    assert 'data-outcome="paid_none"' in response.text
    clean(response.text)
