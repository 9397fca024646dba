"""POST /v1/locate end to end: a tx hash with no address, on a real litecoind (regtest), a real anvil with a real
ERC-20, the TRON replay node (published answers) and a chain whose node is down, behind a real uvicorn."""

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from eth_utils import to_checksum_address

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind, free_port
from deposit_check.models import Asset
from harness.tron_replay import TronReplay, load_fixtures
from tests.deposit_check.owners import DictOwnership
from tests.deposit_check.tron.conftest import (
    OUT_OF_ENERGY_TX,
    USDT_BLOCK,
    USDT_BODY_ONLY_PAYEE,
    USDT_BODY_ONLY_TX,
    USDT_CONTRACT,
    USDT_PAYEE,
    USDT_TX,
)
from tests.helpers import dev_mode
from tests.servers import serve
from tests.stacks import ethereum_toml

pytestmark = pytest.mark.anvil

ETHER = 10**18
DEAD = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the "bsc" chain's node is down


def locate_config(litecoind: Litecoind, anvil: Anvil, usdt: Asset, tron_url: str, extra: str = "") -> AppConfig:
    text = f"""
[cache]
pending_ttl_seconds = 0.01
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{litecoind.rpc_url}"]
confirmations = 6
{ethereum_toml(anvil, usdt, 3)}[chains.bsc]
family = "evm"
chain_id = 56
rpc_urls = ["{DEAD}"]
confirmations = 15
timeout_seconds = 1
[chains.tron]
family = "tron"
http_urls = ["{tron_url}"]
timeout_seconds = 2
breaker_failures = 100
[[chains.tron.tokens]]
symbol = "USDT"
contract = "{USDT_CONTRACT}"
decimals = 6
{extra}
"""
    return AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=None, source="test")


@pytest.fixture(scope="module")
def tron() -> Iterator[TronReplay]:
    replay = TronReplay(load_fixtures("mainnet"), tip=USDT_BLOCK + 30, solidified=USDT_BLOCK + 11)
    yield replay
    replay.close()


@pytest.fixture(scope="module")
def ownership() -> DictOwnership:
    return DictOwnership()


@pytest.fixture(scope="module")
def api(
    litecoind: Litecoind, anvil: Anvil, usdt: Asset, tron: TronReplay, ownership: DictOwnership
) -> Iterator[httpx.Client]:
    ownership.declare("tron", USDT_PAYEE)
    ownership.declare("tron", USDT_BODY_ONLY_PAYEE)
    app = create_app(locate_config(litecoind, anvil, usdt, tron.url), ownership=ownership)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def locate(api: httpx.Client, **body: object) -> dict[str, Any]:
    response = api.post("/v1/locate", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def on(answer: dict[str, Any], chain: str) -> dict[str, Any]:
    [found] = [f for f in answer["found_on"] if f["chain"] == chain]
    return found


def evm_address() -> str:
    return to_checksum_address("0x" + os.urandom(20).hex())


def test_a_litecoin_txid_paying_a_casino_address_is_located_then_checked(
    api: httpx.Client, litecoind: Litecoind, ownership: DictOwnership
) -> None:
    casino = litecoind.new_address("bech32")
    ownership.declare("litecoin", casino)
    txid = litecoind.send(casino, Decimal("0.25"))
    pending = locate(api, tx_hash=txid)
    assert pending["found"] and [f["chain"] for f in pending["found_on"]] == ["litecoin"]
    found = on(pending, "litecoin")
    assert (found["status"], found["block_height"], found["confirmations"]) == ("pending", None, 0)
    assert found["casino_addresses"] == [{"address": casino, "assets": ["LTC"]}]
    assert found["other_recipients"] == 1 and found["ownership_declared"] is True  # the wallet's change
    assert "amount" not in str(found)  # a finding, never an amount to credit
    assert set(pending["not_found_on"]) == {"ethereum", "tron"} and pending["unavailable"] == ["bsc"]

    litecoind.mine(2)
    deeper = on(locate(api, tx_hash=txid.upper()), "litecoin")
    assert (deeper["status"], deeper["confirmations"], deeper["required_confirmations"]) == ("confirming", 2, 6)
    assert deeper["block_height"] == litecoind.cli("getblockcount") - 1 and deeper["block_time"] is not None

    # The address it gives is then checked as any claim: the verdict is the check's.
    check = api.post("/v1/checks", json={"tx_hash": txid, "address": casino, "chain": "litecoin"}).json()
    assert (check["status"], check["address_owner"], check["received_amount"]) == ("confirming", "casino", "0.25")


def test_a_litecoin_txid_paying_no_casino_address(api: httpx.Client, litecoind: Litecoind) -> None:
    players = litecoind.new_address("bech32")
    txid = litecoind.send(players, Decimal("0.5"))
    litecoind.mine(6)
    found = on(locate(api, tx_hash=txid), "litecoin")
    assert (found["status"], found["casino_addresses"], found["other_recipients"]) == ("confirmed", [], 2)
    assert found["ownership_declared"] is True


def test_a_hash_known_nowhere_is_not_found_with_the_chain_down_named(api: httpx.Client) -> None:
    answer = locate(api, tx_hash=os.urandom(32).hex())
    assert (answer["found"], answer["found_on"]) == (False, [])
    assert set(answer["not_found_on"]) == {"litecoin", "ethereum", "tron"}
    assert answer["unavailable"] == ["bsc"]  # down: never counted as "not found"


def test_a_chain_down_alone_is_unavailable_never_not_found(api: httpx.Client) -> None:
    response = api.post("/v1/locate", json={"tx_hash": os.urandom(32).hex(), "chain": "bsc"})
    assert response.status_code == 503, response.text
    assert response.json()["status"] == "unavailable"


def test_an_evm_hash_without_0x_is_located_on_anvil(
    api: httpx.Client, anvil: Anvil, usdt: Asset, ownership: DictOwnership
) -> None:
    casino, other = evm_address(), evm_address()
    ownership.declare("ethereum", casino)
    coin = anvil.send_eth(anvil.accounts[1], casino, ETHER)
    found = on(locate(api, tx_hash=coin.removeprefix("0x")), "ethereum")
    assert found["tx_hash"] == coin and found["status"] == "confirming"
    assert found["casino_addresses"] == [{"address": casino, "assets": ["ETH"]}]
    assert (found["other_recipients"], found["unseen_payments"]) == (0, False)

    token = anvil.token_transfer(usdt.contract, anvil.accounts[0], other, 5_000_000)  # type: ignore[arg-type]
    paid_other = on(locate(api, tx_hash=token), "ethereum")
    assert (paid_other["casino_addresses"], paid_other["other_recipients"]) == ([], 1)


def test_a_tron_tx_is_located_on_the_replay(api: httpx.Client) -> None:
    answer = locate(api, tx_hash=USDT_TX)
    found = on(answer, "tron")
    assert (found["status"], found["block_height"], found["confirmations"]) == ("confirmed", USDT_BLOCK, 31)
    assert found["casino_addresses"] == [{"address": USDT_PAYEE, "assets": ["USDT"]}]
    assert found["other_recipients"] == 0
    # Known only to the node the body came from, not mined there: what it will pay.
    pending = on(locate(api, tx_hash=USDT_BODY_ONLY_TX, chain="tron"), "tron")
    assert pending["status"] == "pending"
    assert pending["casino_addresses"] == [{"address": USDT_BODY_ONLY_PAYEE, "assets": ["USDT"]}]


def test_a_failed_tron_tx_paid_nobody(api: httpx.Client) -> None:
    found = on(locate(api, tx_hash=OUT_OF_ENERGY_TX), "tron")
    assert (found["status"], found["failure_reason"]) == ("failed", "OUT_OF_ENERGY")
    assert (found["casino_addresses"], found["other_recipients"], found["ownership_declared"]) == ([], 0, None)


def test_a_tron_node_down_is_unavailable(api: httpx.Client, tron: TronReplay) -> None:
    tron.down("503")
    try:
        answer = locate(api, tx_hash=USDT_TX)
        assert answer["found"] is False and set(answer["unavailable"]) == {"tron", "bsc"}
        assert set(answer["not_found_on"]) == {"litecoin", "ethereum"}
        refused = api.post("/v1/locate", json={"tx_hash": USDT_TX, "chain": "tron"})
        assert refused.status_code == 503
    finally:
        tron.up()
