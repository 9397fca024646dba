"""UtxoChain against a real litecoind (regtest): real transactions, reorgs, dead and unfit nodes."""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from deposit_check.chains.jsonrpc import Endpoint
from deposit_check.chains.utxo import UtxoChain
from deposit_check.devnet.litecoind import Litecoind, free_port
from deposit_check.errors import InvalidTxHash, NodeUnavailable
from deposit_check.models import Asset, Payment
from tests.helpers import CountingTransport

from .conftest import Backend, MakeUtxoChain

pytestmark = pytest.mark.litecoind

LTC = Asset("LTC", 8)
UNKNOWN_TXID = "ab" * 32


def payment(base_units: int) -> tuple[Payment, ...]:
    return (Payment(asset=LTC, amount=base_units),)


# --- no node needed ---


def test_normalize_tx_hash(chain: UtxoChain) -> None:
    h = "AB" * 32
    assert chain.normalize_tx_hash(h) == "ab" * 32
    assert chain.normalize_tx_hash(f"  0x{h}\n") == "ab" * 32
    for bad in ["ab" * 31, "ab" * 33, "zz" * 32, "", "0x", "0x0x" + "ab" * 31]:
        with pytest.raises(InvalidTxHash, match="expected 64 hexadecimal characters"):
            chain.normalize_tx_hash(bad)


def test_assets_and_address(chain: UtxoChain) -> None:
    assert chain.assets() == {"LTC": LTC}
    assert chain.native == LTC and chain.family == "utxo" and chain.required_confirmations == 6
    assert chain.normalize_address(" RLTC1QRE86ZC8Y6PG3ASGV9949UF3AHHQFP8E95FXTUA ") == (
        "rltc1qre86zc8y6pg3asgv9949uf3ahhqfp8e95fxtua"
    )


def test_unknown_coin_is_a_config_error(make_utxo_chain: MakeUtxoChain) -> None:
    with pytest.raises(ValueError, match="no built-in address parameters"):
        make_utxo_chain("http://127.0.0.1:1/", coin="dogecoin")


# --- the shared node ---


async def test_bech32_payment_mempool_then_mined(litecoind: Litecoind, either: Backend) -> None:
    chain = either.chain
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.12345678"))

    seen = await chain.observe(txid, address)
    assert seen.found and seen.block is None and seen.block_time is None
    assert seen.payments == payment(12_345_678)  # exact, never through float
    assert seen.tip == litecoind.cli("getblockcount") and seen.confirmations == 0

    [block_hash] = litecoind.mine(1)
    litecoind.mine(2)
    either.settle()
    seen = await chain.observe(txid, address)
    header = litecoind.cli("getblockheader", block_hash)
    assert seen.block is not None
    assert (seen.block.hash, seen.block.height) == (block_hash, header["height"])
    assert seen.block_time == datetime.fromtimestamp(header["time"], UTC)
    assert seen.tip == header["height"] + 2
    assert seen.confirmations == 3 == litecoind.cli("getrawtransaction", txid, True)["confirmations"]
    assert seen.payments == payment(12_345_678)


@pytest.mark.parametrize("kind", ["legacy", "p2sh-segwit"])
async def test_base58_addresses(litecoind: Litecoind, either: Backend, kind: str) -> None:
    chain = either.chain
    address = litecoind.new_address(kind)  # type: ignore[arg-type]
    txid = litecoind.send_many({address: Decimal("21.00000001"), litecoind.new_address(): Decimal("1")})
    seen = await chain.observe(txid, chain.normalize_address(address))
    assert seen.found and seen.payments == payment(2_100_000_001)


async def test_two_outputs_to_the_same_address_are_summed(litecoind: Litecoind, either: Backend) -> None:
    chain = either.chain
    address = litecoind.new_address()
    txid = litecoind.send_outputs(address, [Decimal("0.1"), Decimal("0.2")])
    script = litecoind.cli("validateaddress", address)["scriptPubKey"]
    vout = litecoind.cli("getrawtransaction", txid, True)["vout"]
    assert sum(o["scriptPubKey"]["hex"] == script for o in vout) == 2

    seen = await chain.observe(txid, address)
    assert seen.payments == payment(30_000_000)


async def test_tx_paying_another_address(litecoind: Litecoind, either: Backend) -> None:
    chain = either.chain
    txid = litecoind.send(litecoind.new_address(), Decimal("0.5"))
    seen = await chain.observe(txid, litecoind.new_address())
    assert seen.found and seen.payments == ()


async def test_unknown_tx_is_not_found(litecoind: Litecoind, either: Backend) -> None:
    chain = either.chain
    seen = await chain.observe(UNKNOWN_TXID, litecoind.new_address())
    assert not seen.found and seen.block is None and seen.payments == ()
    assert seen.tip == litecoind.cli("getblockcount")


async def test_one_http_request_per_observe(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    transport = CountingTransport()
    chain = make_utxo_chain(litecoind.rpc_url, transport=transport)
    address = litecoind.new_address()
    txid = litecoind.send(address, Decimal("0.01"))
    litecoind.mine(1)
    await chain.observe(txid, address)
    await chain.observe(UNKNOWN_TXID, address)
    assert transport.requests == 2


async def test_wrong_rpc_credentials_are_named_and_never_shown(
    litecoind: Litecoind, make_utxo_chain: MakeUtxoChain
) -> None:
    wrong = litecoind.rpc_url.replace(f":{litecoind.rpc_password}@", ":not-the-p%40ssword@")
    chain = make_utxo_chain(wrong)
    with pytest.raises(NodeUnavailable) as refused:
        await chain.observe(UNKNOWN_TXID, litecoind.new_address())
    assert "refused the RPC credentials" in refused.value.message
    assert "p@ssword" not in refused.value.message and "p%40ssword" not in refused.value.message
    assert "not-the" not in repr(Endpoint.parse(wrong))  # nor in an endpoint's repr (a log line, a traceback)


async def test_nodes_are_reached_directly_whatever_the_proxy_variables(
    litecoind: Litecoind, make_utxo_chain: MakeUtxoChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    chain = make_utxo_chain(litecoind.rpc_url)
    assert await chain.tip() == litecoind.cli("getblockcount")


async def test_tip_and_ready(litecoind: Litecoind, chain: UtxoChain) -> None:
    assert await chain.tip() == litecoind.cli("getblockcount")
    await chain.ready()


async def test_ready_refuses_a_node_of_another_network(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    chain = make_utxo_chain(litecoind.rpc_url, network="testnet")
    with pytest.raises(NodeUnavailable, match="'regtest'"):
        await chain.ready()


async def test_reorged_out_tx_back_in_mempool(litecoind: Litecoind, either: Backend) -> None:
    chain = either.chain
    address = litecoind.new_address()
    txid = litecoind.send(address, Decimal("0.3"))
    [block_hash] = litecoind.mine(1)
    either.settle()
    assert (await chain.observe(txid, address)).block is not None

    litecoind.cli("invalidateblock", block_hash)
    try:
        # A longer branch without the tx, as a real reorg brings (an Electrum server follows a
        # reorg only when the new branch is longer: it never sees a tip go down alone).
        for _ in range(2):
            litecoind.cli("generateblock", litecoind.new_address(), [])
        either.settle()
        seen = await chain.observe(txid, address)
        assert seen.found and seen.block is None and seen.payments == payment(30_000_000)
        [again] = litecoind.mine(1)  # mined anew, in a block of the new branch
        either.settle()
        seen = await chain.observe(txid, address)
        assert seen.block is not None and seen.block.hash == again != block_hash
        assert seen.block.height == litecoind.cli("getblockheader", again)["height"]
    finally:
        litecoind.cli("reconsiderblock", block_hash)  # valid again, but on the shorter branch


async def test_tx_left_in_a_stale_block_is_not_mined(litecoind: Litecoind, either: Backend) -> None:
    """A tx whose only block left the best chain, and whose coin a conflicting tx spent, is gone."""
    chain = either.chain
    address = litecoind.new_address()
    coin = max(litecoind.cli("listunspent", 1, wallet=litecoind.wallet), key=lambda u: u["amount"])
    inputs = [{"txid": coin["txid"], "vout": coin["vout"]}]
    amount = coin["amount"] - Decimal("0.001")

    def signed(to: str) -> str:
        raw = litecoind.cli("createrawtransaction", inputs, {to: amount})
        return str(litecoind.cli("signrawtransactionwithwallet", raw, wallet=litecoind.wallet)["hex"])

    paying, conflicting = signed(address), signed(litecoind.new_address())
    txid = litecoind.cli("sendrawtransaction", paying)
    [stale] = litecoind.mine(1)
    litecoind.cli("invalidateblock", stale)
    litecoind.cli("generateblock", litecoind.new_address(), [conflicting])  # evicts `paying` from the mempool
    litecoind.mine(1)

    raw = litecoind.cli("getrawtransaction", txid, True)
    assert raw["blockhash"] == stale and raw["confirmations"] == 0  # the txindex still points at it
    either.settle()
    seen = await chain.observe(txid, address)
    assert not seen.found and seen.block is None


async def test_failover_to_the_next_url(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    dead = f"http://user:s3cret@127.0.0.1:{free_port()}/"
    chain = make_utxo_chain(dead, litecoind.rpc_url)
    assert (await chain.observe(UNKNOWN_TXID, litecoind.new_address())).found is False


async def test_no_node_answers(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    dead = f"http://user:s3cret@127.0.0.1:{free_port()}/"
    wrong_password = litecoind.rpc_url.replace(litecoind.rpc_password, "s3cret")
    chain = make_utxo_chain(dead, wrong_password)
    with pytest.raises(NodeUnavailable) as caught:
        await chain.observe(UNKNOWN_TXID, litecoind.new_address())
    assert caught.value.chain == "litecoin"
    assert "credentials" in caught.value.message and "ConnectError" in caught.value.message
    assert "s3cret" not in str(caught.value)
    with pytest.raises(NodeUnavailable):
        await chain.tip()
    with pytest.raises(NodeUnavailable):
        await chain.ready()


# --- a node of its own, without -txindex, that the tests stop ---


@pytest.fixture(scope="module")
def bare_node() -> Iterator[Litecoind]:
    node = Litecoind(txindex=False).start()
    try:
        yield node
    finally:
        node.close()


async def test_node_without_txindex(bare_node: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    address = "rltc1qre86zc8y6pg3asgv9949uf3ahhqfp8e95fxtua"
    [block_hash] = bare_node.cli("generatetoaddress", 1, address)
    coinbase = bare_node.cli("getblock", block_hash)["tx"][0]
    chain = make_utxo_chain(bare_node.rpc_url)

    with pytest.raises(NodeUnavailable, match="-txindex"):
        await chain.ready()
    # The node only knows its mempool: its "no such tx" must not read as "not found".
    with pytest.raises(NodeUnavailable, match="-txindex"):
        await chain.observe(coinbase, address)


async def test_stopped_node(bare_node: Litecoind, make_utxo_chain: MakeUtxoChain) -> None:
    # litecoind's shutdown waits for open keep-alive RPC connections (up to -rpcservertimeout, 30 s):
    # close the one the first adapter holds before stopping the node.
    first = make_utxo_chain(bare_node.rpc_url)
    assert await first.tip() >= 0
    await first.aclose()
    bare_node.stop()
    chain = make_utxo_chain(bare_node.rpc_url)
    try:
        with pytest.raises(NodeUnavailable, match="ConnectError") as caught:
            await chain.observe(UNKNOWN_TXID, "rltc1qre86zc8y6pg3asgv9949uf3ahhqfp8e95fxtua")
        assert bare_node.rpc_password not in caught.value.message
        with pytest.raises(NodeUnavailable):
            await chain.ready()
    finally:
        bare_node.restart()
    assert await chain.tip() >= 0  # the same adapter answers again once the node is back
