"""The agent form in a real headless Chromium, against the real stack: litecoind (regtest), Redis,
deposit_check with its watcher, ticket_link under uvicorn, the `ticket-link worker` process and a
real django-helpdesk.

Screenshots go to a temporary folder (DESK_SCREENSHOTS names another). The docs' screenshots are taken
from the one-command demo by scripts/screenshots.sh (tests/harness/test_demo.py).
"""

import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from deposit_check.app import create_app as create_deposit_check
from deposit_check.config import AppConfig as DepositCheckConfig
from deposit_check.config import parse_config as parse_deposit_check
from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.servers import run_worker, serve
from tests.stacks import desk_toml, litecoin_toml
from tests.ticket_link.settle import wait_until_settled
from ticket_link.app import create_app as create_ticket_link
from ticket_link.config import AppConfig, parse_config
from ticket_link.devdesk.launcher import DevDesk
from ticket_link.web.auth import hash_password

# What Chromium needs on these machines (no sandbox in a container, no GPU, nothing phoning home).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXPLORER = "https://explorer.example/ltc/tx/{tx_hash}"
AGENT, PASSWORD = "alice", "a long agent password"

# First of the module's fixtures, so that a missing Chromium is told before any back-end starts.
pytestmark = pytest.mark.usefixtures("chromium")


@dataclass
class Stack:
    url: str  # ticket_link
    desk: DevDesk
    litecoind: Litecoind
    config: AppConfig
    started: float  # time.time() when it started: events before then are earlier tests'


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    dc_text = litecoin_toml(litecoind)
    # A database of its own: the flow tests' watches and ticket links (sealed with another secret) in
    # database 0 are not this stack's to follow.
    redis_url = f"redis://127.0.0.1:{redis_server.port}/13"
    dc_config = DepositCheckConfig(
        file=parse_deposit_check(dev_mode(dc_text), env={}), redis_url=redis_url, source="test"
    )
    started = time.time()
    desk = DevDesk(base_dir=tmp_path_factory.mktemp("webdesk")).start()
    try:
        with serve(create_deposit_check(dc_config, run_watcher=True)) as dc_url:
            work = tmp_path_factory.mktemp("ticket_link_web")
            config_path = work / "ticket-link.toml"
            config_path.write_text(f"""
secret = "{secrets.token_urlsafe(32)}"
[deposit_check]
url = "{dc_url}"
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
""")
            config = AppConfig(
                file=parse_config(dev_mode(config_path.read_text()), env={}), redis_url=redis_url, source="test"
            )
            with (
                serve(create_ticket_link(config)) as url,
                run_worker(config_path, redis_url, work / "worker.log"),
            ):
                yield Stack(url, desk, litecoind, config, started)
    finally:
        desk.close()


@pytest.fixture
def page(tmp_path: Path, chromium: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh, temporary --user-data-dir of its own.
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 960, "height": 1000})
        context.set_default_timeout(15_000)  # a busy 2-core machine: slow is not broken
        expect.set_options(timeout=15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


@pytest.fixture
def shots() -> Path:
    folder = Path(os.environ.get("DESK_SCREENSHOTS") or tempfile.mkdtemp(prefix="web-form-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def internal_notes(desk: DevDesk, ticket: int, count: int, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notes = [f for f in desk.followups(ticket) if not f["public"]]
        if len(notes) >= count:
            return notes
        time.sleep(0.2)
    raise AssertionError(f"no internal note arrived in ticket {ticket}")


def test_an_agent_follows_a_deposit_live_and_posts_it_to_the_ticket(stack: Stack, page: Page, shots: Path) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    # Sign in with the keyboard only.
    page.goto(f"{stack.url}/")
    expect(page).to_have_url(f"{stack.url}/web/sign-in")
    page.keyboard.type(AGENT)  # the name field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check a deposit")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {AGENT}")).to_be_visible()

    # Tab order follows the form; every field has its label.
    expect(page.get_by_label("Transaction hash")).to_be_focused()
    for label in ("Deposit address", "Expected amount", "Ticket number", "Player's language"):
        page.keyboard.press("Tab")
        expect(page.get_by_label(label)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Check deposit")).to_be_focused()
    page.screenshot(path=shots / "01-signed-in.png", full_page=True)

    # A real deposit, sent and not mined; a real ticket.
    address = stack.litecoind.new_address("bech32")
    txid = stack.litecoind.send(address, Decimal("0.6"))
    ticket = stack.desk.create_ticket("Deposit not credited", "I sent 0.6 LTC", "player@mail.example")

    # Paste whole lines; Enter in a field submits the form.
    page.get_by_label("Transaction hash").fill(f"  tx: {txid}  ")
    page.get_by_label("Expected amount").fill("0.6 LTC")
    page.get_by_label("Ticket number").fill(f"desk #{ticket}")
    page.get_by_label("Player's language").select_option("fr")
    page.get_by_label("Deposit address").fill(f"address: {address} \n")
    page.get_by_label("Deposit address").press("Enter")

    card = page.locator("#card article")
    expect(card).to_have_attribute("data-status", "pending")
    expect(card.get_by_role("heading")).to_have_text("Pending")
    expect(page.get_by_label("Transaction hash")).to_have_value(txid)  # the pasted line, trimmed
    expect(page.get_by_label("Deposit address")).to_have_value(address)
    expect(card.get_by_role("progressbar")).to_have_attribute("value", "0")
    expect(card.get_by_role("link", name=txid)).to_have_attribute("href", EXPLORER.format(tx_hash=txid))
    expect(card.get_by_label("Message for the player")).to_contain_text("Votre")  # French
    expect(page.locator("#card")).to_have_attribute("aria-live", "polite")
    page.screenshot(path=shots / "02-pending.png", full_page=True)

    # Blocks are mined; the card follows without a reload.
    page.evaluate("window.notReloaded = true")
    stack.litecoind.mine(1)
    expect(card).to_have_attribute("data-status", "confirming", timeout=20_000)
    expect(card.get_by_role("progressbar")).to_have_attribute("value", "1")
    expect(card).to_contain_text("1 of 6")
    page.screenshot(path=shots / "03-confirming.png", full_page=True)
    stack.litecoind.mine(5)
    expect(card).to_have_attribute("data-status", "confirmed", timeout=20_000)
    expect(card.get_by_role("heading")).to_have_text("Confirmed")
    expect(card).to_contain_text("6 of 6")
    expect(card).to_contain_text("0.6 LTC")
    expect(card).not_to_contain_text("Updates by itself")  # final: the stream ended
    assert page.evaluate("window.notReloaded") is True

    # Copy the player's message (a button, by keyboard).
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page.get_by_role("button", name="Copy message").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#copy-status")).to_have_text("Copied")
    assert "Votre" in page.evaluate("navigator.clipboard.readText()")
    page.screenshot(path=shots / "04-confirmed.png", full_page=True)

    # Post to the ticket: the same path as the bot API; the note reaches django-helpdesk.
    page.get_by_role("button", name="Post to ticket").click()
    expect(page.locator("#post-result")).to_contain_text(f"Note queued for desk #{ticket}")
    notes = internal_notes(stack.desk, ticket, 1)
    assert len(notes) == 1 and txid in notes[0]["comment"] and "confirmed" in notes[0]["comment"].lower()
    assert EXPLORER.format(tx_hash=txid) in notes[0]["comment"]
    page.screenshot(path=shots / "05-posted.png", full_page=True)
    page.get_by_role("button", name="Post to ticket").click()
    expect(page.locator("#post-result")).to_contain_text(f"Already posted: desk #{ticket} has this note")
    wait_until_settled(stack.config, stack.litecoind, stack.started)  # nothing more on its way to the ticket
    assert len(internal_notes(stack.desk, ticket, 1)) == 1

    # A phone-width screen: no horizontal scroll.
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{stack.url}/")
    page.get_by_label("Transaction hash").fill(txid)
    page.get_by_label("Deposit address").fill(address)
    page.get_by_role("button", name="Check deposit").click()
    expect(card).to_have_attribute("data-status", "confirmed")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=shots / "06-phone.png", full_page=True)

    # Sign out: back to the sign-in page, and the form is closed.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{stack.url}/web/sign-in")
    page.goto(f"{stack.url}/")
    expect(page).to_have_url(f"{stack.url}/web/sign-in")
    assert problems == []  # no script error, no CSP violation


def test_the_players_whole_line_pasted_into_the_hash_field_alone_is_checked(stack: Stack, page: Page) -> None:
    """docs/web-form.md: the whole line may go into the hash field; the address is taken from it too.
    A real paste (the clipboard, Ctrl+V) into that one field, the address field left empty, and Enter:
    the browser must submit (no `required` on the address) and the server must find both."""
    address = stack.litecoind.new_address("bech32")
    txid = stack.litecoind.send(address, Decimal("0.2"))
    page.goto(f"{stack.url}/web/sign-in")
    page.get_by_label("Name").fill(AGENT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Check a deposit")).to_be_visible()

    line = f"hi, I sent 0.2 LTC to {address} but nothing came. tx {txid} thanks"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page.evaluate("line => navigator.clipboard.writeText(line)", line)
    hash_field = page.get_by_label("Transaction hash")
    hash_field.focus()
    page.keyboard.press("Control+V")
    expect(hash_field).to_have_value(line)
    expect(page.get_by_label("Deposit address")).to_have_value("")
    hash_field.press("Enter")

    card = page.locator("#card article")
    expect(card).to_have_attribute("data-status", "pending")
    expect(hash_field).to_have_value(txid)
    expect(page.get_by_label("Deposit address")).to_have_value(address)
    expect(page.locator(".errors")).to_have_count(0)
