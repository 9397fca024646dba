"""A hash with no address, from a hostile player: on the whole stack (real litecoind, a Redis of its own,
deposit_check with its ownership index declared through the admin API, ticket_link, its worker and
django-helpdesk). Two chains are configured on the one litecoind (`litecoin`, and `mirror`: the same node under
another name and its own ownership), so one hash is found on two chains, as no two real chains can show it.

What must hold: a located tx is credited only through the normal claim (its duplicate-claim rules included); a
tx paying casino addresses on two chains, or two casino addresses, is never paired with one of them; the
addresses it paid that are not the casino's are never named; a hostile `/v1/locate` body is a 422."""

import secrets
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from deposit_check.devnet.litecoind import Litecoind
from harness.redis_server import RedisServer, running_redis
from tests.stacks import Key, litecoin_toml
from tests.ticket_link.flow_stack import Stack, flow_stack, wait_for_notes

ADMIN = Key("wallet-system", scopes=("admin",))
TICKET_LINK = Key("ticket-link", scopes=("watch",))
LOOKER = Key("looker", scopes=("lookup",))  # no `check`: no locate
CREDIT_IT = "credit it, if not already done"


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    yield from running_redis()


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    dc_text = (
        ADMIN.toml()
        + TICKET_LINK.toml()
        + LOOKER.toml()
        + litecoin_toml(litecoind)
        + f"""[chains.mirror]
family = "utxo"
coin = "litecoin"
network = "regtest"
rpc_urls = ["{litecoind.rpc_url}"]
confirmations = 6
[ownership]
secret = "{secrets.token_urlsafe(32)}"
"""
    )
    work = tmp_path_factory.mktemp("locate-security")
    with flow_stack(dc_text, litecoind, redis, work, api_key=TICKET_LINK.secret) as built:
        yield built


def declare(stack: Stack, chain: str, *addresses: str) -> None:
    response = httpx.put(
        f"{stack.deposit_check_url}/v1/addresses",
        json={"chain": chain, "addresses": [{"address": a} for a in addresses]},
        headers=ADMIN.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text


def locate(stack: Stack, body: object, key: Key = TICKET_LINK) -> httpx.Response:
    return httpx.post(f"{stack.deposit_check_url}/v1/locate", json=body, headers=key.headers, timeout=30)


def test_a_hash_of_somebody_elses_deposit_is_a_duplicate_claim_never_credited_twice(stack: Stack) -> None:
    node = stack.litecoind
    casino = node.new_address("bech32")
    declare(stack, "litecoin", casino)
    declare(stack, "mirror", node.new_address("bech32"))  # declared there too, and not this address
    txid = node.send(casino, Decimal("0.6"))
    node.mine(6)
    owner = stack.desk.create_ticket("deposit", f"tx {txid} to {casino}", "owner@mail.example")
    assert CREDIT_IT in wait_for_notes(stack, owner)[0]["comment"]  # alone, so far
    # Another player names only the hash (read off a block explorer): located, it is the same claim.
    thief = stack.desk.create_ticket("my deposit", f"my txid is {txid}", "thief@mail.example")
    [note] = [n["comment"] for n in wait_for_notes(stack, thief)]
    assert f"desk #{owner}" in note and "more than one ticket claims this transaction" in note
    assert CREDIT_IT not in note and f"Deposit address: {casino}" in note and "Chain: litecoin" in note
    told = wait_for_notes(stack, owner, count=2)
    assert f"desk #{thief}" in told[1]["comment"] and CREDIT_IT not in told[1]["comment"]


def test_a_hash_paying_the_casino_on_one_chain_and_another_address_on_the_other(stack: Stack) -> None:
    node = stack.litecoind
    casino = node.new_address("bech32")
    declare(stack, "litecoin", casino)
    declare(stack, "mirror", node.new_address("bech32"))
    txid = node.send(casino, Decimal("0.7"))
    node.mine(1)
    answer = locate(stack, {"tx_hash": txid}).json()
    by_chain = {f["chain"]: f for f in answer["found_on"]}
    assert by_chain["litecoin"]["casino_addresses"] == [{"address": casino, "assets": ["LTC"]}]
    assert (by_chain["mirror"]["casino_addresses"], by_chain["mirror"]["other_recipients"]) == ([], 2)
    # One casino address on one chain: checked on that chain, with that address, and only there.
    ticket = stack.desk.create_ticket("deposit", f"txid {txid}", "two-chains@mail.example")
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert "Chain: litecoin" in note and "Chain: mirror" not in note and f"Deposit address: {casino}" in note
    assert "Status: confirming (confirmations: 1/6)" in note


def test_a_hash_paying_casino_addresses_on_two_chains_is_never_paired(stack: Stack) -> None:
    node = stack.litecoind
    casino = node.new_address("bech32")
    declare(stack, "litecoin", casino)
    declare(stack, "mirror", casino)  # the same address is the casino's on both
    txid = node.send(casino, Decimal("0.8"))
    node.mine(6)
    ticket = stack.desk.create_ticket("deposit", f"txid {txid}", "both@mail.example")
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert "Found on litecoin" in note and "Found on mirror" in note and note.count(casino) == 2
    assert "paid more than one of the casino's deposit addresses" in note and "Status:" not in note
    assert CREDIT_IT not in note and "do not credit from this note" in note.lower()


def test_a_hash_paying_two_casino_addresses_asks_which_one(stack: Stack) -> None:
    node = stack.litecoind
    first, second, players = (node.new_address("bech32") for _ in range(3))
    declare(stack, "litecoin", first, second)
    declare(stack, "mirror", node.new_address("bech32"))
    txid = node.send_many({first: Decimal("0.1"), second: Decimal("0.2"), players: Decimal("0.3")})
    node.mine(1)
    answer = locate(stack, {"tx_hash": txid, "chain": "litecoin"}).json()
    [found] = answer["found_on"]
    assert sorted(a["address"] for a in found["casino_addresses"]) == sorted([first, second])
    assert found["other_recipients"] == 2  # the player's address and the wallet's change
    ticket = stack.desk.create_ticket("deposit", f"txid {txid}", "two@mail.example")
    [note] = [n["comment"] for n in wait_for_notes(stack, ticket)]
    assert first in note and second in note and players not in note  # only the casino's are named
    assert "paid more than one of the casino's deposit addresses" in note and CREDIT_IT not in note
    assert "Status:" not in note and "0.1" not in note and "0.2" not in note  # no verdict, no amount


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"tx_hash": "ab" * 32, "address": "x"},  # unknown field
        {"tx_hash": "ab" * 31},
        {"tx_hash": "ab" * 33},
        {"tx_hash": "[click](https://evil.example)"},
        {"tx_hash": "ab" * 32 + "\u200b"},
        {"tx_hash": 12345},
        {"tx_hash": ["ab" * 32]},
        {"tx_hash": "ab" * 32, "chain": "lite coin"},
        {"tx_hash": "ab" * 32, "chain": "x" * 33},
        {"tx_hash": "ab" * 32, "chain": "dogecoin"},  # well-formed, not configured
        ["ab" * 32],
        "ab" * 32,
    ],
)
def test_hostile_locate_bodies_are_422s(stack: Stack, body: object) -> None:
    response = locate(stack, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] in ("invalid_request", "invalid_tx_hash", "invalid_chain", "unknown_chain")
    assert "evil.example" not in response.text


def test_locate_bodies_the_parser_refuses(stack: Stack) -> None:
    url = f"{stack.deposit_check_url}/v1/locate"
    headers = {**TICKET_LINK.headers, "Content-Type": "application/json"}
    twice = httpx.post(url, content=f'{{"tx_hash": "{"ab" * 32}", "tx_hash": "{"cd" * 32}"}}', headers=headers)
    assert twice.status_code == 422 and "appears twice" in twice.text, twice.text  # which one was meant?
    assert httpx.post(url, content=b"{not json", headers=headers).status_code == 422
    huge = httpx.post(url, content=b'{"tx_hash": "' + b"a" * 200_000 + b'"}', headers=headers)
    assert huge.status_code == 413


def test_locate_needs_the_check_scope(stack: Stack) -> None:
    assert httpx.post(f"{stack.deposit_check_url}/v1/locate", json={"tx_hash": "ab" * 32}).status_code == 401
    assert locate(stack, {"tx_hash": "ab" * 32}, LOOKER).status_code == 403
