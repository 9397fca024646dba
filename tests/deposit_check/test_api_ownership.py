"""POST /v1/checks with the casino's ownership declared, end to end on a real litecoind, Redis and uvicorn.

The ownership index itself (Redis, xpubs, imports) is tested where it lives; here a dict stands in for it, but
for the cache's reading of the real index's version."""

import os
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
import redis
import redis.asyncio as aredis
from eth_utils import to_checksum_address

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.keys import ChainKeys
from deposit_check.ownership import UNDECLARED, Owner
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.build import build_ownership
from deposit_check.watch.state import Watch
from harness.redis_server import running_redis
from tests.conftest import RedisServer
from tests.deposit_check.owners import CODEC, DictOwnership
from tests.deposit_check.test_api_utxo import PENDING_TTL, check, make_config
from tests.helpers import dev_mode
from tests.servers import serve


@pytest.fixture(scope="module")
def ownership() -> DictOwnership:
    return DictOwnership()


@pytest.fixture(scope="module")
def api(litecoind: Litecoind, redis_server: RedisServer, ownership: DictOwnership) -> Iterator[httpx.Client]:
    ownership.declare("litecoin", litecoind.new_address("bech32"))  # ownership declared for litecoin
    app = create_app(make_config(litecoind.rpc_url, redis_server.url), ownership=ownership)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_a_deposit_to_the_casinos_address_is_confirmed_with_its_account(
    api: httpx.Client, litecoind: Litecoind, ownership: DictOwnership
) -> None:
    ours = litecoind.new_address("bech32")
    ownership.declare("litecoin", ours, "acct-7")
    txid = litecoind.send(ours, Decimal("0.5"))
    litecoind.mine(6)
    body = check(api, tx_hash=txid, address=ours, chain="litecoin", expected_amount="0.5")
    assert (body["status"], body["address_owner"], body["account"], body["final"]) == (
        "confirmed",
        "casino",
        "acct-7",
        True,
    )
    assert body["summary"] == "Your deposit of 0.5 LTC is confirmed on litecoin."


def test_the_players_own_address_is_not_our_address(api: httpx.Client, litecoind: Litecoind) -> None:
    players = litecoind.new_address("bech32")
    txid = litecoind.send(players, Decimal("0.5"))
    litecoind.mine(6)
    body = check(api, tx_hash=txid, address=players, expected_amount="0.5")
    assert (body["status"], body["address_owner"], body["account"], body["final"]) == (
        "not_our_address",
        "not_casino",
        None,
        True,
    )
    assert body["payments"] == [{"asset": "LTC", "amount": "0.5", "contract": None}]  # what it paid, still shown
    assert "not one of our deposit addresses" in body["summary"] and "confirmed" not in body["summary"]


def test_an_ownership_change_makes_cached_verdicts_unreachable(
    api: httpx.Client, litecoind: Litecoind, ownership: DictOwnership
) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.01"))
    litecoind.mine(6)
    first = api.post("/v1/checks", json={"tx_hash": txid, "address": address})
    assert first.json()["status"] == "not_our_address" and first.headers["x-cache"] == "miss"
    assert api.post("/v1/checks", json={"tx_hash": txid, "address": address}).headers["x-cache"] == "hit"
    ownership.declare("litecoin", address, "acct-9")  # imported later: a day-long final answer must not stand
    after = api.post("/v1/checks", json={"tx_hash": txid, "address": address})
    assert after.headers["x-cache"] == "miss"
    assert (after.json()["status"], after.json()["account"]) == ("confirmed", "acct-9")


def test_an_ownership_index_that_does_not_answer_is_503_never_unverified(
    api: httpx.Client, litecoind: Litecoind, ownership: DictOwnership
) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.01"))
    ownership.down = True
    try:
        response = api.post("/v1/checks", json={"tx_hash": txid, "address": address})
    finally:
        ownership.down = False
    assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"
    assert "ownership index unavailable" in response.json()["error"]["message"]


def test_without_ownership_the_address_is_unknown_as_before(litecoind: Litecoind) -> None:
    with serve(create_app(make_config(litecoind.rpc_url, None))) as url, httpx.Client(base_url=url, timeout=30) as api:
        address = litecoind.new_address("bech32")
        txid = litecoind.send(address, Decimal("0.5"))
        litecoind.mine(6)
        time.sleep(PENDING_TTL)
        body = check(api, tx_hash=txid, address=address)
        assert (body["status"], body["address_owner"], body["account"]) == ("confirmed", "unknown", None)
        assert body["summary"].endswith("We have not verified that this address is one of ours.")


@pytest.mark.anvil
def test_a_tx_not_found_yet_is_watched_on_each_chain_with_that_chains_owner(
    anvil: Anvil, anvil_other: Anvil, redis_server: RedisServer
) -> None:
    """An `0x` address is searched on every EVM chain; the tx may appear on either, each decided with its owner."""
    text = f"""
[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{anvil.rpc_url}"]
confirmations = 12
[chains.bsc]
family = "evm"
chain_id = 31338
symbol = "BNB"
rpc_urls = ["{anvil_other.rpc_url}"]
confirmations = 15
"""
    redis_url = f"redis://127.0.0.1:{redis_server.port}/14"  # a database of its own: no other test's watcher
    config = AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=redis_url, source="test")
    ownership = DictOwnership()
    address = to_checksum_address("0x" + os.urandom(20).hex())
    ownership.declare("ethereum", address, "acct-3")  # declared on ethereum only; bsc: nothing declared
    tx = "0x" + os.urandom(32).hex()
    with serve(create_app(config, ownership=ownership)) as url, httpx.Client(base_url=url, timeout=30) as api:
        body = check(api, tx_hash=tx, address=address, watch=True)
    assert (body["status"], body["watching"], body["address_owner"]) == ("not_found", True, "unknown")
    client = redis.Redis.from_url(redis_url)
    try:
        records = {chain: client.hget(ChainKeys(chain).watches, tx) for chain in ("ethereum", "bsc")}
        client.flushdb()
    finally:
        client.close()
    owners = {chain: Watch.from_json(raw).owner for chain, raw in records.items()}  # type: ignore[arg-type]
    # The record keeps the account sealed: never the reference itself.
    assert owners == {
        "ethereum": Owner(declared=True, ours=True, account=CODEC.seal_account("acct-3")),
        "bsc": UNDECLARED,
    }
    assert all(b"acct-3" not in raw for raw in records.values() if raw)


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    yield from running_redis()  # the index declares litecoin: not in the session's Redis, where others check it


async def test_an_import_by_another_process_makes_cached_verdicts_unreachable(
    litecoind: Litecoind, own_redis: RedisServer
) -> None:
    """The real index in the cache's Redis: a cached check reads the ownership version in the same MGET as
    the answer cached under the version it last saw; an import elsewhere bumps it and the answer is not served."""
    config = make_config(litecoind.rpc_url, own_redis.url, extra=f'[ownership]\nsecret = "{"s" * 32}"')
    client = aredis.Redis.from_url(own_redis.url)
    admin = OwnershipAdmin(build_ownership(config, client), dict(config.file.chains))
    ours, later = litecoind.new_address("bech32"), litecoind.new_address("bech32")
    await admin.put("litecoin", [(1, ours, "acct-1")])
    txid = litecoind.send(later, Decimal("0.01"))
    litecoind.mine(6)
    body = {"tx_hash": txid, "address": later, "chain": "litecoin"}
    try:
        with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as api:
            first = api.post("/v1/checks", json=body)
            assert (first.json()["status"], first.headers["x-cache"]) == ("not_our_address", "miss")
            assert api.post("/v1/checks", json=body).headers["x-cache"] == "hit"
            await admin.put("litecoin", [(1, later, "acct-2")])  # the CLI or another API process
            after = api.post("/v1/checks", json=body)
            assert after.headers["x-cache"] == "miss"
            assert (after.json()["status"], after.json()["account"]) == ("confirmed", "acct-2")
            again = api.post("/v1/checks", json=body)  # cached under the new version, found in one MGET
            assert (again.headers["x-cache"], again.json()["status"]) == ("hit", "confirmed")
    finally:
        await client.aclose()
