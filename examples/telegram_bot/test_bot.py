"""The Telegram wiring, without Telegram: a recording session instead of the Bot API, and
ticket_link stood in for by httpx.MockTransport (the real-stack tests of `answer` are in the
project's tests/examples/). Run in the bot's virtualenv: `pytest` in this folder."""

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Chat, Message, Update, User
from answer import ASK_HASH
from bot import build_router, chat_tickets

TX = "ab" * 32
ADDRESS = "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj"


class RecordingSession(BaseSession):
    """Records what the bot would send; answers as the Bot API would, without the network."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[TelegramMethod[Any]] = []

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.sent.append(method)
        assert isinstance(method, SendMessage)
        return Message(
            message_id=2, date=datetime.now(UTC), chat=Chat(id=method.chat_id, type="private"), text=method.text
        )

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - not used
        raise NotImplementedError

    async def close(self) -> None:
        pass


def update(chat_id: int, text: str) -> Update:
    user = User(id=7, is_bot=False, first_name="P", language_code="fr")
    message = Message(
        message_id=1, date=datetime.now(UTC), chat=Chat(id=chat_id, type="private"), from_user=user, text=text
    )
    return Update(update_id=1, message=message)


async def test_a_message_is_answered_with_ticket_links_player_message() -> None:
    seen: list[httpx.Request] = []

    def ticket_link(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"player_message": "Votre dépôt est confirmé."})

    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    async with httpx.AsyncClient(base_url="http://ticket-link", transport=httpx.MockTransport(ticket_link)) as client:
        dispatcher = Dispatcher()
        dispatcher.include_router(build_router(client, chat_tickets("555:4521")))
        await dispatcher.feed_update(bot, update(555, f"my tx {TX} to {ADDRESS}"))
        await dispatcher.feed_update(bot, update(555, "hello?"))
    assert [m.text for m in session.sent] == ["Votre dépôt est confirmé.", ASK_HASH]
    assert seen[0].url.path == "/v1/tickets/4521/deposits"
    assert json.loads(seen[0].content) == {"tx_hash": TX, "address": ADDRESS, "lang": "fr"}
    assert len(seen) == 1


def test_chat_tickets_parses_the_operators_mapping() -> None:
    assert chat_tickets(" -1001234567890:4521, 987:12 ,") == {-1001234567890: "4521", 987: "12"}
    with pytest.raises(ValueError):
        chat_tickets("-100123")
