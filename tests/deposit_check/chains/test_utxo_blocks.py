"""UtxoChain's block-following calls against a real litecoind (regtest): head, block, observe_many.

What the node does, as these tests show it: `invalidateblock` moves the best chain back, yet the
invalidated block stays known by its hash (`getblock` answers it with confirmations -1), and so
does every block a reorg leaves behind; a hash the node never saw is error -5 (UnknownBlock).
Litecoin Core refuses replacements unless started with -mempoolreplacement=1 (the devnet does).
"""

import json
import os
import random
from decimal import Decimal

import httpx
import pytest

from deposit_check.chains.utxo import UtxoChain
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.errors import NodeUnavailable, UnknownBlock
from deposit_check.models import Block, BlockRef

from .conftest import MakeUtxoChain

pytestmark = pytest.mark.litecoind


class RecordingTransport(httpx.AsyncBaseTransport):
    """Records, per HTTP request that reaches the network, the JSON-RPC methods of its batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.batches.append([call["method"] for call in json.loads(request.content)])
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def outpoints(litecoind: Litecoind, txid: str) -> tuple[str, ...]:
    """The tx's inputs as the node reports them, "txid:vout"."""
    vin = litecoind.cli("getrawtransaction", txid, True)["vin"]
    return tuple(f"{i['txid']}:{i['vout']}" for i in vin if "txid" in i)


async def test_head_matches_getblockchaininfo(litecoind: Litecoind, chain: UtxoChain) -> None:
    info = litecoind.cli("getblockchaininfo")
    assert await chain.head() == BlockRef(height=info["blocks"], hash=info["bestblockhash"])
    assert await chain.tip() == info["blocks"]


async def test_block_txs_spends_and_parent(litecoind: Litecoind, chain: UtxoChain) -> None:
    address = litecoind.new_address()
    paying = litecoind.send_many({address: Decimal("0.7"), litecoind.new_address(): Decimal("0.2")})
    other = litecoind.send(litecoind.new_address(), Decimal("0.1"))
    [block_hash] = litecoind.mine(1)
    header = litecoind.cli("getblockheader", block_hash)

    block = await chain.block(block_hash)
    assert block.ref == BlockRef(header["height"], block_hash)
    assert block.parent_hash == header["previousblockhash"]
    assert block.time is not None and int(block.time.timestamp()) == header["time"]
    assert [t.tx_hash for t in block.txs] == litecoind.cli("getblock", block_hash, 1)["tx"]
    coinbase, *rest = block.txs
    assert coinbase.spends == () and coinbase.sender_nonce is None
    assert {paying, other} <= {t.tx_hash for t in rest}
    for tx in rest:
        assert tx.spends and tx.spends == outpoints(litecoind, tx.tx_hash)
    # observe() reports the same outpoints for the tx, as the watcher indexes them.
    seen = await chain.observe(paying, address)
    assert seen.spends == outpoints(litecoind, paying) and seen.block == block.ref

    parent = await chain.block(block.parent_hash)
    assert parent.ref == BlockRef(block.height - 1, block.parent_hash)


async def test_genesis_has_an_all_zero_parent(litecoind: Litecoind, chain: UtxoChain) -> None:
    genesis = await chain.block(litecoind.cli("getblockhash", 0))
    assert genesis.height == 0 and genesis.parent_hash == "0" * 64
    assert len(genesis.txs) == 1 and genesis.txs[0].spends == ()


async def test_unknown_block(chain: UtxoChain) -> None:
    for bad in [os.urandom(32).hex(), "xyz", ""]:
        with pytest.raises(UnknownBlock) as caught:
            await chain.block(bad)
        assert not isinstance(caught.value, NodeUnavailable)  # a fact, not an outage


async def test_invalidated_block_stays_known_by_hash(litecoind: Litecoind, chain: UtxoChain) -> None:
    txid = litecoind.send(litecoind.new_address(), Decimal("0.05"))
    [stale_hash] = litecoind.mine(1)
    stale = await chain.block(stale_hash)
    assert await chain.head() == stale.ref

    litecoind.cli("invalidateblock", stale_hash)
    try:
        assert await chain.head() == BlockRef(stale.height - 1, stale.parent_hash)
        assert await chain.block(stale_hash) == stale  # still answered, though off the best chain
        assert litecoind.cli("getblock", stale_hash)["confirmations"] == -1
        # A longer branch: walking parents from its head meets the stale block's parent.
        litecoind.mine(2)
        head = await chain.head()
        walked = [await chain.block(head.hash)]
        while walked[-1].height > stale.height - 1:
            walked.append(await chain.block(walked[-1].parent_hash))
        assert walked[-1].hash == stale.parent_hash
        assert stale_hash not in {b.hash for b in walked}
        assert txid in {t.tx_hash for b in walked for t in b.txs}  # back from the mempool, mined again
    finally:
        litecoind.cli("reconsiderblock", stale_hash)
    assert (await chain.head()).height == stale.height + 1  # the longer branch stays best
    assert await chain.block(stale_hash) == stale


async def test_bumpfee_replacement_spends_the_same_outpoint(litecoind: Litecoind, chain: UtxoChain) -> None:
    address = litecoind.new_address()
    original = litecoind.send(address, Decimal("1.5"), replaceable=True)
    seen = await chain.observe(original, address)
    assert seen.found and seen.block is None and seen.spends == outpoints(litecoind, original)

    bumped = litecoind.bump_fee(original)
    assert bumped != original
    gone = await chain.observe(original, address)
    assert not gone.found  # evicted from the mempool; never mined

    [block_hash] = litecoind.mine(1)
    block = await chain.block(block_hash)
    hashes = {t.tx_hash for t in block.txs}
    assert original not in hashes and bumped in hashes
    # What the watcher keys on: a mined tx spending an outpoint of the watched one, with another txid.
    [replacement] = [t for t in block.txs if set(t.spends) & set(seen.spends)]
    assert replacement.tx_hash == bumped


async def test_observe_many_one_request_per_chunk(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    transport = RecordingTransport()
    chain = make_utxo_chain(litecoind.rpc_url, transport=transport)
    address = litecoind.new_address()
    blocks = litecoind.mine(140)  # (and an empty mempool: the mempool txs below are ours)
    mined = [litecoind.cli("getblock", h)["tx"][0] for h in blocks]
    mempool = [litecoind.send(address, Decimal("0.001")) for _ in range(10)]  # ~60 ms each (the wallet)
    unknown = [os.urandom(32).hex() for _ in range(150)]
    items = [(h, address) for h in mined + mempool + unknown]
    random.Random(4).shuffle(items)

    many = await chain.observe_many(items)
    assert [len(b) for b in transport.batches] == [201, 101]  # 200 + 100 lookups, each with one getblockcount
    assert all(b[-1] == "getblockcount" for b in transport.batches)
    assert [o.tx_hash for o in many] == [h for h, _ in items]
    assert sum(o.found and o.block is not None for o in many) == 140
    assert sum(o.found and o.block is None for o in many) == 10
    assert sum(not o.found for o in many) == 150
    assert many == [await chain.observe(h, a) for h, a in items]
    assert await chain.observe_many([]) == []


async def test_observe_many_tx_left_in_a_stale_block(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    """A tx whose block left the best chain costs one more batch, for those txs only."""
    address = litecoind.new_address()
    coin = max(litecoind.cli("listunspent", 1, wallet=litecoind.wallet), key=lambda u: u["amount"])
    inputs = [{"txid": coin["txid"], "vout": coin["vout"]}]

    def signed(to: str) -> str:
        raw = litecoind.cli("createrawtransaction", inputs, {to: coin["amount"] - Decimal("0.001")})
        return str(litecoind.cli("signrawtransactionwithwallet", raw, wallet=litecoind.wallet)["hex"])

    paying, conflicting = signed(address), signed(litecoind.new_address())
    txid = litecoind.cli("sendrawtransaction", paying)
    [stale] = litecoind.mine(1)
    litecoind.cli("invalidateblock", stale)
    litecoind.cli("generateblock", litecoind.new_address(), [conflicting])
    litecoind.mine(1)
    other = litecoind.send(address, Decimal("0.01"))

    transport = RecordingTransport()
    chain = make_utxo_chain(litecoind.rpc_url, transport=transport)
    stale_seen, other_seen = await chain.observe_many([(txid, address), (other, address)])
    assert transport.batches == [["getrawtransaction", "getrawtransaction", "getblockcount"], ["getmempoolentry"]]
    assert not stale_seen.found and stale_seen.block is None
    assert stale_seen.spends == (f"{coin['txid']}:{coin['vout']}",)
    assert other_seen.found and other_seen.block is None
    litecoind.cli("reconsiderblock", stale)  # the other branch is longer: it stays best
    assert isinstance(await chain.block(stale), Block)
