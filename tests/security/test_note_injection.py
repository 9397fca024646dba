"""Note injection: a player (or a bot passing what a player typed) tries to put a live link, HTML or
markdown into an agent's internal note.

The reproduced attack (issue 12): deposit_check down, a bot claims `tx_hash = "[Urgent: re-verify
player KYC here](https://evil.example/desk-login)"`, the claim is queued, and the worker later posts a
note quoting it twice (as "Transaction:" and inside deposit_check's echoed 422 message), which
django-helpdesk rendered as a live link. Here, against the real services (litecoind, Redis,
deposit_check, ticket_link and its worker, django-helpdesk):
- the claim is refused at the door (422, `invalid_tx_hash`) while deposit_check is down, and nothing is queued;
- a hostile claim queued anyway (by a version before the door) gets a note that quotes none of it;
- a ticket whose text carries every kind of markup gets a note with no link from it;
- each helpdesk adapter posts a hostile string as inert text: django-helpdesk's rendered ticket page
  shows it as text, and the hosted desks get it escaped for their documented body format.
"""

import asyncio
import re
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from deposit_check.app import create_app as create_deposit_check
from deposit_check.devnet.litecoind import Litecoind, free_port
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.servers import run_worker, serve
from tests.stacks import deposit_check_config, desk_toml
from tests.ticket_link.helpdesks.mock import Desk, json_of
from tests.ticket_link.settle import wait_until, wait_until_settled
from ticket_link.app import create_app as create_ticket_link
from ticket_link.bootstrap import build_components
from ticket_link.config import (
    AppConfig,
    DjangoHelpdeskConfig,
    FreshdeskConfig,
    RtConfig,
    ZammadConfig,
    ZendeskConfig,
    parse_config,
)
from ticket_link.devdesk.launcher import DevDesk
from ticket_link.helpdesks import build_helpdesk
from ticket_link.links import TicketRef
from ticket_link.service import enrich_key

DB = 13  # a database of its own: its queue never meets another stack's
ATTACK = "[Urgent: re-verify player KYC here](https://evil.example/desk-login)"
# Every way a desk could make a link or run something out of text: a markdown link, raw HTML, an
# autolink, a bare URL, a reference-style link, an image.
HOSTILE = (
    f"{ATTACK}\n"
    '<a href="https://evil.example/a">open</a> <script>alert("x")</script>\n'
    "<https://evil.example/auto> https://evil.example/bare\n"
    "[ref]: https://evil.example/ref\n[ref] ![img](https://evil.example/i.png)\n"
    "# heading **bold** `code`"
)
WEBHOOK_SECRET = secrets.token_urlsafe(24)
NOTE_HEAD = "[Automatic deposit check]"


@dataclass
class Injection:
    desk: DevDesk
    url: str  # ticket_link
    dc_port: int  # where deposit_check answers once `deposit_check_up` runs
    config: AppConfig
    config_path: Path
    redis_url: str
    litecoind: Litecoind


@pytest.fixture(scope="module")
def stack(
    litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Injection]:
    """ticket_link, its worker and a DevDesk whose webhooks reach it; deposit_check is NOT running (down)."""
    work = tmp_path_factory.mktemp("note-injection")
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    port, dc_port = free_port(), free_port()
    (work / "desk").mkdir()
    desk = DevDesk(base_dir=work / "desk", webhook_urls=[f"http://127.0.0.1:{port}/v1/webhooks/desk/{WEBHOOK_SECRET}"])
    desk.start()
    text = f"""
secret = "{secrets.token_urlsafe(32)}"
[deposit_check]
url = "http://127.0.0.1:{dc_port}"
timeout_seconds = 2
[delivery]
retries = 200
retry_delay_seconds = 0.2
max_retry_delay_seconds = 1
{desk_toml(desk)}webhook_secret = "{WEBHOOK_SECRET}"
"""
    text = dev_mode(text)
    config_path = work / "ticket-link.toml"
    config_path.write_text(text)
    config = AppConfig(file=parse_config(text, env={}), redis_url=redis_url, source="test")
    try:
        with (
            serve(create_ticket_link(config), port=port) as url,
            run_worker(config_path, redis_url, work / "worker.log"),
        ):
            yield Injection(desk, url, dc_port, config, config_path, redis_url, litecoind)
    finally:
        desk.close()


def deposit_check_up(stack: Injection) -> AbstractContextManager[str]:
    """deposit_check, answering on the port ticket_link was configured with."""
    return serve(create_deposit_check(deposit_check_config(stack.litecoind, stack.redis_url, [])), port=stack.dc_port)


def claim(stack: Injection, ticket: int, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{stack.url}/v1/tickets/{ticket}/deposits", json=body, timeout=30)


def notes(desk: DevDesk, ticket: int) -> list[dict[str, object]]:
    return [f for f in desk.followups(ticket) if not f["public"] and f["comment"]]


class Links(HTMLParser):
    """Every `href`/`src` of a page, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value or "" for name, value in attrs if name in ("href", "src")]
        if tag == "script":
            self.urls.append("<script>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def note_blocks(page: str) -> list[str]:
    """The HTML of each follow-up's rendered comment on django-helpdesk's ticket page."""
    return re.findall(r'<div class="mt-3">(.*?)</div>', page, flags=re.DOTALL)


def read(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def our_rendered_notes(desk: DevDesk, ticket: int) -> list[Links]:
    blocks = [read(b) for b in note_blocks(desk.ticket_page(ticket))]
    ours = [b for b in blocks if NOTE_HEAD in "".join(b.text)]
    assert ours, "no note of ours on the rendered ticket page"
    return ours


def assert_no_input_link(desk: DevDesk, ticket: int) -> None:
    """On the rendered page, no note of ours links anywhere a player chose, runs a script, or names evil.example."""
    for note in our_rendered_notes(desk, ticket):
        assert not [u for u in note.urls if "evil" in u or u == "<script>"], note.urls
        assert "evil.example" not in "".join(note.text)


def test_the_reproduced_attack_is_refused_at_the_door_and_nothing_reaches_the_note(stack: Injection) -> None:
    ticket = stack.desk.create_ticket("Deposit missing", "where is my deposit", "p@example.com")
    address = stack.litecoind.new_address("bech32")
    # deposit_check is down: before the door, this was queued and noted later with the text quoted twice.
    refused = claim(stack, ticket, {"tx_hash": ATTACK, "address": address})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_tx_hash" and error["message"].startswith("tx_hash: not a transaction hash")
    assert "evil" not in refused.text and "Urgent" not in refused.text  # the 422 does not echo it either
    as_address = claim(stack, ticket, {"tx_hash": "ab" * 32, "address": ATTACK})
    assert (as_address.status_code, as_address.json()["error"]["code"]) == (422, "invalid_address")
    # A genuine claim made in the same outage is queued (503), and noted once deposit_check is back.
    txid = stack.litecoind.send(address, Decimal("0.3"))
    stack.litecoind.mine(6)
    deferred = claim(stack, ticket, {"tx_hash": txid, "address": address})
    assert deferred.status_code == 503 and "queued" in deferred.json()["error"]["message"]
    with deposit_check_up(stack):
        wait_until(lambda: len(notes(stack.desk, ticket)) >= 1, 30, "the deferred claim's note")
        wait_until_settled(stack.config, timeout=30)
    [note] = notes(stack.desk, ticket)  # one note: the refused claims queued nothing
    assert txid in str(note["comment"]) and "evil" not in str(note["markdown"])
    assert_no_input_link(stack.desk, ticket)


def test_a_hostile_claim_queued_before_the_door_gets_a_note_that_quotes_none_of_it(stack: Injection) -> None:
    """As a queue filled by the old code holds it: the worker asks deposit_check (it refuses with a 422 that
    quotes the input), and the note says why in our own words."""
    ticket = stack.desk.create_ticket("Deposit missing", "see my claim", "p@example.com")
    address = stack.litecoind.new_address("bech32")
    claims: list[dict[str, object]] = [
        {"tx_hash": ATTACK, "address": address, "chain": None, "expected_amount": None, "account": None},
        {"tx_hash": "ab" * 32, "address": HOSTILE, "chain": None, "expected_amount": None, "account": None},
    ]

    async def queue_old_claims() -> None:
        components = build_components(stack.config)
        try:
            ref = TicketRef("desk", str(ticket))
            await components.service.delivery.enqueue_enrich(ref, claims, enrich_key("old", claims))
        finally:
            await components.aclose()

    with deposit_check_up(stack) as dc_url:
        echoed = httpx.post(f"{dc_url}/v1/checks", json={"tx_hash": ATTACK, "address": address}, timeout=30)
        assert echoed.status_code == 422 and echoed.json()["error"]["code"] == "invalid_tx_hash"
        asyncio.run(queue_old_claims())
        wait_until(lambda: len(notes(stack.desk, ticket)) >= 2, 30, "the queued claims' notes")
        wait_until_settled(stack.config, timeout=30)
    bad_hash, bad_address = sorted((str(n["comment"]) for n in notes(stack.desk, ticket)), key=lambda t: "ab" * 32 in t)
    for text in (bad_hash, bad_address):
        assert "evil" not in text and "Urgent" not in text and "script" not in text
    # What has no hash's or address's shape is not shown at all; the reason is in our words, not deposit_check's.
    assert "the transaction hash is not valid for the chain" in bad_hash and "Transaction:" not in bad_hash
    assert f"Deposit address: {address}" in bad_hash
    assert "the deposit address is not valid for the chain" in bad_address and "Deposit address:" not in bad_address
    assert f"Transaction: {'ab' * 32}" in bad_address
    assert_no_input_link(stack.desk, ticket)


def test_markup_in_a_ticket_reaches_no_note_through_the_webhook(stack: Injection) -> None:
    """The extractor takes only hash- and address-shaped runs from the player's text; the rest is dropped."""
    address = stack.litecoind.new_address("bech32")
    txid = stack.litecoind.send(address, Decimal("0.2"))
    stack.litecoind.mine(6)
    description = f"{HOSTILE}\ntx: [{txid}](https://evil.example/tx/{txid})\nto <{address}> {ATTACK}"
    with deposit_check_up(stack):
        ticket = stack.desk.create_ticket("Deposit missing", description, "p@example.com")  # its webhook: to us
        wait_until(lambda: len(notes(stack.desk, ticket)) >= 1, 30, "the webhook's note")
        wait_until_settled(stack.config, timeout=30)
    [note] = notes(stack.desk, ticket)
    assert txid in str(note["comment"]) and address in str(note["comment"]) and "evil" not in str(note["comment"])
    assert_no_input_link(stack.desk, ticket)


async def test_django_helpdesk_shows_a_hostile_note_as_text(stack: Injection) -> None:
    """Defence in depth: even a note that did carry markup is posted escaped, and the real desk shows it as written."""
    ticket = stack.desk.create_ticket("Deposit missing", "plain text", "p@example.com")
    config = DjangoHelpdeskConfig(
        kind="django_helpdesk",
        base_url=stack.desk.base_url,
        username=stack.desk.username,
        password=SecretStr(stack.desk.password),
    )
    desk = build_helpdesk("desk", config)
    body = f"{NOTE_HEAD}\n{HOSTILE}"
    await desk.post_note(str(ticket), body)
    assert await desk.has_note(str(ticket), body)  # the retry check still finds it
    await desk.aclose()
    [note] = our_rendered_notes(stack.desk, ticket)
    assert not [u for u in note.urls if "evil" in u or u == "<script>"], note.urls
    shown = " ".join("".join(note.text).split())
    for line in HOSTILE.splitlines():  # every character shows, as typed
        assert " ".join(line.split()) in shown, line
    page = stack.desk.ticket_page(ticket)
    assert not [u for u in read(page).urls if "evil" in u] and "<script>alert" not in page


# Hosted desks (mocked from their documented APIs): the body sent is escaped for the format it is read in.
ESCAPED = (
    "[Urgent: re-verify player KYC here](https://evil.example/desk-login)<br>"
    "&lt;a href=&quot;https://evil.example/a&quot;&gt;open&lt;/a&gt; &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>"
    "&lt;https://evil.example/auto&gt; https://evil.example/bare<br>"
)


def assert_inert_html(body: str) -> None:
    """No tag but <br> in it, so nothing a browser or the desk's sanitizer could make a link or run."""
    assert body.startswith(ESCAPED), body
    assert re.findall(r"<[^>]*>", body) == ["<br>"] * HOSTILE.count("\n")
    assert "<a" not in body and "<script" not in body and "href=" not in body.replace("href=&quot;", "")


async def test_zendesk_gets_escaped_html_body() -> None:
    desk = Desk()
    config = ZendeskConfig(
        kind="zendesk", base_url="https://acme.zendesk.com", email="b@acme.test", api_token=SecretStr("t")
    )
    zendesk = build_helpdesk("zd", config, transport=desk.transport)
    await zendesk.post_note("7", HOSTILE)
    await zendesk.aclose()
    comment = json_of(desk.last)["ticket"]["comment"]
    assert set(comment) == {"html_body", "public"} and comment["public"] is False  # no plain `body` to auto-format
    assert_inert_html(comment["html_body"])


async def test_freshdesk_gets_escaped_html_body() -> None:
    desk = Desk()
    config = FreshdeskConfig(kind="freshdesk", base_url="https://acme.freshdesk.com", api_key=SecretStr("k"))
    freshdesk = build_helpdesk("fd", config, transport=desk.transport)
    await freshdesk.post_note("7", HOSTILE)
    await freshdesk.aclose()
    assert_inert_html(json_of(desk.last)["body"])


async def test_zammad_gets_escaped_html_body() -> None:
    desk = Desk()
    zammad = build_helpdesk(
        "zm",
        ZammadConfig(kind="zammad", base_url="https://z.acme.test", token=SecretStr("t")),
        transport=desk.transport,
    )
    await zammad.post_note("7", HOSTILE)
    await zammad.aclose()
    article = json_of(desk.last)
    assert article["content_type"] == "text/html"
    assert_inert_html(article["body"])


async def test_rt_gets_plain_text_without_control_characters() -> None:
    desk = Desk()
    rt = build_helpdesk(
        "rt", RtConfig(kind="rt", base_url="https://rt.acme.test", token=SecretStr("t")), transport=desk.transport
    )
    # A bidi override can make a line read differently from what it holds; a bell or escape has no place in a note.
    await rt.post_note("7", HOSTILE + "\u202e\x07\x1b[31m")
    await rt.aclose()
    assert desk.last.headers["content-type"] == "text/plain; charset=utf-8"
    assert desk.last.content.decode() == HOSTILE + "[31m"  # text/plain: RT escapes it for its pages
