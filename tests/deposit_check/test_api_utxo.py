"""POST /v1/checks end to end on a real litecoind (regtest), real Redis and a real uvicorn."""

import hashlib
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.litecoind import Litecoind, free_port
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.servers import serve

API_KEY = "test-key-0123456789"
PENDING_TTL = 0.2  # seconds a non-final verdict stays cached: short, so that waiting it out costs little


def make_config(
    litecoind_url: str, redis_url: str | None, extra: str = "", keys: bool = False, electrum_url: str | None = None
) -> AppConfig:
    """The check API on litecoind's RPC, or (`electrum_url`) on an Electrum server with no node at all."""
    urls = (
        f'backend = "electrum"\nelectrum_urls = ["{electrum_url}"]'
        if electrum_url
        else f'rpc_urls = ["{litecoind_url}"]'
    )
    text = f"""
[cache]
final_ttl_seconds = 600
pending_ttl_seconds = {PENDING_TTL}
[chains.litecoin]
family = "utxo"
network = "regtest"
{urls}
confirmations = 6
{extra}
"""
    if keys:
        text = f'[[api.keys]]\nname = "bot"\nsha256 = "{hashlib.sha256(API_KEY.encode()).hexdigest()}"\n' + text
    return AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=redis_url, source="test")


@pytest.fixture(scope="module", params=["node", "electrum"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every scenario below that uses `api` runs on both: same verdicts from a node and from ElectrumX."""
    return str(request.param)


@pytest.fixture(scope="module")
def api(
    backend: str, litecoind: Litecoind, redis_server: RedisServer, request: pytest.FixtureRequest
) -> Iterator[httpx.Client]:
    electrum = request.getfixturevalue("electrumx") if backend == "electrum" else None
    db = 1 if electrum else 0  # cached answers of one backend must not answer for the other
    config = make_config(litecoind.rpc_url, redis_server.url_for(db), electrum_url=electrum and electrum.url)
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.fixture
def mine(backend: str, litecoind: Litecoind, request: pytest.FixtureRequest) -> Callable[[int], list[str]]:
    """Mine blocks, and wait until the backend has seen them (ElectrumX indexes a new block within ~50 ms)."""

    def mine(n: int) -> list[str]:
        hashes = litecoind.mine(n)
        if backend == "electrum":
            request.getfixturevalue("electrumx").wait_synced()
        return hashes

    return mine


def check(api: httpx.Client, **body: object) -> dict:
    response = api.post("/v1/checks", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_bech32_deposit_from_mempool_to_confirmed(
    api: httpx.Client, litecoind: Litecoind, mine: Callable[[int], list[str]]
) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.5"))

    pending = check(api, tx_hash=txid, address=address, chain="litecoin")
    assert pending["status"] == "pending"
    assert pending["payments"] == [{"asset": "LTC", "amount": "0.5", "contract": None}]
    assert pending["block_height"] is None and pending["confirmations"] == 0
    assert "waiting" in pending["summary"]

    hashes = mine(1)
    time.sleep(PENDING_TTL)  # let the short cache entry of the pending verdict expire
    one = check(api, tx_hash=txid, address=address, chain="litecoin", expected_amount="0.5")
    assert (one["status"], one["confirmations"], one["required_confirmations"]) == ("confirming", 1, 6)
    assert one["block_hash"] == hashes[0]
    assert one["block_height"] == litecoind.cli("getblockcount")
    assert one["block_time"] is not None and one["amount_status"] == "exact"
    assert "1 of 6" in one["summary"]

    mine(5)
    time.sleep(PENDING_TTL)
    done = check(api, tx_hash=txid, address=address, chain="litecoin", expected_amount="0.5")
    assert (done["status"], done["confirmations"], done["final"]) == ("confirmed", 6, True)


def test_legacy_address_and_chain_picked_by_address_format(
    api: httpx.Client, litecoind: Litecoind, mine: Callable[[int], list[str]]
) -> None:
    address = litecoind.new_address("legacy")
    txid = litecoind.send(address, Decimal("1.23456789"))
    mine(1)
    body = check(api, tx_hash=txid.upper(), address=f"  {address} ")  # no chain; pasted with spaces
    assert body["chain"] == "litecoin" and body["chains_checked"] == ["litecoin"]
    assert body["tx_hash"] == txid and body["address"] == address
    assert body["payments"][0]["amount"] == "1.23456789"


def test_two_outputs_to_the_address_are_summed(api: httpx.Client, litecoind: Litecoind) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send_outputs(address, [Decimal("0.1"), Decimal("0.25")])
    body = check(api, tx_hash=txid, address=address, expected_amount="0.4")
    assert body["received_amount"] == "0.35" and body["amount_status"] == "under"
    assert "0.05 LTC less than the expected 0.4" in body["summary"]


def test_unknown_tx_is_not_found(api: httpx.Client, litecoind: Litecoind) -> None:
    body = check(api, tx_hash="ab" * 32, address=litecoind.new_address("bech32"), chain="litecoin")
    assert body["status"] == "not_found" and body["payments"] == []


def test_tx_to_another_address_is_wrong_address(api: httpx.Client, litecoind: Litecoind) -> None:
    txid = litecoind.send(litecoind.new_address("bech32"), Decimal("0.3"))
    ours = litecoind.new_address("bech32")
    body = check(api, tx_hash=txid, address=ours, chain="litecoin", expected_amount="0.3")
    assert body["status"] == "wrong_address" and body["amount_status"] is None
    assert ours in body["summary"]


def test_answers_are_cached_in_redis(
    api: httpx.Client, litecoind: Litecoind, redis_server: RedisServer, mine: Callable[[int], list[str]], backend: str
) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.01"))
    mine(6)
    first = api.post("/v1/checks", json={"tx_hash": txid, "address": address})
    second = api.post("/v1/checks", json={"tx_hash": txid, "address": address})
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.json() == second.json() and first.json()["status"] == "confirmed"
    client = redis_server.client(1 if backend == "electrum" else 0)
    ttls = [client.ttl(k) for k in client.scan_iter("dc:v1:*:answer:*")]
    assert any(300 < t <= 600 for t in ttls)  # a final verdict, kept for final_ttl_seconds


def test_cache_never_says_confirmed_before_the_chain_does(
    api: httpx.Client, litecoind: Litecoind, mine: Callable[[int], list[str]]
) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.02"))
    mine(5)
    assert check(api, tx_hash=txid, address=address)["status"] == "confirming"
    mine(1)  # now 6 of 6 on the chain
    seen = check(api, tx_hash=txid, address=address)  # may come from the cache: then it under-states
    assert seen["status"] in ("confirming", "confirmed")
    if seen["status"] == "confirming":
        assert seen["confirmations"] == 5
    time.sleep(PENDING_TTL)
    assert check(api, tx_hash=txid, address=address)["status"] == "confirmed"


SHAPED = "rltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdd3276w"  # a litecoin regtest address (its checksum right)


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"tx_hash": "xyz", "address": SHAPED, "chain": "litecoin"}, "invalid_tx_hash", "tx_hash: not a transaction"),
        ({"tx_hash": "ab" * 32, "address": "rltc1qnotanaddress"}, "invalid_address", "address: not a deposit address"),
        (
            {"tx_hash": "ab" * 32, "address": SHAPED[:-1] + "q", "chain": "litecoin"},
            "invalid_address",
            "litecoin regtest",
        ),
        (
            {"tx_hash": "ab" * 32, "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "chain": "litecoin"},
            "invalid_address",
            "litecoin regtest",
        ),
        (
            {"tx_hash": "ab" * 32, "address": "ltc1qg82dn7r2ruvdjvjmcvt8fc3wsxhrzrf4vphs3v"},
            "invalid_address",
            "configured chain",
        ),
        (
            {"tx_hash": "ab" * 32, "address": SHAPED, "chain": "dogecoin"},
            "unknown_chain",
            "configured chains: litecoin",
        ),
        (
            {"tx_hash": "ab" * 32, "address": "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfm"},
            "invalid_address",
            "any configured chain",
        ),
        ({"address": "x"}, "invalid_request", "tx_hash: Field required"),
        ({"tx_hash": "ab" * 32, "address": "x", "expected_amount": 0.1}, "invalid_request", "expected_amount"),
        ({"tx_hash": "ab" * 32, "address": "x", "expected_amount": "1e5"}, "invalid_request", "expected_amount"),
        ({"tx_hash": "ab" * 32, "address": "x", "surprise": 1}, "invalid_request", "surprise"),
    ],
)
def test_bad_input_is_a_422_that_says_what_is_wrong(api: httpx.Client, body: dict, code: str, words: str) -> None:
    response = api.post("/v1/checks", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"], error


def test_unknown_asset_and_too_many_decimals_are_422(api: httpx.Client, litecoind: Litecoind) -> None:
    address = litecoind.new_address("bech32")
    asset = api.post("/v1/checks", json={"tx_hash": "ab" * 32, "address": address, "asset": "DOGE"})
    assert asset.status_code == 422 and asset.json()["error"]["code"] == "unknown_asset"
    assert "LTC" in asset.json()["error"]["message"]
    decimals = api.post("/v1/checks", json={"tx_hash": "ab" * 32, "address": address, "expected_amount": "0.123456789"})
    assert decimals.status_code == 422 and "more than 8 decimals" in decimals.json()["error"]["message"]


def test_no_node_reachable_is_503_unavailable_never_not_found(litecoind: Litecoind) -> None:
    dead = make_config("http://u:p@127.0.0.1:9", None)
    with serve(create_app(dead)) as url, httpx.Client(base_url=url, timeout=30) as client:
        response = client.post("/v1/checks", json={"tx_hash": "ab" * 32, "address": litecoind.new_address("bech32")})
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable" and body["error"]["code"] == "unavailable"
        assert "u:p" not in response.text
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["chain:litecoin"].startswith("unavailable")
        # An unavailable answer is never cached: the next request asks the node again.
        assert (
            client.post(
                "/v1/checks", json={"tx_hash": "ab" * 32, "address": litecoind.new_address("bech32")}
            ).status_code
            == 503
        )


def test_health_and_readiness(api: httpx.Client) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"chain:litecoin": "ok", "store:redis": "ok"}


def test_readiness_fails_when_redis_is_down(litecoind: Litecoind) -> None:
    with serve(create_app(make_config(litecoind.rpc_url, "redis://127.0.0.1:9/0"))) as url:
        ready = httpx.get(f"{url}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["store:redis"].startswith("unavailable")
        # The check itself still answers truthfully without its cache.
        address = litecoind.new_address("bech32")
        txid = litecoind.send(address, Decimal("0.07"))
        body = httpx.post(f"{url}/v1/checks", json={"tx_hash": txid, "address": address}, timeout=30).json()
        assert body["status"] == "pending"


class TestAuth:
    @pytest.fixture(scope="class")
    @classmethod
    def url(cls, litecoind: Litecoind) -> Iterator[str]:
        with serve(create_app(make_config(litecoind.rpc_url, None, keys=True))) as url:
            yield url

    def test_anonymous(self, url: str) -> None:
        response = httpx.post(f"{url}/v1/checks", json={"tx_hash": "ab" * 32, "address": "x"})
        assert response.status_code == 401 and "Bearer" in response.json()["error"]["message"]

    def test_wrong_key(self, url: str) -> None:
        response = httpx.post(
            f"{url}/v1/checks", json={"tx_hash": "ab" * 32, "address": "x"}, headers={"Authorization": "Bearer nope"}
        )
        assert response.status_code == 401 and response.json()["error"]["message"] == "invalid API key"

    def test_valid(self, url: str, litecoind: Litecoind) -> None:
        response = httpx.post(
            f"{url}/v1/checks",
            json={"tx_hash": "ab" * 32, "address": litecoind.new_address("bech32")},
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        assert response.status_code == 200 and response.json()["status"] == "not_found"


async def test_no_keys_means_loopback_only(litecoind: Litecoind) -> None:
    app = create_app(make_config(litecoind.rpc_url, None))
    async with app.router.lifespan_context(app):
        body = {"tx_hash": "ab" * 32, "address": litecoind.new_address("bech32")}
        remote = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=remote, base_url="http://api") as client:
            response = await client.post("/v1/checks", json=body)
            assert response.status_code == 401 and "loopback" in response.json()["error"]["message"]
        local = httpx.ASGITransport(app=app, client=("127.0.0.1", 5555))
        async with httpx.AsyncClient(transport=local, base_url="http://api") as client:
            assert (await client.post("/v1/checks", json=body)).status_code == 200


def test_no_electrum_server_reachable_is_503_unavailable(litecoind: Litecoind) -> None:
    dead = make_config("", None, electrum_url=f"tcp://127.0.0.1:{free_port()}")
    with serve(create_app(dead)) as url, httpx.Client(base_url=url, timeout=30) as client:
        response = client.post("/v1/checks", json={"tx_hash": "ab" * 32, "address": litecoind.new_address("bech32")})
        assert response.status_code == 503 and response.json()["status"] == "unavailable"
        assert "cannot connect" in response.json()["error"]["message"]
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["chain:litecoin"].startswith("unavailable")
