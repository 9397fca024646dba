"""The watcher on a real litecoind: mined, confirmed, reorged, replaced, found late, expired."""

import time
from decimal import Decimal
from typing import Any

import pytest

from deposit_check.chains.utxo import UtxoChain
from deposit_check.config import UtxoChainConfig
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.keys import STREAMS, ChainKeys
from deposit_check.models import Status
from deposit_check.watch.state import Watch
from tests.conftest import RedisServer
from tests.deposit_check.watch.conftest import FAST, Rig


async def test_pending_to_confirming_to_confirmed_with_two_node_calls_per_block(
    utxo_rig: Rig, litecoind: Litecoind
) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.4"))
    first = await utxo_rig.check(txid, address, expected_amount="0.4")
    assert first["status"] == "pending" and first["watching"] is True

    litecoind.mine(1)
    before = utxo_rig.transport.requests  # type: ignore[attr-defined]
    await utxo_rig.follower.step()
    # head + block, + one observe_many for the one watched tx the block holds.
    assert utxo_rig.transport.requests - before == 3  # type: ignore[attr-defined]
    assert await utxo_rig.statuses() == [("status", "pending", "confirming", "0")]

    litecoind.mine(4)
    await utxo_rig.follower.step()
    assert len(await utxo_rig.events()) == 1  # 5 of 6: no status change, no event
    litecoind.mine(1)
    before = utxo_rig.transport.requests  # type: ignore[attr-defined]
    await utxo_rig.follower.step()
    # The confirmation follows from the height: head + block, nothing asked about the tx itself.
    assert utxo_rig.transport.requests - before == 2  # type: ignore[attr-defined]
    events = await utxo_rig.events()
    assert [(e["previous_status"], e["status"]) for e in events] == [
        ("pending", "confirming"),
        ("confirming", "confirmed"),
    ]
    verdict = events[-1]["verdict"]
    assert (verdict["confirmations"], verdict["amount_status"], verdict["received_amount"]) == (6, "exact", "0.4")


async def test_blocks_without_watched_txs_cost_two_calls_and_write_nothing(utxo_rig: Rig, litecoind: Litecoind) -> None:
    litecoind.send(litecoind.new_address("bech32"), Decimal("0.1"))  # not watched
    litecoind.mine(1)
    before = utxo_rig.transport.requests  # type: ignore[attr-defined]
    await utxo_rig.follower.step()
    assert utxo_rig.transport.requests - before == 2  # type: ignore[attr-defined]
    assert await utxo_rig.events() == []


async def test_several_blocks_at_once_are_each_processed(utxo_rig: Rig, litecoind: Litecoind) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.2"))
    await utxo_rig.check(txid, address)
    hashes = litecoind.mine(7)  # the follower was away: it catches up block by block
    await utxo_rig.follower.step()
    # The tx is looked at when its block is processed, at the node's tip of then: already confirmed.
    assert [s[1:3] for s in await utxo_rig.statuses()] == [("pending", "confirmed")]
    assert (await utxo_rig.redis.get(utxo_rig.keys.cursor)).decode().endswith(hashes[-1])
    assert await utxo_rig.redis.zcount(utxo_rig.keys.blocks, "-inf", "+inf") >= 7


async def test_reorg_takes_the_confirmation_back_and_a_new_generation_confirms_again(
    utxo_rig: Rig, litecoind: Litecoind
) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.3"))
    block = litecoind.mine(1)[0]
    litecoind.mine(5)
    assert (await utxo_rig.check(txid, address))["status"] == "confirmed"
    await utxo_rig.follower.step()
    assert (await utxo_rig.check(txid, address, watch=False))["status"] == "confirmed"
    assert utxo_rig.last_cached  # a final verdict, served from the cache for a day...

    litecoind.cli("invalidateblock", block)  # the tx goes back to the mempool
    await utxo_rig.follower.step()
    # ...until a reorg takes it back: then the cache is not trusted for it any more.
    assert (await utxo_rig.check(txid, address, watch=False))["status"] == "pending"
    assert not utxo_rig.last_cached
    events = await utxo_rig.events()
    assert [(e["type"], e["previous_status"], e["status"], e["generation"]) for e in events] == [
        ("reorg", "confirmed", "pending", "1")
    ]

    litecoind.cli("reconsiderblock", block)
    await utxo_rig.follower.step()
    events = await utxo_rig.events()
    assert [(e["previous_status"], e["status"], e["generation"]) for e in events[1:]] == [("pending", "confirmed", "1")]
    assert events[-1]["verdict"]["block_hash"] == block


async def test_rbf_replacement_is_announced_and_the_api_says_replaced(utxo_rig: Rig, litecoind: Litecoind) -> None:
    address = litecoind.new_address("bech32")
    original = litecoind.send(address, Decimal("0.25"), replaceable=True)
    assert (await utxo_rig.check(original, address))["status"] == "pending"
    replacement = litecoind.bump_fee(original)
    litecoind.mine(1)
    await utxo_rig.follower.step()
    events = await utxo_rig.events()
    assert [(e["type"], e["status"]) for e in events] == [("replaced", "replaced")]
    assert events[0]["verdict"]["replaced_by"] == replacement
    assert "replaced" in events[0]["verdict"]["summary"]
    answer = await utxo_rig.check(original, address)
    assert (answer["status"], answer["replaced_by"]) == ("replaced", replacement)


async def test_a_hash_pasted_before_it_propagated_is_found_later(utxo_rig: Rig, litecoind: Litecoind) -> None:
    address = litecoind.new_address("bech32")
    raw = litecoind.cli("createrawtransaction", [], [{address: Decimal("0.15")}])
    funded = litecoind.cli("fundrawtransaction", raw, wallet=litecoind.wallet)["hex"]
    signed = litecoind.cli("signrawtransactionwithwallet", funded, wallet=litecoind.wallet)["hex"]
    txid = litecoind.cli("decoderawtransaction", signed)["txid"]
    assert (await utxo_rig.check(txid, address))["status"] == "not_found"
    litecoind.cli("sendrawtransaction", signed)
    await utxo_rig.follower.step()
    assert await utxo_rig.events() == []  # not due for a new look yet
    time.sleep(utxo_rig.config.recheck_seconds)
    await utxo_rig.follower.step()
    assert [s[1:3] for s in await utxo_rig.statuses()] == [("not_found", "pending")]


async def test_watches_expire(utxo_rig: Rig, litecoind: Litecoind) -> None:
    address = litecoind.new_address("bech32")
    unknown = "ef" * 32
    assert (await utxo_rig.check(unknown, address))["status"] == "not_found"
    raw = await utxo_rig.redis.hget(utxo_rig.keys.watches, unknown)
    watch = Watch.from_json(raw)
    await utxo_rig.redis.zadd(utxo_rig.keys.expiry, {unknown: time.time() - 1})  # as if the window had passed
    await utxo_rig.follower.step()
    assert [(e["type"], e["status"]) for e in await utxo_rig.events()] == [("expired", "not_found")]
    assert await utxo_rig.redis.hget(utxo_rig.keys.watches, unknown) is None
    # Minutes, not hours: anyone who can write a ticket can name a made-up hash (docs/operations.md "Threat model").
    assert watch.expires_at == pytest.approx(watch.registered_at + utxo_rig.config.not_found_minutes * 60)


async def test_final_deposits_leave_after_the_reorg_window(utxo_rig: Rig, litecoind: Litecoind) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.05"))
    litecoind.mine(6)
    await utxo_rig.check(txid, address)
    assert await utxo_rig.redis.zscore(utxo_rig.keys.settled, txid) is not None
    litecoind.mine(utxo_rig.config.reorg_window_blocks + 1)
    await utxo_rig.follower.step()
    assert await utxo_rig.redis.hget(utxo_rig.keys.watches, txid) is None


@pytest.mark.parametrize("status", ["wrong_address"])
async def test_settled_verdicts_that_cannot_change_are_not_watched(
    utxo_rig: Rig, litecoind: Litecoind, status: str
) -> None:
    txid = litecoind.send(litecoind.new_address("bech32"), Decimal("0.05"))
    answer = await utxo_rig.check(txid, litecoind.new_address("bech32"))
    assert answer["status"] == status and answer["watching"] is False


async def test_the_follower_lists_its_chains_stream_for_consumers_before_any_watch(utxo_rig: Rig) -> None:
    """The index's `deposit_seen` events may come before any check registers a watch: consumers find the
    stream in STREAMS all the same (the fixture has made the follower's first round, no watch registered)."""
    assert await utxo_rig.redis.hlen(ChainKeys(utxo_rig.chain.name).watches) == 0
    assert await utxo_rig.redis.sismember(STREAMS, ChainKeys(utxo_rig.chain.name).events)


async def test_events_name_the_chain_as_people_call_it(
    litecoind: Litecoind, redis_client: Any, redis_server: RedisServer
) -> None:
    """The follower's events carry the configured display name, as the check's answer does (ticket_link's
    follow-up notes say it)."""
    chain = UtxoChain(
        "ltc-display",
        UtxoChainConfig(
            family="utxo", coin="litecoin", network="regtest", rpc_urls=[litecoind.rpc_url], confirmations=1
        ),
    )
    rig = Rig(chain, redis_client, redis_server.url, FAST, names={"ltc-display": "Litecoin (LTC)"})
    try:
        await rig.follower.step()
        address = litecoind.new_address("bech32")
        txid = litecoind.send(address, Decimal("0.2"))
        first = await rig.check(txid, address)
        assert (first["status"], first["chain"], first["chain_display"]) == ("pending", "ltc-display", "Litecoin (LTC)")
        assert first["found_on_display"] is None and "in a block on Litecoin (LTC);" in first["summary"]
        litecoind.mine(1)
        await rig.follower.step()
        [event] = await rig.events()
        verdict = event["verdict"]
        assert (verdict["status"], verdict["chain"], verdict["chain_display"]) == (
            "confirmed",
            "ltc-display",
            "Litecoin (LTC)",
        )
        assert verdict["summary"].endswith(
            "is confirmed on Litecoin (LTC). We have not verified that this address is one of ours."
        )
    finally:
        await chain.aclose()


async def test_a_watch_registered_after_its_ripening_block_is_confirmed_without_another_block(
    utxo_rig: Rig, litecoind: Litecoind
) -> None:
    """A check answers `confirming` at 2/6; before its watch is written (a slow request, a Redis slot moving), the
    follower processes the 6th block. No later block's ripe range holds the watch until the next block comes
    (minutes away on Litecoin): the follower's next round decides it from the tip it already has."""
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.33"))
    litecoind.mine(2)
    [seen] = await utxo_rig.chain.observe_many([(txid, address)])  # the check's observation, at 2 of 6
    litecoind.mine(4)
    await utxo_rig.follower.step()  # the 6th block: nothing watched yet
    registry = utxo_rig.service.registry
    assert await registry.watch(seen, address, Status.CONFIRMING, "LTC", None)
    before = utxo_rig.transport.requests  # type: ignore[attr-defined]
    await utxo_rig.follower.step()  # no new block
    assert await utxo_rig.statuses() == [("status", "confirming", "confirmed", "0")]
    assert utxo_rig.transport.requests - before == 1  # the tip only: decided from the height
    assert (await utxo_rig.events())[0]["verdict"]["confirmations"] == 6
    await utxo_rig.follower.step()
    assert len(await utxo_rig.events()) == 1  # once
