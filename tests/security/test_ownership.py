"""Attacks on the ownership index: foreign networks, personal data as accounts, keys without `admin`,
a tampered or transplanted sealed value, an oversized list."""

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from deposit_check.app import create_app
from deposit_check.ownership import Owner
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.errors import InvalidEntries
from deposit_check.ownership.index import OwnershipIndex
from tests.deposit_check.ownership.conftest import config, evm_addresses, ltc_addresses
from tests.servers import serve
from tests.stacks import Key

ADMIN = Key("wallet", scopes=("admin",))
WATCHER = Key("bot", scopes=("watch",))
LEGACY = Key("legacy")


@pytest.fixture
def admin() -> tuple[OwnershipAdmin, OwnershipIndex]:
    index = build_ownership(config(), None)
    assert isinstance(index, OwnershipIndex)
    return OwnershipAdmin(index, dict(config().file.chains)), index


@pytest.mark.parametrize(
    "address",
    [
        "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj",  # litecoin mainnet
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",  # bitcoin regtest
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",  # an EVM address on a UTXO chain
        "rltc1q" + "q" * 38,  # right prefix, bad checksum
    ],
)
async def test_an_address_of_another_network_is_refused(
    admin: tuple[OwnershipAdmin, OwnershipIndex], address: str
) -> None:
    with pytest.raises(InvalidEntries, match="line 1: not a litecoin regtest address"):
        await admin[0].put("litecoin", [(1, address, None)])
    assert await admin[1].count("litecoin") == 0


@pytest.mark.parametrize(
    "account",
    ["jane.doe@example.com", "Jane Doe", "p-1\n", "p\x00", "x" * 129, "", "-leading", "ünïcode"],
)
async def test_accounts_are_opaque_ids_only(admin: tuple[OwnershipAdmin, OwnershipIndex], account: str) -> None:
    with pytest.raises(InvalidEntries, match="line 1: account reference"):
        await admin[0].put("litecoin", [(1, ltc_addresses(1)[0], account)])


async def test_one_address_two_accounts_in_one_list_is_refused(admin: tuple[OwnershipAdmin, OwnershipIndex]) -> None:
    [address] = evm_addresses(1)
    with pytest.raises(InvalidEntries, match=r"line 2: .* already listed at line 1 with another account"):
        await admin[0].put("ethereum", [(1, address, "p-1"), (2, address.lower(), "p-2")])


async def test_lookalike_address_is_not_ours(admin: tuple[OwnershipAdmin, OwnershipIndex]) -> None:
    """One character off (a valid address of the player's) is not the casino's: the hash is of the whole."""
    ours = "0x" + "ab" * 20
    await admin[0].put("ethereum", [(1, ours, "p-1")])
    near = "0x" + "ab" * 19 + "ac"
    _, owner = await admin[0].lookup("ethereum", near)
    assert owner == Owner(declared=True, ours=False)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    head = "".join(k.toml() + "\n" for k in (ADMIN, WATCHER, LEGACY))
    with serve(create_app(config(head=head))) as base:
        yield base


@pytest.mark.parametrize("key", [WATCHER, LEGACY, None])
def test_the_admin_api_needs_the_admin_scope(url: str, key: Key | None) -> None:
    headers = key.headers if key else {}
    body = {"chain": "ethereum", "addresses": [{"address": "0x" + "12" * 20, "account": "p-1"}]}
    for method, path in (("PUT", ""), ("DELETE", ""), ("GET", "/ethereum/0x" + "12" * 20)):
        response = httpx.request(
            method, f"{url}/v1/addresses{path}", json=None if method == "GET" else body, headers=headers
        )
        assert response.status_code == (401 if key is None else 403), (method, key)
    looked = httpx.get(f"{url}/v1/addresses/ethereum/0x{'12' * 20}", headers=ADMIN.headers).json()
    assert looked["address_owner"] == "unknown"  # nothing reached the index


def test_a_forged_key_is_not_admin(url: str) -> None:
    forged = {"Authorization": "Bearer " + hashlib.sha256(ADMIN.secret.encode()).hexdigest()}
    assert httpx.get(f"{url}/v1/addresses/ethereum/0x{'12' * 20}", headers=forged).status_code == 401


def test_an_oversized_list_is_refused(url: str) -> None:
    body = {"chain": "ethereum", "addresses": [{"address": "0x" + "12" * 20}] * 5_000}
    response = httpx.put(f"{url}/v1/addresses", json=body, headers=ADMIN.headers)
    assert response.status_code == 413


def test_a_key_account_that_looks_like_personal_data_stops_start_up() -> None:
    extra = '[[ownership.xpubs.ethereum]]\nkey = "xpub6C' + "a" * 100 + '"\naccount = "jane@example.com"\n'
    with pytest.raises(ValueError, match="account reference refused"):
        build_ownership(config(extra), None)
