"""POST /v1/checks end to end on real anvil nodes (two chains), a real ERC-20 and a real uvicorn."""

import os
import time
from collections.abc import Iterator

import httpx
import pytest
from eth_utils import to_checksum_address

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.anvil import Anvil
from deposit_check.models import Asset
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.servers import serve

pytestmark = pytest.mark.anvil

ETHER = 10**18
PENDING_TTL = 0.2  # seconds a non-final verdict stays cached: short, so that waiting it out costs little


@pytest.fixture(scope="module")
def api(anvil: Anvil, anvil_other: Anvil, usdt: Asset, redis_server: RedisServer) -> Iterator[httpx.Client]:
    text = f"""
[cache]
pending_ttl_seconds = {PENDING_TTL}
[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{anvil.rpc_url}"]
confirmations = 12
[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "{usdt.contract}"
decimals = 6
[chains.bsc]
family = "evm"
chain_id = 31338
symbol = "BNB"
rpc_urls = ["{anvil_other.rpc_url}"]
confirmations = 15
"""
    config = AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=redis_server.url, source="test")
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def new_address() -> str:
    return to_checksum_address("0x" + os.urandom(20).hex())


def check(api: httpx.Client, **body: object) -> dict:
    response = api.post("/v1/checks", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_native_transfer_confirming_then_confirmed(api: httpx.Client, anvil: Anvil) -> None:
    casino = new_address()
    tx = anvil.send_eth(anvil.accounts[1], casino, 15 * ETHER // 10)
    first = check(api, tx_hash=tx, address=casino.lower(), chain="ethereum", expected_amount="1.5")
    assert (first["status"], first["confirmations"], first["required_confirmations"]) == ("confirming", 1, 12)
    assert first["address"] == casino  # normalized to the checksummed form
    assert first["payments"] == [{"asset": "ETH", "amount": "1.5", "contract": None}]
    assert first["amount_status"] == "exact" and first["block_time"] is not None
    anvil.mine(11)
    time.sleep(PENDING_TTL)  # the non-final verdict's short cache entry expires
    done = check(api, tx_hash=tx, address=casino, chain="ethereum", expected_amount="1.5")
    assert (done["status"], done["confirmations"], done["final"]) == ("confirmed", 12, True)


def test_usdt_transfer_with_six_decimals_and_shortfall(api: httpx.Client, anvil: Anvil, usdt: Asset) -> None:
    casino = new_address()
    tx = anvil.token_transfer(usdt.contract, anvil.accounts[0], casino, 249_500_000)  # type: ignore[arg-type]
    body = check(api, tx_hash=tx, address=casino, asset="usdt", expected_amount="250")
    assert body["chain"] == "ethereum" and body["chains_checked"] == ["ethereum"]  # only chains with USDT
    assert body["payments"] == [{"asset": "USDT", "amount": "249.5", "contract": usdt.contract}]
    assert (body["asset"], body["received_amount"], body["amount_status"]) == ("USDT", "249.5", "under")
    assert "0.5 USDT less than the expected 250" in body["summary"]


def test_evm_address_without_chain_is_looked_up_on_every_evm_chain(api: httpx.Client, anvil_other: Anvil) -> None:
    casino = new_address()
    tx = anvil_other.send_eth(anvil_other.accounts[2], casino, 3 * ETHER)
    body = check(api, tx_hash=tx, address=casino)
    assert sorted(body["chains_checked"]) == ["bsc", "ethereum"]
    assert body["chain"] == "bsc" and body["status"] == "confirming"
    assert body["payments"] == [{"asset": "BNB", "amount": "3", "contract": None}]


def test_tx_on_another_configured_chain_is_wrong_network(api: httpx.Client, anvil_other: Anvil) -> None:
    casino = new_address()
    tx = anvil_other.send_eth(anvil_other.accounts[3], casino, ETHER)
    body = check(api, tx_hash=tx, address=casino, chain="ethereum")
    assert (body["status"], body["chain"], body["found_on"]) == ("wrong_network", "ethereum", "bsc")
    assert "sent on bsc, not on ethereum" in body["summary"]


def test_reverted_transfer_is_failed(api: httpx.Client, anvil: Anvil, usdt: Asset) -> None:
    casino = new_address()
    poor = anvil.accounts[5]  # holds no USDT: the transfer reverts, mined thanks to a fixed gas limit
    tx = anvil.token_transfer(usdt.contract, poor, casino, 10**6, gas=100_000)  # type: ignore[arg-type]
    # anvil answers eth_sendTransaction before its block is sealed: under load a check can come first ("pending").
    assert anvil.receipt(tx)["status"] == "0x0"
    body = check(api, tx_hash=tx, address=casino, chain="ethereum")
    assert body["status"] == "failed" and body["payments"] == []
    assert "failed" in body["summary"]


def test_pending_tx_then_mined(api: httpx.Client, anvil: Anvil) -> None:
    casino = new_address()
    anvil.set_automine(False)
    try:
        tx = anvil.send_eth(anvil.accounts[4], casino, 2 * ETHER)
        pending = check(api, tx_hash=tx, address=casino, chain="ethereum")
        assert pending["status"] == "pending" and pending["block_height"] is None
        assert pending["payments"][0]["amount"] == "2"
        anvil.mine(1)
    finally:
        anvil.set_automine(True)
    time.sleep(PENDING_TTL)  # the pending verdict's short cache entry expires
    assert check(api, tx_hash=tx, address=casino, chain="ethereum")["status"] == "confirming"


def test_transfer_event_of_a_token_not_on_the_list_does_not_count(
    api: httpx.Client, anvil: Anvil, fake_usdt: str
) -> None:
    casino = new_address()
    tx = anvil.token_transfer(fake_usdt, anvil.accounts[0], casino, 10**9)
    body = check(api, tx_hash=tx, address=casino, chain="ethereum", expected_amount="1000")
    assert body["status"] == "wrong_address" and body["payments"] == []


def test_transfer_to_another_address_and_unknown_hash(api: httpx.Client, anvil: Anvil) -> None:
    tx = anvil.send_eth(anvil.accounts[6], new_address(), ETHER)
    assert check(api, tx_hash=tx, address=new_address(), chain="ethereum")["status"] == "wrong_address"
    unknown = check(api, tx_hash="0x" + "cd" * 32, address=new_address())
    assert unknown["status"] == "not_found" and unknown["chain"] is None
    assert sorted(unknown["chains_checked"]) == ["bsc", "ethereum"]


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (
            {"tx_hash": "0x1234", "address": "0x" + "11" * 20, "chain": "ethereum"},
            "invalid_tx_hash",
            "tx_hash: not a transaction hash: expected 64 hexadecimal",
        ),
        ({"tx_hash": "0x" + "ab" * 32, "address": "0x1234", "chain": "ethereum"}, "invalid_address", "40 hexadecimal"),
        (
            {"tx_hash": "0x" + "ab" * 32, "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79c8", "chain": "ethereum"},
            "invalid_address",
            "checksum",
        ),
        ({"tx_hash": "0x" + "ab" * 32, "address": "0x" + "11" * 20, "asset": "DOGE"}, "unknown_asset", "USDT"),
        (
            {"tx_hash": "0x" + "ab" * 32, "address": "0x" + "11" * 20, "chain": "bsc", "asset": "USDT"},
            "unknown_asset",
            "known: BNB",
        ),
        (
            {"tx_hash": "0x" + "ab" * 32, "address": "0x" + "11" * 20, "asset": "USDT", "expected_amount": "1.0000001"},
            "invalid_request",
            "more than 6 decimals",
        ),
    ],
)
def test_bad_input_is_a_422_that_says_what_is_wrong(api: httpx.Client, body: dict, code: str, words: str) -> None:
    response = api.post("/v1/checks", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"], error


def test_one_evm_chain_down_is_unavailable_not_not_found(anvil: Anvil) -> None:
    text = f"""
[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{anvil.rpc_url}"]
confirmations = 12
[chains.polygon]
family = "evm"
chain_id = 137
rpc_urls = ["http://127.0.0.1:9"]
confirmations = 64
"""
    config = AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=None, source="test")
    with serve(create_app(config)) as url:
        # Unknown on ethereum, polygon did not answer: it might be there, so we do not know.
        response = httpx.post(
            f"{url}/v1/checks", json={"tx_hash": "0x" + "ef" * 32, "address": new_address()}, timeout=30
        )
        assert response.status_code == 503 and response.json()["status"] == "unavailable"
        # Found on ethereum: polygon being down does not matter.
        casino = new_address()
        tx = anvil.send_eth(anvil.accounts[7], casino, ETHER)
        response = httpx.post(f"{url}/v1/checks", json={"tx_hash": tx, "address": casino}, timeout=30)
        assert response.status_code == 200 and response.json()["status"] == "confirming"


# -- the asked asset (issue 11): never "confirmed" with 0 -----------------------------------------


def test_one_wei_of_eth_where_usdt_was_asked_is_wrong_asset(api: httpx.Client, anvil: Anvil, usdt: Asset) -> None:
    casino = new_address()
    tx = anvil.send_eth(anvil.accounts[1], casino, 1)
    anvil.mine(12)  # deep enough that only the asset can keep it from "confirmed"
    body = check(api, tx_hash=tx, address=casino, chain="ethereum", asset="USDT", expected_amount="250")
    assert (body["status"], body["final"], body["asset"]) == ("wrong_asset", True, "USDT")
    assert body["received_amount"] is None and body["amount_status"] is None
    assert body["payments"] == [{"asset": "ETH", "amount": "0.000000000000000001", "contract": None}]
    assert "confirmed" not in body["summary"] and "but no USDT" in body["summary"]
    # The final answer is cached: asked again, the same verdict, never a "confirmed".
    again = api.post("/v1/checks", json={"tx_hash": tx, "address": casino, "chain": "ethereum", "asset": "USDT"})
    assert again.json()["status"] == "wrong_asset"


def test_usdt_where_eth_was_asked_is_wrong_asset(api: httpx.Client, anvil: Anvil, usdt: Asset) -> None:
    casino = new_address()
    tx = anvil.token_transfer(usdt.contract, anvil.accounts[0], casino, 250_000_000)  # type: ignore[arg-type]
    body = check(api, tx_hash=tx, address=casino, chain="ethereum", asset="ETH", expected_amount="0.1")
    assert (body["status"], body["final"], body["asset"], body["received_amount"]) == ("wrong_asset", True, "ETH", None)
    assert body["payments"] == [{"asset": "USDT", "amount": "250", "contract": usdt.contract}]
    assert body["address_owner"] == "unknown" and body["account"] is None  # no ownership declared here
    # The same tx asked about USDT pays it: confirming, with the unverified ownership said.
    usdt_body = check(api, tx_hash=tx, address=casino, chain="ethereum", asset="USDT", expected_amount="250")
    assert (usdt_body["status"], usdt_body["received_amount"]) == ("confirming", "250")
    assert "not verified" in usdt_body["summary"]
