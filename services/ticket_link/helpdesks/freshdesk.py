"""Freshdesk: notes through `POST /api/v2/tickets/{id}/notes`; the body is HTML, `private` by default.

Freshdesk's automation webhooks are unsigned: the default scheme is `path_secret`. Their body is
written by the operator; accepted: `{"ticket_id": "{{ticket.id}}", "text": "{{ticket.subject}}
{{ticket.description_text}}"}` (recommended), or the same fields wrapped as Freshdesk's "Simple"
content does, `{"freshdesk_webhook": {"ticket_id", "ticket_subject", "ticket_description"}}`.
"""

from typing import Any, ClassVar

import httpx

from ticket_link.config import FreshdeskConfig, WebhookScheme
from ticket_link.helpdesks import markup, payload
from ticket_link.helpdesks.base import TicketText
from ticket_link.helpdesks.http import HttpHelpdesk, ticket_path_id


class Freshdesk(HttpHelpdesk):
    kind = "freshdesk"
    default_scheme: ClassVar[WebhookScheme] = "path_secret"

    def __init__(
        self, name: str, config: FreshdeskConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        # Freshdesk takes the API key as the user name; the password is ignored ("X" by convention).
        auth = httpx.BasicAuth(config.api_key.get_secret_value(), "X")
        super().__init__(name, config, transport=transport, auth=auth)

    async def post_note(self, ticket_id: str, body: str, *, public: bool = False) -> None:
        note = {"body": markup.html(body), "private": not public}
        await self._send("POST", f"/api/v2/tickets/{ticket_path_id(self.name, ticket_id)}/notes", json=note)

    def read_webhook(self, body: bytes) -> TicketText:
        return payload.found(_read(payload.load(body, self.name)), self.name)


def _read(data: Any) -> TicketText | None:
    generic = payload.generic(data)
    if generic is not None:
        return generic
    wrapped = payload.field(data, "freshdesk_webhook")
    tid = payload.ticket_id(payload.field(wrapped, "ticket_id"))
    if tid is None:
        return None
    return TicketText(
        tid, payload.text(payload.field(wrapped, "ticket_subject"), payload.field(wrapped, "ticket_description"))
    )
