"""The admin API /v1/addresses: scope `admin`, counts, per-item errors, lookup. Real Redis and uvicorn."""

from collections.abc import Iterator

import httpx
import pytest

from deposit_check.app import create_app
from harness.redis_server import RedisServer
from tests.deposit_check.ownership.conftest import config, evm_addresses, ltc_addresses
from tests.servers import serve
from tests.stacks import Key

ADMIN = Key("wallet-system", scopes=("admin",))
CHECKER = Key("bot", scopes=("check",))
LEGACY = Key("legacy")  # no `scopes`: every scope but `admin`


@pytest.fixture(scope="module")
def url(own_redis: RedisServer) -> Iterator[str]:
    head = "".join(k.toml() + "\n" for k in (ADMIN, CHECKER, LEGACY))
    with serve(create_app(config(head=head, redis_url=f"redis://127.0.0.1:{own_redis.port}/3"))) as base:
        yield base


def call(url: str, method: str, key: Key | None, path: str = "", **body: object) -> httpx.Response:
    headers = key.headers if key else {}
    return httpx.request(method, f"{url}/v1/addresses{path}", json=body or None, headers=headers, timeout=30)


class TestPutAddresses:
    def test_anonymous(self, url: str) -> None:
        assert call(url, "PUT", None, chain="litecoin", addresses=[]).status_code == 401

    def test_missing_scope(self, url: str) -> None:
        for key in (CHECKER, LEGACY):
            response = call(url, "PUT", key, chain="litecoin", addresses=[{"address": ltc_addresses(1)[0]}])
            assert response.status_code == 403, key.name
            assert "admin" in response.json()["error"]["message"]

    def test_valid(self, url: str) -> None:
        a, b = ltc_addresses(2)
        items = [{"address": a, "account": "p-1"}, {"address": b.upper()}]
        first = call(url, "PUT", ADMIN, chain="litecoin", addresses=items)
        assert first.status_code == 200, first.text
        assert first.json() | {"version": 0} == {
            "chain": "litecoin",
            "added": 2,
            "updated": 0,
            "unchanged": 0,
            "version": 0,
        }
        again = call(url, "PUT", ADMIN, chain="litecoin", addresses=items).json()
        assert (again["added"], again["unchanged"], again["version"]) == (0, 2, first.json()["version"])
        looked = call(url, "GET", ADMIN, f"/litecoin/{b.upper()}").json()
        assert looked == {"chain": "litecoin", "address": b, "address_owner": "casino", "account": None}
        assert call(url, "GET", ADMIN, f"/litecoin/{a}").json()["account"] == "p-1"

    def test_bad_items_write_nothing(self, url: str) -> None:
        good = ltc_addresses(1)[0]
        items = [{"address": good}, {"address": evm_addresses(1)[0]}, {"address": good, "account": "Jane Doe"}]
        response = call(url, "PUT", ADMIN, chain="litecoin", addresses=items)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_entries"
        assert "addresses.1: not a litecoin regtest address" in error["message"]
        assert "addresses.2: account reference refused" in error["message"]
        assert call(url, "GET", ADMIN, f"/litecoin/{good}").json()["address_owner"] == "not_casino"

    def test_unknown_chain(self, url: str) -> None:
        response = call(url, "PUT", ADMIN, chain="dogecoin", addresses=[{"address": "x"}])
        assert response.status_code == 422 and response.json()["error"]["code"] == "unknown_chain"

    def test_too_many_items(self, url: str) -> None:
        response = call(url, "PUT", ADMIN, chain="ethereum", addresses=[{"address": "0x" + "11" * 20}] * 1_001)
        assert response.status_code in (413, 422)


class TestDeleteAddresses:
    def test_missing_scope(self, url: str) -> None:
        assert (
            call(url, "DELETE", CHECKER, chain="ethereum", addresses=[{"address": "0x" + "11" * 20}]).status_code == 403
        )

    def test_valid(self, url: str) -> None:
        kept, gone = evm_addresses(2)
        call(url, "PUT", ADMIN, chain="ethereum", addresses=[{"address": kept}, {"address": gone}])
        response = call(url, "DELETE", ADMIN, chain="ethereum", addresses=[{"address": gone.lower()}])
        assert response.status_code == 200
        assert (response.json()["deleted"], response.json()["absent"]) == (1, 0)
        assert call(url, "GET", ADMIN, f"/ethereum/{gone}").json()["address_owner"] == "not_casino"
        assert call(url, "GET", ADMIN, f"/ethereum/{kept.lower()}").json()["address"] == kept


class TestLookup:
    def test_missing_scope(self, url: str) -> None:
        assert call(url, "GET", CHECKER, f"/ethereum/{'0x' + '11' * 20}").status_code == 403

    def test_bad_address(self, url: str) -> None:
        response = call(url, "GET", ADMIN, "/litecoin/notanaddress")
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_address"
