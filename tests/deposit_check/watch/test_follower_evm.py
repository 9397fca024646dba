"""The watcher on a real anvil: ERC-20 deposits confirmed by height, a reorg, a same-nonce replacement."""

import os

from eth_utils import to_checksum_address

from deposit_check.devnet.anvil import Anvil
from tests.deposit_check.watch.conftest import Rig


def new_address() -> str:
    return to_checksum_address("0x" + os.urandom(20).hex())


async def test_token_deposit_followed_to_confirmed(evm_rig: Rig, own_anvil: Anvil) -> None:
    casino = new_address()
    own_anvil.set_automine(False)
    try:
        tx = own_anvil.token_transfer(evm_rig.token, own_anvil.accounts[0], casino, 250_000_000)  # type: ignore[attr-defined]
        first = await evm_rig.check(tx, casino, asset="USDT", expected_amount="250")
        assert first["status"] == "pending" and first["watching"] is True
        own_anvil.mine(1)
    finally:
        own_anvil.set_automine(True)
    await evm_rig.follower.step()
    own_anvil.mine(2)
    await evm_rig.follower.step()
    events = await evm_rig.events()
    assert [(e["previous_status"], e["status"]) for e in events] == [
        ("pending", "confirming"),
        ("confirming", "confirmed"),
    ]
    assert events[-1]["verdict"]["payments"] == [{"asset": "USDT", "amount": "250", "contract": evm_rig.token}]  # type: ignore[attr-defined]
    assert events[-1]["verdict"]["amount_status"] == "exact"


async def test_reorg_that_drops_the_tx_is_announced(evm_rig: Rig, own_anvil: Anvil) -> None:
    casino = new_address()
    tx = own_anvil.send_eth(own_anvil.accounts[1], casino, 10**18)
    assert (await evm_rig.check(tx, casino))["status"] == "confirming"
    await evm_rig.follower.step()
    own_anvil.reorg(1)  # the tx's block is replaced by an empty one: anvil forgets the tx
    await evm_rig.follower.step()
    assert await evm_rig.statuses() == [("reorg", "confirming", "not_found", "1")]


async def test_same_nonce_replacement(evm_rig: Rig, own_anvil: Anvil) -> None:
    casino = new_address()
    sender = own_anvil.accounts[2]
    own_anvil.set_automine(False)
    try:
        nonce = own_anvil.nonce(sender)
        original = own_anvil.send_transaction(sender, casino, value=10**18, nonce=nonce, gas_price=2 * 10**9)
        assert (await evm_rig.check(original, casino))["status"] == "pending"
        replacement = own_anvil.send_transaction(sender, new_address(), value=10**18, nonce=nonce, gas_price=5 * 10**9)
        own_anvil.mine(1)
    finally:
        own_anvil.set_automine(True)
    await evm_rig.follower.step()
    events = await evm_rig.events()
    assert [(e["type"], e["status"]) for e in events] == [("replaced", "replaced")]
    assert events[0]["verdict"]["replaced_by"] == replacement
