"""The TRON adapter (chains/tron/) against the replay node: published answers, set heights, a node down."""

import json
from pathlib import Path

import pytest

from deposit_check.chains.tron import TronChain
from deposit_check.chains.tron.address import from_hex
from deposit_check.errors import NodeUnavailable, UnknownBlock
from deposit_check.models import InternalTransfers, Status
from deposit_check.verdict import decide
from harness.tron_replay import FIXTURES, TronReplay, load_fixtures
from tests.deposit_check.tron.conftest import (
    OTHER_TOKEN,
    OUT_OF_ENERGY_TX,
    TRX_INFO_ONLY_TX,
    USDT_BLOCK,
    USDT_BODY_ONLY_PAYEE,
    USDT_BODY_ONLY_TX,
    USDT_CONTRACT,
    USDT_PAYEE,
    USDT_PAYER,
    USDT_TX,
    tron_config,
)

CALLS_PER_CHECK = 3  # gettransactionbyid, gettransactioninfobyid, getnodeinfo: one round trip


def verdict(chain: TronChain, obs, address: str, asset: str | None = None):  # type: ignore[no-untyped-def]
    from deposit_check.verdict import Expectation

    expectation = Expectation(chain.assets()[asset]) if asset else Expectation()
    return decide(
        obs, address=address, required=chain.required_confirmations, native=chain.native, expectation=expectation
    )


async def test_usdt_transfer_pays_its_recipient_by_the_log_in_three_calls(chain: TronChain, replay: TronReplay) -> None:
    replay.set_heights(tip=USDT_BLOCK + 40, solidified=USDT_BLOCK + 21)
    replay.reset_counts()
    obs = await chain.observe(USDT_TX, USDT_PAYEE)
    # The endpoint's first use reads its genesis block first (the network check), once.
    assert replay.count("/wallet/getblockbynum") == 1 and sum(replay.counts().values()) == CALLS_PER_CHECK + 1
    replay.reset_counts()
    assert await chain.observe(USDT_TX, USDT_PAYEE) == obs
    assert sum(replay.counts().values()) == CALLS_PER_CHECK
    assert (obs.found, obs.block and obs.block.height, obs.tip, obs.solidified) == (
        True,
        USDT_BLOCK,
        USDT_BLOCK + 40,
        USDT_BLOCK + 21,
    )
    [payment] = obs.payments
    assert (payment.asset.symbol, payment.asset.contract, payment.amount) == ("USDT", USDT_CONTRACT, 3_500_000)
    assert obs.block_time is not None and obs.block_time.year == 2024 and not obs.reverted
    assert obs.internal_transfers is InternalTransfers.NONE  # a call of the allow-listed token itself
    v = verdict(chain, obs, USDT_PAYEE, "USDT")
    assert (v.status, v.confirmations, v.received) == (Status.CONFIRMED, 41, pytest.approx(3.5))
    # The payer is no payee: nothing reached it.
    payer = await chain.observe(USDT_TX, USDT_PAYER)
    assert payer.payments == () and verdict(chain, payer, USDT_PAYER).status is Status.WRONG_ADDRESS


@pytest.mark.parametrize(
    ("tip", "solidified", "status", "confirmations", "awaiting"),
    [
        (USDT_BLOCK, USDT_BLOCK - 18, Status.CONFIRMING, 1, False),  # just mined
        (USDT_BLOCK + 10, USDT_BLOCK - 8, Status.CONFIRMING, 11, False),  # 11 of 19
        (USDT_BLOCK + 30, USDT_BLOCK - 1, Status.CONFIRMING, 31, True),  # deep, but not solidified
        (USDT_BLOCK + 18, USDT_BLOCK, Status.CONFIRMED, 19, False),  # solidified at 19
    ],
)
async def test_confirming_until_solidified(
    chain: TronChain, replay: TronReplay, tip: int, solidified: int, status: Status, confirmations: int, awaiting: bool
) -> None:
    replay.set_heights(tip=tip, solidified=solidified)
    v = verdict(chain, await chain.observe(USDT_TX, USDT_PAYEE), USDT_PAYEE)
    assert (v.status, v.confirmations, v.required_confirmations) == (status, confirmations, 19)
    assert v.awaiting_solidification is awaiting and v.final is (status is Status.CONFIRMED)


async def test_a_tx_above_the_node_s_tip_is_not_found(chain: TronChain, replay: TronReplay) -> None:
    replay.set_heights(tip=USDT_BLOCK - 1, solidified=USDT_BLOCK - 20)
    obs = await chain.observe(USDT_TX, USDT_PAYEE)
    assert not obs.found and verdict(chain, obs, USDT_PAYEE).status is Status.NOT_FOUND


async def test_out_of_energy_is_failed_with_its_reason(chain: TronChain, replay: TronReplay) -> None:
    obs = await chain.observe(OUT_OF_ENERGY_TX, USDT_PAYEE)
    assert (obs.found, obs.reverted, obs.failure, obs.payments) == (True, True, "OUT_OF_ENERGY", ())
    v = verdict(chain, obs, USDT_PAYEE)
    assert (v.status, v.failure_reason, v.received) == (Status.FAILED, "OUT_OF_ENERGY", None)


async def test_unknown_tx_is_not_found(chain: TronChain, replay: TronReplay) -> None:
    await chain.ready()  # the endpoint's network checked first, as at start-up
    replay.reset_counts()
    obs = await chain.observe("ab" * 32, USDT_PAYEE)
    assert not obs.found and obs.payments == () and sum(replay.counts().values()) == CALLS_PER_CHECK


async def test_a_trx_result_without_its_tx_is_no_answer(chain: TronChain) -> None:
    # A TRX transfer's amount and recipient are in the tx only: a node that has the result without it
    # cannot say what was paid, so it is asked no further (503), never taken for "paid nothing".
    with pytest.raises(NodeUnavailable, match="not the tx"):
        await chain.observe(TRX_INFO_ONLY_TX, USDT_PAYEE)


async def test_a_tx_without_its_result_yet_is_pending_never_more(chain: TronChain) -> None:
    obs = await chain.observe(USDT_BODY_ONLY_TX, USDT_BODY_ONLY_PAYEE)
    assert obs.found and obs.block is None
    [payment] = obs.payments  # what its call would pay: 0x465000 = 4.608 USDT
    assert (payment.asset.symbol, payment.amount) == ("USDT", 4_608_000)
    assert verdict(chain, obs, USDT_BODY_ONLY_PAYEE).status is Status.PENDING


async def test_a_look_alike_token_s_transfer_is_not_money(replay: TronReplay) -> None:
    # A chain whose allow-list names another TRC-20 as "USDT": the real USDT's Transfer log now comes from a
    # contract that is not listed, exactly as a look-alike token's log would: it pays nothing.
    lookalike = TronChain("tron", tron_config(replay.url, token=OTHER_TOKEN))
    try:
        obs = await lookalike.observe(USDT_TX, USDT_PAYEE)
        assert obs.found and obs.payments == ()
        assert verdict(lookalike, obs, USDT_PAYEE).status is Status.WRONG_ADDRESS
        assert obs.internal_transfers is InternalTransfers.UNAVAILABLE  # a call of a contract not listed
    finally:
        await lookalike.aclose()


@pytest.mark.parametrize("how", ["503", "refused"])
async def test_a_node_down_is_unavailable_never_not_found(chain: TronChain, replay: TronReplay, how: str) -> None:
    replay.down(how)
    with pytest.raises(NodeUnavailable):
        await chain.observe("ab" * 32, USDT_PAYEE)
    with pytest.raises(NodeUnavailable):
        await chain.head()
    replay.up()
    assert not (await chain.observe("ab" * 32, USDT_PAYEE)).found


async def test_failover_to_the_next_node(replay: TronReplay) -> None:
    other = TronReplay(load_fixtures("mainnet"))
    other.down("503")
    tron = TronChain("tron", tron_config(other.url, replay.url))
    try:
        obs = await tron.observe(USDT_TX, USDT_PAYEE)
        assert obs.found and obs.payments
        [first, second] = tron.endpoint_states()
        assert "503" in (first["last_error"] or "") and second["last_error"] is None
    finally:
        await tron.aclose()
        other.close()


async def test_the_api_key_header_reaches_the_node_and_no_message_shows_it(replay: TronReplay) -> None:
    seen: list[str] = []
    import httpx

    class Spy(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.headers.get("TRON-PRO-API-KEY", ""))
            return await super().handle_async_request(request)

    config = tron_config(replay.url, api_key="s3cret-key-123")
    tron = TronChain("tron", config, transport=Spy())
    try:
        await tron.observe(USDT_TX, USDT_PAYEE)
        assert seen and set(seen) == {"s3cret-key-123"}
        replay.down("503")
        with pytest.raises(NodeUnavailable) as caught:
            await tron.observe(USDT_TX, USDT_PAYEE)
        assert "s3cret" not in caught.value.message and "s3cret" not in json.dumps(tron.endpoint_states())
    finally:
        await tron.aclose()


async def test_a_published_block_with_its_trx_payments() -> None:
    node = TronReplay(load_fixtures("testnet-2021"))
    # No genesis block answer of this testnet was published: the network check cannot be replayed here.
    tron = TronChain("tron", tron_config(node.url), network_check=False)
    block_id = "0000000000c9e803d5258a17e15172768b41ffb69e857530e7d9f7a92ccb78e8"
    try:
        node.reset_counts()
        block = await tron.block(block_id)
        assert sum(node.counts().values()) == 2  # the block and its infos, concurrently
        assert (block.height, block.hash, block.parent_hash) == (
            13232131,
            block_id,
            "0000000000c9e802e54079a6a84e92315f8b8dbcbefd9b151dc2317d27523049",
        )
        assert len(block.txs) == 3 and block.time is not None
        paid = {(p.address, p.payment.asset.symbol, p.payment.amount) for p in block.payments}
        assert paid == {
            (from_hex("412e961e2d6493b2bc728d06d024c0e2a631063538"), "TRX", 5_000_000_000),
            (from_hex("4131ee9cedde5c5e0de33f26b3ba6596b0fef610f3"), "TRX", 5_000_000_000),
        }  # the look-alike token's call pays no one: no listed token logged a Transfer
        with pytest.raises(UnknownBlock):
            await tron.block("0000000000c9e803" + "00" * 24)
    finally:
        await tron.aclose()
        node.close()


async def test_head_is_the_latest_block_of_getnodeinfo() -> None:
    entries = load_fixtures("nile")
    node = TronReplay(entries, tip=66987565, solidified=66987547)
    # Nile's genesis block answer was never published: the network check cannot be replayed here (see
    # test_network.py for what a Nile chain makes of this replay with the check on).
    tron = TronChain("tron", tron_config(node.url, network="nile"), network_check=False)
    try:
        head = await tron.head()
        published = json.loads((FIXTURES / "blocks" / "nile_getblockbyid_66987565.json").read_text())["response"]
        assert (head.height, head.hash) == (66987565, published["blockID"])
        assert await tron.tip() == 66987565
        await tron.ready()
    finally:
        await tron.aclose()
        node.close()


def test_fixtures_dir_is_the_replay_s() -> None:
    assert Path(FIXTURES).is_dir()
