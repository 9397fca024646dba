"""Telegram wiring for the support bot: a thin layer over `answer.answer` (aiogram 3).

Run: `python bot.py` with TELEGRAM_BOT_TOKEN, TICKET_LINK_URL, TICKET_LINK_API_KEY and, optionally,
CHAT_TICKETS ("<chat id>:<ticket id>,..."). See README.md.
"""

import asyncio
import logging
import os

import httpx
from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Message
from answer import answer


def chat_tickets(spec: str) -> dict[int, str]:
    """`"-1001234567890:4521, 987654321:4522"` -> {chat id: ticket id}, as the operator configures it."""
    mapping: dict[int, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        chat, _, ticket = item.rpartition(":")
        if not chat or not ticket.isdigit():
            raise ValueError(f"CHAT_TICKETS: expected <chat id>:<ticket id>, got {item!r}")
        mapping[int(chat)] = ticket
    return mapping


def build_router(client: httpx.AsyncClient, tickets: dict[int, str]) -> Router:
    """One handler: every text message gets the reply `answer` words."""
    router = Router(name="deposits")

    @router.message(F.text)
    async def on_text(message: Message) -> None:
        lang = message.from_user.language_code if message.from_user else None
        reply = await answer(message.text or "", tickets.get(message.chat.id), client, lang=lang)
        await message.reply(reply)

    return router


def ticket_link_client(url: str, api_key: str) -> httpx.AsyncClient:
    # ticket_link waits up to deposit_check's timeout (30 s by default) before answering 503.
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=40)


async def main() -> None:
    logging.basicConfig(level=logging.INFO)
    tickets = chat_tickets(os.environ.get("CHAT_TICKETS", ""))
    async with ticket_link_client(
        os.environ.get("TICKET_LINK_URL", "http://127.0.0.1:8090"), os.environ["TICKET_LINK_API_KEY"]
    ) as client:
        bot = Bot(os.environ["TELEGRAM_BOT_TOKEN"])
        dispatcher = Dispatcher()
        dispatcher.include_router(build_router(client, tickets))
        await dispatcher.start_polling(bot)


if __name__ == "__main__":
    asyncio.run(main())
