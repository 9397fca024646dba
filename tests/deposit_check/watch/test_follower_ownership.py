"""The watcher decides with the owner the index gives at each step (the check's, without an index): it never
confirms what the check called not ours, nor an address withdrawn meanwhile."""

from decimal import Decimal

import redis.asyncio as aredis

from deposit_check.devnet.litecoind import Litecoind
from deposit_check.ownership.backends import RedisBackend
from deposit_check.ownership.codec import Codec
from deposit_check.ownership.index import OwnershipIndex
from tests.deposit_check.owners import CODEC, DictOwnership
from tests.deposit_check.watch.conftest import Rig
from tests.helpers import commands_sent


async def test_a_watched_deposit_to_the_casinos_address_is_confirmed_with_its_account(
    utxo_rig: Rig, litecoind: Litecoind
) -> None:
    ownership = DictOwnership()
    ours = utxo_rig.chain.normalize_address(litecoind.new_address("bech32"))
    ownership.declare(utxo_rig.chain.name, ours, "acct-7")
    utxo_rig.service.ownership = ownership
    txid = litecoind.send(ours, Decimal("0.4"))
    first = await utxo_rig.check(txid, ours)
    assert (first["status"], first["watching"], first["address_owner"], first["account"]) == (
        "pending",
        True,
        "casino",
        "acct-7",
    )
    watch = await utxo_rig.service.registry.watched(utxo_rig.chain.name, txid)  # type: ignore[union-attr]
    assert watch is not None and (watch.owner.declared, watch.owner.ours) == (True, True)

    litecoind.mine(6)
    await utxo_rig.follower.step()
    events = await utxo_rig.events()
    assert [e["status"] for e in events] == ["confirmed"]
    verdict = events[-1]["verdict"]
    # An event is storage: it carries no account (a consumer asks /v1/checks); the record keeps it sealed.
    assert verdict["address_owner"] == "casino" and "account" not in verdict
    assert "not verified" not in verdict["summary"]
    watch = await utxo_rig.service.registry.watched(utxo_rig.chain.name, txid)  # type: ignore[union-attr]
    assert watch is not None and watch.owner.account == CODEC.seal_account("acct-7")
    assert "acct-7" not in watch.to_json() and all("acct-7" not in str(e) for e in events)
    assert (await utxo_rig.check(txid, ours))["account"] == "acct-7"  # the HTTP answer opens it


async def test_the_players_own_address_is_not_ours_final_and_never_watched(utxo_rig: Rig, litecoind: Litecoind) -> None:
    ownership = DictOwnership()
    ownership.declare(utxo_rig.chain.name, utxo_rig.chain.normalize_address(litecoind.new_address("bech32")))
    utxo_rig.service.ownership = ownership
    players = litecoind.new_address("bech32")
    txid = litecoind.send(players, Decimal("0.4"))  # a self-payment, claimed as a deposit
    first = await utxo_rig.check(txid, players)
    assert (first["status"], first["final"], first["watching"], first["address_owner"]) == (
        "not_our_address",
        True,
        False,
        "not_casino",
    )
    assert await utxo_rig.service.registry.watched(utxo_rig.chain.name, txid) is None  # type: ignore[union-attr]
    litecoind.mine(6)
    await utxo_rig.follower.step()
    assert await utxo_rig.events() == []  # nothing for the watcher to say: no "confirmed" ever follows


async def test_an_address_withdrawn_or_given_another_account_while_watched_is_decided_as_the_index_says_now(
    utxo_rig: Rig, litecoind: Litecoind
) -> None:
    ownership = DictOwnership()
    utxo_rig.follower.ownership = ownership
    chain = utxo_rig.chain.name
    withdrawn, moved = (utxo_rig.chain.normalize_address(litecoind.new_address("bech32")) for _ in range(2))
    ownership.declare(chain, withdrawn, "acct-1")
    ownership.declare(chain, moved, "acct-2")
    utxo_rig.service.ownership = ownership
    paid = {address: litecoind.send(address, Decimal("0.1")) for address in (withdrawn, moved)}
    for address, txid in paid.items():
        assert (await utxo_rig.check(txid, address))["status"] == "pending"
    ownership.withdraw(chain, withdrawn)  # declared by mistake
    ownership.declare(chain, moved, "acct-3")  # re-issued to another player account
    litecoind.mine(6)
    await utxo_rig.follower.step()
    verdicts = {e["verdict"]["address"]: e["verdict"] for e in await utxo_rig.events()}
    assert (verdicts[withdrawn]["status"], verdicts[withdrawn]["address_owner"]) == ("not_our_address", "not_casino")
    assert verdicts[moved]["status"] == "confirmed"
    watch = await utxo_rig.service.registry.watched(chain, paid[moved])  # type: ignore[union-attr]
    assert watch is not None and watch.owner.account == CODEC.seal_account("acct-3")  # as the index says now


async def test_a_block_of_many_deposits_asks_the_index_once_and_decides_as_one_lookup_each_would(
    utxo_rig: Rig, litecoind: Litecoind, redis_client: aredis.Redis
) -> None:
    chain = utxo_rig.chain.name
    index = OwnershipIndex(RedisBackend(redis_client), Codec("watch-ownership-secret-0123456789"))
    utxo_rig.service.ownership = utxo_rig.follower.ownership = index
    addresses = [utxo_rig.chain.normalize_address(litecoind.new_address("bech32")) for _ in range(12)]
    await index.put(chain, {a: f"acct-{i}" for i, a in enumerate(addresses)})
    paid = {a: litecoind.send(a, Decimal("0.1")) for a in addresses}
    for address, txid in paid.items():
        assert (await utxo_rig.check(txid, address))["status"] == "pending"
    withdrawn, moved = addresses[:3], addresses[3:6]
    await index.delete(chain, withdrawn)
    await index.put(chain, dict.fromkeys(moved, "acct-moved"))
    one_each = {a: await index.owner_of(chain, a) for a in addresses}  # one lookup per address, as before

    litecoind.mine(1)
    async with commands_sent(redis_client) as sent:
        await utxo_rig.follower.step()
    lookups = [c for c in sent if f"{{{chain}}}:own" in c]
    events = {e["verdict"]["address"]: e for e in await utxo_rig.events()}
    assert set(events) == set(addresses)  # all twelve decided in this block
    assert len(lookups) == 1 and "EVALSHA" in lookups[0].upper()  # one command for all of them
    for address in addresses:
        verdict, owner = events[address]["verdict"], one_each[address]
        assert verdict["address_owner"] == ("casino" if owner.ours else "not_casino")
        assert "account" not in verdict  # events carry no account (sealed at rest, opened in answers only)
        assert events[address]["status"] == ("not_our_address" if address in withdrawn else "confirming")
    assert {index.open_account(one_each[a].account or "") for a in moved} == {"acct-moved"}
