"""The watcher's index on a real litecoind, a real anvil and a real Redis: each block's payments to owned
addresses are recorded and announced (`deposit_seen`), a lookup reads them with no node call, a reorg undoes them."""

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aredis

from deposit_check.chains.utxo import UtxoChain
from deposit_check.chains.utxo_address import params_for_chain, parse_address
from deposit_check.config import LookupsConfig
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.lookups.schemas import LookupRequest, LookupResponse
from deposit_check.lookups.service import LookupService
from deposit_check.lookups.watcher_index import WatcherSource
from deposit_check.ownership.backends import RedisBackend
from deposit_check.ownership.codec import Codec
from deposit_check.ownership.index import OwnershipIndex
from deposit_check.watch.follower import Follower
from tests.deposit_check.owners import DictOwnership
from tests.deposit_check.watch.conftest import FAST, Rig

CONFIG = LookupsConfig()


class Indexed:
    """A rig whose follower indexes payments to the addresses `ownership` declares, and a lookup service."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.chain = rig.chain
        self.ownership = DictOwnership()
        self.ownership.declare(rig.chain.name, "placeholder")  # ownership declared for the chain
        rig.service.ownership = self.ownership
        rig.follower = Follower(rig.chain, rig.redis, FAST, "test", ownership=self.ownership, lookups=CONFIG)
        source = WatcherSource(rig.redis, self.ownership, CONFIG)
        self.lookups = LookupService(rig.service, {"watcher": source}, CONFIG)

    def own(self, address: str) -> str:
        canonical = self.chain.normalize_address(address)
        self.ownership.declare(self.chain.name, canonical)
        return canonical

    async def lookup(self, address: str, **fields: Any) -> LookupResponse:
        return await self.lookups.lookup(LookupRequest(address=address, chain=self.chain.name, **fields))

    async def seen_events(self) -> list[dict[str, Any]]:
        return [e for e in await self.rig.events() if e["type"] == "deposit_seen"]


@pytest.fixture
async def ltc(utxo_rig: Rig) -> AsyncIterator[Indexed]:
    yield Indexed(utxo_rig)


@pytest.fixture
async def eth(evm_rig: Rig) -> AsyncIterator[Indexed]:
    yield Indexed(evm_rig)


async def test_a_deposit_nobody_claimed_is_announced_and_found_with_no_node_call(
    ltc: Indexed, litecoind: Litecoind
) -> None:
    ours = ltc.own(litecoind.new_address("bech32"))
    txid = litecoind.send(ours, Decimal("0.05"))
    block = litecoind.mine(1)[0]
    await ltc.rig.follower.step()

    [event] = await ltc.seen_events()
    assert (event["tx_hash"], event["status"], event["generation"]) == (txid, "confirming", "0")
    verdict = event["verdict"]
    assert (verdict["address"], verdict["block_hash"], verdict["confirmations"]) == (ours, block, 1)
    assert verdict["payments"] == [{"asset": "LTC", "amount": "0.05", "contract": None}]
    assert verdict["address_owner"] == "casino" and "account" not in verdict

    before = ltc.rig.transport.requests  # type: ignore[attr-defined]
    answer = await ltc.lookup(ours)
    assert ltc.rig.transport.requests == before  # type: ignore[attr-defined]  # Redis reads only
    [deposit] = answer.deposits
    assert (deposit.tx_hash, deposit.status, deposit.confirmations, deposit.required_confirmations) == (
        txid,
        "confirming",
        1,
        6,
    )
    assert (deposit.sources, deposit.address_owner, deposit.account) == (["watcher"], "casino", None)
    [coverage] = answer.coverage
    assert (coverage.source, coverage.complete, coverage.to_block) == ("watcher", True, litecoind.cli("getblockcount"))
    assert answer.complete and not answer.truncated

    litecoind.mine(5)
    await ltc.rig.follower.step()
    [deposit] = (await ltc.lookup(ours)).deposits
    assert (deposit.status, deposit.confirmations, deposit.final) == ("confirmed", 6, True)
    assert len(await ltc.seen_events()) == 1  # announced once, when its block came


async def test_several_deposits_across_blocks_are_listed_newest_first_and_narrowed(
    ltc: Indexed, litecoind: Litecoind
) -> None:
    ours = ltc.own(litecoind.new_address("bech32"))
    sent = []
    for amount in ("0.1", "0.2", "0.3"):
        sent.append(litecoind.send(ours, Decimal(amount)))
        litecoind.mine(1)
    await ltc.rig.follower.step()
    answer = await ltc.lookup(ours)
    assert [d.tx_hash for d in answer.deposits] == sent[::-1]
    assert [d.payments[0].amount for d in answer.deposits] == ["0.3", "0.2", "0.1"]

    ranked = await ltc.lookup(ours, expected_amount="0.2")
    assert [d.tx_hash for d in ranked.deposits] == [sent[1], sent[2], sent[0]]  # the exact amount first
    assert [d.amount_status for d in ranked.deposits] == ["exact", "over", "under"]

    later = await ltc.lookup(ours, since=ranked.checked_at + timedelta(days=1))  # regtest block times run ahead
    assert later.deposits == [] and later.complete  # nothing since then, and the index covers that time
    with pytest.raises(Exception, match="unknown asset"):
        await ltc.lookup(ours, asset="USDT")


async def test_an_owned_address_with_none_is_empty_with_full_coverage_and_others_are_not_said_empty(
    ltc: Indexed, litecoind: Litecoind
) -> None:
    litecoind.mine(1)
    await ltc.rig.follower.step()  # the index has started
    empty = await ltc.lookup(ltc.own(litecoind.new_address("bech32")))
    assert (empty.deposits, empty.complete) == ([], True)
    [coverage] = empty.coverage
    assert coverage.from_block is not None and coverage.to_block == litecoind.cli("getblockcount")

    players = litecoind.new_address("bech32")  # not the casino's: the watcher never indexed it
    litecoind.send(players, Decimal("0.1"))
    litecoind.mine(1)
    await ltc.rig.follower.step()
    answer = await ltc.lookup(players)
    assert answer.deposits == [] and not answer.complete
    assert "not one of the casino's" in (answer.coverage[0].note or "")
    assert await ltc.seen_events() == []


async def test_a_reorg_removes_the_entry_and_the_new_block_brings_it_back(ltc: Indexed, litecoind: Litecoind) -> None:
    ours = ltc.own(litecoind.new_address("bech32"))
    txid = litecoind.send(ours, Decimal("0.07"))
    block = litecoind.mine(1)[0]
    await ltc.rig.follower.step()
    assert [d.tx_hash for d in (await ltc.lookup(ours)).deposits] == [txid]

    litecoind.cli("invalidateblock", block)  # the tx goes back to the mempool
    await ltc.rig.follower.step()
    assert (await ltc.lookup(ours)).deposits == []

    litecoind.mine(1)  # mined again, in another block
    await ltc.rig.follower.step()
    [deposit] = (await ltc.lookup(ours)).deposits
    assert deposit.tx_hash == txid and deposit.block_hash != block
    # Seen in each block that paid it: the orphaned one, then the new one.
    assert [e["verdict"]["block_hash"] for e in await ltc.seen_events()] == [block, deposit.block_hash]


async def test_evm_native_and_token_deposits_are_indexed_and_a_reorg_undoes_them(
    eth: Indexed, own_anvil: Anvil
) -> None:
    sender, ours_raw = own_anvil.accounts[0], own_anvil.accounts[5]
    ours = eth.own(ours_raw)
    token = eth.rig.token  # type: ignore[attr-defined]
    native = own_anvil.send_eth(sender, ours, 10**17)
    tokens = own_anvil.token_transfer(token, sender, ours, 250_000_000)
    own_anvil.receipt(tokens)
    await eth.rig.follower.step()
    seen = {e["tx_hash"]: e["verdict"] for e in await eth.seen_events()}
    assert seen[native]["payments"] == [{"asset": "ETH", "amount": "0.1", "contract": None}]
    assert seen[tokens]["payments"][0]["asset"] == "USDT" and seen[tokens]["payments"][0]["amount"] == "250"

    answer = await eth.lookup(ours, asset="USDT", expected_amount="250")
    assert [(d.tx_hash, d.amount_status) for d in answer.deposits] == [(tokens, "exact")]
    assert {d.tx_hash for d in (await eth.lookup(ours)).deposits} == {native, tokens}

    own_anvil.reorg(2)  # both blocks replaced by empty ones
    await eth.rig.follower.step()
    assert (await eth.lookup(ours)).deposits == []


async def test_owned_outputs_are_found_by_their_script_for_every_address_type(
    utxo_rig: Rig, litecoind: Litecoind, redis_client: aredis.Redis
) -> None:
    """The real index keys a UTXO address by its scriptPubKey; the follower looks a block's recipients up by the
    script the block gives (no address parsed): every address type is found, and only the casino's."""
    chain = utxo_rig.chain
    assert isinstance(chain, UtxoChain)
    params = params_for_chain(chain.name, chain.config)
    index = OwnershipIndex(
        RedisBackend(redis_client),
        Codec("watch-ownership-secret-0123456789"),
        {chain.name: lambda address: parse_address(address, params).script_pubkey},
    )
    utxo_rig.service.ownership = index
    utxo_rig.follower = Follower(chain, utxo_rig.redis, FAST, "test", ownership=index, lookups=CONFIG)
    ours = {chain.normalize_address(litecoind.new_address(kind)): kind for kind in ("bech32", "legacy", "p2sh-segwit")}
    await index.put(chain.name, {parse_address(a, params).script_pubkey: None for a in ours})
    paid = {a: litecoind.send(a, Decimal("0.01")) for a in ours}
    litecoind.send(litecoind.new_address("bech32"), Decimal("0.01"))  # not the casino's
    litecoind.mine(1)
    await utxo_rig.follower.step()
    seen = {e["verdict"]["address"]: e["tx_hash"] for e in await utxo_rig.events() if e["type"] == "deposit_seen"}
    assert seen == paid  # each type, in its canonical form, and nothing else
