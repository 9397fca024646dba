"""The README's first command, as a user runs it: `bash scripts/serve.sh --demo` starts the whole desk,
prints one block, and what the block says works: the form signs in with the printed credentials
(Chromium), the sample tickets have their internal notes in the real helpdesk, a pending sample is
confirmed in the form and in a follow-up note while blocks are mined, the curl lines answer. Ctrl-C
(SIGINT to the process group, as a terminal sends it) and SIGTERM to the main process alone each
leave no process and no temporary folder behind.

With DESK_SCREENSHOTS=docs/screenshots (scripts/screenshots.sh) the run takes the docs' screenshots.
"""

import os
import re
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from deposit_check.demo import TRON_USDT_TX
from tests.harness.demo_run import Block, DemoRun
from tests.ticket_link.web.conftest import chromium
from tests.ticket_link.web.test_browser import CHROMIUM_ARGS
from ticket_link.devdesk.launcher import unescaped

__all__ = ["chromium"]  # the fixture, shared with the form's browser tests

BLOCK_SECONDS = float(os.environ.get("DESK_DEMO_BLOCK_SECONDS", "2"))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoRun]:
    run = DemoRun(tmp_path / "tmp", block_seconds=BLOCK_SECONDS).start()
    try:
        yield run
    finally:
        run.kill()  # only matters when the test failed half-way


@pytest.fixture
def shots() -> Path:
    folder = Path(os.environ.get("DESK_SCREENSHOTS") or tempfile.mkdtemp(prefix="demo-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(chromium: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 960, "height": 1000})
        context.set_default_timeout(20_000)
        expect.set_options(timeout=20_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def notes(block: Block, ticket: int) -> list[str]:
    """The ticket's internal notes, read through django-helpdesk's API with the printed sign-in."""
    response = httpx.get(
        f"{block.desk_url}/helpdesk/api/tickets/{ticket}/", auth=(block.desk_user, block.desk_password), timeout=10
    )
    assert response.status_code == 200, response.text
    # As an agent reads them: notes are markdown-escaped for the helpdesk (helpdesks/markup.py).
    return [unescaped(f["comment"]) for f in response.json()["followup_set"] if not f["public"] and f["comment"]]


def test_the_one_command_demo_shows_the_whole_desk_and_ctrl_c_leaves_nothing(
    demo: DemoRun, page: Page, shots: Path
) -> None:
    block = demo.wait_ready()
    print(f"desk ready in {block.ready_seconds} s")
    assert block.ready_seconds < 120
    assert len(block.tickets) == 12
    assert {t.lang for t in block.tickets} == {"en", "fr", "pl", "ru"}
    pending = next(t for t in block.tickets if t.status == "pending")

    # Every sample ticket has its first internal note already; the pending one says pending.
    for ticket in block.tickets:
        first = notes(block, ticket.id)
        assert first and "[Automatic deposit check]" in first[0], (ticket, first)
    assert "Status: pending" in notes(block, pending.id)[0] and "Chain: Litecoin" in notes(block, pending.id)[0]
    # Litecoin's deposit address is declared the casino's; Ethereum's and TRON's are not (their notes say so).
    unverified = "Ownership of the deposit address was not verified"
    assert all(unverified not in notes(block, t.id)[0] for t in block.tickets if t.chain == "litecoin")
    confirmed = [t for t in block.tickets if t.status == "confirmed"]  # the notes that advise crediting
    assert {t.chain for t in confirmed} == {"litecoin", "ethereum", "tron"}
    assert all((unverified in notes(block, t.id)[0]) == (t.chain != "litecoin") for t in confirmed)

    # TRON, a replay of published mainnet answers: its tickets' notes name the network for people and link Tronscan.
    assert "TRON is a replay of published mainnet answers" in demo.output
    by_status = {(t.chain, t.status): t for t in block.tickets}
    confirmed = "\n".join(notes(block, by_status["tron", "confirmed"].id))
    assert "Status: confirmed (confirmations: 213/19)" in confirmed and "Chain: TRON (TRC-20)" in confirmed
    assert (
        f"Explorer: https://tronscan.org/#/transaction/{TRON_USDT_TX}" in confirmed
        and "Received: 3.5 USDT" in confirmed
    )
    failed = notes(block, by_status["tron", "failed"].id)[0]  # notes are in the desk's language (English)
    assert "Status: failed (OUT_OF_ENERGY)" in failed and "Chain: TRON (TRC-20)" in failed
    # A TRON hash beside the casino's 0x address: the text pairs nothing, the bot API claims the pair.
    deadline = time.monotonic() + 30
    while not any("Found on: TRON (TRC-20)" in n for n in notes(block, by_status["ethereum", "wrong_network"].id)):
        assert time.monotonic() < deadline, notes(block, by_status["ethereum", "wrong_network"].id)
        time.sleep(0.3)

    # A ticket naming only a hash: ticket_link found where it went (/v1/locate) and checked the casino address it
    # paid (the demo declares Litecoin's deposit address as the casino's).
    only = re.search(r"#(\d+)\s+\w+\s+litecoin\s+confirming\s+0\.25 LTC: only the hash", demo.output)
    assert only, demo.output
    located = notes(block, int(only[1]))[0]
    assert "found from its hash" in located and "Received: 0.25 LTC" in located and "Chain: Litecoin" in located
    deposit_address = re.search(r"Deposit address: (\S+)", located)
    hash_only = re.search(r"Transaction: ([0-9a-f]{64})", located)
    assert deposit_address and hash_only, located
    assert deposit_address[1] == block.pending_claim["address"]  # the casino's, as the pending sample's

    # The curl lines, with the printed key (and without it: refused).
    bearer = {"authorization": f"Bearer {block.key}"}
    check = httpx.post(block.checks_url, json=block.pending_claim, headers=bearer, timeout=30)
    assert check.status_code == 200 and check.json()["status"] in ("pending", "confirming", "confirmed"), check.text
    assert httpx.post(block.checks_url, json=block.pending_claim, timeout=30).status_code == 401
    claim = {k: v for k, v in block.pending_claim.items() if k != "chain"}
    bot = httpx.post(block.bot_url, json=claim, headers=bearer, timeout=30)
    assert bot.status_code == 200 and bot.json()["tx_hash"] == claim["tx_hash"], bot.text

    # The form, signed in with the printed credentials; the player's whole line pasted into one field.
    page.goto(f"{block.form_url}/")
    expect(page).to_have_url(f"{block.form_url}/web/sign-in")
    page.get_by_label("Name").fill(block.agent)
    page.get_by_label("Password").fill(block.agent_password)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_text(f"Signed in as {block.agent}")).to_be_visible()
    page.screenshot(path=shots / "01-signed-in.png", full_page=True)
    page.get_by_label("Transaction hash").fill(f"sent to {claim['address']}, tx {claim['tx_hash']}")
    page.get_by_label("Ticket number").fill(f"desk #{pending.id}")
    page.get_by_label("Player's language").select_option(pending.lang)
    page.get_by_label("Transaction hash").press("Enter")
    card = page.locator("#card article")
    expect(card).to_have_attribute("data-status", re.compile("pending|confirming"))
    page.screenshot(path=shots / "02-pending.png", full_page=True)
    expect(card).to_have_attribute("data-status", "confirming", timeout=60_000)
    page.screenshot(path=shots / "03-confirming.png", full_page=True)
    expect(card).to_have_attribute("data-status", "confirmed", timeout=60_000 + 8_000 * BLOCK_SECONDS)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=block.form_url)
    page.get_by_role("button", name="Copy message").click()
    expect(page.locator("#copy-status")).to_have_text("Copied")
    page.screenshot(path=shots / "04-confirmed.png", full_page=True)

    # ... and in the ticket: the follow-up notes came by themselves (the watcher's events).
    deadline = time.monotonic() + 30
    while not any("Status: confirmed" in n for n in notes(block, pending.id)):
        assert time.monotonic() < deadline, notes(block, pending.id)
        time.sleep(0.3)
    # The watcher's events name the network for people too (its display name).
    assert all("Chain: Litecoin" in n for n in notes(block, pending.id))
    page.get_by_role("button", name="Post to ticket").click()
    expect(page.locator("#post-result")).to_contain_text(f"desk #{pending.id}")
    page.screenshot(path=shots / "05-posted.png", full_page=True)

    # The hash alone in the form: found, and the usual card of the casino address it paid.
    page.goto(f"{block.form_url}/")
    page.get_by_label("Transaction hash").fill(hash_only[1])
    page.get_by_role("button", name="Check deposit").click()
    expect(card).to_contain_text("0.25 LTC")
    expect(card.locator("[data-located]")).to_contain_text("found from its hash")
    expect(card).to_contain_text(deposit_address[1])

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{block.form_url}/")
    page.get_by_label("Transaction hash").fill(claim["tx_hash"])
    page.get_by_label("Deposit address").fill(claim["address"])
    page.get_by_role("button", name="Check deposit").click()
    expect(card).to_have_attribute("data-status", "confirmed")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=shots / "06-phone.png", full_page=True)

    # The helpdesk as its agent sees the ticket, signed in with the printed credentials.
    page.set_viewport_size({"width": 1100, "height": 1000})
    page.goto(f"{block.desk_url}/helpdesk/login/?next=/helpdesk/tickets/{pending.id}/")
    page.locator("input[name=username]").fill(block.desk_user)
    page.locator("input[name=password]").fill(block.desk_password)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_text("Status: confirmed").first).to_be_visible()
    page.screenshot(path=shots / "07-helpdesk-notes.png", full_page=True)

    # Ctrl-C: the terminal sends SIGINT to the whole foreground process group.
    assert demo.signal(signal.SIGINT, group=True) == 0, demo.output
    demo.assert_nothing_left()


def test_sigterm_to_the_main_process_alone_stops_every_process_and_removes_the_folder(demo: DemoRun) -> None:
    block = demo.wait_ready()
    assert block.workdir.is_dir() and block.workdir.parent == demo.tmpdir
    # `kill PID`, or a service manager: only the main process hears it.
    assert demo.signal(signal.SIGTERM, group=False) == 0, demo.output
    assert "every process is down" in demo.output
    demo.assert_nothing_left()


def test_sigterm_while_it_starts_up_stops_what_has_started_and_removes_the_folder(demo: DemoRun) -> None:
    """Someone tired of waiting: the chains and Redis are up, the helpdesk is migrating, services may not be."""
    demo.wait_for_process("litecoind", "anvil", "redis-server")
    assert demo.signal(signal.SIGTERM, group=False) == 0, demo.output
    assert "Deposit desk demo: ready" not in demo.output
    demo.assert_nothing_left()
