"""deposit_check's API keys: scopes (`check`, `watch`) and rate limits, counted in Redis (shared by
every API process) or, without REDIS_URL, in memory. Real litecoind, Redis and uvicorn."""

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.app import create_app
from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.servers import serve
from tests.stacks import Key, deposit_check_config

CHECKER = Key("checker", scopes=("check",))
WATCHER = Key("watcher", scopes=("watch",))
EVERYTHING = Key("legacy")  # no `scopes`: as configs written before scopes were
TINY = Key("tiny", rate_limit="3/minute")
KEYS = [CHECKER, WATCHER, EVERYTHING, TINY]

DB = 6


@pytest.fixture(scope="module")
def redis_url(redis_server: RedisServer) -> str:
    return f"redis://127.0.0.1:{redis_server.port}/{DB}"


@pytest.fixture(scope="module")
def two_processes(litecoind: Litecoind, redis_url: str) -> Iterator[tuple[str, str]]:
    """Two API processes (apps) sharing one Redis, as behind a load balancer."""
    config = deposit_check_config(litecoind, redis_url, KEYS)
    with serve(create_app(config)) as one, serve(create_app(config)) as two:
        yield one, two


@pytest.fixture(scope="module")
def url(two_processes: tuple[str, str]) -> str:
    return two_processes[0]


def check(url: str, key: Key | None, **body: object) -> httpx.Response:
    return httpx.post(f"{url}/v1/checks", json=body, headers=key.headers if key else {}, timeout=30)


@pytest.fixture(scope="module")
def address(litecoind: Litecoind) -> str:
    return litecoind.new_address("bech32")


class TestCreateCheck:
    def test_anonymous(self, url: str, address: str) -> None:
        response = check(url, None, tx_hash="ab" * 32, address=address)
        assert response.status_code == 401 and "Bearer" in response.json()["error"]["message"]
        assert check(url, None, nonsense=1).status_code == 401  # before validation

    def test_key_then_body_then_scope(self, url: str, address: str) -> None:
        # A key lacking `watch` with a bad body: the body is judged first (422), then the scope (403).
        assert check(url, CHECKER, watch=True, nonsense=1).status_code == 422
        assert check(url, CHECKER, tx_hash="ab" * 32, address=address, watch=True).status_code == 403
        # The bearer scheme is read as HTTP says (any case); another scheme is no key at all.
        headers = {"authorization": CHECKER.headers["Authorization"].replace("Bearer", "bEaReR")}
        plain = httpx.post(
            f"{url}/v1/checks", json={"tx_hash": "ab" * 32, "address": address}, headers=headers, timeout=30
        )
        assert plain.status_code == 200
        token = CHECKER.headers["Authorization"].split(" ", 1)[1]
        basic = httpx.post(f"{url}/v1/checks", json={}, headers={"authorization": f"Basic {token}"}, timeout=30)
        assert basic.status_code == 401 and "Bearer" in basic.json()["error"]["message"]

    def test_missing_scope(self, url: str, address: str) -> None:
        response = check(url, CHECKER, tx_hash="ab" * 32, address=address, watch=True)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden" and "'watch'" in response.json()["error"]["message"]

    def test_valid(self, url: str, address: str) -> None:
        plain = check(url, CHECKER, tx_hash="ab" * 32, address=address)
        assert plain.status_code == 200 and plain.json()["status"] == "not_found"
        for key in (WATCHER, EVERYTHING):  # watch implies check; no scopes means all of them
            for watch in (False, True):
                response = check(url, key, tx_hash="cd" * 32, address=address, watch=watch)
                assert response.status_code == 200, response.text
        assert check(url, WATCHER, tx_hash="ef" * 32, address=address, watch=True).json()["watching"] is True


class TestRateLimit:
    def test_shared_by_every_process(self, two_processes: tuple[str, str], address: str) -> None:
        one, two = two_processes
        codes = [check(u, TINY, tx_hash="ab" * 32, address=address).status_code for u in (one, two, one)]
        assert codes == [200, 200, 200]
        refused = check(two, TINY, tx_hash="ab" * 32, address=address)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert (
            refused.json()["error"]["code"] == "rate_limited" and "3 per 1 minute" in refused.json()["error"]["message"]
        )
        assert check(one, TINY, nonsense=1).status_code == 429  # counted before the body is looked at
        assert check(one, CHECKER, tx_hash="ab" * 32, address=address).status_code == 200  # other keys unaffected

    def test_in_memory_without_redis(self, litecoind: Litecoind, address: str) -> None:
        tiny = Key("tiny", rate_limit="2/minute")
        with serve(create_app(deposit_check_config(litecoind, None, [tiny]))) as url:
            codes = [check(url, tiny, tx_hash="ab" * 32, address=address).status_code for _ in range(3)]
        assert codes == [200, 200, 429]

    def test_a_redis_outage_does_not_stop_the_api(self, litecoind: Litecoind, address: str) -> None:
        tiny = Key("tiny", rate_limit="1/minute")
        txid = litecoind.send(address, Decimal("0.01"))
        with serve(create_app(deposit_check_config(litecoind, "redis://127.0.0.1:9/0", [tiny]))) as url:
            codes = [check(url, tiny, tx_hash=txid, address=address).status_code for _ in range(3)]
        assert codes == [200, 200, 200]  # not limited (and logged) rather than refused


async def test_loopback_without_keys_is_not_limited(litecoind: Litecoind, address: str) -> None:
    """Dev mode: no keys, a caller on loopback, far more requests than any default limit."""
    app = create_app(deposit_check_config(litecoind, None, []))
    async with app.router.lifespan_context(app):
        local = httpx.ASGITransport(app=app, client=("127.0.0.1", 5555))
        async with httpx.AsyncClient(transport=local, base_url="http://api") as client:
            body = {"tx_hash": "ab" * 32, "address": address}
            codes = {(await client.post("/v1/checks", json=body)).status_code for _ in range(150)}
    assert codes == {200}


async def test_an_unknown_scope_stops_start_up(litecoind: Litecoind) -> None:
    app = create_app(deposit_check_config(litecoind, None, [Key("typo", scopes=("wacth",))]))
    with pytest.raises(ValueError, match="'typo': unknown scope wacth; known: check, watch"):
        async with app.router.lifespan_context(app):
            pass
