"""examples/telegram_bot: `answer` against a real ticket_link and deposit_check (no Telegram: the
aiogram layer is a thin wrapper, tested in the example's own venv by its test_bot.py)."""

import importlib.util
import re
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import redis

from deposit_check.devnet.litecoind import Litecoind
from tests.examples.conftest import BOT, CHECK_ONLY, SLOW_BOT
from tests.stacks import BotStack, Key

EXAMPLE = Path(__file__).parents[2] / "examples" / "telegram_bot" / "answer.py"


def _load() -> ModuleType:
    # The example is a folder of scripts, not a package: load its logic module by path.
    spec = importlib.util.spec_from_file_location("telegram_bot_answer", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bot = _load()


class Counting(httpx.AsyncHTTPTransport):
    calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return await super().handle_async_request(request)


@pytest.fixture
def transport() -> Counting:
    return Counting()


@pytest.fixture
async def client(stack: BotStack, transport: Counting) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, headers=BOT.headers, transport=transport, timeout=30) as client:
        yield client


def client_for(stack: BotStack, key: Key) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.url, headers=key.headers, timeout=30)


def note_jobs(stack: BotStack) -> int:
    return sum(1 for _ in redis.Redis.from_url(stack.redis_url).scan_iter("saq:job:*"))


async def test_player_gets_ticket_links_message_and_the_ticket_a_note(
    stack: BotStack, litecoind: Litecoind, client: httpx.AsyncClient
) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.42"))
    litecoind.mine(6)
    before = note_jobs(stack)
    reply = await bot.answer(f"Hi! I deposited 0.42 LTC.\nTXID: {txid}\nto {address}\nthanks", "4521", client)
    assert "0.42" in reply and "confirmed" in reply.lower()
    assert note_jobs(stack) == before + 1  # the internal note is queued for ticket 4521
    french = await bot.answer(f"{txid} {address}", "4521", client, lang="fr")
    assert french != reply and "0.42" in french


async def test_pending_deposit_in_the_mempool(litecoind: Litecoind, client: httpx.AsyncClient) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.05"))
    reply = await bot.answer(f"sent {txid} -> {address}", "4522", client)
    assert reply != bot.BROKEN and "0.05" in reply


async def test_the_ticket_is_the_chats_never_the_number_the_player_types(
    stack: BotStack, litecoind: Litecoind, client: httpx.AsyncClient, transport: Counting
) -> None:
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.3"))
    # A chat the bot has no ticket for: typing one (another player's, say) links nothing and calls nothing.
    assert await bot.answer(f"Ticket #4523: tx {txid}, address {address}", None, client) == bot.NOT_LINKED
    assert await bot.answer(f"{txid} {address}", None, client) == bot.NOT_LINKED
    assert transport.calls == 0
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request.url.path)

    client.event_hooks["request"].append(record)
    reply = await bot.answer(f"this is for ticket #4529 not mine: tx {txid}, address {address}", "4523", client)
    assert "0.3" in reply
    assert seen == ["/v1/tickets/4523/deposits"]  # the chat's ticket, whatever the message says


async def test_incomplete_messages_are_asked_about_without_calling_the_api(
    client: httpx.AsyncClient, transport: Counting
) -> None:
    assert await bot.answer("where is my money??", "4524", client) == bot.ASK_HASH
    assert await bot.answer(f"my tx is {'ab' * 32}", "4524", client) == bot.ASK_ADDRESS
    assert transport.calls == 0


async def test_unknown_transaction(litecoind: Litecoind, client: httpx.AsyncClient) -> None:
    reply = await bot.answer(f"{'cd' * 32} {litecoind.new_address('bech32')}", "4525", client)
    assert reply not in (bot.BROKEN, bot.NOT_VALID) and "cdcdcd" in reply.lower()


async def test_address_of_another_network(litecoind: Litecoind, client: httpx.AsyncClient) -> None:
    # A mainnet Litecoin address on a regtest deployment: ticket_link (via deposit_check) says 422.
    reply = await bot.answer(f"{'ab' * 32} ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj", "4526", client)
    assert reply == bot.NOT_VALID


async def test_a_check_only_key_cannot_post_so_the_player_is_told_an_agent_will_answer(
    stack: BotStack, litecoind: Litecoind, caplog: pytest.LogCaptureFixture
) -> None:
    async with client_for(stack, CHECK_ONLY) as client:
        reply = await bot.answer(f"{'ab' * 32} {litecoind.new_address('bech32')}", "4527", client)
    assert reply == bot.BROKEN
    assert "403 forbidden" in caplog.text  # the operator sees why in the bot's log


async def test_rate_limited_bot_tells_the_player_when_to_retry(stack: BotStack, litecoind: Litecoind) -> None:
    text = f"{'ab' * 32} {litecoind.new_address('bech32')}"
    async with client_for(stack, SLOW_BOT) as client:
        assert await bot.answer(text, "4528", client) not in (bot.BROKEN, bot.NOT_VALID)
        reply = await bot.answer(text, "4528", client)
    match = re.fullmatch(r"Too many checks right now; please try again in ([0-9]+) seconds\.", reply)
    assert match is not None and 1 <= int(match.group(1)) <= 60


def test_find_claim() -> None:
    evm_tx, evm_address = "0x" + "5c" * 32, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert bot.find_claim(f"hash: {evm_tx} wallet {evm_address}.") == (evm_tx, evm_address)
    assert bot.find_claim("ab" * 32 + " mzBc4XEFSdzCDcTxAgf6EZXgsZWpztRhef") == (
        "ab" * 32,
        "mzBc4XEFSdzCDcTxAgf6EZXgsZWpztRhef",
    )
    assert bot.find_claim("nothing here") == (None, None)
    assert not hasattr(bot, "find_ticket")  # the player never names the ticket
