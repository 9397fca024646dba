"""Attacks on the verdict by a hostile player, who chooses both the tx hash and the address (issue 11).

Each one tried as the player would, against the real nodes: the answer must never read as "credit it"."""

import os
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from eth_utils import to_checksum_address

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.models import Asset
from tests.conftest import RedisServer
from tests.deposit_check.owners import DictOwnership
from tests.deposit_check.test_api_utxo import make_config
from tests.helpers import dev_mode
from tests.servers import serve


def ask(api: httpx.Client, **body: object) -> dict:
    response = api.post("/v1/checks", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def litecoin_api(litecoind: Litecoind, redis_server: RedisServer) -> Iterator[tuple[httpx.Client, DictOwnership]]:
    ownership = DictOwnership()
    ownership.declare("litecoin", litecoind.new_address("bech32"), "acct-1")  # the casino's, not the player's
    app = create_app(make_config(litecoind.rpc_url, redis_server.url), ownership=ownership)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, ownership


def test_a_self_payment_claimed_as_a_deposit_is_not_our_address(
    litecoin_api: tuple[httpx.Client, DictOwnership], litecoind: Litecoind
) -> None:
    api, _ = litecoin_api
    own = litecoind.new_address("bech32")  # the player's own wallet address
    txid = litecoind.send(own, Decimal("2"))
    litecoind.mine(6)
    for body in ({"chain": "litecoin"}, {}, {"expected_amount": "2"}, {"watch": False}):
        verdict = ask(api, tx_hash=txid, address=own, **body)
        assert (verdict["status"], verdict["address_owner"], verdict["account"]) == (
            "not_our_address",
            "not_casino",
            None,
        )
        assert "confirmed" not in verdict["summary"] and "credited" not in verdict["summary"].replace(
            "cannot be credited", ""
        )


def test_a_self_payment_cannot_borrow_the_casinos_account(
    litecoin_api: tuple[httpx.Client, DictOwnership], litecoind: Litecoind
) -> None:
    """The address chooses the account, never the player: another address in the same tx earns nothing."""
    api, ownership = litecoin_api
    casino = litecoind.new_address("bech32")
    ownership.declare("litecoin", casino, "acct-2")
    own = litecoind.new_address("bech32")
    txid = litecoind.send(own, Decimal("1"))  # pays only the player's own address
    litecoind.mine(6)
    verdict = ask(api, tx_hash=txid, address=casino)  # claimed against the casino's address
    assert verdict["status"] == "wrong_address" and verdict["account"] == "acct-2"  # nothing reached it


@pytest.fixture(scope="module")
def ethereum_api(anvil: Anvil, usdt: Asset, redis_server: RedisServer) -> Iterator[httpx.Client]:
    text = f"""
[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{anvil.rpc_url}"]
confirmations = 2
[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "{usdt.contract}"
decimals = 6
"""
    config = AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=redis_server.url, source="test")
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.mark.anvil
def test_one_wei_passed_off_as_a_usdt_deposit_is_wrong_asset_never_confirmed_with_0(
    ethereum_api: httpx.Client, anvil: Anvil
) -> None:
    casino = to_checksum_address("0x" + os.urandom(20).hex())
    tx = anvil.send_eth(anvil.accounts[3], casino, 1)
    anvil.mine(2)
    for asked in ({"asset": "USDT", "expected_amount": "250"}, {"asset": "usdt"}):
        verdict = ask(ethereum_api, tx_hash=tx, address=casino, **asked)
        assert (verdict["status"], verdict["final"]) == ("wrong_asset", True)
        assert verdict["received_amount"] is None and "confirmed" not in verdict["summary"]
    # Asked about nothing in particular, it is the 1 wei that was paid: never "0" of anything.
    plain = ask(ethereum_api, tx_hash=tx, address=casino)
    assert (plain["status"], plain["asset"], plain["received_amount"]) == ("confirmed", "ETH", "0.000000000000000001")


@pytest.mark.anvil
def test_a_zero_usdt_transfer_pays_nothing(ethereum_api: httpx.Client, anvil: Anvil, usdt: Asset) -> None:
    casino = to_checksum_address("0x" + os.urandom(20).hex())
    tx = anvil.token_transfer(usdt.contract, anvil.accounts[0], casino, 0)  # type: ignore[arg-type]
    anvil.mine(2)
    verdict = ask(ethereum_api, tx_hash=tx, address=casino, asset="USDT", expected_amount="250")
    assert verdict["status"] == "wrong_address"  # a transfer of 0 reaches the address with nothing
    assert verdict["received_amount"] is None
