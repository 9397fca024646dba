"""Session-wide real back-ends, started on free ports and torn down at the end: litecoind (regtest),
anvil (two chains) with a test token, and a private redis-server: thin fixtures over harness/."""

from collections.abc import Iterator

import pytest

from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.models import Asset
from harness.redis_server import RedisServer, running_redis

__all__ = ["RedisServer", "running_redis"]  # test modules import them from here (the code is in harness/)


@pytest.fixture(scope="session")
def litecoind() -> Iterator[Litecoind]:
    """A running litecoind -regtest -txindex with a wallet holding mature coins (101 blocks)."""
    node = Litecoind().start()
    try:
        node.fund("dev", blocks=101)
        yield node
    finally:
        node.close()


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    """The shared node, chain id 31337, automine on."""
    with Anvil(chain_id=31337) as node:
        yield node


@pytest.fixture(scope="session")
def anvil_other() -> Iterator[Anvil]:
    """Another chain (id 31338): a wrongly configured endpoint."""
    with Anvil(chain_id=31338) as node:
        yield node


@pytest.fixture(scope="session")
def usdt(anvil: Anvil) -> Asset:
    """A 6-decimal token on the allow-list; accounts[0] holds the supply."""
    contract = anvil.deploy_token("Tether USD (test)", "USDT", 6, anvil.accounts[0])
    return Asset("USDT", 6, contract)


@pytest.fixture(scope="session")
def fake_usdt(anvil: Anvil) -> str:
    """The same contract deployed again, NOT on the allow-list: its Transfer events are worthless."""
    return anvil.deploy_token("Tether USD", "USDT", 6, anvil.accounts[0])


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: schemathesis against a running service (runs in CI; bounded to minutes)")
