"""EvmChain's block-following calls against a real anvil: head, block, reorgs, replacements, observe_many.

The tests run on an anvil of their own (they revert, reorg and stop automine). What anvil 1.7.1
does, as they show it: after `evm_revert` or `anvil_reorg` the blocks taken off the chain are
forgotten: `eth_getBlockByHash` answers null (UnknownBlock) and their txs are gone, not back in
the mempool. A pending tx replaced by one of the same sender and nonce is dropped at once.
"""

import os
import random
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from deposit_check.chains.evm import EvmChain
from deposit_check.config import EvmChainConfig
from deposit_check.devnet.anvil import Anvil
from deposit_check.errors import NodeUnavailable, UnknownBlock
from deposit_check.models import BlockRef

from .test_evm import Proxy, new_address

pytestmark = pytest.mark.anvil

GWEI = 10**9

MakeChain = Callable[[str], EvmChain]


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    with Anvil(chain_id=31337) as anvil:
        yield anvil


@pytest.fixture
async def make_chain() -> AsyncIterator[MakeChain]:
    made: list[EvmChain] = []

    def make(url: str) -> EvmChain:
        config = EvmChainConfig.model_validate(
            {"family": "evm", "chain_id": 31337, "rpc_urls": [url], "confirmations": 12, "timeout_seconds": 5}
        )
        made.append(EvmChain("ethereum", config))
        return made[-1]

    yield make
    for chain in made:
        await chain.aclose()


@pytest.fixture
def chain(node: Anvil, make_chain: MakeChain) -> EvmChain:
    return make_chain(node.rpc_url)


@pytest.fixture
async def proxy(node: Anvil) -> AsyncIterator[Proxy]:
    p = await Proxy(node.rpc_url).start()
    yield p
    await p.stop()


@pytest.fixture
def manual_mining(node: Anvil) -> Iterator[None]:
    node.set_automine(False)
    try:
        yield
    finally:
        node.set_automine(True)


def latest(node: Anvil) -> dict[str, str]:
    return dict(node.rpc("eth_getBlockByNumber", "latest", False))


async def test_head(node: Anvil, chain: EvmChain) -> None:
    node.mine(2)
    raw = latest(node)
    assert await chain.head() == BlockRef(int(raw["number"], 16), raw["hash"])
    assert (await chain.head()).height == await chain.tip()


async def test_block_txs_sender_nonce_and_parent(node: Anvil, chain: EvmChain, manual_mining: None) -> None:
    alice, bob = node.accounts[0], node.accounts[1]
    sent = {node.send_eth(alice, new_address(), 1): alice, node.send_eth(bob, new_address(), 2): bob}
    sent[node.send_eth(alice, new_address(), 3)] = alice
    pending = {h: await chain.observe(h, new_address()) for h in sent}
    node.mine(1)
    raw = node.rpc("eth_getBlockByNumber", "latest", True)

    block = await chain.block(raw["hash"])
    assert block.ref == BlockRef(int(raw["number"], 16), raw["hash"]) == await chain.head()
    assert block.parent_hash == raw["parentHash"]
    assert block.time is not None and int(block.time.timestamp()) == int(raw["timestamp"], 16)
    assert [t.tx_hash for t in block.txs] == [t["hash"] for t in raw["transactions"]]
    assert {t.tx_hash for t in block.txs} == set(sent)
    for tx in block.txs:
        mined = node.rpc("eth_getTransactionByHash", tx.tx_hash)
        assert tx.sender_nonce == f"{sent[tx.tx_hash].lower()}:{int(mined['nonce'], 16)}"
        assert tx.spends == ()
        # observe() gives the same sender_nonce, in the mempool and once mined.
        assert pending[tx.tx_hash].sender_nonce == tx.sender_nonce
        assert (await chain.observe(tx.tx_hash, new_address())).sender_nonce == tx.sender_nonce

    parent = await chain.block(block.parent_hash)
    assert parent.ref == BlockRef(block.height - 1, block.parent_hash)
    genesis = await chain.block(node.rpc("eth_getBlockByNumber", "0x0", False)["hash"])
    assert genesis.height == 0 and genesis.parent_hash == "0x" + "0" * 64


async def test_unknown_block(chain: EvmChain) -> None:
    for bad in ["0x" + os.urandom(32).hex(), "0xnothex", ""]:
        with pytest.raises(UnknownBlock) as caught:
            await chain.block(bad)
        assert not isinstance(caught.value, NodeUnavailable)  # a fact, not an outage


async def test_revert_forgets_the_blocks(node: Anvil, chain: EvmChain) -> None:
    """evm_snapshot, mine, evm_revert, mine other txs: same height, another hash; the old one unknown."""
    node.mine(1)
    base = await chain.head()
    snapshot = node.snapshot()
    first = node.send_eth(node.accounts[2], new_address(), 5)
    node.receipt(first)  # anvil answers before its block is sealed: wait for it, or the head may be the old one
    old = await chain.head()
    assert old.height == base.height + 1 and first in {t.tx_hash for t in (await chain.block(old.hash)).txs}

    node.revert(snapshot)
    assert await chain.head() == base
    second = node.send_eth(node.accounts[3], new_address(), 6)
    node.receipt(second)
    new = await chain.head()
    assert new.height == old.height and new.hash != old.hash
    with pytest.raises(UnknownBlock):
        await chain.block(old.hash)
    new_block = await chain.block(new.hash)
    assert new_block.parent_hash == base.hash and [t.tx_hash for t in new_block.txs] == [second]
    assert not (await chain.observe(first, new_address())).found  # gone, not back in the mempool


async def test_anvil_reorg(node: Anvil, chain: EvmChain) -> None:
    """anvil_reorg(2): the last two blocks replaced; walking parents from the new head meets the old chain."""
    node.mine(2)
    tx_hash = node.send_eth(node.accounts[4], new_address(), 7)
    old_head = await chain.head()
    old_parent = (await chain.block(old_head.hash)).parent_hash
    ancestor = (await chain.block(old_parent)).parent_hash

    node.reorg(2)
    head = await chain.head()
    assert head.height == old_head.height and head.hash != old_head.hash
    for forgotten in (old_head.hash, old_parent):
        with pytest.raises(UnknownBlock):
            await chain.block(forgotten)
    walked = [await chain.block(head.hash)]
    while walked[-1].height > old_head.height - 2:
        walked.append(await chain.block(walked[-1].parent_hash))
    assert walked[-1].hash == ancestor  # the fork point, reached by parent hashes alone
    assert not (await chain.observe(tx_hash, new_address())).found


async def test_same_nonce_replacement(node: Anvil, chain: EvmChain, manual_mining: None) -> None:
    sender = node.accounts[5]
    nonce = node.nonce(sender)
    original = node.send_transaction(sender, new_address(), 10, nonce=nonce, gas_price=2 * GWEI)
    seen = await chain.observe(original, new_address())
    assert seen.found and seen.block is None and seen.sender_nonce == f"{sender.lower()}:{nonce}"

    replacement = node.send_transaction(sender, new_address(), 11, nonce=nonce, gas_price=5 * GWEI)
    assert not (await chain.observe(original, new_address())).found  # anvil dropped it from its pool
    node.mine(1)
    block = await chain.block((await chain.head()).hash)
    # What the watcher keys on: a mined tx with the watched one's sender and nonce, another hash.
    [taken] = [t for t in block.txs if t.sender_nonce == seen.sender_nonce]
    assert taken.tx_hash == replacement != original


async def test_observe_many_one_request_per_chunk(
    node: Anvil, proxy: Proxy, make_chain: MakeChain, manual_mining: None
) -> None:
    chain = make_chain(proxy.url)
    address = new_address()
    mined = [node.send_eth(node.accounts[6], address, i + 1) for i in range(100)]
    node.mine(1)
    mempool = [node.send_eth(node.accounts[7], address, i + 1) for i in range(50)]
    unknown = ["0x" + os.urandom(32).hex() for _ in range(150)]
    items = [(h, address) for h in mined + mempool + unknown]
    random.Random(4).shuffle(items)

    many = await chain.observe_many(items)
    assert proxy.requests == 3 == -(-len(items) // chain.observe_chunk)
    assert [len(m) for m in proxy.methods] == [202, 202, 202]  # 100 x (tx, receipt) + block number + chain id
    assert all(m[-2:] == ["eth_blockNumber", "eth_chainId"] for m in proxy.methods)
    assert [o.tx_hash for o in many] == [h for h, _ in items]
    assert sum(o.block is not None for o in many) == 100
    assert sum(o.found and o.block is None for o in many) == 50
    assert sum(not o.found for o in many) == 150
    assert many == [await chain.observe(h, a) for h, a in items]
    assert await chain.observe_many([]) == []


async def test_observe_many_block_times_without_block_timestamp(
    node: Anvil, proxy: Proxy, make_chain: MakeChain
) -> None:
    """Older nodes: one extra request per chunk for the times of all its blocks; block() fills the cache."""
    proxy.mode = "no_timestamps"
    chain = make_chain(proxy.url)
    address = new_address()
    txs = [node.send_eth(node.accounts[8], address, i + 1) for i in range(3)]  # automine: three blocks
    assert len({node.receipt(h)["blockHash"] for h in txs}) == 3

    seen = await chain.observe_many([(h, address) for h in txs] * 2)  # each block asked once
    assert proxy.methods[1:] == [["eth_getBlockByHash"] * 3] and len(proxy.methods) == 2
    assert all(o.block_time is not None for o in seen)
    later = node.send_eth(node.accounts[8], address, 9)
    block = await chain.block(node.receipt(later)["blockHash"])
    before = proxy.requests
    [observed] = await chain.observe_many([(later, address)])
    assert proxy.requests == before + 1 and observed.block_time == block.time
