"""TRON extended keys: the account key of m/44'/195'/0' derives `T...` addresses, checked against published
vectors of two libraries we did not write, and only ever for the TRON chain it is configured on.

Vectors (copied as published, not computed by us):
- ebellocchia/bip_utils `tests/bip/bip44/test_bip44.py` @ 4c8cb68e2ced7880f8e45b45b3ed7e62f167edd0, the "Tron"
  entry of TEST_VECT: the BIP-39 seed of "abandon ... about", its account key (m/44'/195'/0') and the addresses
  of 0/0 to 0/4.
- trustwallet/wallet-core `kotlin/wallet-core-kotlin/src/commonTest/kotlin/com/trustwallet/core/test/
  CoinAddressDerivationTests.kt` @ 41bd37302f1485303a9cbe4182049f57d225a33e: the TRON address of
  "shoot island ... above" (empty passphrase) on wallet-core's default path m/44'/195'/0'/0/0.
"""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aredis
from bitcoinlib.keys import HDKey
from bitcoinlib.mnemonic import Mnemonic

from deposit_check.chains.tron.address import parse_address, to_hex
from deposit_check.cli import main
from deposit_check.config import DEFAULT_CONFIG, EvmChainConfig, ExtendedKeyConfig, TronChainConfig
from deposit_check.ownership import Owner
from deposit_check.ownership.ahead import derive_ahead
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.derive import KeyDeriver
from deposit_check.ownership.index import OwnershipIndex
from harness.redis_server import RedisServer
from tests.deposit_check.ownership.conftest import SECRET, config

BIP_UTILS_MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
BIP_UTILS_SEED = (
    "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1"
    "9a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4"
)
BIP_UTILS_ACCOUNT = (
    "xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQckoHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd"
)
BIP_UTILS_ADDRESSES = [
    "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH",
    "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK",
    "TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx",
    "TRhVWK5XEDkQBDevcdCWW7RW51aRncty4W",
    "TT2X2yyubp7qpAWYYNE5JQWBtoZ7ikQFsY",
]
WALLET_CORE_MNEMONIC = "shoot island position soft burden budget tooth cruel issue economy destroy above"
WALLET_CORE_ADDRESS = "TQ5NMqJjhpQGK7YJbESKtNCo86PJ89ujio"

TRON_CHAIN = '\n[chains.tron]\nfamily = "tron"\nhttp_urls = ["http://127.0.0.1:9"]\n'


def tron_chain() -> TronChainConfig:
    return TronChainConfig(family="tron", http_urls=["http://127.0.0.1:9"])


def account_of(mnemonic: str) -> str:
    """The account xpub of m/44'/195'/0', as a wallet exports it."""
    root = HDKey.from_seed(Mnemonic().to_seed(mnemonic), witness_type="legacy")
    return str(root.subkey_for_path("m/44'/195'/0'").wif_public())


def test_bip_utils_vector_the_seed_the_account_key_and_five_addresses() -> None:
    assert Mnemonic().to_seed(BIP_UTILS_MNEMONIC).hex() == BIP_UTILS_SEED  # the vector's seed is that mnemonic's
    assert account_of(BIP_UTILS_MNEMONIC) == BIP_UTILS_ACCOUNT  # coin type 195, hardened, as the vector says
    deriver = KeyDeriver("tron", tron_chain(), ExtendedKeyConfig(key=BIP_UTILS_ACCOUNT))
    derived = deriver.derive(0, 0, 5)
    assert [a.address for a in derived] == BIP_UTILS_ADDRESSES
    assert [a.identity for a in derived] == BIP_UTILS_ADDRESSES  # the index keys on the base58 form
    assert [a.index for a in derived] == [0, 1, 2, 3, 4]


def test_wallet_core_vector() -> None:
    deriver = KeyDeriver("tron", tron_chain(), ExtendedKeyConfig(key=account_of(WALLET_CORE_MNEMONIC)))
    assert deriver.derive(0, 0, 1)[0].address == WALLET_CORE_ADDRESS


def test_the_evm_derivation_of_the_same_key_gives_the_same_20_bytes() -> None:
    """TRON and EVM addresses of one key share its 20-byte hash: only the chain a key is configured on says
    which spelling is derived."""
    key = ExtendedKeyConfig(key=BIP_UTILS_ACCOUNT, branches=(0, 1))
    evm = KeyDeriver(
        "ethereum", EvmChainConfig(family="evm", chain_id=1, confirmations=12, rpc_urls=["http://127.0.0.1:9"]), key
    )
    tron = KeyDeriver("tron", tron_chain(), key)
    for branch in (0, 1):
        pairs = list(zip(tron.derive(branch, 0, 20), evm.derive(branch, 0, 20), strict=True))
        assert all(to_hex(t.address) == "41" + e.address[2:].lower() for t, e in pairs)
        assert all(t.address.startswith("T") and e.address.startswith("0x") for t, e in pairs)


WITH_KEY = TRON_CHAIN + f'[[ownership.xpubs.tron]]\nkey = "{BIP_UTILS_ACCOUNT}"\ngap = 5\nbranches = [0]\n'


@pytest.fixture(params=["redis", "memory"])
async def tron_index(request: pytest.FixtureRequest, own_redis: RedisServer) -> AsyncIterator[OwnershipIndex]:
    """The index of a deployment with a TRON chain keyed by the bip_utils account key (and the EVM dev chain)."""
    client = aredis.Redis.from_url(own_redis.url) if request.param == "redis" else None
    if client is not None:
        await client.flushdb()
    built = build_ownership(config(WITH_KEY), client)
    assert isinstance(built, OwnershipIndex)
    yield built
    if client is not None:
        await client.aclose()


async def test_a_tron_key_owns_its_addresses_on_the_tron_chain_only(tron_index: OwnershipIndex) -> None:
    both = config(WITH_KEY)
    deriver = KeyDeriver("tron", both.file.chains["tron"], both.file.ownership.xpubs["tron"][0])
    assert await derive_ahead(tron_index, [deriver], batch=2) == 5
    for address in BIP_UTILS_ADDRESSES:
        assert await tron_index.owner_of("tron", address) == Owner(declared=True, ours=True)
        # The same 20 bytes spelled as an EVM address: the EVM chain declared no key, and nothing was derived there.
        assert await tron_index.owner_of("ethereum", "0x" + to_hex(address)[2:]) == Owner(declared=False, ours=False)
    beyond = KeyDeriver("tron", tron_chain(), ExtendedKeyConfig(key=BIP_UTILS_ACCOUNT)).derive(0, 5, 1)[0].address
    assert await tron_index.owner_of("tron", beyond) == Owner(declared=True, ours=False)  # past the gap
    assert await tron_index.count("tron") == 5


def test_derive_on_a_tron_chain_by_the_cli_then_look_up_both_spellings(
    tmp_path: Path, own_redis: RedisServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`deposit-check addresses derive --once` takes the TRON chain's lease and derives its key (the start-up no
    longer refuses TRON keys); a lookup takes the hex spelling too, and refuses the EVM one."""
    url = f"redis://127.0.0.1:{own_redis.port}/5"  # a database of this test's own
    redis.Redis.from_url(url).flushdb()
    path = tmp_path / "deposit_check.toml"
    path.write_text(
        DEFAULT_CONFIG
        + TRON_CHAIN
        + f'\n[ownership]\nsecret = "{SECRET}"\n'
        + f'[[ownership.xpubs.tron]]\nkey = "{BIP_UTILS_ACCOUNT}"\ngap = 5\nbranches = [0]\naccount = "p-trx"\n'
    )
    monkeypatch.setenv("DEPOSIT_CHECK_CONFIG", str(path))
    monkeypatch.setenv("REDIS_URL", url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["addresses", *argv])
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    assert run("derive", "--once")[1] == "derived 5 addresses"
    assert run("derive", "--once")[1] == "derived 0 addresses"
    last = BIP_UTILS_ADDRESSES[4]
    found = json.loads(run("lookup", to_hex(last), "--chain", "tron")[1])
    assert (found["address"], found["address_owner"], found["account"]) == (last, "casino", "p-trx")
    code, _, err = run("lookup", "0x" + to_hex(last)[2:], "--chain", "tron")
    assert code == 1 and "EVM address" in err
    assert parse_address(to_hex(last)) == last
