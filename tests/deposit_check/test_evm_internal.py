"""Native coin paid through a tx's internal calls, on a real anvil running real contracts (Payouts.sol).

Checks count it only from successful calls; a node that traces nothing (a proxy answering -32601 for
the trace methods, as geth without debug or a hosted provider does) makes it `unavailable`, never zero.
"""

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from eth_utils import to_checksum_address

from deposit_check.app import create_app
from deposit_check.chains.evm import EvmChain
from deposit_check.config import AppConfig, EvmChainConfig, parse_config
from deposit_check.devnet.anvil import Anvil
from deposit_check.models import InternalTransfers
from deposit_check.verdict import decide
from harness.rpc_limits import RpcLimits
from tests.helpers import dev_mode
from tests.servers import serve

pytestmark = pytest.mark.anvil

ETHER = 10**18
TRACERS = ("trace_transaction", "debug_traceTransaction")


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    with Anvil(chain_id=31337) as anvil:
        yield anvil


@pytest.fixture(scope="module")
def contracts(node: Anvil) -> tuple[str, str]:
    return node.deploy_payouts(node.accounts[0])


@pytest.fixture(scope="module")
def counting(node: Anvil) -> Iterator[RpcLimits]:
    proxy = RpcLimits(node.rpc_url)
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def no_trace(node: Anvil) -> Iterator[RpcLimits]:
    proxy = RpcLimits(node.rpc_url, hidden=(*TRACERS, "trace_filter"))
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def geth_like(node: Anvil) -> Iterator[RpcLimits]:
    """Only `debug_traceTransaction` (geth's call tracer), as on geth."""
    proxy = RpcLimits(node.rpc_url, hidden=("trace_transaction", "trace_filter"))
    yield proxy
    proxy.close()


def new_address() -> str:
    return to_checksum_address("0x" + os.urandom(20).hex())


async def make_chain(url: str) -> EvmChain:
    config = EvmChainConfig(family="evm", chain_id=31337, rpc_urls=[url], confirmations=1)
    return EvmChain("ethereum", config)


@pytest.fixture
async def chain(counting: RpcLimits) -> AsyncIterator[EvmChain]:
    made = await make_chain(counting.url)
    yield made
    await made.aclose()


async def test_forwarded_coin_is_counted(chain: EvmChain, node: Anvil, contracts: tuple[str, str]) -> None:
    casino = new_address()
    tx = node.call(node.accounts[1], contracts[0], "forward(address)", casino, value=2 * ETHER)
    seen = await chain.observe(tx, casino)
    assert seen.internal_transfers is InternalTransfers.COUNTED
    assert [(p.asset.symbol, p.amount) for p in seen.payments] == [("ETH", 2 * ETHER)]
    verdict = decide(seen, address=casino, required=1, native=chain.native)
    assert (verdict.status.value, verdict.received) == ("confirmed", 2)


async def test_batch_payout_pays_each_of_three(chain: EvmChain, node: Anvil, contracts: tuple[str, str]) -> None:
    payees = [new_address() for _ in range(3)]
    amounts = [ETHER, 2 * ETHER, 3 * ETHER]
    tx = node.call(node.accounts[1], contracts[0], "batch(address[],uint256[])", payees, amounts, value=sum(amounts))
    seen = await chain.observe_many([(tx, p) for p in payees])
    assert [o.internal_transfers for o in seen] == [InternalTransfers.COUNTED] * 3
    assert [[p.amount for p in o.payments] for o in seen] == [[a] for a in amounts]


async def test_payment_undone_by_a_reverted_frame_is_not_counted(
    chain: EvmChain, node: Anvil, contracts: tuple[str, str]
) -> None:
    """Relay pays the address (that call succeeds), then reverts: the tx succeeds, nothing arrived."""
    casino = new_address()
    payouts, relay = contracts
    caught = node.call(
        node.accounts[1], payouts, "forwardThroughFailing(address,address)", relay, casino, value=ETHER, gas=300_000
    )
    failed = node.call(
        node.accounts[1], payouts, "callFailing(address,address)", relay, casino, value=ETHER, gas=300_000
    )
    for tx in (caught, failed):
        assert int(node.receipt(tx)["status"], 16) == 1  # the outer tx succeeded
        seen = await chain.observe(tx, casino)
        assert (seen.payments, seen.internal_transfers) == ((), InternalTransfers.NONE)
        assert decide(seen, address=casino, required=1, native=chain.native).status.value == "wrong_address"


async def test_plain_transfer_costs_no_trace(chain: EvmChain, node: Anvil, counting: RpcLimits) -> None:
    casino = new_address()
    tx = node.send_eth(node.accounts[2], casino, ETHER)
    before = sum(counting.count(m) for m in TRACERS)
    seen = await chain.observe(tx, casino)
    assert seen.internal_transfers is InternalTransfers.NONE and seen.payments[0].amount == ETHER
    assert sum(counting.count(m) for m in TRACERS) == before


async def test_geth_call_tracer_is_used_when_there_is_no_trace_transaction(
    geth_like: RpcLimits, node: Anvil, contracts: tuple[str, str]
) -> None:
    chain = await make_chain(geth_like.url)
    try:
        payees = [new_address() for _ in range(2)]
        tx = node.call(node.accounts[1], contracts[0], "batch(address[],uint256[])", payees, [5, 7], value=12)
        first = await chain.observe_many([(tx, p) for p in payees])
        caught = node.call(
            node.accounts[1],
            contracts[0],
            "forwardThroughFailing(address,address)",
            contracts[1],
            payees[0],
            value=ETHER,
            gas=300_000,
        )
        second = await chain.observe(caught, payees[0])
    finally:
        await chain.aclose()
    assert [[p.amount for p in o.payments] for o in first] == [[5], [7]]
    assert second.payments == () and second.internal_transfers is InternalTransfers.NONE
    assert geth_like.count("debug_traceTransaction") == 3  # one probe, then one call per batch
    assert geth_like.count("trace_transaction") == 1  # asked once for the endpoint, remembered


@pytest.fixture(scope="module")
def api(counting: RpcLimits, no_trace: RpcLimits) -> Iterator[httpx.Client]:
    text = f"""
[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{counting.url}"]
confirmations = 1
[chains.untraced]
family = "evm"
chain_id = 31337
rpc_urls = ["{no_trace.url}"]
confirmations = 1
"""
    config = AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=None, source="test")
    with serve(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_api_counts_internal_transfers_or_says_unavailable(
    api: httpx.Client, node: Anvil, contracts: tuple[str, str]
) -> None:
    casino = new_address()
    tx = node.call(node.accounts[3], contracts[0], "forward(address)", casino, value=ETHER // 4)
    body = {"tx_hash": tx, "address": casino, "expected_amount": "0.25"}
    counted = api.post("/v1/checks", json={**body, "chain": "ethereum"}).json()
    assert (counted["status"], counted["internal_transfers"]) == ("confirmed", "counted")
    assert counted["payments"] == [{"asset": "ETH", "amount": "0.25", "contract": None}]
    assert (counted["received_amount"], counted["amount_status"]) == ("0.25", "exact")
    unseen = api.post("/v1/checks", json={**body, "chain": "untraced"}).json()
    assert (unseen["internal_transfers"], unseen["payments"]) == ("unavailable", [])
    assert "could not be seen" in unseen["note"]
    plain = node.send_eth(node.accounts[3], casino, ETHER)
    direct = api.post("/v1/checks", json={"tx_hash": plain, "address": casino, "chain": "untraced"}).json()
    assert (direct["status"], direct["internal_transfers"]) == ("confirmed", "none")  # no trace needed
