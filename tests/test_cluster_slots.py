"""Redis Cluster's slot rule over the whole flow, on one real redis-server watched with MONITOR.

The flow: an ownership import, a ticket's webhook (check, claim, note through the worker into django-helpdesk),
a second ticket claiming the same tx, a bot's claim of a pending tx that the watcher follows to its confirmations
(a note per change), a lookup; and the web form's sign-in. Every multi-key command, every MULTI..EXEC block (with what it WATCHed) and every
script (its keys and the commands it ran) must touch one hash slot; and the keys spread over slots by chain, by
tx and by ticket, not all under one tag.
"""

import re
import secrets
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from redis.crc import key_slot

from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.redis_commands import Sent, cross_slot, groups, keys_by_slot, recorded
from tests.stacks import Key, litecoin_toml
from tests.ticket_link.flow_stack import confirmed_deposit, flow_stack, wait_for_notes
from tests.ticket_link.settle import wait_until
from tests.ticket_link.web.conftest import DepositCheck, make_app, sign_in

pytestmark = pytest.mark.slow

DB = 9  # a database of its own: MONITOR shows every database, the test keeps this one's commands
ADMIN = Key("wallet-system", scopes=("admin",))
TICKET_LINK = Key("ticket-link", scopes=("check", "watch", "lookup"))


@pytest.fixture(scope="module")
def flow(
    litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Sent]]:
    """The commands of the whole flow, from the services' start to their stop."""
    dc_text = (
        ADMIN.toml()
        + TICKET_LINK.toml()
        + litecoin_toml(litecoind)
        + f'[ownership]\nsecret = "{secrets.token_urlsafe(32)}"\n'
    )
    url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    with recorded(url, db=DB) as sent:
        work = tmp_path_factory.mktemp("slots")
        with flow_stack(dc_text, litecoind, redis_server, work, db=DB, api_key=TICKET_LINK.secret) as stack:
            node = stack.litecoind
            # An ownership import: the address is the casino's.
            owned, address = node.new_address("bech32"), node.new_address("bech32")
            response = httpx.put(
                f"{stack.deposit_check_url}/v1/addresses",
                json={"chain": "litecoin", "addresses": [{"address": owned}, {"address": address}]},
                headers=ADMIN.headers,
                timeout=30,
            )
            assert response.status_code == 200, response.text
            # A ticket's webhook: check, claim, note; then a second ticket claims the same tx.
            txid = node.send(owned, Decimal("0.3"))
            node.mine(6)
            first = stack.desk.create_ticket("Deposit missing", f"Tx {txid} to {owned}", "slots1@mail.example")
            wait_for_notes(stack, first)
            second = stack.desk.create_ticket("Deposit again", f"{txid} {owned}", "slots2@mail.example")
            wait_for_notes(stack, second)
            wait_for_notes(stack, first, 2)
            # A bot's claim of a pending deposit: watched to its confirmations, a note per change.
            bot = stack.desk.create_ticket("pending", "hello", "slots3@mail.example")
            pending = node.send(address, Decimal("0.6"))
            claim = f"{stack.url}/v1/tickets/{bot}/deposits"
            answer = httpx.post(claim, json={"tx_hash": pending, "address": address}, timeout=30).json()
            assert answer["watching"] is True, answer
            wait_for_notes(stack, bot, 1)
            node.mine(1)
            wait_for_notes(stack, bot, 2)
            node.mine(5)
            wait_for_notes(stack, bot, 3)
            # The same claim again, and checks of deposit_check's own: cached answers, read with the chain's
            # ownership version, reorg mark and the address's ownership entry in one command.
            assert httpx.post(claim, json={"tx_hash": pending, "address": address}, timeout=30).status_code == 200
            for _ in range(3):
                checked = httpx.post(
                    f"{stack.deposit_check_url}/v1/checks",
                    json={"tx_hash": txid, "address": owned, "chain": "litecoin"},
                    headers=TICKET_LINK.headers,
                    timeout=30,
                )
                assert checked.status_code == 200 and checked.json()["address_owner"] == "casino", checked.text
            # Another deposit to the casino's address, found by a lookup (the watcher's index).
            confirmed_deposit(node, "0.01")

            def looked_up() -> bool:
                found = httpx.post(
                    f"{stack.deposit_check_url}/v1/lookups",
                    json={"address": owned},
                    headers=TICKET_LINK.headers,
                    timeout=30,
                ).json()
                return bool(found.get("deposits"))

            wait_until(looked_up, 20, "the lookup found nothing")
    yield sent


def test_every_multi_key_command_transaction_and_script_touches_one_slot(flow: list[Sent]) -> None:
    checked = groups(flow)
    kinds = Counter(g.kind for g in checked)
    # The flow did run each kind (else the rule below holds for nothing).
    assert kinds["transaction"] >= 5 and kinds["script"] >= 5 and kinds["command"] >= 100, kinds
    wrong = {_shape(g.keys): g for g in cross_slot(flow)}  # one of each kind
    assert not wrong, "across slots:\n" + "\n".join(f"{g.show()}\n    {shape}" for shape, g in wrong.items())


def _shape(keys: set[bytes]) -> str:
    """Keys with their hashes and ids blanked: the same mistake made twice reads as one."""
    return " ".join(sorted({re.sub(r"[0-9a-f]{16,}|[0-9a-f-]{36}", "*", k.decode(errors="replace")) for k in keys}))


def test_the_keys_spread_over_slots_by_chain_tx_and_ticket(flow: list[Sent]) -> None:
    slots = keys_by_slot(flow)
    listing = "\n".join(f"{slot:>5}  {key.decode(errors='replace')}" for key, slot in sorted(slots.items()))
    print(f"\nEvery key the flow touched ({len(slots)}), with its slot:\n{listing}")  # shown with -s
    chain = {key_slot(k) for k in slots if k.startswith(b"dc:v1:{litecoin}")}
    assert len(chain) == 1  # a chain's watcher state, streams and ownership: one slot (one MULTI per block)
    claims = {key_slot(k) for k in slots if k.startswith(b"tl:v1:claim:{")}
    assert len(claims) >= 2  # by tx: the two deposits' claims are in slots of their own
    tickets = {key_slot(k) for k in slots if k.startswith(b"tl:v1:ticket:{")}
    assert len(tickets) >= 2  # by ticket
    answers = {key_slot(k) for k in slots if b":answer:" in k}
    assert answers and answers <= chain  # a chain's cached answers: in its slot, read with its versions
    assert len(set(slots.values())) >= 8


async def test_the_web_forms_sign_in_touches_one_slot_a_command(redis_server: RedisServer) -> None:
    """The web form's sign-in (limiter windows, known sources, session versions), refused then accepted."""
    url = f"redis://127.0.0.1:{redis_server.port}/{DB + 1}"
    with recorded(url, db=DB + 1) as sent:
        transport = httpx.ASGITransport(app=make_app(DepositCheck(), url))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await sign_in(client, password="wrong")).status_code != 303
            assert (await sign_in(client)).status_code == 303
    touched = keys_by_slot(sent)
    assert any(k.startswith(b"tl:v1:web:") for k in touched), sorted(touched)
    assert not cross_slot(sent), [g.show() for g in cross_slot(sent)]
