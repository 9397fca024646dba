"""POST /v1/checks end to end with a TRON chain (the replay node) beside an EVM chain (a real anvil and
ERC-20): picking TRON by its address, and the most common player mistake, USDT sent on the other network."""

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from eth_utils.address import to_checksum_address

from deposit_check.app import create_app
from deposit_check.chains.tron.address import to_hex
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.anvil import Anvil
from deposit_check.models import Asset
from harness.tron_replay import TronReplay, load_fixtures
from tests.deposit_check.tron.conftest import OUT_OF_ENERGY_TX, USDT_BLOCK, USDT_CONTRACT, USDT_PAYEE, USDT_TX
from tests.helpers import dev_mode
from tests.servers import serve
from tests.stacks import ethereum_toml

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def node() -> Iterator[TronReplay]:
    replay = TronReplay(load_fixtures("mainnet"), tip=USDT_BLOCK + 30, solidified=USDT_BLOCK + 11)
    yield replay
    replay.close()


@pytest.fixture(scope="module")
def api(node: TronReplay, anvil: Anvil, usdt: Asset) -> Iterator[httpx.Client]:
    text = f"""
[cache]
pending_ttl_seconds = 0.01
final_ttl_seconds = 0
{ethereum_toml(anvil, usdt, 1)}[chains.tron]
family = "tron"
display_name = "TRON (TRC-20)"
http_urls = ["{node.url}"]
timeout_seconds = 2
breaker_failures = 100
[[chains.tron.tokens]]
symbol = "USDT"
contract = "{USDT_CONTRACT}"
decimals = 6
"""
    config = AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=None, source="test")
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def check(api: httpx.Client, **body: object) -> dict[str, Any]:
    response = api.post("/v1/checks", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_tron_address_picks_the_tron_chain_and_hex_is_normalized(api: httpx.Client) -> None:
    body = check(api, tx_hash=USDT_TX, address=to_hex(USDT_PAYEE), asset="USDT", expected_amount="3.5")
    assert (body["status"], body["chain"], body["chains_checked"]) == ("confirmed", "tron", ["tron"])
    assert (body["chain_display"], body["found_on_display"]) == ("TRON (TRC-20)", None)
    assert body["address"] == USDT_PAYEE and body["tx_hash"] == USDT_TX
    assert body["payments"] == [{"asset": "USDT", "amount": "3.5", "contract": USDT_CONTRACT}]
    assert (body["confirmations"], body["required_confirmations"], body["amount_status"]) == (31, 19, "exact")
    assert body["block_height"] == USDT_BLOCK and body["block_hash"] is None and body["final"]


def test_out_of_energy_says_why(api: httpx.Client) -> None:
    body = check(api, tx_hash=OUT_OF_ENERGY_TX, address=USDT_PAYEE)
    assert (body["status"], body["failure_reason"], body["received_amount"]) == ("failed", "OUT_OF_ENERGY", None)
    assert "OUT_OF_ENERGY" in body["summary"]


def test_a_trc20_hash_asked_on_the_evm_chain_is_wrong_network_and_credits_nothing(api: httpx.Client) -> None:
    casino = to_checksum_address("0x" + os.urandom(20).hex())
    body = check(api, tx_hash=USDT_TX, address=casino, chain="ethereum", asset="USDT", expected_amount="3.5")
    assert (body["status"], body["chain"], body["found_on"]) == ("wrong_network", "ethereum", "tron")
    assert body["payments"] == [] and body["received_amount"] is None and body["amount_status"] is None
    assert body["address"] == casino and "sent on TRON (TRC-20), not on ethereum" in body["summary"]
    # People's names for both networks: TRON's display name, and Ethereum's chain name (it has no display name).
    assert (body["chain_display"], body["found_on_display"]) == ("ethereum", "TRON (TRC-20)")
    # No chain named: the 0x address asks the EVM chain, and the hash is found on TRON all the same.
    unnamed = check(api, tx_hash="0x" + USDT_TX, address=casino)
    assert (unnamed["status"], unnamed["found_on"]) == ("wrong_network", "tron")


def test_an_erc20_hash_asked_on_tron_is_wrong_network(api: httpx.Client, anvil: Anvil, usdt: Asset) -> None:
    player = to_checksum_address("0x" + os.urandom(20).hex())
    tx = anvil.token_transfer(usdt.contract, anvil.accounts[0], player, 100_000_000)  # type: ignore[arg-type]
    anvil.mine(1)
    body = check(api, tx_hash=tx, address=USDT_PAYEE, chain="tron", asset="USDT", expected_amount="100")
    assert (body["status"], body["chain"], body["found_on"]) == ("wrong_network", "tron", "ethereum")
    assert body["payments"] == [] and body["received_amount"] is None and body["address"] == USDT_PAYEE


def test_an_unknown_hash_on_tron_is_not_found_on_either(api: httpx.Client) -> None:
    body = check(api, tx_hash="cd" * 32, address=USDT_PAYEE)
    assert (body["status"], body["chain"], body["found_on"]) == ("not_found", "tron", None)


def test_an_evm_address_is_not_taken_for_tron(api: httpx.Client) -> None:
    same_key = "0x" + to_hex(USDT_PAYEE)[2:]
    response = api.post("/v1/checks", json={"tx_hash": USDT_TX, "address": same_key, "chain": "tron"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_address"
    assert "EVM address" in response.json()["error"]["message"]


def test_the_tron_node_down_is_503(api: httpx.Client, node: TronReplay) -> None:
    node.down("503")
    try:
        response = api.post("/v1/checks", json={"tx_hash": "ef" * 32, "address": USDT_PAYEE})
        assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"
    finally:
        node.up()
