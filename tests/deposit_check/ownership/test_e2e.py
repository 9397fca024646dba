"""Ownership end to end through the real index: addresses declared through the admin API and an extended key
of a litecoind wallet (derived by `deposit-check addresses derive --once`), then deposits checked over HTTP.
Real litecoind, Redis and uvicorn; nothing stands in for the index."""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import redis

from deposit_check.app import create_app
from deposit_check.cli import main
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.litecoind import Litecoind
from harness.redis_server import RedisServer
from tests.deposit_check.ownership.conftest import SECRET, account_key
from tests.helpers import dev_mode
from tests.servers import serve
from tests.stacks import Key, litecoin_toml

DB = 8
ADMIN = Key("wallet-system", scopes=("admin",))
CHECKER = Key("bot", scopes=("check",))
TPUB = account_key("m/84'/1'/7'", network="testnet")  # the key the casino's (watch-only) wallet is built on
WALLET = "casino-hd"


def config_text(litecoind: Litecoind) -> str:
    return (
        ADMIN.toml()
        + CHECKER.toml()
        + litecoin_toml(litecoind, watch=False)
        + f'[cache]\npending_ttl_seconds = 0.2\n[ownership]\nsecret = "{SECRET}"\n'
        + f'[[ownership.xpubs.litecoin]]\nkey = "{TPUB}"\ngap = 20\nscript = "p2wpkh"\n'  # a tpub says no script
    )


@pytest.fixture(scope="module")
def wallet(litecoind: Litecoind) -> str:
    """A litecoind wallet of the casino's key: watch-only, its receive and change descriptors in its keypool,
    so that `getnewaddress` gives the wallet's next receive address (litecoind 0.21 has no descriptor wallets)."""
    litecoind.cli("createwallet", WALLET, True)  # disable_private_keys: the casino's hot wallet exports the xpub
    requests = []
    for branch in (0, 1):
        descriptor = litecoind.cli("getdescriptorinfo", f"wpkh({TPUB}/{branch}/*)")["descriptor"]
        requests.append(
            {"desc": descriptor, "range": [0, 50], "timestamp": "now", "keypool": True, "watchonly": True}
            | {"internal": branch == 1}
        )
    results = litecoind.cli("importmulti", requests, wallet=WALLET)
    assert all(r["success"] for r in results), results
    return WALLET


@pytest.fixture(scope="module")
def config_file(litecoind: Litecoind, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ownership-e2e") / "deposit_check.toml"
    path.write_text(config_text(litecoind))
    return path


@pytest.fixture(scope="module")
def redis_url(own_redis: RedisServer) -> str:
    url = f"redis://127.0.0.1:{own_redis.port}/{DB}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="module")
def api(config_file: Path, redis_url: str) -> Iterator[httpx.Client]:
    config = AppConfig(file=parse_config(dev_mode(config_file.read_text()), env={}), redis_url=redis_url, source="test")
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def check(api: httpx.Client, **body: object) -> dict:
    response = api.post("/v1/checks", json=body, headers=CHECKER.headers)
    assert response.status_code == 200, response.text
    return response.json()


def verdict_of(body: dict) -> tuple[object, ...]:
    return body["status"], body["address_owner"], body["account"], body["final"]


def test_an_address_imported_through_the_admin_api_is_the_casinos_with_its_account(
    api: httpx.Client, litecoind: Litecoind
) -> None:
    ours = litecoind.new_address("bech32")
    put = api.put(
        "/v1/addresses",
        json={"chain": "litecoin", "addresses": [{"address": ours, "account": "acct-e2e-1"}]},
        headers=ADMIN.headers,
    )
    assert put.status_code == 200, put.text
    assert (put.json()["added"], put.json()["updated"], put.json()["unchanged"]) == (1, 0, 0)
    assert (
        api.put("/v1/addresses", json={"chain": "litecoin", "addresses": []}, headers=CHECKER.headers).status_code
        == 403
    )
    txid = litecoind.send(ours, Decimal("0.5"))
    litecoind.mine(6)
    body = check(api, tx_hash=txid, address=ours, expected_amount="0.5")
    assert verdict_of(body) == ("confirmed", "casino", "acct-e2e-1", True)
    assert body["summary"] == "Your deposit of 0.5 LTC is confirmed on litecoin."
    looked = api.get(f"/v1/addresses/litecoin/{ours}", headers=ADMIN.headers).json()
    assert (looked["address_owner"], looked["account"]) == ("casino", "acct-e2e-1")


def test_a_deposit_to_the_players_own_address_is_not_our_address(api: httpx.Client, litecoind: Litecoind) -> None:
    players = litecoind.new_address("bech32")  # never declared: the player's own wallet
    txid = litecoind.send(players, Decimal("0.5"))
    litecoind.mine(6)
    body = check(api, tx_hash=txid, address=players, expected_amount="0.5")
    assert verdict_of(body) == ("not_our_address", "not_casino", None, True)
    assert body["payments"] == [{"asset": "LTC", "amount": "0.5", "contract": None}]
    assert "confirmed" not in body["summary"]


def test_a_deposit_to_the_wallets_next_receive_address_is_the_casinos_once_derived(
    api: httpx.Client,
    litecoind: Litecoind,
    wallet: str,
    config_file: Path,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    receive = litecoind.cli("getnewaddress", "", "bech32", wallet=wallet)
    change = litecoind.cli("getrawchangeaddress", "bech32", wallet=wallet)
    paid = {address: litecoind.send(address, Decimal("0.25")) for address in (receive, change)}
    litecoind.mine(6)
    # Not derived yet: the key is declared, so the address is not (yet) known to be ours. Never `confirmed`.
    before = check(api, tx_hash=paid[receive], address=receive)
    assert verdict_of(before) == ("not_our_address", "not_casino", None, True)
    monkeypatch.setenv("DEPOSIT_CHECK_CONFIG", str(config_file))
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert main(["addresses", "derive", "--once"]) == 0
    assert capsys.readouterr().out.strip() == "derived 40 addresses"  # 20 receive, 20 change
    # The derivation bumped the ownership version: the day-long cached `not_our_address` is not served again.
    for address, txid in paid.items():
        body = check(api, tx_hash=txid, address=address)
        assert verdict_of(body) == ("confirmed", "casino", None, True), address
    assert main(["addresses", "derive", "--once"]) == 0
    assert (
        capsys.readouterr().out.strip() == "derived 2 addresses"
    )  # index 0 of each branch was used: each gap moves on by one
