"""The follower on TRON against the replay node: a published block (testnet 13232131, two TRX transfers of 5,000
TRX) read in two node calls, its payments to an owned address indexed and announced once, a watched deposit
in it announced once, a node outage waited out with no event.

What the published material allows, and what it does not: only one TRON block with its transactions was ever
published whole, and its parent only by id (its `parentHash`). So the follower is started at that parent
(cursor = the published parent id) with the replay's tip on the block; it cannot be walked on to later
blocks (none published), nor through a reorg, nor to 19 confirmations. The block's transactions have no
published `gettransactioninfobyid`: to the replay node they are known (as the block carries them) without
their result, which is what the node's answer reads as (`pending`), and a watched one goes `not_found` ->
`pending`, where a live node would say `confirming`. Confirmation on solidification is tested on a check
(tests/deposit_check/tron/test_chain.py), not through the follower.
"""

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as redis

from deposit_check.chains.tron import TronChain
from deposit_check.chains.tron.address import from_hex
from deposit_check.config import LookupsConfig
from deposit_check.errors import NodeUnavailable
from deposit_check.keys import ChainKeys
from deposit_check.lookups.watcher_index import Seen
from deposit_check.models import BlockRef
from deposit_check.watch.follower import Follower
from harness.tron_replay import FIXTURES, TronReplay, load_fixtures
from tests.conftest import RedisServer
from tests.deposit_check.owners import DictOwnership
from tests.deposit_check.tron.conftest import tron_config
from tests.deposit_check.watch.conftest import FAST, Rig

BLOCK = json.loads((FIXTURES / "blocks" / "block_13232131.json").read_text())["response"]
HEIGHT = 13232131
BLOCK_ID = BLOCK["blockID"]
PARENT_ID = BLOCK["block_header"]["raw_data"]["parentHash"]
PAID_TX, OTHER_TX, TOKEN_CALL = (tx["txID"] for tx in BLOCK["transactions"])
PAID = from_hex(BLOCK["transactions"][0]["raw_data"]["contract"][0]["parameter"]["value"]["to_address"])
OTHER = from_hex(BLOCK["transactions"][1]["raw_data"]["contract"][0]["parameter"]["value"]["to_address"])
CONFIG = LookupsConfig()
_names = itertools.count()


@pytest.fixture
def replay() -> Iterator[TronReplay]:
    node = TronReplay(load_fixtures("testnet-2021"), tip=HEIGHT - 1, solidified=HEIGHT - 20)
    yield node
    node.close()


@pytest.fixture
async def rig(replay: TronReplay, redis_server: RedisServer) -> AsyncIterator[Rig]:
    client = redis.Redis.from_url(redis_server.url)
    # The block is the 2021 testnet's, whose genesis answer was never published: the network check is off.
    chain = TronChain(f"tron{next(_names)}", tron_config(replay.url), network_check=False)
    made = Rig(chain, client, redis_server.url, FAST)
    ownership = DictOwnership()
    ownership.declare(chain.name, PAID)  # the casino's address: the first transfer's recipient
    made.ownership = ownership  # type: ignore[attr-defined]
    made.service.ownership = ownership
    made.follower = Follower(chain, client, FAST, "test", ownership=ownership, lookups=CONFIG)
    # Start at the block's parent, by the id the block names: the one earlier block anyone can point to.
    await client.set(ChainKeys(chain.name).cursor, f"{HEIGHT - 1}:{PARENT_ID}")
    yield made
    await chain.aclose()
    await client.aclose()


async def seen(rig: Rig) -> list[dict[str, Any]]:
    return [e for e in await rig.events() if e["type"] == "deposit_seen"]


async def test_a_published_block_is_read_in_two_calls_and_its_owned_payment_announced_once(
    rig: Rig, replay: TronReplay
) -> None:
    replay.set_heights(tip=HEIGHT, solidified=HEIGHT - 19)
    replay.reset_counts()
    assert await rig.follower.step()
    counts = replay.counts()
    # The head (getnodeinfo) once a round; the block: getblockbyid + gettransactioninfobyblocknum, nothing else.
    assert counts == {"/wallet/getnodeinfo": 1, "/wallet/getblockbyid": 1, "/wallet/gettransactioninfobyblocknum": 1}
    [event] = await seen(rig)
    assert (event["tx_hash"], event["status"]) == (PAID_TX, "confirming")
    verdict = event["verdict"]
    assert (verdict["address"], verdict["block_height"], verdict["confirmations"]) == (PAID, HEIGHT, 1)
    assert verdict["payments"] == [{"asset": "TRX", "amount": "5000", "contract": None}]
    assert await rig.redis.get(rig.keys.cursor) == f"{HEIGHT}:{BLOCK_ID}".encode()
    # Again: the head has not moved, so no block call and no second event.
    replay.reset_counts()
    await rig.follower.step()
    assert replay.counts() == {"/wallet/getnodeinfo": 1} and len(await seen(rig)) == 1
    # Only the owned address is indexed: the other transfer's recipient and the token call are not.
    assert [e["tx_hash"] for e in await rig.events()] == [PAID_TX]


async def test_the_index_holds_the_payment_at_its_block(rig: Rig, replay: TronReplay) -> None:
    """The entry a lookup's `watcher` source reads (lookups/watcher_index.py). A lookup itself would not show it:
    the block is from 2021, far outside any `watcher_window_hours` (at most 400 days)."""
    replay.set_heights(tip=HEIGHT, solidified=HEIGHT - 19)
    await rig.follower.step()
    [(raw, score)] = await rig.redis.zrange(rig.keys.seen(PAID), 0, -1, withscores=True)
    entry = Seen.from_json(PAID, raw)
    assert (entry.tx_hash, entry.block, score) == (PAID_TX, BlockRef(HEIGHT, BLOCK_ID), HEIGHT)
    assert [(p.asset.symbol, p.amount) for p in entry.payments] == [("TRX", 5_000_000_000)]
    assert await rig.redis.zcard(rig.keys.seen(OTHER)) == 0  # not the casino's: not indexed


async def test_a_watched_deposit_in_the_block_is_announced_once(rig: Rig, replay: TronReplay) -> None:
    rig.ownership.declare(rig.chain.name, OTHER)  # type: ignore[attr-defined]
    before = await rig.check(OTHER_TX, OTHER)  # the block is above the node's tip: not found yet, watched
    assert (before["status"], before["watching"]) == ("not_found", True)
    replay.set_heights(tip=HEIGHT, solidified=HEIGHT - 19)
    replay.reset_counts()
    await rig.follower.step()
    # The block's two calls, then the watched tx asked about in one round trip (tx, info, heads).
    assert replay.count("/wallet/getblockbyid") == 1 and replay.count("/wallet/gettransactionbyid") == 1
    [event] = [e for e in await rig.events() if e["type"] == "status"]
    assert (event["tx_hash"], event["previous_status"], event["status"]) == (OTHER_TX, "not_found", "pending")
    assert event["verdict"]["payments"] == [{"asset": "TRX", "amount": "5000", "contract": None}]
    for _ in range(2):
        await rig.follower.step()
    assert len([e for e in await rig.events() if e["type"] == "status"]) == 1


async def test_a_node_down_makes_the_follower_wait_with_no_event(rig: Rig, replay: TronReplay) -> None:
    replay.set_heights(tip=HEIGHT, solidified=HEIGHT - 19)
    replay.down("503")
    with pytest.raises(NodeUnavailable):
        await rig.follower.step()
    assert await rig.events() == []
    assert await rig.redis.get(rig.keys.cursor) == f"{HEIGHT - 1}:{PARENT_ID}".encode()
    replay.up()
    await rig.follower.step()
    assert [e["tx_hash"] for e in await seen(rig)] == [PAID_TX]
