"""The support bot's logic, free of Telegram: a player's message in, the reply out.

It finds the transaction hash and deposit address in the message with two small regexes (the
example talks to ticket_link's API only; ticket_link's own extractor, used for helpdesk webhooks,
is more thorough), asks ticket_link `POST /v1/tickets/{ref}/deposits`, and replies with the
`player_message` ticket_link words for the player. Needs only httpx.

The ticket a chat posts into is the bot's own record (chat -> ticket, kept by the operator's
config), never a number the player types: a player naming another player's ticket would
otherwise post into it and read its verdicts.
"""

import logging
import re

import httpx

log = logging.getLogger(__name__)

_TX_HASH = re.compile(r"\b(?:0x)?[0-9a-fA-F]{64}\b")
_ADDRESSES = (
    re.compile(r"\b0x[0-9a-fA-F]{40}\b"),  # EVM
    re.compile(r"\b(?:bc|tb|bcrt|ltc|tltc|rltc)1[02-9ac-hj-np-z]{8,87}\b", re.IGNORECASE),  # bech32
    re.compile(r"\b[13LMmn2Q][1-9A-HJ-NP-Za-km-z]{25,34}\b"),  # base58 (Bitcoin, Litecoin)
)

ASK_HASH = (
    "Please send the transaction hash (TXID) of your deposit and the deposit address you paid to, both in one message."
)
ASK_ADDRESS = "Thanks! Please send the transaction hash again together with the deposit address you paid to."
NOT_LINKED = "This chat is not linked to a support ticket yet. A support agent will answer you here."
TRY_LATER = "Too many checks right now; please try again in {seconds} seconds."
UNAVAILABLE = (
    "We cannot reach the blockchain right now. Your ticket has been updated, and we will check again automatically."
)
NOT_VALID = "That transaction hash or address does not look right. Please copy both again from your wallet."
BROKEN = "Sorry, I cannot check deposits at the moment. A support agent will answer you here."


def find_claim(text: str) -> tuple[str | None, str | None]:
    """The first transaction hash and the first deposit address in the text (None where absent)."""
    tx = _TX_HASH.search(text)
    rest = text.replace(tx.group(), " ") if tx else text
    address = next((m.group() for pattern in _ADDRESSES if (m := pattern.search(rest))), None)
    return (tx.group() if tx else None), address


async def answer(text: str, chat_ticket_ref: str | None, client: httpx.AsyncClient, lang: str | None = None) -> str:
    """The reply to one player message.

    `chat_ticket_ref` is the ticket the bot has for this chat (None: not linked yet, and the
    player cannot link it: a ticket number in `text` is never used); `client` has ticket_link's base URL and `Authorization: Bearer <key>` (scope `post`);
    `lang` is the player's language for ticket_link's `player_message` (en, fr, pl, ru).
    """
    tx_hash, address = find_claim(text)
    if tx_hash is None:
        return ASK_HASH
    if address is None:
        return ASK_ADDRESS
    if chat_ticket_ref is None:
        return NOT_LINKED
    ticket = chat_ticket_ref
    body: dict[str, str] = {"tx_hash": tx_hash, "address": address}
    if lang:
        body["lang"] = lang
    try:
        response = await client.post(f"/v1/tickets/{ticket}/deposits", json=body)
    except httpx.HTTPError as exc:
        log.error("ticket_link did not answer: %s", type(exc).__name__)
        return BROKEN
    if response.status_code == 200:
        return str(response.json()["player_message"])
    if response.status_code == 429:
        return TRY_LATER.format(seconds=response.headers.get("retry-after", "60"))
    if response.status_code == 503:
        return UNAVAILABLE
    if response.status_code == 422:
        return NOT_VALID
    # 401/403/404: the bot is misconfigured (key, scope, helpdesk); the operator must look, not the player.
    log.error("ticket_link refused the bot: %s %s", response.status_code, _code(response))
    return BROKEN


def _code(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return response.reason_phrase
