"""ticket_link end to end: real litecoind, anvil, Redis, deposit_check, django-helpdesk, worker.

A ticket created in django-helpdesk sends its webhook to ticket_link, which finds the hash and
address in the text, asks deposit_check, and posts an internal note into that same ticket.
"""

import json
import logging
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.models import Asset
from desk_common.logging import quiet_libraries
from tests.conftest import RedisServer
from tests.metrics_scrape import assert_no_secret_in_labels, scrape
from tests.metrics_scrape import value as metric_value
from tests.stacks import litecoin_toml
from tests.ticket_link.flow_stack import (
    EXPLORER,
    WEBHOOK_SECRET,
    Stack,
    confirmed_deposit,
    flow_stack,
    internal_notes,
    wait_for_notes,
)
from tests.ticket_link.settle import wait_until, wait_until_settled


@pytest.fixture(scope="module")
def stack(
    litecoind: Litecoind, anvil: Anvil, usdt: Asset, redis_server: RedisServer, tmp_path_factory
) -> Iterator[Stack]:
    dc_text = (
        litecoin_toml(litecoind)
        + f"""[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{anvil.rpc_url}"]
confirmations = 12
[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "{usdt.contract}"
decimals = 6
"""
    )
    with flow_stack(dc_text, litecoind, redis_server, tmp_path_factory.mktemp("flow")) as built:
        yield built


def worker_notes(stack: Stack, result: str) -> float:
    """The worker's count of note attempts with `result` (its metrics port may still be opening)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return metric_value(scrape(stack.worker_metrics), "ticket_link_notes_total", helpdesk="desk", result=result)
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the worker's metrics port did not open"
            time.sleep(0.2)


def test_webhook_of_a_new_ticket_leads_to_the_right_internal_note(stack: Stack) -> None:
    txid, address = confirmed_deposit(stack.litecoind, "0.75")
    ticket = stack.desk.create_ticket(
        "Deposit not credited",
        f"Hi, I sent 0.75 LTC yesterday.\nTx: {txid}\nTo: {address}\nPlease help!",
        "player1@mail.example",
    )
    notes = wait_for_notes(stack, ticket)
    assert len(notes) == 1
    text = notes[0]["comment"]
    assert "confirmed" in text.lower() and "0.75" in text and "LTC" in text and txid in text
    assert EXPLORER.format(tx_hash=txid) in text


def test_bot_api_answers_with_verdict_and_player_message_and_notes_once(stack: Stack) -> None:
    ticket = stack.desk.create_ticket("Where is my money", "no hash here", "player2@mail.example")
    address = stack.litecoind.new_address("bech32")
    txid = stack.litecoind.send(address, Decimal("0.2"))
    stack.litecoind.mine(2)
    body = {"tx_hash": txid, "address": address, "expected_amount": "0.25", "lang": "fr"}
    first = httpx.post(f"{stack.url}/v1/tickets/{ticket}/deposits", json=body, timeout=30)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert (answer["status"], answer["confirmations"], answer["amount_status"]) == ("confirming", 2, "under")
    assert answer["ticket_note"] == {"status": "queued"} and answer["duplicate_claim"] is None
    assert "0.2" in answer["player_message"] and answer["player_message"] != answer["summary"]  # in French
    twice = httpx.post(f"{stack.url}/v1/tickets/{ticket}/deposits", json=body, timeout=30).json()
    assert twice["ticket_note"]["status"] in ("queued", "already_posted")  # still queued, or posted meanwhile
    notes = wait_for_notes(stack, ticket)
    assert len(notes) == 1 and "2/6" in notes[0]["comment"].replace(" ", "")
    again = httpx.post(f"{stack.url}/v1/tickets/{ticket}/deposits", json=body, timeout=30).json()
    assert again["ticket_note"] == {"status": "already_posted"}
    assert len(wait_for_notes(stack, ticket)) == 1


def test_second_ticket_claiming_the_same_tx_tells_both_and_neither_says_credit_it(stack: Stack) -> None:
    txid, address = confirmed_deposit(stack.litecoind, "1.5")
    first = stack.desk.create_ticket("deposit", f"{txid} {address}", "a@mail.example")
    assert "credit it, if not already done" in wait_for_notes(stack, first)[0]["comment"]  # alone, so far
    second = stack.desk.create_ticket("deposit again", f"my tx {txid} to {address}", "b@mail.example")
    notes = wait_for_notes(stack, second)
    assert len(notes) == 1
    assert f"desk #{first}" in notes[0]["comment"] and "credit it, if not already" not in notes[0]["comment"]
    assert "more than one ticket claims this transaction" in notes[0]["comment"]
    # The first ticket, whose note was already posted, gets a duplicate note of its own.
    told = wait_for_notes(stack, first, count=2)
    assert len(told) == 2
    assert f"desk #{second}" in told[1]["comment"] and "credit it, if not already" not in told[1]["comment"]
    assert "more than one ticket claims this transaction" in told[1]["comment"]
    response = httpx.post(
        f"{stack.url}/v1/tickets/{second}/deposits", json={"tx_hash": txid, "address": address}, timeout=30
    ).json()
    # Bots never get another ticket's reference: only that there is one, and whether the account matched
    # (null: today's deposit_check names no account, so ownership is `unknown`).
    assert response["duplicate_claim"] == {"duplicate": True, "account_matched": None}
    assert "account" not in response
    assert str(first) not in json.dumps(response).replace(txid, "").replace(address, "")
    assert "reviewing it before it can be credited" in response["player_message"]
    assert len(wait_for_notes(stack, first, count=2)) == 2  # the same claim again: nothing new for the first


def test_helpdesk_down_three_tickets_each_get_exactly_one_note(stack: Stack) -> None:
    tickets = [stack.desk.create_ticket(f"t{i}", "hello", f"p{i}@mail.example") for i in range(3)]
    deposits = [confirmed_deposit(stack.litecoind, f"0.0{i + 1}") for i in range(3)]
    retried = worker_notes(stack, "retried")
    stack.desk.stop()
    try:
        for ticket, (txid, address) in zip(tickets, deposits, strict=True):
            response = httpx.post(
                f"{stack.url}/v1/tickets/{ticket}/deposits", json={"tx_hash": txid, "address": address}, timeout=30
            )
            assert response.status_code == 200 and response.json()["ticket_note"]["status"] == "queued"
        # The worker tries each note, fails and backs off meanwhile.
        wait_until(lambda: worker_notes(stack, "retried") >= retried + len(tickets), 20, "the worker did not retry")
    finally:
        stack.desk.start()
    for ticket, (txid, _) in zip(tickets, deposits, strict=True):
        notes = wait_for_notes(stack, ticket, timeout=30)
        assert len(notes) == 1 and txid in notes[0]["comment"]


def test_webhook_must_prove_its_sender(stack: Stack) -> None:
    wrong = httpx.post(f"{stack.url}/v1/webhooks/desk/not-the-secret", json={"ticket": {"id": 1}}, timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "webhook_rejected"
    missing = httpx.post(f"{stack.url}/v1/webhooks/desk", json={"ticket": {"id": 1}}, timeout=10)
    assert missing.status_code == 401
    unknown = httpx.post(f"{stack.url}/v1/webhooks/zendesk", content=b"{}", timeout=10)
    assert unknown.status_code == 404


SHAPED = "rltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdd3276w"  # an address of the right shape


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/v1/tickets/abc/deposits", {"tx_hash": "ab" * 32, "address": SHAPED}, "numeric ticket id"),
        ("/v1/tickets/5/deposits", {"tx_hash": "ab" * 32, "address": "x", "email": "p@x.example"}, "email"),
        # No address: the hash is located; known nowhere, the claim cannot go on (issue 15).
        ("/v1/tickets/5/deposits", {"tx_hash": "ab" * 32}, "address: the transaction was found on no chain"),
        ("/v1/tickets/5/deposits", {"tx_hash": "zz", "address": "rltc1qqqq", "chain": "litecoin"}, "64 hexadecimal"),
        ("/v1/tickets/5/deposits", {"tx_hash": "ab" * 32, "address": SHAPED, "helpdesk": "nope"}, "unknown helpdesk"),
        (
            "/v1/tickets/5/deposits",
            {"tx_hash": "ab" * 32, "address": "[x](https://e.example)"},
            "not a deposit address",
        ),
    ],
)
def test_bad_input_is_a_clear_4xx(stack: Stack, path: str, body: dict, words: str) -> None:
    response = httpx.post(f"{stack.url}{path}", json=body, timeout=30)
    assert 400 <= response.status_code < 500, response.text
    assert words in response.json()["error"]["message"]


def test_no_personal_data_at_rest_or_in_logs(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    """The whole flow with a requester whose name and e-mail are known; then scan Redis and the logs."""
    email, name = "juliette.moreau.4417@mail.example", "Juliette Moreau-Xylander"
    caplog.set_level(logging.DEBUG)
    quiet_libraries()  # as configure_logging does in every process we start
    txid, address = confirmed_deposit(stack.litecoind, "0.33")
    ticket = stack.desk.create_ticket(
        "deposit missing", f"Bonjour, c'est {name} ({email}). tx {txid} adresse {address}", email, requester_name=name
    )
    assert ticket > 48213950
    wait_for_notes(stack, ticket)
    response = httpx.post(
        f"{stack.url}/v1/tickets/{ticket}/deposits", json={"tx_hash": txid, "address": address}, timeout=30
    )
    assert response.status_code == 200
    forbidden = [email.encode(), name.encode(), b"Juliette", str(ticket).encode()]
    client = stack.redis.client()
    seen = 0
    for key in client.scan_iter("*"):
        kind = client.type(key).decode()
        values: list[bytes] = [key]
        if kind == "string":
            values.append(client.get(key) or b"")
        elif kind == "hash":
            for k, v in client.hgetall(key).items():
                values += [k, v]
        elif kind in ("list",):
            values += client.lrange(key, 0, -1)
        elif kind == "set":
            values += list(client.smembers(key))
        elif kind == "zset":
            values += [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            for _, fields in client.xrange(key):
                for k, v in fields.items():
                    values += [k, v]
        for value in values:
            seen += 1
            for word in forbidden:
                assert word not in value, f"{word!r} found in Redis key {key!r}"
    assert seen > 10  # the scan did look at something
    worker_lines = stack.worker_log.read_text().splitlines()
    assert any("deliver_note" in line for line in worker_lines)  # the worker did log its jobs
    lines = [record.getMessage() for record in caplog.records] + caplog.text.splitlines() + worker_lines
    assert any("/v1/tickets/{ticket_ref}/deposits" in line for line in lines)  # our access log did log
    for line in lines:
        for word in (email, name, "Juliette", str(ticket)):
            assert word not in line, f"{word!r} in a log line: {line[:200]}"


def test_the_watcher_tells_the_ticket_of_each_change_and_of_an_undone_confirmation(stack: Stack) -> None:
    node = stack.litecoind
    ticket = stack.desk.create_ticket("deposit pending", "hello", "w@mail.example")
    address = node.new_address("bech32")
    txid = node.send(address, Decimal("0.6"))
    answer = httpx.post(
        f"{stack.url}/v1/tickets/{ticket}/deposits", json={"tx_hash": txid, "address": address}, timeout=30
    ).json()
    assert answer["status"] == "pending" and answer["watching"] is True
    wait_for_notes(stack, ticket, 1)
    block = node.mine(1)[0]
    notes = wait_for_notes(stack, ticket, 2)
    assert "1/6" in notes[1]["comment"].replace(" ", "")
    node.mine(5)
    notes = wait_for_notes(stack, ticket, 3)
    assert "confirmed" in notes[2]["comment"].lower()
    node.cli("invalidateblock", block)
    try:
        notes = wait_for_notes(stack, ticket, 4)
        assert "undone" in notes[3]["comment"].lower() or "UNDONE" in notes[3]["comment"]
    finally:
        node.cli("reconsiderblock", block)
    notes = wait_for_notes(stack, ticket, 5)
    assert "confirmed" in notes[4]["comment"].lower()
    wait_until_settled(stack.config, node, stack.started)  # every block seen, every event handled, every note posted
    assert len(internal_notes(stack.desk, ticket)) == 5  # one note per change, no repeats


def test_metrics_of_the_api_and_the_worker_move_with_claims_webhooks_notes_and_events(stack: Stack) -> None:
    deadline = time.monotonic() + 20
    while True:  # the worker process may still be starting
        try:
            worker_before = scrape(stack.worker_metrics)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the worker's metrics port did not open"
            time.sleep(0.2)
    api_before = scrape(f"{stack.url}/metrics")  # no key needed
    node = stack.litecoind
    ticket = stack.desk.create_ticket("metrics", "hello", "m@mail.example")  # its webhook: accepted
    address = node.new_address("bech32")
    txid = node.send(address, Decimal("0.44"))
    claim = f"{stack.url}/v1/tickets/{ticket}/deposits"
    checked = httpx.post(claim, json={"tx_hash": txid, "address": address, "post_note": False}, timeout=30)
    noted = httpx.post(claim, json={"tx_hash": txid, "address": address}, timeout=30)
    assert checked.status_code == noted.status_code == 200 and noted.json()["ticket_note"] == {"status": "queued"}
    rejected = httpx.post(f"{stack.url}/v1/webhooks/desk/not-the-secret", json={"ticket": {"id": 1}}, timeout=10)
    assert rejected.status_code == 401
    wait_for_notes(stack, ticket, 1)
    node.mine(1)  # the watcher's event: consumed by the worker, a second note
    wait_for_notes(stack, ticket, 2)
    api_after = scrape(f"{stack.url}/metrics")

    def api_delta(name: str, **labels: str) -> float:
        return metric_value(api_after, name, **labels) - metric_value(api_before, name, **labels)

    assert api_delta("ticket_link_claims_total", outcome="checked") >= 1
    assert api_delta("ticket_link_claims_total", outcome="noted") >= 1
    assert api_delta("ticket_link_webhooks_total", helpdesk="desk", result="accepted") >= 1
    assert api_delta("ticket_link_webhooks_total", helpdesk="desk", result="rejected") >= 1
    assert (
        api_delta(
            "desk_http_responses_total", app="ticket_link", route="/v1/webhooks/{helpdesk}/{secret}", status="401"
        )
        >= 1
    )

    def worker_delta(name: str, **labels: str) -> float:
        return metric_value(worker_after, name, **labels) - metric_value(worker_before, name, **labels)

    deadline = time.monotonic() + 10
    worker_after = scrape(stack.worker_metrics)
    # The worker counts a note once it has marked it posted: just after the desk has it.
    while (
        worker_delta("ticket_link_notes_total", helpdesk="desk", result="delivered") < 2 and time.monotonic() < deadline
    ):
        time.sleep(0.2)
        worker_after = scrape(stack.worker_metrics)
    assert worker_delta("ticket_link_notes_total", helpdesk="desk", result="delivered") >= 2
    assert worker_delta("ticket_link_note_delivery_lag_seconds_count", helpdesk="desk") >= 2
    assert worker_delta("ticket_link_events_consumed_total", chain="litecoin", type="status") >= 1
    assert ("ticket_link_outbox_notes", ()) in worker_after
    ticket_ids = [str(ticket), *(str(t) for t in range(48213951, ticket + 1))]
    assert_no_secret_in_labels(
        [*api_after, *worker_after], [txid, address, WEBHOOK_SECRET, stack.desk.password, *ticket_ids]
    )
