"""A ticket that names an address and no hash, on the whole stack: real litecoind, Redis, deposit_check (its
ownership index declared through the admin API, its watcher indexing payments to the casino's addresses),
ticket_link, its worker and django-helpdesk. The note lists the candidates the watcher's index holds."""

import re
import secrets
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.stacks import Key, litecoin_toml
from tests.ticket_link.flow_stack import WEBHOOK_SECRET, Stack, flow_stack, internal_notes, wait_for_notes
from tests.ticket_link.settle import wait_until, wait_until_settled

DB = 11  # a database of its own: its watcher, index, events and queue never meet another stack's
ADMIN = Key("wallet-system", scopes=("admin",))
TICKET_LINK = Key("ticket-link", scopes=("watch", "lookup"))
# ticket_link's bot keys (the bot API's lookups: scope `lookup`, and `post` to note)
BOT = Key("bot", scopes=("lookup", "post"))
LOOKER = Key("looker", scopes=("lookup",))
CLAIMER = Key("claimer", scopes=("check", "post"))  # a claims bot's key from before lookups
BOT_KEYS = BOT.toml() + LOOKER.toml() + CLAIMER.toml()


class Switch:
    """Forwards to deposit_check; while `down` is set, answers 503 `unavailable` to `path` as deposit_check does when
    nothing could answer, and counts the requests it turned away."""

    def __init__(self, path: str = "/v1/lookups") -> None:
        self.path = path
        self.upstream = ""
        self.down = threading.Event()
        self.refused = 0
        switch = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if switch.down.is_set() and self.path == switch.path:
                    switch.refused += 1
                    status, content = (
                        503,
                        b'{"status": "unavailable", "error": {"code": "unavailable", "message": "x"}}',
                    )
                else:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                    answer = httpx.request(
                        self.command, switch.upstream + self.path, content=body, headers=headers, timeout=30
                    )
                    status, content = answer.status_code, answer.content
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def via(self, upstream: str) -> str:
        self.upstream = upstream
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def switch() -> Iterator[Switch]:
    found = Switch()
    yield found
    found.server.shutdown()


@pytest.fixture(scope="module")
def stack(
    litecoind: Litecoind, redis_server: RedisServer, switch: Switch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    dc_text = (
        ADMIN.toml()
        + TICKET_LINK.toml()
        + litecoin_toml(litecoind)
        + f'[ownership]\nsecret = "{secrets.token_urlsafe(32)}"\n'
    )
    work = tmp_path_factory.mktemp("lookups-flow")
    with flow_stack(
        dc_text,
        litecoind,
        redis_server,
        work,
        db=DB,
        api_key=TICKET_LINK.secret,
        deposit_check_via=switch.via,
        ticket_link_extra=BOT_KEYS,
    ) as built:
        yield built


def declared(stack: Stack) -> str:
    """A new address of the casino's, declared through deposit_check's admin API."""
    address = stack.litecoind.new_address("bech32")
    response = httpx.put(
        f"{stack.deposit_check_url}/v1/addresses",
        json={"chain": "litecoin", "addresses": [{"address": address}]},
        headers=ADMIN.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return address


def indexed(stack: Stack, address: str, count: int) -> list[dict]:
    """The address's deposits once the watcher has indexed `count` of them (asked of deposit_check itself)."""
    found: list[dict] = []

    def ready() -> bool:
        answer = httpx.post(
            f"{stack.deposit_check_url}/v1/lookups", json={"address": address}, headers=TICKET_LINK.headers, timeout=30
        ).json()
        found[:] = answer.get("deposits") or []
        return len(found) >= count

    wait_until(ready, 20, f"the watcher did not index {count} deposits")
    return found


def deposits(stack: Stack, address: str, amounts: list[str]) -> list[str]:
    """One deposit per amount, each in a block of its own (the first is the deepest)."""
    txids = []
    for amount in amounts:
        txids.append(stack.litecoind.send(address, Decimal(amount)))
        stack.litecoind.mine(1)
    indexed(stack, address, len(amounts))
    return txids


def test_a_ticket_with_only_an_address_gets_the_candidates_the_players_amount_first(stack: Stack) -> None:
    address = declared(stack)
    small, stated, large = deposits(stack, address, ["0.1", "0.25", "0.4"])
    text = f"Hello, I sent 0.25 LTC about an hour ago to {address} and it is not credited"
    ticket = stack.desk.create_ticket("Deposit missing", text, "nohash@mail.example")
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert "no transaction hash" in note and "Amount the player gave: 0.25 LTC" in note
    listed = re.findall(r"Transaction: ([0-9a-f]{64})", note)
    assert listed == [stated, large, small]  # the exact amount first, then newest first
    lines = [line for line in note.splitlines() if re.match(r"\d\. ", line)]
    assert lines[0].startswith("1. 0.25 LTC on litecoin: confirming (2/6), block time ")
    assert "the amount asked" in lines[0]
    assert lines[1].startswith("2. 0.4 LTC on litecoin: confirming (1/6)") and "more than asked" in lines[1]
    assert lines[2].startswith("3. 0.1 LTC on litecoin: confirming (3/6)") and "less than asked" in lines[2]
    assert "ask the player which of these is their deposit" in note and "Do not credit from this list alone" in note
    assert "the watcher's index on litecoin" in note

    # The same webhook redelivered: the same candidates, no second note.
    hook = f"{stack.url}/v1/webhooks/desk/{WEBHOOK_SECRET}"
    again = httpx.post(hook, json={"ticket_id": ticket, "text": text}, timeout=30)
    assert again.status_code == 202 and again.json() == {"accepted": 1}
    assert len(wait_for_notes(stack, ticket)) == 1


def test_an_address_with_none_is_said_to_have_none_within_what_was_searched(stack: Stack) -> None:
    address = declared(stack)
    stack.litecoind.mine(1)
    ticket = stack.desk.create_ticket("Deposit missing", f"My deposit to {address} never arrived", "none@mail.example")
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert "No deposit to this address was found in what was searched (below)." in note
    assert "this is not a no" not in note  # the watcher's index covers the casino's address: a real none
    assert re.search(r"- the watcher.s index on litecoin: blocks \d+ to \d+, since \d{4}-", note)
    assert "Transaction:" not in note


def test_deposit_check_down_is_retried_and_never_noted_as_none(stack: Stack, switch: Switch) -> None:
    address = declared(stack)
    [txid] = deposits(stack, address, ["0.3"])
    switch.down.set()
    try:
        ticket = stack.desk.create_ticket("Deposit missing", f"sent to {address}", "down@mail.example")
        wait_until(lambda: switch.refused >= 3, 20, "the worker did not ask again")
        assert internal_notes(stack.desk, ticket) == []  # nothing said while nothing is known
    finally:
        switch.down.clear()
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket, timeout=30)]
    assert f"Transaction: {txid}" in note and "No deposit" not in note


def test_a_ticket_with_a_hash_is_checked_not_looked_up(stack: Stack) -> None:
    address = declared(stack)
    [txid] = deposits(stack, address, ["0.15"])
    ticket = stack.desk.create_ticket("Deposit", f"tx {txid} to {address}", "hash@mail.example")
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert "Status: confirming" in note and "Candidate deposits" not in note


# -- the bot API: POST /v1/tickets/{ticket_ref}/lookups ------------------------------------------------------


def bot_lookup(stack: Stack, ticket: int, body: dict, key: Key = BOT) -> httpx.Response:
    return httpx.post(f"{stack.url}/v1/tickets/{ticket}/lookups", json=body, headers=key.headers, timeout=60)


def plain_ticket(stack: Stack) -> int:
    """A ticket whose text names no address nor hash: its webhook queues nothing, only the bot's call notes it."""
    return stack.desk.create_ticket("Deposit missing", "Hello, my deposit is not credited", "bot@mail.example")


def test_a_bot_lookup_answers_the_candidates_and_notes_them_once(stack: Stack) -> None:
    address = declared(stack)
    small, stated, large = deposits(stack, address, ["0.1", "0.25", "0.4"])
    ticket = plain_ticket(stack)
    body = {"address": address, "expected_amount": "0.25", "asset": "LTC", "lang": "fr"}
    response = bot_lookup(stack, ticket, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [d["tx_hash"] for d in answer["deposits"]] == [stated, large, small]  # the exact amount first
    first = answer["deposits"][0]
    assert first["chain"] == "litecoin" and first["status"] == "confirming" and first["asset"] == "LTC"
    assert (first["confirmations"], first["required_confirmations"]) == (2, 6)
    assert (first["received_amount"], first["amount_status"]) == ("0.25", "exact")
    assert [d["amount_status"] for d in answer["deposits"]] == ["exact", "over", "under"]
    assert first["block_time"].startswith("20")
    assert answer["coverage"] == {
        "complete": True,
        "sources": [{"source": "watcher", "chain": "litecoin", "complete": True, "gap": None}],
    }
    assert answer["truncated"] is False and answer["more"] == 0
    assert answer["ticket_note"] == {"status": "queued"}
    assert answer["player_message"].startswith("Nous avons trouvé 3 dépôts vers cette adresse.")
    assert "confirmera lequel est le vôtre" in answer["player_message"]
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert re.findall(r"Transaction: ([0-9a-f]{64})", note) == [stated, large, small]
    assert "Amount the player gave: 0.25 LTC" in note

    # The bot retries (a timeout on its side): the same candidates, the same note, not a second one.
    again = bot_lookup(stack, ticket, body)
    assert again.status_code == 200 and again.json()["ticket_note"] == {"status": "already_posted"}
    assert again.json()["deposits"] == answer["deposits"]
    assert len(wait_for_notes(stack, ticket)) == 1


def test_a_bot_lookup_of_an_address_with_none_says_none_found_yet(stack: Stack) -> None:
    address = declared(stack)
    stack.litecoind.mine(1)
    ticket = plain_ticket(stack)
    response = bot_lookup(stack, ticket, {"address": address})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["deposits"] == [] and answer["coverage"]["complete"] is True
    assert answer["player_message"].startswith("We have not found any deposit to that address yet.")
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert "No deposit to this address was found in what was searched (below)." in note


def test_a_bot_lookup_without_a_note_stores_nothing_and_asks_the_player(stack: Stack) -> None:
    address = declared(stack)
    [txid] = deposits(stack, address, ["0.2"])
    ticket = plain_ticket(stack)
    response = bot_lookup(stack, ticket, {"address": address, "post_note": False, "lang": "ru"}, key=LOOKER)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [d["tx_hash"] for d in answer["deposits"]] == [txid] and answer["ticket_note"] is None
    assert answer["player_message"].startswith("Мы нашли 1 депозит на этот адрес.")
    wait_until_settled(stack.config, stack.litecoind, stack.started, 30)
    assert internal_notes(stack.desk, ticket) == []


def test_deposit_check_down_is_503_and_the_lookup_queued(stack: Stack, switch: Switch) -> None:
    address = declared(stack)
    [txid] = deposits(stack, address, ["0.35"])
    ticket = plain_ticket(stack)
    switch.down.set()
    try:
        only = bot_lookup(stack, ticket, {"address": address, "post_note": False}, key=LOOKER)
        assert only.status_code == 503 and only.json()["error"]["code"] == "unavailable"
        assert "queued" not in only.json()["error"]["message"]  # nothing asked to be noted: nothing queued
        response = bot_lookup(stack, ticket, {"address": address})
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "unavailable" and "the lookup is queued and the note will follow" in error["message"]
        wait_until(lambda: switch.refused >= 3, 20, "the worker did not ask again")
        assert internal_notes(stack.desk, ticket) == []  # nothing said while nothing is known
    finally:
        switch.down.clear()
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket, timeout=30)]
    assert f"Transaction: {txid}" in note and "No deposit" not in note
    # The bot's retry, now that deposit_check answers: the same note, not a second one.
    again = bot_lookup(stack, ticket, {"address": address})
    assert again.status_code == 200 and again.json()["ticket_note"] == {"status": "already_posted"}
    assert len(wait_for_notes(stack, ticket)) == 1


def test_a_bad_address_is_a_422_naming_the_field(stack: Stack) -> None:
    response = bot_lookup(stack, 48299999, {"address": "ltc1-not-an-address"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_address" and "address" in error["message"]
    naive = bot_lookup(stack, 48299999, {"address": declared(stack), "since": "2026-12-01T08:00:00"})
    assert naive.status_code == 422 and "since" in naive.json()["error"]["message"]
    other_network = bot_lookup(stack, 48299999, {"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"})
    assert other_network.status_code == 422, other_network.text  # no EVM chain here: deposit_check's own 422
    assert other_network.json()["error"]["message"].startswith("address: deposit_check refused the lookup")


def test_a_key_without_the_lookup_scope_is_403(stack: Stack) -> None:
    address = declared(stack)
    refused = bot_lookup(stack, 48299999, {"address": address}, key=CLAIMER)
    assert refused.status_code == 403 and "'lookup'" in refused.json()["error"]["message"]
    no_post = bot_lookup(stack, 48299999, {"address": address}, key=LOOKER)
    assert no_post.status_code == 403 and "'post'" in no_post.json()["error"]["message"]
    anonymous = httpx.post(f"{stack.url}/v1/tickets/48299999/lookups", json={"address": address}, timeout=30)
    assert anonymous.status_code == 401
