"""The watcher on a chain with a quorum: never "confirmed" from the height alone."""

import itertools
from decimal import Decimal

import redis.asyncio as redis

from deposit_check.chains.utxo import UtxoChain
from deposit_check.config import UtxoChainConfig
from deposit_check.devnet.litecoind import Litecoind, free_port
from tests.conftest import RedisServer
from tests.deposit_check.watch.conftest import FAST, Rig

_names = itertools.count()


async def rig_on(urls: list[str], client: redis.Redis, server: RedisServer) -> Rig:
    config = UtxoChainConfig(
        family="utxo", coin="litecoin", network="regtest", rpc_urls=urls, confirmations=6, quorum=2
    )
    rig = Rig(UtxoChain(f"ltcq{next(_names)}", config), client, server.url, FAST)
    await rig.follower.step()
    return rig


async def test_one_node_answering_is_held_at_confirming(
    litecoind: Litecoind, redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    rig = await rig_on([litecoind.rpc_url, f"http://u:p@127.0.0.1:{free_port()}/"], redis_client, redis_server)
    try:
        address = litecoind.new_address()
        txid = litecoind.send(address, Decimal("0.2"))
        assert (await rig.check(txid, address))["status"] == "pending"
        litecoind.mine(1)
        await rig.follower.step()
        litecoind.mine(7)
        await rig.follower.step()
        assert [s[1:3] for s in await rig.statuses()] == [("pending", "confirming")]
    finally:
        await rig.chain.aclose()


async def test_two_nodes_agreeing_confirm(
    litecoind: Litecoind, redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    # Two names of one node: they always agree.
    rig = await rig_on([litecoind.rpc_url, litecoind.rpc_url.rstrip("/")], redis_client, redis_server)
    try:
        address = litecoind.new_address()
        txid = litecoind.send(address, Decimal("0.2"))
        await rig.check(txid, address)
        litecoind.mine(1)
        await rig.follower.step()
        litecoind.mine(5)
        await rig.follower.step()
        assert [s[1:3] for s in await rig.statuses()] == [("pending", "confirming"), ("confirming", "confirmed")]
    finally:
        await rig.chain.aclose()
