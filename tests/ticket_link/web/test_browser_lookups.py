"""The agent form lists the deposits to an address pasted without a hash, and finds the address of a hash pasted
without one, in a real headless Chromium: real litecoind, Redis, deposit_check (ownership declared through its admin
API, its watcher indexing the casino's addresses), ticket_link and its worker, django-helpdesk. One click checks a
candidate; one more posts it. A bare hash paying the casino is its usual card; paying someone else, a card asking
for the address."""

import re
import secrets
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from deposit_check.app import create_app as create_deposit_check
from deposit_check.config import AppConfig as DepositCheckConfig
from deposit_check.config import parse_config as parse_deposit_check
from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.servers import run_worker, serve
from tests.stacks import Key, desk_toml, litecoin_toml
from tests.ticket_link.settle import wait_until
from tests.ticket_link.web.test_browser import AGENT, EXPLORER, PASSWORD, Stack, internal_notes, page, shots
from ticket_link.app import create_app as create_ticket_link
from ticket_link.config import AppConfig, parse_config
from ticket_link.devdesk.launcher import DevDesk
from ticket_link.web.auth import hash_password

__all__ = ["page", "shots"]  # the browser module's fixtures, used here
pytestmark = pytest.mark.usefixtures("chromium")
DB = 9  # a database of its own
ADMIN = Key("wallet-system", scopes=("admin",))
TICKET_LINK = Key("ticket-link", scopes=("watch", "lookup"))


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    dc_text = (
        ADMIN.toml()
        + TICKET_LINK.toml()
        + litecoin_toml(litecoind)
        + f'[ownership]\nsecret = "{secrets.token_urlsafe(32)}"\n'
    )
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    dc_config = DepositCheckConfig(file=parse_deposit_check(dc_text, env={}), redis_url=redis_url, source="test")
    started = time.time()
    desk = DevDesk(base_dir=tmp_path_factory.mktemp("lookupdesk")).start()
    try:
        with serve(create_deposit_check(dc_config, run_watcher=True)) as dc_url:
            work = tmp_path_factory.mktemp("ticket_link_lookups")
            config_path = work / "ticket-link.toml"
            config_path.write_text(f"""
secret = "{secrets.token_urlsafe(32)}"
[deposit_check]
url = "{dc_url}"
api_key = "{TICKET_LINK.secret}"
[notes]
explorer_tx_urls = {{ litecoin = "{EXPLORER}" }}
[delivery]
retry_delay_seconds = 0.2
max_retry_delay_seconds = 1
{desk_toml(desk)}[web]
session_secret = "{secrets.token_urlsafe(32)}"
cookie_secure = false
refresh_seconds = 1
[[web.users]]
name = "{AGENT}"
password_hash = "{hash_password(PASSWORD)}"
[api]
dev_mode = true
""")
            config = AppConfig(file=parse_config(config_path.read_text(), env={}), redis_url=redis_url, source="test")
            with serve(create_ticket_link(config)) as url, run_worker(config_path, redis_url, work / "worker.log"):
                built = Stack(url, desk, litecoind, config, started)
                built.deposit_check_url = dc_url  # type: ignore[attr-defined]
                yield built
    finally:
        desk.close()


def declared_with_deposits(stack: Stack, amounts: list[str]) -> tuple[str, list[str]]:
    """A casino address (declared), a deposit of each amount in a block of its own, indexed by the watcher."""
    node, dc_url = stack.litecoind, stack.deposit_check_url  # type: ignore[attr-defined]
    address = node.new_address("bech32")
    body = {"chain": "litecoin", "addresses": [{"address": address}]}
    assert httpx.put(f"{dc_url}/v1/addresses", json=body, headers=ADMIN.headers, timeout=30).is_success
    txids = []
    for amount in amounts:
        txids.append(node.send(address, Decimal(amount)))
        node.mine(1)

    def indexed() -> bool:
        answer = httpx.post(
            f"{dc_url}/v1/lookups", json={"address": address}, headers=TICKET_LINK.headers, timeout=30
        ).json()
        return len(answer.get("deposits") or []) == len(amounts)

    wait_until(indexed, 20, "the watcher did not index the deposits")
    return address, txids


def test_a_pasted_address_lists_its_deposits_and_one_click_checks_or_posts_one(
    stack: Stack, page: Page, shots: Path
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    address, (small, stated) = declared_with_deposits(stack, ["0.11", "0.22"])
    ticket = stack.desk.create_ticket("Deposit missing", "no hash", "lookup@mail.example")

    page.goto(f"{stack.url}/")
    page.get_by_label("Name").fill(AGENT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Check a deposit")).to_be_visible()

    # The player's line, pasted whole into the first field: an address, an amount, no hash.
    page.get_by_label("Transaction hash").fill(f"I sent 0.22 LTC to {address} an hour ago")
    page.get_by_label("Ticket number").fill(f"#{ticket}")
    page.get_by_role("button", name="Check deposit").click()

    listed = page.locator("#candidates li")
    expect(listed).to_have_count(2)
    expect(listed.nth(0)).to_have_attribute("data-tx", stated)  # the player's amount first
    expect(listed.nth(0)).to_contain_text("0.22 LTC")
    expect(listed.nth(0)).to_contain_text("as expected")
    expect(listed.nth(0)).to_contain_text("1 of 6")
    expect(listed.nth(1)).to_have_attribute("data-tx", small)
    expect(listed.nth(1)).to_contain_text("2 of 6")
    expect(page.get_by_label("Deposit address")).to_have_value(address)
    expect(page.locator("#candidates")).to_contain_text("Searched: watcher on litecoin")
    page.screenshot(path=shots / "07-candidates.png", full_page=True)

    # One click: the full check of that deposit, the usual card.
    listed.nth(0).get_by_role("button", name=re.compile("^Check this one")).click()
    card = page.locator("#card article")
    expect(card).to_have_attribute("data-status", "confirming")
    expect(card).to_contain_text("0.22 LTC")
    expect(page.get_by_label("Transaction hash")).to_have_value(stated)

    # Back to the list; one click posts the other candidate's check to the ticket.
    page.get_by_label("Transaction hash").fill(address)
    page.get_by_role("button", name="Check deposit").click()
    expect(listed).to_have_count(2)
    listed.nth(1).get_by_role("button", name=re.compile("^Post to ticket")).click()
    expect(page.locator("#post-result")).to_contain_text(f"Note queued for desk #{ticket}")
    [note] = internal_notes(stack.desk, ticket, 1)
    assert small in note["comment"] and "confirming" in note["comment"].lower()
    assert problems == []


def test_an_address_with_no_deposit_says_none_within_what_was_searched(stack: Stack, page: Page) -> None:
    address, _ = declared_with_deposits(stack, [])
    page.goto(f"{stack.url}/")
    page.get_by_label("Name").fill(AGENT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.get_by_label("Deposit address").fill(address)
    page.get_by_role("button", name="Check deposit").click()
    expect(page.locator("#candidates")).to_contain_text("No deposit to this address was found in what was searched")
    expect(page.locator("#candidates li")).to_have_count(0)


def test_a_bare_hash_is_found_and_checked_with_the_casino_address_it_paid(
    stack: Stack, page: Page, shots: Path
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    address, [txid] = declared_with_deposits(stack, ["0.33"])
    elsewhere = stack.litecoind.send(stack.litecoind.new_address("bech32"), Decimal("0.07"))
    stack.litecoind.mine(1)
    ticket = stack.desk.create_ticket("Deposit missing", "hash only", "locate@mail.example")

    page.goto(f"{stack.url}/")
    page.get_by_label("Name").fill(AGENT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    # The player's txid, pasted bare: no address anywhere.
    page.get_by_label("Transaction hash").fill(txid)
    page.get_by_label("Ticket number").fill(f"#{ticket}")
    page.get_by_role("button", name="Check deposit").click()
    card = page.locator("#card article")
    expect(card).to_have_attribute("data-status", "confirming")
    expect(card).to_contain_text("0.33 LTC")
    expect(card).to_contain_text(address)
    expect(card.locator("[data-located]")).to_contain_text("found from its hash")
    expect(page.get_by_label("Deposit address")).to_have_value("")
    page.screenshot(path=shots / "08-located.png", full_page=True)
    # The live card follows it (another block) and keeps saying where the address came from.
    stack.litecoind.mine(1)
    expect(card.locator(".count")).to_have_text(re.compile("^3 of 6"), timeout=30_000)
    expect(card.locator("[data-located]")).to_be_visible()
    page.get_by_role("button", name="Post to ticket").click()
    expect(page.locator("#post-result")).to_contain_text(f"Note queued for desk #{ticket}")
    [note] = internal_notes(stack.desk, ticket, 1)
    assert f"Deposit address: {address}" in note["comment"] and "found from its hash" in note["comment"]

    # A bare hash paying no address of the casino: where it is, and to ask for the address.
    page.get_by_label("Transaction hash").fill(f"txid: {elsewhere}")
    page.get_by_role("button", name="Check deposit").click()
    located = page.locator("#card article")
    expect(located).to_have_attribute("data-outcome", "paid_none")
    expect(located).to_contain_text("Found on litecoin")
    expect(located).to_contain_text("It paid no deposit address of the casino")
    expect(located.locator("[data-next]")).to_contain_text("Do not credit this transaction")
    page.screenshot(path=shots / "09-address-needed.png", full_page=True)
    page.get_by_role("button", name="Post to ticket").click()
    expect(page.locator("#post-result")).to_contain_text(f"Note queued for desk #{ticket}")
    notes = internal_notes(stack.desk, ticket, 2)
    assert "It paid no deposit address of the casino" in notes[1]["comment"]
    assert problems == []
