"""ticket_link's bot API keys: scopes (`check` only checks, `post` also notes) and rate limits, on a
real deposit_check, litecoind and Redis."""

import secrets
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
import redis

from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.stacks import BotStack, Key, bot_stack

CHECKER = Key("checker", scopes=("check",))
POSTER = Key("poster", scopes=("post",))
EVERYTHING = Key("legacy")  # no `scopes`: as configs written before scopes were
TINY = Key("tiny", scopes=("check",), rate_limit="2/minute")

DB = 5


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer) -> Iterator[BotStack]:
    with bot_stack(litecoind, redis_server, DB, [CHECKER, POSTER, EVERYTHING, TINY]) as stack:
        yield stack


@pytest.fixture(scope="module")
def deposit(litecoind: Litecoind) -> dict[str, str]:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.4"))
    litecoind.mine(6)
    return {"tx_hash": txid, "address": address}


def claim(stack: BotStack, ticket: int, body: dict, key: Key | None) -> httpx.Response:
    return httpx.post(
        f"{stack.url}/v1/tickets/{ticket}/deposits", json=body, headers=key.headers if key else {}, timeout=30
    )


def queued_jobs(stack: BotStack) -> int:
    """Jobs saq holds in this stack's database (notes and later checks)."""
    client = redis.Redis.from_url(stack.redis_url)
    return sum(1 for _ in client.scan_iter("saq:job:*"))


class TestClaimDeposit:
    def test_anonymous(self, stack: BotStack, deposit: dict[str, str]) -> None:
        response = claim(stack, 101, deposit, None)
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
        wrong = claim(stack, 101, deposit, Key("stranger"))
        assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "invalid API key"

    def test_anonymous_before_validation(self, stack: BotStack) -> None:
        """Strangers learn nothing about the body's rules: 401 comes before 422."""
        assert claim(stack, 101, {"nonsense": True}, None).status_code == 401

    def test_missing_scope(self, stack: BotStack, deposit: dict[str, str]) -> None:
        before = queued_jobs(stack)
        response = claim(stack, 102, deposit, CHECKER)  # post_note defaults to true
        assert response.status_code == 403
        error = response.json()["error"]
        assert (
            error["code"] == "forbidden" and "'post'" in error["message"] and '"post_note": false' in error["message"]
        )
        assert queued_jobs(stack) == before

    def test_valid_check_only(self, stack: BotStack, deposit: dict[str, str]) -> None:
        before = queued_jobs(stack)
        response = claim(stack, 103, {**deposit, "post_note": False, "lang": "fr"}, CHECKER)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "confirmed" and body["player_message"] != body["summary"]  # in French
        assert body["ticket_note"] is None and body["duplicate_claim"] is None and body["watching"] is False
        unknown = secrets.token_hex(32)
        response = claim(stack, 103, {"tx_hash": unknown, "address": deposit["address"], "post_note": False}, CHECKER)
        assert response.status_code == 200 and response.json()["status"] == "not_found"
        assert queued_jobs(stack) == before  # nothing written for the ticket: no note, no later check
        client = redis.Redis.from_url(stack.redis_url)
        assert not client.exists(f"tl:v1:claim:{unknown}")  # and no link

    def test_valid_post(self, stack: BotStack, deposit: dict[str, str]) -> None:
        for key, ticket in ((POSTER, 104), (EVERYTHING, 105)):
            response = claim(stack, ticket, deposit, key)
            assert response.status_code == 200, response.text
            assert response.json()["ticket_note"] == {"status": "queued"}
        assert claim(stack, 106, {**deposit, "post_note": False}, POSTER).status_code == 200  # post implies check


class TestRateLimit:
    def test_over_the_limit_is_429_with_retry_after(self, stack: BotStack, deposit: dict[str, str]) -> None:
        body = {**deposit, "post_note": False}
        assert [claim(stack, 107, body, TINY).status_code for _ in range(2)] == [200, 200]
        refused = claim(stack, 107, body, TINY)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json() == {"error": {"code": "rate_limited", "message": refused.json()["error"]["message"]}}
        assert "2 per 1 minute" in refused.json()["error"]["message"]
        # Another key has its own budget; bad requests count too, and are refused before validation.
        assert claim(stack, 107, body, CHECKER).status_code == 200
        assert claim(stack, 107, {"nonsense": 1}, TINY).status_code == 429

    def test_limits_are_kept_in_redis(self, stack: BotStack) -> None:
        client = redis.Redis.from_url(stack.redis_url)
        assert list(client.scan_iter("tl:v1:ratelimit:*"))  # shared by every ticket_link process
