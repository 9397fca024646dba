"""Webhooks from outside (issue 12, items 3-5), against ticket_link served for real on its own Redis.

- A body naming a key twice (`ticket_id` 888 then 999) is refused with a 400 naming the key, in
  every helpdesk's webhook, and nothing is queued; the bot API refuses it too.
- A django-helpdesk body with 30,000 follow-ups parses in well under 100 ms, and `/healthz` answers
  promptly while one is processed (it waited 8.9 s before).
- Hypothesis fuzzes the signature headers (and path secrets) of every helpdesk's webhook: never a
  5xx; anything not correctly signed is a 401. A 401-digit `webhook-timestamp` was a 500.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from harness.redis_server import RedisServer, running_redis
from tests.servers import serve
from ticket_link.app import create_app
from ticket_link.config import AppConfig, parse_config
from ticket_link.helpdesks import build_helpdesk, payload
from ticket_link.helpdesks.webhooks import ZAMMAD_SIGNATURE, ZENDESK_SIGNATURE, ZENDESK_TIMESTAMP

PATH_SECRET = secrets.token_urlsafe(24)
ZENDESK_SECRET = "zendesk-signing-secret-for-tests"
ZAMMAD_SECRET = "zammad-hmac-secret-for-tests"
STANDARD_SECRET = "whsec_" + base64.b64encode(b"standard-webhooks-secret-32-byte").decode()

CONFIG = f"""
secret = "{"s" * 40}"
[api]
dev_mode = true
[deposit_check]
url = "http://127.0.0.1:9"
[helpdesks.django]
kind = "django_helpdesk"
base_url = "http://127.0.0.1:9"
username = "bot"
password = "never-used"
webhook_secret = "{PATH_SECRET}"
[helpdesks.zendesk]
kind = "zendesk"
base_url = "http://127.0.0.1:9"
email = "bot@acme.test"
api_token = "never-used"
webhook_secret = "{ZENDESK_SECRET}"
[helpdesks.freshdesk]
kind = "freshdesk"
base_url = "http://127.0.0.1:9"
api_key = "never-used"
webhook_secret = "{PATH_SECRET}"
[helpdesks.zammad]
kind = "zammad"
base_url = "http://127.0.0.1:9"
token = "never-used"
webhook_secret = "{ZAMMAD_SECRET}"
[helpdesks.rt]
kind = "rt"
base_url = "http://127.0.0.1:9"
token = "never-used"
webhook_secret = "{PATH_SECRET}"
[helpdesks.standard]
kind = "rt"
base_url = "http://127.0.0.1:9"
token = "never-used"
webhook_scheme = "standard_webhooks"
webhook_secret = "{STANDARD_SECRET}"
"""

HASH_999 = "9" * 64
ADDRESS = "rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


@dataclass
class Served:
    url: str
    redis: RedisServer


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    for server in running_redis():
        config = AppConfig(file=parse_config(CONFIG, env={}), redis_url=server.url, source="test")
        with serve(create_app(config)) as url:
            yield Served(url, server)


def signed(helpdesk: str, body: bytes) -> tuple[str, dict[str, str]]:
    """The path and headers of a correctly authenticated webhook of `helpdesk` carrying `body`."""
    now = time.time()
    if helpdesk in ("django", "freshdesk", "rt"):
        return f"/v1/webhooks/{helpdesk}/{PATH_SECRET}", {}
    if helpdesk == "zendesk":
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        mac = hmac.new(ZENDESK_SECRET.encode(), stamp.encode() + body, hashlib.sha256).digest()
        return "/v1/webhooks/zendesk", {ZENDESK_SIGNATURE: base64.b64encode(mac).decode(), ZENDESK_TIMESTAMP: stamp}
    if helpdesk == "zammad":
        mac_hex = hmac.new(ZAMMAD_SECRET.encode(), body, hashlib.sha1).hexdigest()
        return "/v1/webhooks/zammad", {ZAMMAD_SIGNATURE: f"sha1={mac_hex}"}
    msg_id = "msg_" + secrets.token_hex(8)
    signature = Webhook(STANDARD_SECRET).sign(msg_id, datetime.fromtimestamp(int(now), UTC), body.decode())
    return "/v1/webhooks/standard", {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": signature,
    }


def post(served: Served, helpdesk: str, body: bytes) -> httpx.Response:
    path, headers = signed(helpdesk, body)
    return httpx.post(served.url + path, content=body, headers={**headers, "content-type": "application/json"})


HELPDESKS = ["django", "zendesk", "freshdesk", "zammad", "rt", "standard"]

# The attack: a template checked for ticket 888, a player's subject that re-opens the object.
DUPLICATED = (
    b'{"ticket_id": "888", "text": "help", "ticket_id": "999", "text": "tx ' + HASH_999.encode() + b" to "
    b"" + ADDRESS.encode() + b'"}'
)


@pytest.mark.parametrize("helpdesk", HELPDESKS)
def test_a_signed_body_with_a_duplicate_key_is_refused_with_400_naming_it(served: Served, helpdesk: str) -> None:
    keys_before = served.redis.client().dbsize()
    response = post(served, helpdesk, DUPLICATED)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "duplicate_key"
    assert '"ticket_id" appears twice' in response.json()["error"]["message"]
    assert served.redis.client().dbsize() == keys_before  # nothing queued for ticket 888 nor 999


@pytest.mark.parametrize("helpdesk", HELPDESKS)
def test_the_same_body_without_the_duplicate_is_accepted(served: Served, helpdesk: str) -> None:
    """The control: the route, the signature and the body shape work, so the 400 above is the duplicate's."""
    body = json.dumps({"ticket_id": "999", "text": f"tx {HASH_999} to {ADDRESS}"}).encode()
    response = post(served, helpdesk, body)
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 1}


@pytest.mark.parametrize(
    "body",
    [
        b'{"ticket": {"id": 1, "id": 2, "title": "t"}}',  # nested
        b'{"ticket": {"id": 1, "followup_set": [{"comment": "a", "public": true, "public": false}]}}',  # in a list
    ],
)
def test_a_duplicate_at_any_depth_is_refused(served: Served, body: bytes) -> None:
    response = post(served, "django", body)
    assert response.status_code == 400, response.text
    assert "appears twice" in response.json()["error"]["message"]


def test_the_bot_api_refuses_a_duplicate_key_naming_it(served: Served) -> None:
    body = b'{"helpdesk": "django", "tx_hash": "' + HASH_999.encode() + b'", "tx_hash": "' + b"a" * 64 + b'"}'
    response = httpx.post(
        f"{served.url}/v1/tickets/888/deposits", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert '"tx_hash" appears twice' in response.json()["error"]["message"]


def base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        n, rest = divmod(n, 36)
        text = digits[rest] + text
        if n == 0:
            return text


def followups_body(count: int = 30_000) -> bytes:
    """A django-helpdesk webhook of `count` distinct public follow-ups: ~1 MB, just under the cap."""
    followups = [{"comment": base36(i), "public": True} for i in range(count)]
    return json.dumps({"ticket": {"id": 7, "title": "t", "followup_set": followups}}, separators=(",", ":")).encode()


def test_thirty_thousand_followups_parse_in_under_100_ms() -> None:
    body = followups_body()
    assert 900_000 < len(body) < 1_000_000  # as the 986 KB: under the webhook cap
    desk = build_helpdesk(
        "django",
        parse_config(CONFIG, env={}).helpdesks["django"],
    )
    timings = []
    for _ in range(5):
        # This thread's CPU time: what the parse costs, not what other processes on the machine take.
        started = time.thread_time()
        ticket = desk.read_webhook(body)
        timings.append(time.thread_time() - started)
    assert ticket.ticket_id == "7" and len(ticket.text) == payload.MAX_TEXT_CHARS
    # The best of 5: ~20-40 ms here (a shared 2-core machine); the list made it ~10 s.
    assert min(timings) < 0.1, timings


def test_healthz_answers_promptly_while_a_huge_webhook_is_processed(served: Served) -> None:
    body = followups_body()
    path, _ = signed("django", body)
    waits: list[float] = []
    done = threading.Event()

    async def poll() -> None:
        async with httpx.AsyncClient(base_url=served.url) as client:
            while not done.is_set():
                started = time.perf_counter()
                assert (await client.get("/healthz")).status_code == 200
                waits.append(time.perf_counter() - started)

    poller = threading.Thread(target=asyncio.run, args=(poll(),))
    poller.start()
    try:
        for _ in range(3):
            response = httpx.post(served.url + path, content=body, headers={"content-type": "application/json"})
            assert response.status_code == 202, response.text
    finally:
        done.set()
        poller.join(timeout=30)
    assert len(waits) >= 3
    assert max(waits) < 0.5, (max(waits), statistics.median(waits))


# Header values: printable ASCII and Latin-1 bytes without spaces (what HTTP lets through), and the
# shapes that broke or could break a parser: huge digit strings, signs, exponents, other scripts.
_BYTE = st.sampled_from([bytes([b]) for b in (*range(0x21, 0x7F), *range(0x80, 0x100))])
_WILD = st.lists(_BYTE, max_size=200).map(b"".join)
_TRICKY = st.sampled_from(
    [
        b"1" + b"0" * 400,
        b"-" + b"9" * 30,
        b"1e400",
        b"NaN",
        b"inf",
        b"0x10",
        b"1_000",
        "\u0661\u0662\u0663".encode(),
        b"9999-12-31T23:59:59-23:59",
        b"0001-01-01T00:00:00+23:59",
        b"99999-01-01T00:00:00Z",
        b"v1,",
        b"v1,====",
        b"sha1=",
        b"sha256=00",
        b"=" * 300,
        b"A" * 4000,
    ]
)
_VALUE = st.one_of(_WILD, _TRICKY, st.integers().map(lambda n: str(n).encode()))

_HEADERS = {
    "zendesk": [ZENDESK_SIGNATURE, ZENDESK_TIMESTAMP],
    "zammad": [ZAMMAD_SIGNATURE],
    "standard": ["webhook-id", "webhook-timestamp", "webhook-signature"],
}


@pytest.mark.parametrize("helpdesk", sorted(_HEADERS))
def test_fuzzed_signature_headers_are_401_never_5xx(served: Served, helpdesk: str) -> None:
    body = json.dumps({"ticket_id": "5", "text": "hello"}).encode()
    names = _HEADERS[helpdesk]
    statuses: list[int] = []

    with httpx.Client(base_url=served.url) as client:

        @given(values=st.fixed_dictionaries({}, optional={n: _VALUE for n in names}), keep_valid=st.sampled_from(names))
        @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(values: dict[str, bytes], keep_valid: str) -> None:
            path, valid = signed(helpdesk, body)
            # Sometimes one header is the right one and the others are fuzzed: the checks past the first.
            headers = dict(values)
            if values and keep_valid not in values:  # never all of them valid: that is a signed request
                headers[keep_valid] = valid[keep_valid].encode()
            response = client.post(path, content=body, headers={**headers, "content-type": "application/json"})
            statuses.append(response.status_code)
            assert response.status_code == 401, (response.status_code, response.text[:300])
            assert response.json()["error"]["code"] == "webhook_rejected"

        run()
    assert len(statuses) >= 100


@pytest.mark.parametrize("helpdesk", ["django", "freshdesk", "rt"])
def test_fuzzed_path_secrets_are_refused_never_5xx(served: Served, helpdesk: str) -> None:
    body = json.dumps({"ticket_id": "5", "text": "hello"}).encode()
    with httpx.Client(base_url=served.url) as client:

        @given(secret=st.text(min_size=1, max_size=300))
        @settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(secret: str) -> None:
            response = client.post(
                f"/v1/webhooks/{helpdesk}/{quote(secret, safe='')}",
                content=body,
                headers={"content-type": "application/json"},
            )
            # 404/405/307: "/", "." or ".." in the secret make another path (no such route, or a slash redirect).
            assert response.status_code in (401, 404, 405, 307), (response.status_code, response.text[:300])

        run()


def test_the_overflowing_standard_webhooks_timestamp_is_401(served: Served) -> None:
    """The reproduction of issue 12 item 5: `1` followed by 400 zeros answered 500 (OverflowError)."""
    body = json.dumps({"ticket_id": "5", "text": "hello"}).encode()
    path, headers = signed("standard", body)
    headers["webhook-timestamp"] = "1" + "0" * 400
    response = httpx.post(served.url + path, content=body, headers={**headers, "content-type": "application/json"})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["message"] == "webhook-timestamp is not Unix seconds"
