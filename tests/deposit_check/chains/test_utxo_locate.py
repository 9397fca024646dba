"""`locate` on a UTXO chain, on both backends (litecoind's RPC and a real ElectrumX over it): every output's
address and script, the same facts as a check, and a tx whose block left the best chain."""

from decimal import Decimal

from deposit_check.chains.utxo_address import parse_address
from deposit_check.devnet.litecoind import Litecoind

from .conftest import Backend


async def test_a_located_tx_lists_every_address_it_paid_with_its_script(either: Backend, litecoind: Litecoind) -> None:
    first, second = litecoind.new_address("bech32"), litecoind.new_address("legacy")
    txid = litecoind.send_many({first: Decimal("0.1"), second: Decimal("0.2")})
    either.settle()
    pending = await either.chain.locate(txid)
    assert pending.found and pending.block is None and pending.payments == ()
    paid = {r.address: r for r in pending.recipients}
    assert {first, second} <= set(paid) and len(paid) == 3  # and the wallet's change
    params = either.chain.address_params  # type: ignore[attr-defined]
    assert paid[first].script == parse_address(first, params).script_pubkey
    assert all(r.asset.symbol == "LTC" and r.script for r in pending.recipients)
    assert not pending.unseen

    [block] = litecoind.mine(1)
    either.settle()
    mined = await either.chain.locate(txid)
    assert mined.block is not None and mined.block.hash == block and mined.confirmations == 1
    assert set(r.address for r in mined.recipients) == set(paid)


async def test_a_tx_left_in_a_stale_block_and_out_of_the_mempool_is_not_located(
    either: Backend, litecoind: Litecoind
) -> None:
    """Its block left the best chain and a conflicting tx spent its coin: the txindex still points at the stale
    block, and the mempool (asked by the tx's first output's script on an Electrum server) does not hold it."""
    coin = max(litecoind.cli("listunspent", 1, wallet=litecoind.wallet), key=lambda u: u["amount"])
    inputs = [{"txid": coin["txid"], "vout": coin["vout"]}]
    amount = coin["amount"] - Decimal("0.001")

    def signed(to: str) -> str:
        raw = litecoind.cli("createrawtransaction", inputs, {to: amount})
        return str(litecoind.cli("signrawtransactionwithwallet", raw, wallet=litecoind.wallet)["hex"])

    paying, conflicting = signed(litecoind.new_address()), signed(litecoind.new_address())
    txid = litecoind.cli("sendrawtransaction", paying)
    [stale] = litecoind.mine(1)
    litecoind.cli("invalidateblock", stale)
    litecoind.cli("generateblock", litecoind.new_address(), [conflicting])
    litecoind.mine(1)
    assert litecoind.cli("getrawtransaction", txid, True)["blockhash"] == stale
    either.settle()
    seen = await either.chain.locate(txid)
    assert not seen.found and seen.block is None


async def test_a_txid_known_nowhere(either: Backend) -> None:
    seen = await either.chain.locate("ab" * 32)
    assert not seen.found and seen.recipients == ()
