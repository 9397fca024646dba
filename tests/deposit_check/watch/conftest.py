"""Fixtures for the watcher: a follower per test on a chain name of its own (its own Redis keys)."""

import itertools
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as redis

from deposit_check.chains.utxo import UtxoChain
from deposit_check.config import CacheConfig, UtxoChainConfig, WatchConfig
from deposit_check.keys import ChainKeys
from deposit_check.schemas import CheckRequest
from deposit_check.service import CheckService
from deposit_check.store import RedisStore
from deposit_check.watch.follower import Follower
from deposit_check.watch.registry import Registry
from desk_common.redis_connect import connect
from tests.conftest import RedisServer
from tests.helpers import CountingTransport

_names = itertools.count()
FAST = WatchConfig(poll_seconds=0.1, recheck_seconds=0.5, lease_seconds=3)


class Rig:
    """A chain, a follower on it, and the check service that registers watches, sharing one Redis."""

    def __init__(
        self,
        chain: Any,
        client: redis.Redis,
        redis_url: str,
        config: WatchConfig,
        owner: str = "test",
        names: dict[str, str] | None = None,
    ) -> None:
        """`names`: each chain's name for people, as FileConfig.display_names gives it to both."""
        self.chain = chain
        self.redis = client
        self.keys = ChainKeys(chain.name)
        self.config = config
        self.follower = Follower(chain, client, config, owner, names=names)
        self.service = CheckService(
            {chain.name: chain}, RedisStore(redis_url), CacheConfig(), Registry(client, config), names=names
        )

    async def check(self, tx_hash: str, address: str, watch: bool = True, **fields: Any) -> dict[str, Any]:
        body, self.last_cached = await self.service.check_json(
            CheckRequest(tx_hash=tx_hash, address=address, chain=self.chain.name, watch=watch, **fields)
        )
        return json.loads(body)

    async def events(self) -> list[dict[str, Any]]:
        out = []
        for _, fields in await self.redis.xrange(self.keys.events):
            event = {k.decode(): v.decode() for k, v in fields.items()}
            event["verdict"] = json.loads(event["verdict"])
            out.append(event)
        return out

    async def statuses(self) -> list[tuple[str, str, str, str]]:
        return [(e["type"], e["previous_status"], e["status"], e["generation"]) for e in await self.events()]


MakeRig = Callable[..., Rig]


@pytest.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[redis.Redis]:
    client = connect(redis_server.url)  # the services' factory: a cluster stand-in's URL too (tests/on_cluster.py)
    yield client
    await client.aclose()


@pytest.fixture
async def utxo_rig(litecoind: Any, redis_client: redis.Redis, redis_server: RedisServer) -> AsyncIterator[Rig]:
    transport = CountingTransport()
    config = UtxoChainConfig(
        family="utxo", coin="litecoin", network="regtest", rpc_urls=[litecoind.rpc_url], confirmations=6
    )
    chain = UtxoChain(f"ltc{next(_names)}", config, transport=transport)
    rig = Rig(chain, redis_client, redis_server.url, FAST)
    rig.transport = transport  # type: ignore[attr-defined]
    await rig.follower.step()  # the cursor starts at the current tip
    yield rig
    await chain.aclose()


@pytest.fixture(scope="module")
def own_anvil() -> Any:
    """An anvil of this module's own: its tests reorg and turn automine off."""
    from deposit_check.devnet.anvil import Anvil

    with Anvil(chain_id=31337) as node:
        yield node


@pytest.fixture
async def evm_rig(own_anvil: Any, redis_client: redis.Redis, redis_server: RedisServer) -> AsyncIterator[Rig]:
    from deposit_check.chains.evm import EvmChain
    from deposit_check.config import EvmChainConfig

    token = own_anvil.deploy_token("Tether USD (test)", "USDT", 6, own_anvil.accounts[0])
    config = EvmChainConfig(
        family="evm",
        chain_id=31337,
        rpc_urls=[own_anvil.rpc_url],
        confirmations=3,
        tokens=[{"symbol": "USDT", "contract": token, "decimals": 6}],
    )
    chain = EvmChain(f"eth{next(_names)}", config)
    rig = Rig(chain, redis_client, redis_server.url, FAST)
    rig.token = token  # type: ignore[attr-defined]
    await rig.follower.step()
    yield rig
    await chain.aclose()
