"""Quorum, failover and the breaker of the EVM adapter on real anvils (two of their own, both chain id 31337).

Two anvils started alike share their genesis block; a tx sent to one of them only is a fork.
"""

import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from eth_utils.address import to_checksum_address

from deposit_check.chains.evm import EvmChain
from deposit_check.config import EvmChainConfig
from deposit_check.devnet.anvil import Anvil
from deposit_check.errors import NodeUnavailable
from deposit_check.models import Observation, Status
from deposit_check.verdict import decide

pytestmark = pytest.mark.anvil

MakeChain = Callable[..., EvmChain]


@pytest.fixture
def anvils() -> Iterator[tuple[Anvil, Anvil]]:
    """Two fresh anvils, same chain id and genesis, not connected (anvil has no peers)."""
    with Anvil(chain_id=31337) as one, Anvil(chain_id=31337) as two:
        yield one, two


@pytest.fixture
async def make_chain() -> AsyncIterator[MakeChain]:
    made: list[EvmChain] = []

    def make(*rpc_urls: str, **fields: object) -> EvmChain:
        config = EvmChainConfig.model_validate(
            {
                "family": "evm",
                "chain_id": 31337,
                "rpc_urls": list(rpc_urls),
                "confirmations": 3,
                "timeout_seconds": 5,
                **fields,
            }
        )
        made.append(EvmChain("ethereum", config))
        return made[-1]

    yield make
    for chain in made:
        await chain.aclose()


def new_address() -> str:
    return to_checksum_address("0x" + os.urandom(20).hex())


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://user:s3cret@127.0.0.1:{sock.getsockname()[1]}/v3/APIKEY"


def status(chain: EvmChain, seen: Observation) -> Status:
    return decide(seen, address=new_address(), required=3, native=chain.native).status


async def test_tx_sent_to_one_node_only_is_disputed(anvils: tuple[Anvil, Anvil], make_chain: MakeChain) -> None:
    one, two = anvils
    chain = make_chain(one.rpc_url, two.rpc_url, quorum=2)
    deposit = new_address()
    tx_hash = one.send_eth(one.accounts[0], deposit, 10**15)
    one.mine(3)
    seen = await chain.observe(tx_hash, deposit)  # two is at block 0: it lags, no contradiction
    assert seen.confirmations == 4 and status(chain, seen) is Status.CONFIRMING
    two.mine(1)  # two reaches the tx's height without it
    seen = await chain.observe(tx_hash, deposit)
    assert status(chain, seen) is Status.DISPUTED
    assert [(v.endpoint, v.found) for v in seen.views] == [(one.rpc_url, True), (two.rpc_url, False)]


async def test_same_tx_in_different_blocks_is_disputed(anvils: tuple[Anvil, Anvil], make_chain: MakeChain) -> None:
    one, two = anvils
    deposit = new_address()
    two.mine(1)  # the same signed tx lands at another height, in another block
    sent = [
        node.send_transaction(node.accounts[0], deposit, value=7, gas=21_000, nonce=0, gas_price=2 * 10**9)
        for node in (one, two)
    ]
    assert sent[0] == sent[1]
    for node in (one, two):
        node.mine(5)
    chain = make_chain(one.rpc_url, two.rpc_url, quorum=2)
    seen = await chain.observe(sent[0], deposit)
    assert len({v.block.hash for v in seen.views if v.block}) == 2
    assert status(chain, seen) is Status.DISPUTED


async def test_same_node_twice_agrees(anvils: tuple[Anvil, Anvil], make_chain: MakeChain) -> None:
    one, _ = anvils
    chain = make_chain(one.rpc_url, one.rpc_url + "/", quorum=2)  # two names of one node
    deposit = new_address()
    tx_hash = one.send_eth(one.accounts[0], deposit, 10**15)
    assert status(chain, await chain.observe(tx_hash, deposit)) is Status.CONFIRMING
    one.mine(2)
    [seen] = await chain.observe_many([(tx_hash, deposit)])
    assert [v.endpoint for v in seen.views] == [one.rpc_url, one.rpc_url + "#2"]
    assert status(chain, seen) is Status.CONFIRMED


async def test_one_endpoint_is_not_a_quorum(anvils: tuple[Anvil, Anvil], make_chain: MakeChain) -> None:
    one, _ = anvils
    deposit = new_address()
    tx_hash = one.send_eth(one.accounts[0], deposit, 10**15)
    one.mine(5)
    chain = make_chain(one.rpc_url, dead_url(), quorum=2)
    seen = await chain.observe(tx_hash, deposit)
    assert len(seen.views) == 1 and status(chain, seen) is Status.CONFIRMING
    assert status(chain, await make_chain(one.rpc_url, dead_url()).observe(tx_hash, deposit)) is Status.CONFIRMED


async def test_breaker_and_endpoint_states(anvils: tuple[Anvil, Anvil], make_chain: MakeChain) -> None:
    one, _ = anvils
    dead = dead_url()
    chain = make_chain(dead, one.rpc_url, breaker_failures=2, breaker_reset_seconds=60)
    for _ in range(4):
        assert not (await chain.observe("0x" + "ab" * 32, new_address())).found
    state, live = chain.endpoint_states()
    assert state["state"] == "open" and state["consecutive_failures"] == 2  # asked twice, then skipped
    assert "ClientConnectorError" in state["last_error"] and live["state"] == "closed"
    for secret in ("s3cret", "APIKEY", "user"):
        assert secret not in str(chain.endpoint_states())
    await chain.ready()  # the live endpoint is fit
    alone = make_chain(dead, breaker_failures=1)
    with pytest.raises(NodeUnavailable, match="no node answered"):
        await alone.ready()
    with pytest.raises(NodeUnavailable, match="skipped, circuit open after 1 consecutive failures"):
        await alone.tip()
