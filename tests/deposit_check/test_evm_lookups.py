"""The `evm_logs` and `evm_trace` lookup sources on a real anvil, behind a proxy that enforces a provider's limits."""

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from eth_utils import to_checksum_address

from deposit_check.chains.evm import EvmChain
from deposit_check.config import EvmChainConfig
from deposit_check.devnet.anvil import Anvil
from deposit_check.lookups.evm_logs import EvmLogsSource
from deposit_check.lookups.evm_range import RangeConfig, too_large
from deposit_check.lookups.evm_trace import NO_TRACE_FILTER, EvmTraceSource
from harness.rpc_limits import ALCHEMY_RANGE, INFURA_TOO_MANY, RpcLimits

pytestmark = pytest.mark.anvil

ETHER = 10**18


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    with Anvil(chain_id=31337) as anvil:
        yield anvil


@pytest.fixture(scope="module")
def token(node: Anvil) -> str:
    return node.deploy_token("Tether USD (test)", "USDT", 6, node.accounts[0])


@pytest.fixture(scope="module")
def contracts(node: Anvil) -> tuple[str, str]:
    return node.deploy_payouts(node.accounts[0])


def new_address() -> str:
    return to_checksum_address("0x" + os.urandom(20).hex())


async def make_chain(url: str, token: str) -> EvmChain:
    tokens = [{"symbol": "USDT", "contract": token, "decimals": 6}]
    return EvmChain(
        "ethereum", EvmChainConfig(family="evm", chain_id=31337, rpc_urls=[url], confirmations=1, tokens=tokens)
    )


@pytest.fixture
async def proxies(node: Anvil) -> AsyncIterator[list[RpcLimits]]:
    made: list[RpcLimits] = []
    yield made
    for proxy in made:
        proxy.close()


@pytest.mark.parametrize("refusal", [INFURA_TOO_MANY, ALCHEMY_RANGE], ids=["infura", "alchemy"])
async def test_token_lookup_halves_ranges_the_provider_refuses(
    node: Anvil, token: str, proxies: list[RpcLimits], refusal: dict[str, object]
) -> None:
    casino = new_address()
    sent = []
    for amount in (1_000_000, 2_000_000, 3_000_000):  # three deposits, 120 blocks apart
        sent.append(node.token_transfer(token, node.accounts[0], casino, amount))
        node.mine(120)
    proxy = RpcLimits(node.rpc_url, max_blocks=50, refusal=refusal)
    proxies.append(proxy)
    chain = await make_chain(proxy.url, token)
    try:
        answer = await EvmLogsSource(RangeConfig(max_blocks_back=400, chunk_blocks=256)).find(chain, casino, None, 10)
    finally:
        await chain.aclose()
    tip = node.block_number()
    assert [f.tx_hash for f in answer.found] == [h.lower() for h in reversed(sent)]  # newest first
    assert [p.amount for f in answer.found for p in f.payments] == [3_000_000, 2_000_000, 1_000_000]
    assert all(f.time is not None and f.block is not None for f in answer.found)
    c = answer.coverage
    assert (c.source, c.from_block, c.to_block, c.assets, c.complete) == (
        "evm_logs",
        max(0, tip - 399),
        tip,
        ("USDT",),
        True,
    )
    assert proxy.refused and all(high - low + 1 > 50 for low, high in proxy.refused)  # the cap was hit, and obeyed
    assert not answer.truncated


async def test_token_lookup_that_gives_up_says_what_it_did_not_search(
    node: Anvil, token: str, proxies: list[RpcLimits]
) -> None:
    proxy = RpcLimits(node.rpc_url, max_blocks=0)  # refuses even one block
    proxies.append(proxy)
    chain = await make_chain(proxy.url, token)
    try:
        answer = await EvmLogsSource(RangeConfig(max_blocks_back=64, chunk_blocks=16)).find(
            chain, new_address(), None, 10
        )
    finally:
        await chain.aclose()
    assert answer.found == () and answer.coverage.complete is False
    assert "refused eth_getLogs even for block" in (answer.coverage.note or "")
    assert proxy.refused[-1][0] == proxy.refused[-1][1]  # halved down to one block before giving up


async def test_native_lookup_finds_internal_payments_and_skips_undone_ones(
    node: Anvil, token: str, contracts: tuple[str, str], proxies: list[RpcLimits]
) -> None:
    payouts, relay = contracts
    casino, others = new_address(), [new_address(), new_address()]
    direct = node.send_eth(node.accounts[4], casino, ETHER)
    forwarded = node.call(node.accounts[4], payouts, "forward(address)", casino, value=2 * ETHER)
    batch = node.call(
        node.accounts[4],
        payouts,
        "batch(address[],uint256[])",
        [others[0], casino, others[1]],
        [1, 3 * ETHER, 2],
        value=3 * ETHER + 3,
    )
    node.call(
        node.accounts[4], payouts, "forwardThroughFailing(address,address)", relay, casino, value=ETHER, gas=300_000
    )
    node.call(node.accounts[4], payouts, "callFailing(address,address)", relay, casino, value=ETHER, gas=300_000)
    proxy = RpcLimits(node.rpc_url)
    proxies.append(proxy)
    chain = await make_chain(proxy.url, token)
    try:
        answer = await EvmTraceSource(RangeConfig(max_blocks_back=1000)).find(chain, casino, None, 10)
    finally:
        await chain.aclose()
    found = [(f.tx_hash, [p.amount for p in f.payments], f.internal) for f in answer.found]
    assert found == [
        (batch.lower(), [3 * ETHER], True),
        (forwarded.lower(), [2 * ETHER], True),
        (direct.lower(), [ETHER], False),
    ]  # the two payments undone by a revert are not there
    assert answer.coverage.complete and answer.coverage.assets == ("ETH",)
    assert answer.coverage.to_block == node.block_number()


async def test_native_lookup_on_a_node_without_trace_filter_says_so(
    node: Anvil, token: str, proxies: list[RpcLimits]
) -> None:
    proxy = RpcLimits(node.rpc_url, hidden=("trace_filter", "trace_transaction"))
    proxies.append(proxy)
    chain = await make_chain(proxy.url, token)
    try:
        answer = await EvmTraceSource().find(chain, new_address(), None, 10)
    finally:
        await chain.aclose()
    assert answer.found == ()
    assert (answer.coverage.complete, answer.coverage.note) == (False, NO_TRACE_FILTER)


def test_too_large_tells_range_caps_from_other_errors() -> None:
    assert too_large(INFURA_TOO_MANY) and too_large(ALCHEMY_RANGE)
    assert too_large({"code": -32000, "message": "block range is too wide"})
    assert too_large({"code": -32614, "message": "eth_getLogs is limited to a 10,000 range"})
    assert not too_large({"code": -32005, "message": "daily request count exceeded, request rate limited"})
    assert not too_large({"code": -32000, "message": "header not found"})


async def test_native_lookup_reads_whole_only_as_many_txs_as_its_limit_needs(
    node: Anvil, token: str, contracts: tuple[str, str], proxies: list[RpcLimits]
) -> None:
    """An address paid many times through a contract: the newest `limit` are read whole (+1 to know that more are
    left), not its whole history; an undone payment among them frees its place for an older one."""
    payouts, relay = contracts
    casino = new_address()
    forwarded = [node.call(node.accounts[6], payouts, "forward(address)", casino, value=ETHER) for _ in range(6)]
    undone = node.call(
        node.accounts[6], payouts, "forwardThroughFailing(address,address)", relay, casino, value=ETHER, gas=300_000
    )
    node.receipt(undone)
    proxy = RpcLimits(node.rpc_url)
    proxies.append(proxy)
    chain = await make_chain(proxy.url, token)
    try:
        answer = await EvmTraceSource(RangeConfig(max_blocks_back=1000)).find(chain, casino, None, 2)
    finally:
        await chain.aclose()
    assert [f.tx_hash for f in answer.found] == [forwarded[5].lower(), forwarded[4].lower()]
    assert answer.truncated
    # The newest three (limit 2, +1): the undone one and two forwards; then one more for the place it left. Not 7.
    assert proxy.count("trace_transaction") == 4
