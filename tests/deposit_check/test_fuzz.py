"""Schemathesis against deposit_check served for real on litecoind and anvil: >= 1,000 cases, no 5xx."""

from collections.abc import Iterator

import pytest

from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.models import Asset
from tests.conftest import RedisServer
from tests.fuzz import fuzz
from tests.helpers import dev_mode
from tests.servers import serve

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def url(litecoind: Litecoind, anvil: Anvil, usdt: Asset, redis_server: RedisServer) -> Iterator[str]:
    text = f"""
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{litecoind.rpc_url}"]
confirmations = 6
[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{anvil.rpc_url}"]
confirmations = 12
[[chains.ethereum.tokens]]
symbol = "USDT"
decimals = 6
contract = "{usdt.contract}"
"""
    # No keys: loopback callers pass (dev mode). A database of its own for the watches fuzzing registers.
    config = AppConfig(
        file=parse_config(dev_mode(text), env={}), redis_url=f"redis://127.0.0.1:{redis_server.port}/11", source="test"
    )
    with serve(create_app(config)) as base:
        yield base


def test_no_generated_request_gets_a_server_error(url: str) -> None:
    report = fuzz(url, {"POST /v1/checks": 550}, default=10, conformance=True)
    assert report.cases["POST /v1/checks"] >= 1000, report
    assert not [s for s in report.statuses if s >= 500 and s != 503], report
    print(report)
