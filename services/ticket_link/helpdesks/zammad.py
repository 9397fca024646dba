"""Zammad: a note is a ticket article of type "note", `internal` unless public.

Webhooks are signed (`X-Hub-Signature`, HMAC-SHA1), default scheme `zammad`. The default
payload is `{"ticket": {"id", "title", ... customer, owner ...}, "article": {"body", "internal", ...}}`:
only the ticket id, its title and a non-internal article's body are read.
"""

from typing import Any, ClassVar

import httpx

from ticket_link.config import WebhookScheme, ZammadConfig
from ticket_link.helpdesks import markup, payload
from ticket_link.helpdesks.base import TicketText
from ticket_link.helpdesks.http import HttpHelpdesk, ticket_path_id


class Zammad(HttpHelpdesk):
    kind = "zammad"
    default_scheme: ClassVar[WebhookScheme] = "zammad"

    def __init__(self, name: str, config: ZammadConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        headers = {"Authorization": f"Token token={config.token.get_secret_value()}"}
        super().__init__(name, config, transport=transport, headers=headers)

    async def post_note(self, ticket_id: str, body: str, *, public: bool = False) -> None:
        article = {
            "ticket_id": int(ticket_path_id(self.name, ticket_id)),
            # Zammad shows articles as HTML (text/plain ones are converted, URLs linkified): send escaped HTML.
            "body": markup.html(body),
            "type": "note",
            "internal": not public,
            "content_type": "text/html",
        }
        await self._send("POST", "/api/v1/ticket_articles", json=article)

    def read_webhook(self, body: bytes) -> TicketText:
        return payload.found(_read(payload.load(body, self.name)), self.name)


def _read(data: Any) -> TicketText | None:
    ticket = payload.field(data, "ticket")
    if not isinstance(ticket, dict):
        return payload.generic(data)
    tid = payload.ticket_id(ticket.get("id"))
    if tid is None:
        return None
    article = payload.field(data, "article")
    # Internal articles are agents' notes (ours among them); a missing flag counts as internal.
    visible = payload.field(article, "body") if payload.field(article, "internal") is False else None
    return TicketText(tid, payload.text(ticket.get("title"), visible))
