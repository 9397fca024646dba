"""An ownership index on each backend: a private Redis (flushed per test) and the in-process one."""

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from bitcoinlib.encoding import pubkeyhash_to_addr_bech32
from bitcoinlib.keys import HDKey
from bitcoinlib.mnemonic import Mnemonic
from eth_utils import to_checksum_address

from deposit_check.config import DEFAULT_CONFIG, AppConfig, parse_config
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.index import OwnershipIndex
from desk_common.redis_connect import connect
from harness.redis_server import RedisServer, running_redis
from tests.helpers import dev_mode

SECRET = "ownership-test-secret-0123456789"
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"


def account_key(path: str, network: str = "bitcoin", witness_type: str = "legacy") -> str:
    """The extended public key at `path` of anvil's mnemonic, as a wallet would export it."""
    root = HDKey.from_seed(Mnemonic().to_seed(ANVIL_MNEMONIC), network=network, witness_type=witness_type)
    return str(root.subkey_for_path(path).wif_public())


def config(extra: str = "", redis_url: str | None = None, head: str = "") -> AppConfig:
    """The built-in chains (litecoin regtest, anvil's chain id) with ownership on; `head` goes first (keys)."""
    text = head + DEFAULT_CONFIG + f'\n[ownership]\nsecret = "{SECRET}"\n' + extra
    return AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=redis_url, source="test")


def ltc_addresses(n: int) -> list[str]:
    """Random litecoin regtest bech32 (p2wpkh) addresses."""
    return [pubkeyhash_to_addr_bech32(os.urandom(20), prefix="rltc", witver=0) for _ in range(n)]


def evm_addresses(n: int) -> list[str]:
    return [to_checksum_address(os.urandom(20)) for _ in range(n)]


@pytest.fixture(scope="package")
def own_redis() -> Iterator[RedisServer]:
    yield from running_redis()


@pytest.fixture(params=["redis", "memory"])
async def index(request: pytest.FixtureRequest, own_redis: RedisServer) -> AsyncIterator[OwnershipIndex]:
    if request.param == "memory":
        built = build_ownership(config(), None)
        assert isinstance(built, OwnershipIndex)
        yield built
        return
    client = connect(own_redis.url)  # the services' factory: a cluster stand-in's URL too (tests/on_cluster.py)
    await client.flushdb()
    built = build_ownership(config(), client)
    assert isinstance(built, OwnershipIndex)
    yield built
    await client.aclose()


@pytest.fixture
def admin(index: OwnershipIndex) -> OwnershipAdmin:
    return OwnershipAdmin(index, dict(config().file.chains))
