"""The `electrum` lookup source against a real ElectrumX over the shared litecoind (regtest)."""

import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from deposit_check.chains.electrum.chain import ElectrumChain
from deposit_check.chains.electrum.client import ElectrumServer
from deposit_check.config import UtxoChainConfig, parse_config
from deposit_check.devnet.litecoind import Litecoind, free_port
from deposit_check.errors import NodeUnavailable
from deposit_check.lookups import LookupSource
from deposit_check.lookups.electrum import ElectrumSource, build
from harness.electrumx import ElectrumX

MakeSource = Callable[..., ElectrumSource]


def chain_toml(*urls: str) -> str:
    listed = ", ".join(f'"{u}"' for u in urls)
    return f"""
[chains.litecoin]
family = "utxo"
network = "regtest"
backend = "electrum"
electrum_urls = [{listed}]
confirmations = 6
timeout_seconds = 5
"""


@pytest.fixture
async def make_source() -> AsyncIterator[MakeSource]:
    made: list[ElectrumSource] = []

    def make(*urls: str) -> ElectrumSource:
        source = build(parse_config(chain_toml(*urls), env={}))
        assert source is not None
        made.append(source)
        return source

    yield make
    for source in made:
        await source.aclose()


@pytest.fixture
async def chain(electrumx: ElectrumX) -> AsyncIterator[ElectrumChain]:
    config = parse_config(chain_toml(electrumx.url), env={}).chains["litecoin"]
    assert isinstance(config, UtxoChainConfig)
    made = ElectrumChain("litecoin", config)
    yield made
    await made.aclose()


def litoshi(amount: str) -> int:
    return int(Decimal(amount) * 10**8)


async def test_several_deposits_across_blocks_and_the_mempool(
    litecoind: Litecoind, electrumx: ElectrumX, chain: ElectrumChain, make_source: MakeSource
) -> None:
    source: LookupSource = make_source(electrumx.url)
    assert source.serves(chain)
    address = litecoind.new_address("bech32")
    first = litecoind.send(address, Decimal("0.1"))
    [first_block] = litecoind.mine(1)
    second = litecoind.send_outputs(address, [Decimal("0.2"), Decimal("0.05")])  # two outputs: one payment
    [second_block] = litecoind.mine(1)
    pending = litecoind.send(address, Decimal("0.3"))
    # Not to the address, nor from it: the wallet may not spend the address's coins (a spend would be one more
    # entry of its history, taking a place under the cap below).
    coins = [
        {"txid": u["txid"], "vout": u["vout"]}
        for u in litecoind.cli("listunspent", 0, 9999999, [address], wallet=litecoind.wallet)
    ]
    litecoind.cli("lockunspent", False, coins, wallet=litecoind.wallet)
    spend_elsewhere = litecoind.send(litecoind.new_address(), Decimal("0.01"))
    litecoind.cli("lockunspent", True, coins, wallet=litecoind.wallet)
    electrumx.wait_synced()

    answer = await source.find(chain, address, None, 10)

    assert [f.tx_hash for f in answer.found] == [pending, second, first]  # newest first
    assert spend_elsewhere not in {f.tx_hash for f in answer.found}
    assert [f.payments[0].amount for f in answer.found] == [litoshi("0.3"), litoshi("0.25"), litoshi("0.1")]
    assert answer.found[0].block is None and answer.found[0].time is None
    for found, block_hash in [(answer.found[1], second_block), (answer.found[2], first_block)]:
        header = litecoind.cli("getblockheader", block_hash)
        assert found.block is not None and (found.block.hash, found.block.height) == (block_hash, header["height"])
        assert found.time == datetime.fromtimestamp(header["time"], UTC)
    coverage = answer.coverage
    assert (coverage.source, coverage.chain, coverage.from_block, coverage.mempool) == (
        "electrum",
        "litecoin",
        None,
        True,
    )
    assert coverage.complete and coverage.to_block == litecoind.cli("getblockcount")
    assert not answer.truncated

    capped = await source.find(chain, address, None, 2)
    assert [f.tx_hash for f in capped.found] == [pending, second] and capped.truncated

    later = await source.find(chain, address, datetime.now(UTC) + timedelta(days=1), 10)
    assert [f.tx_hash for f in later.found] == [pending]  # blocks before `since` left out; the mempool stays
    earlier = await source.find(chain, address, datetime.now(UTC) - timedelta(days=1), 10)
    assert [f.tx_hash for f in earlier.found] == [pending, second, first]


async def test_an_address_with_nothing_is_empty_with_full_coverage(
    litecoind: Litecoind, electrumx: ElectrumX, chain: ElectrumChain, make_source: MakeSource
) -> None:
    answer = await make_source(electrumx.url).find(chain, litecoind.new_address("legacy"), None, 10)
    assert answer.found == () and not answer.truncated
    assert answer.coverage.complete and answer.coverage.from_block is None and answer.coverage.mempool


async def test_server_down_is_unavailable_never_nothing(
    litecoind: Litecoind, chain: ElectrumChain, make_source: MakeSource
) -> None:
    dead = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(NodeUnavailable, match="cannot connect") as caught:
        await make_source(dead).find(chain, litecoind.new_address(), None, 10)
    assert caught.value.chain == "litecoin"


async def test_failover_to_a_second_server(
    litecoind: Litecoind, electrumx: ElectrumX, chain: ElectrumChain, make_source: MakeSource
) -> None:
    address = litecoind.new_address()
    txid = litecoind.send(address, Decimal("0.4"))
    litecoind.mine(1)
    electrumx.wait_synced()
    source = make_source(f"tcp://127.0.0.1:{free_port()}", electrumx.url)
    answer = await source.find(chain, address, None, 10)
    assert [f.tx_hash for f in answer.found] == [txid]
    assert [e["state"] for e in source._chains["litecoin"][0].pool.states()] == ["closed", "closed"]
    assert source._chains["litecoin"][0].pool.states()[0]["last_error"].startswith("cannot connect")


async def test_a_server_stopped_mid_life_then_back(litecoind: Litecoind, make_source: MakeSource) -> None:
    """A server that goes away: its kept connection fails as unavailable; once back, it answers again."""
    with ElectrumX(litecoind) as own:
        config = parse_config(chain_toml(own.url), env={}).chains["litecoin"]
        assert isinstance(config, UtxoChainConfig)
        chain = ElectrumChain("litecoin", config)
        try:
            address = litecoind.new_address()
            assert (await chain.observe("ab" * 32, address)).found is False
            own.stop()
            with pytest.raises(NodeUnavailable):
                await chain.observe("ab" * 32, address)
            own.start()
            assert (await chain.observe("ab" * 32, address)).found is False
        finally:
            await chain.aclose()


async def test_small_answers_come_at_once_on_a_kept_connection(litecoind: Litecoind, electrumx: ElectrumX) -> None:
    """ElectrumX holds answers under 1 KiB up to 1 s (its padding against traffic analysis); the client
    pushes them out, so five round trips of small answers on one connection take well under a second."""
    txid = litecoind.cli("getblock", litecoind.cli("getblockhash", 1))["tx"][0]
    server = ElectrumServer(electrumx.url)
    calls = [
        ("blockchain.block.header", [1]),
        ("blockchain.transaction.get", [txid, False]),
        ("blockchain.headers.subscribe", []),
    ]
    try:
        await server.calls([("server.ping", [])])  # connected, its warm-up allowance spent below
        started = time.monotonic()
        for _ in range(5):
            header, raw, tip = await server.calls(calls)
            assert len(header) == 160 and raw and tip["height"] >= 101
        assert time.monotonic() - started < 0.8
    finally:
        await server.aclose()
