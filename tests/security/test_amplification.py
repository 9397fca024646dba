"""Anonymous amplification: a player who can write tickets names made-up hashes to make us work.

Against the real stack (litecoind regtest, Redis, deposit_check with its watcher, ticket_link and its
worker, django-helpdesk): 1,000 webhooks naming 12 random hashes each (and a valid address, so that
each claim would cost a node call and a watch) must leave bounded Redis keys, watches, node calls and
notes; every `tl:v1:*` and `dc:v1:*` key has a TTL or is on its keys module's NO_TTL list with a reason.
"""

import fnmatch
import json
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis
from limits import parse
from prometheus_client import REGISTRY

from deposit_check import keys as dc_keys
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.keys import ChainKeys
from tests.conftest import RedisServer
from tests.stacks import litecoin_toml
from tests.ticket_link.flow_stack import WEBHOOK_SECRET, Stack, flow_stack, internal_notes
from tests.ticket_link.settle import wait_until, wait_until_settled
from ticket_link import keys as tl_keys
from ticket_link.config import ClaimsConfig
from ticket_link.links import UNKNOWN_LINK_TTL_SECONDS

WEBHOOKS = 1_000
HASHES = 12
TICKETS = 20
NOT_FOUND_MINUTES = 0.1  # the watcher gives up on an unknown hash after 6 s here (30 min by default)
CAPS = ClaimsConfig()  # the defaults: what an operator gets without configuring anything


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    dc_text = f"[watch]\npoll_seconds = 0.5\nrecheck_seconds = 1\nnot_found_minutes = {NOT_FOUND_MINUTES}\n" + (
        litecoin_toml(litecoind, watch=False)
    )
    with flow_stack(dc_text, litecoind, redis_server, tmp_path_factory.mktemp("amp"), db=15) as built:
        yield built


def node_calls() -> float:
    """deposit_check's calls to a node so far (it runs in this process: its metrics are this registry's)."""
    total = 0.0
    for metric in REGISTRY.collect():
        if metric.name == "deposit_check_node_request_seconds":
            total += sum(s.value for s in metric.samples if s.name.endswith("_count"))
    return total


def webhook(ticket_id: int, text: str) -> dict:
    """A django-helpdesk webhook body as it sends one (the ticket, its public follow-ups)."""
    followup = {"id": 1, "public": True, "comment": text}
    return {"ticket": {"id": ticket_id, "title": "deposit", "description": "", "followup_set": [followup]}}


def keys_without_ttl(client: redis.Redis) -> list[str]:
    """Every tl:v1 and dc:v1 key without a TTL that its keys module does not list in NO_TTL."""
    allowed = [*tl_keys.NO_TTL, *dc_keys.NO_TTL]
    found = []
    for raw in client.scan_iter(match="[td][lc]:v1:*", count=1000):
        key = raw.decode()
        if client.ttl(key) == -1 and not any(fnmatch.fnmatchcase(key, p.replace("[", "[[]")) for p in allowed):
            found.append(key)
    return found


def test_unknown_hashes_are_watched_minutes_then_get_one_note_together_and_one_more_when_given_up(
    stack: Stack,
) -> None:
    client = redis.Redis.from_url(stack.config.redis_url)
    address = stack.litecoind.new_address("bech32")
    ticket = stack.desk.create_ticket("three unknown", "hello", "q@mail.example")
    hashes = [secrets.token_hex(32) for _ in range(3)]
    text = " ".join(f"sent {h} to {address}" for h in hashes)
    response = httpx.post(f"{stack.url}/v1/webhooks/desk/{WEBHOOK_SECRET}", json=webhook(ticket, text), timeout=10)
    assert response.status_code == 202
    wait_until(lambda: client.hexists(ChainKeys("litecoin").watches, hashes[0]), 20, "not watched")
    watch = json.loads(client.hget(ChainKeys("litecoin").watches, hashes[0]))
    assert watch["expires_at"] - watch["registered_at"] == pytest.approx(NOT_FOUND_MINUTES * 60, abs=1)
    # The links of a hash nobody knows are kept briefly, not for the 400 days of a real deposit's.
    wait_until(lambda: client.exists(tl_keys.claim(hashes[0])), 20, "not linked")
    ttl = client.ttl(tl_keys.claim(hashes[0]))
    assert 0 < ttl <= UNKNOWN_LINK_TTL_SECONDS
    wait_until(lambda: len(internal_notes(stack.desk, ticket)) >= 2, 40, "the two notes did not come")
    wait_until(lambda: not client.hlen(ChainKeys("litecoin").watches), 30, "not given up")
    wait_until_settled(stack.config, stack.litecoind, stack.started, timeout=30)
    notes = [n["comment"] for n in internal_notes(stack.desk, ticket)]
    assert len(notes) == 2, notes
    first, last = notes
    assert "not found (3 transactions)" in first and all(h in first for h in hashes)
    assert "We stopped looking for these transactions" in last and all(h in last for h in hashes)


def test_the_bot_api_answers_429_naming_the_cap_past_a_tickets_claims(stack: Stack) -> None:
    address = stack.litecoind.new_address("bech32")
    ticket = stack.desk.create_ticket("bot claims", "hello", "b@mail.example")
    cap = parse(CAPS.per_ticket).amount
    with httpx.Client(base_url=stack.url, timeout=30) as http:

        def claim() -> httpx.Response:
            body = {"tx_hash": secrets.token_hex(32), "address": address}
            return http.post(f"/v1/tickets/{ticket}/deposits", json=body)

        answers = [claim() for _ in range(cap + 1)]
    assert [a.status_code for a in answers[:cap]] == [200] * cap
    refused = answers[cap]
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    error = refused.json()["error"]
    assert error["code"] == "claims_capped" and f'claims.per_ticket = "{CAPS.per_ticket}"' in error["message"]


def test_a_thousand_webhooks_of_random_hashes_leave_bounded_keys_watches_node_calls_and_notes(stack: Stack) -> None:
    client = redis.Redis.from_url(stack.config.redis_url)
    watches_key = ChainKeys("litecoin").watches
    address = stack.litecoind.new_address("bech32")
    tickets = [stack.desk.create_ticket(f"amp {i}", "hello", f"p{i}@mail.example") for i in range(TICKETS)]
    wait_until_settled(stack.config, stack.litecoind, stack.started)
    keys_before, calls_before = client.dbsize(), node_calls()
    notes_before = sum(len(internal_notes(stack.desk, t)) for t in tickets)
    peak = {"watches": 0}
    sending = threading.Event()

    def sample() -> None:  # the watches peak while they come and go (they expire after NOT_FOUND_MINUTES)
        while not sending.is_set():
            peak["watches"] = max(peak["watches"], int(client.hlen(watches_key)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.time()
    url = f"{stack.url}/v1/webhooks/desk/{WEBHOOK_SECRET}"
    with httpx.Client(timeout=30) as http:

        def send(i: int) -> int:
            text = " ".join(f"tx {secrets.token_hex(32)} to {address}" for _ in range(HASHES))
            return http.post(url, json=webhook(tickets[i % TICKETS], text)).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(send, range(WEBHOOKS)))
    sent = time.time()
    print(f"sent {WEBHOOKS} webhooks in {sent - started:.1f} s")
    assert codes == [202] * WEBHOOKS  # the helpdesk is never refused: the claims past a cap are dropped instead
    # The enrich jobs and every note done, and the watches given up on (expired events handled).
    wait_until(lambda: client.hlen(watches_key) == 0, 60, "the unknown hashes' watches did not expire")
    wait_until_settled(stack.config, stack.litecoind, stack.started, timeout=120)
    print(f"settled after {time.time() - started:.1f} s")
    sending.set()
    sampler.join()

    # Fixed windows: the run may span two (or three) of them; each admits at most the helpdesk's cap.
    window = parse(CAPS.per_helpdesk).get_expiry()
    windows = int(sent // window) - int(started // window) + 1
    admitted = parse(CAPS.per_helpdesk).amount * windows
    claims_named = WEBHOOKS * HASHES
    assert peak["watches"] <= admitted, peak  # was one per claim: 12,000
    # Node calls: one per admitted check, plus the watcher's rounds (a tip and a batched recheck each).
    rounds = (time.time() - started) / 0.5 + 1
    calls = node_calls() - calls_before
    assert calls <= admitted + 3 * rounds, (calls, admitted, rounds)
    # Redis: per admitted claim its links (3 keys) and a noted marker; per ticket a few counters and
    # markers; saq's job records (a job per accepted webhook and note). Not one key per hash named.
    keys_after = client.dbsize()
    assert keys_after - keys_before <= 6 * admitted + 10 * TICKETS * windows, (keys_before, keys_after)
    assert keys_after - keys_before < claims_named / 10
    assert keys_without_ttl(client) == []
    # Notes: per ticket and window at most a note per cap (webhook, ticket, helpdesk) and the few
    # not-found notes its own cap lets through (each for up to per_webhook hashes), then the
    # "still not found" ones: never a note per hash.
    per_ticket = parse(CAPS.per_ticket).amount // CAPS.per_webhook + 1
    notes = [n["comment"] for t in tickets for n in internal_notes(stack.desk, t)]
    print(
        f"claims named {claims_named}, admitted at most {admitted}; peak watches {peak['watches']}, "
        f"node calls {calls:.0f}, keys {keys_before} -> {keys_after}, notes {len(notes) - notes_before}"
    )
    assert len(notes) - notes_before <= TICKETS * windows * (3 + 2 * per_ticket), len(notes)
    capped = [n for n in notes if "over the cap" in n]
    assert capped and all("claims." in n for n in capped)
    assert any(f'claims.per_helpdesk = "{CAPS.per_helpdesk}"' in n for n in capped)
    assert any(f"claims.per_webhook = {CAPS.per_webhook}" in n for n in capped)
    grouped = [n for n in notes if f"not found ({CAPS.per_webhook} transactions)" in n]
    assert grouped, "several unknown hashes of one webhook share one note"
    # Each stays one per capped window and ticket: no two identical cap notes in one ticket.
    for t in tickets:
        mine = [n["comment"] for n in internal_notes(stack.desk, t) if "over the cap" in n["comment"]]
        assert len(mine) <= 3 * windows, mine
