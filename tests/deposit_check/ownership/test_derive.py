"""Extended keys: derivation checked against oracles we did not write (anvil's accounts, litecoind's
`deriveaddresses`), then run ahead of use into the index, moving with the highest index seen used."""

import pytest
from bitcoinlib.keys import HDKey
from bitcoinlib.mnemonic import Mnemonic

from deposit_check.config import ExtendedKeyConfig
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.ownership import Owner
from deposit_check.ownership.ahead import derive_ahead
from deposit_check.ownership.derive import KeyDeriver
from deposit_check.ownership.index import OwnershipIndex
from tests.deposit_check.ownership.conftest import ANVIL_MNEMONIC, account_key, config


@pytest.fixture(scope="module")
def evm_xpub() -> str:
    return account_key("m/44'/60'/0'")


@pytest.fixture(scope="module")
def tpub() -> str:
    return account_key("m/84'/1'/0'", network="testnet")


def test_anvil_accounts_are_the_account_xpub_derived(anvil: Anvil, evm_xpub: str) -> None:
    assert evm_xpub.startswith("xpub")
    deriver = KeyDeriver("ethereum", config().file.chains["ethereum"], ExtendedKeyConfig(key=evm_xpub))
    derived = [a.address for a in deriver.derive(0, 0, len(anvil.accounts))]
    assert derived == anvil.accounts and len(derived) == 10


@pytest.mark.parametrize(
    ("descriptor", "script"),
    [("wpkh({}/{}/*)", "p2wpkh"), ("pkh({}/{}/*)", "p2pkh"), ("sh(wpkh({}/{}/*))", "p2sh-p2wpkh")],
)
def test_litecoind_derives_the_same_addresses(litecoind: Litecoind, tpub: str, descriptor: str, script: str) -> None:
    chain = config().file.chains["litecoin"]
    deriver = KeyDeriver("litecoin", chain, ExtendedKeyConfig(key=tpub, script=script))  # type: ignore[arg-type]  # a literal of the three
    for branch in (0, 1):  # receive and change
        text = descriptor.format(tpub, branch)
        checksummed = litecoind.cli("getdescriptorinfo", text)["descriptor"]
        expected = litecoind.cli("deriveaddresses", checksummed, [0, 24])
        assert [a.address for a in deriver.derive(branch, 0, 25)] == expected


async def test_derivation_runs_ahead_of_the_highest_used_index(index: OwnershipIndex, tpub: str) -> None:
    key = ExtendedKeyConfig(key=tpub, gap=20, branches=(0, 1))
    deriver = KeyDeriver("litecoin", config().file.chains["litecoin"], key)
    assert await derive_ahead(index, [deriver], batch=8) == 40  # 20 per branch
    assert await derive_ahead(index, [deriver], batch=8) == 0  # caught up; progress kept in the index
    receive = deriver.derive(0, 0, 40)
    change = deriver.derive(1, 0, 1)[0]
    assert await index.owner_of("litecoin", change.address) == Owner(declared=True, ours=True)
    beyond = receive[30].address
    assert await index.owner_of("litecoin", beyond) == Owner(declared=True, ours=False)  # past the gap, not yet
    assert (await index.owner_of("litecoin", receive[15].address)).ours  # a check found index 15: used
    # Receive now runs 20 past index 15 (16 more), change 20 past index 0, looked up above (1 more).
    assert await derive_ahead(index, [deriver], batch=8) == 17
    assert (await index.owner_of("litecoin", beyond)).ours
    assert await index.count("litecoin") == 57


async def test_a_private_key_is_refused() -> None:
    root = HDKey.from_seed(Mnemonic().to_seed(ANVIL_MNEMONIC), network="testnet")
    with pytest.raises(ValueError, match="PRIVATE"):
        KeyDeriver("litecoin", config().file.chains["litecoin"], ExtendedKeyConfig(key=root.wif_private()))
