"""Input at the doors: a hash, an address and a chain name are accepted only in their chain families'
character sets and lengths (desk_common.chain_text), by ticket_link's bot API and agent form and by
deposit_check's `/v1/checks`, with a 422 that names the field and why and never quotes the input.

Against the real services: litecoind, Redis, deposit_check and ticket_link (tests/stacks.py)."""

from collections.abc import Callable, Iterator

import httpx
import pytest

from deposit_check.app import create_app as create_deposit_check
from deposit_check.devnet.litecoind import Litecoind
from desk_common import chain_text
from tests.conftest import RedisServer
from tests.servers import serve
from tests.stacks import BotStack, Key, bot_stack, deposit_check_config
from ticket_link.web.forms import read_deposit_form

DB = 14
ATTACK = "[Urgent: re-verify player KYC here](https://evil.example/desk-login)"
TX = "ab" * 32
EVM_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
NOT_HASHES = [
    ATTACK,
    "<script>alert(1)</script>",
    "ab" * 31,  # 62 hex
    "ab" * 33,  # 66 hex, no 0x
    "0x" + "ab" * 31 + "zz",
    "0x" + "ab" * 32 + " https://evil.example",
    "0x" + "ab" * 32 + "\u200b",  # zero-width space
    "\uff41" * 64,  # full-width letters are not hex
    "",
]
NOT_ADDRESSES = [
    ATTACK,
    "https://evil.example",
    "x",
    "0x1234",
    "0x" + "11" * 21,
    "ltc1q" + "<b>" * 10,
    "rltc1qNOTMIXEDcase00",
    "ltc1" + "q" * 95,  # over bech32's 90
    "1" * 24,  # base58 too short
    "O" * 30,  # O is not base58
    "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn extra",
]
Door = Callable[[BotStack, dict[str, object]], httpx.Response]
ADDRESSES = {  # one of each family's shape: the door lets them through (deposit_check judges the rest)
    "evm": EVM_ADDRESS,
    "bech32": "ltc1qg82dn7r2ruvdjvjmcvt8fc3wsxhrzrf4vphs3v",
    "bech32 upper": "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "base58": "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
    "tron base58 (issue 15)": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
}


BOT = Key("bot")  # every scope, on both services


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer) -> Iterator[BotStack]:
    """deposit_check and ticket_link; the bot's key is on both (deposit_check's own gate is asked directly too)."""
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    with (
        bot_stack(litecoind, redis_server, DB, [BOT]) as built,
        serve(create_deposit_check(deposit_check_config(litecoind, redis_url, [BOT]))) as dc_url,
    ):
        yield BotStack(dc_url, built.url, built.redis_url)


def claim(stack: BotStack, body: dict[str, object]) -> httpx.Response:
    return httpx.post(
        f"{stack.url}/v1/tickets/41/deposits", json=body | {"post_note": False}, headers=BOT.headers, timeout=30
    )


def check(stack: BotStack, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{stack.deposit_check_url}/v1/checks", json=body, headers=BOT.headers, timeout=30)


def assert_refused(response: httpx.Response, code: str, field: str, bad: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"].startswith(f"{field}: not a "), error
    assert "evil" not in response.text and (len(bad.strip()) < 6 or bad.strip() not in response.text)  # never quoted


@pytest.mark.parametrize("bad", NOT_HASHES)
@pytest.mark.parametrize("door", [claim, check], ids=["ticket_link", "deposit_check"])
def test_a_hash_of_no_family_is_a_422_naming_the_field(stack: BotStack, door: Door, bad: str) -> None:
    assert_refused(door(stack, {"tx_hash": bad, "address": EVM_ADDRESS}), "invalid_tx_hash", "tx_hash", bad)


@pytest.mark.parametrize("bad", NOT_ADDRESSES)
@pytest.mark.parametrize("door", [claim, check], ids=["ticket_link", "deposit_check"])
def test_an_address_of_no_family_is_a_422_naming_the_field(stack: BotStack, door: Door, bad: str) -> None:
    assert_refused(door(stack, {"tx_hash": TX, "address": bad}), "invalid_address", "address", bad)


@pytest.mark.parametrize("door", [claim, check], ids=["ticket_link", "deposit_check"])
def test_a_chain_name_with_markup_is_refused(stack: BotStack, door: Door) -> None:
    chain = "[x](https://evil.example)"
    assert_refused(
        door(stack, {"tx_hash": TX, "address": EVM_ADDRESS, "chain": chain}), "invalid_chain", "chain", chain
    )


def test_both_fields_bad_name_both(stack: BotStack) -> None:
    response = claim(stack, {"tx_hash": ATTACK, "address": ATTACK})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
    message = response.json()["error"]["message"]
    assert "tx_hash: not a transaction hash" in message and "address: not a deposit address" in message
    assert "evil" not in message


@pytest.mark.parametrize("family", list(ADDRESSES))
def test_every_family_passes_the_door_and_deposit_check_judges_it(stack: BotStack, family: str) -> None:
    """Only litecoin regtest is configured: an address of another network passes the shape rule and is then
    refused by the chain's own parsing (its checksum and network), or not found."""
    for door in (claim, check):
        response = door(stack, {"tx_hash": " " + TX.upper() + " ", "address": ADDRESSES[family]})
        if response.status_code == 422:
            # Not the door's refusal: the chain adapter's (network or checksum), which says more.
            assert not response.json()["error"]["message"].startswith(("address: not a", "tx_hash: not a"))
        else:
            assert response.status_code == 200 and response.json()["status"] == "not_found", response.text


def test_a_real_deposit_passes_both_doors(stack: BotStack, litecoind: Litecoind) -> None:
    for kind in ("bech32", "legacy", "p2sh-segwit"):
        address = litecoind.new_address(kind)
        assert chain_text.address_family(address) is not None, (kind, address)
        response = claim(stack, {"tx_hash": "0x" + TX, "address": address})
        assert response.status_code == 200 and response.json()["tx_hash"] == TX, response.text


def test_the_agent_form_says_which_field_and_why() -> None:
    _, errors = read_deposit_form({"tx_hash": ATTACK, "address": "ltc1q<b>hello</b>"})
    assert any(e.startswith("The transaction hash is not a transaction hash: expected 64") for e in errors), errors
    assert any(e.startswith("The deposit address is not a deposit address: expected") for e in errors), errors
    assert not any("evil" in e or "<b>" in e for e in errors)
    form, errors = read_deposit_form({"tx_hash": f"tx: {TX}", "address": f"to {EVM_ADDRESS}."})
    assert errors == [] and (form.tx_hash, form.address) == (TX, EVM_ADDRESS)
