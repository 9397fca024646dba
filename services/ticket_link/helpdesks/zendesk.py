"""Zendesk Support: a note is a comment added by updating the ticket (`public: false` = internal note).

Webhook bodies of triggers are written by the operator. Accepted, first match wins:
- `{"ticket_id": "{{ticket.id}}", "text": "{{ticket.title}} {{ticket.latest_public_comment}}"}` (recommended);
- `{"ticket": {"id": ..., "title"/"subject", "description", "latest_public_comment"}}`
  (`latest_comment` is ignored: it may be an internal note);
- a Zendesk ticket event (`"type": "zen:event-type:ticket.*"`, `detail.{id, subject, description}`,
  plus `event.comment.body` when `event.comment.is_public`).
Requester, assignee and any other field are ignored.
"""

from typing import Any, ClassVar

import httpx

from ticket_link.config import WebhookScheme, ZendeskConfig
from ticket_link.helpdesks import markup, payload
from ticket_link.helpdesks.base import TicketText
from ticket_link.helpdesks.http import HttpHelpdesk, ticket_path_id


class Zendesk(HttpHelpdesk):
    kind = "zendesk"
    default_scheme: ClassVar[WebhookScheme] = "zendesk"

    def __init__(self, name: str, config: ZendeskConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        auth = httpx.BasicAuth(f"{config.email}/token", config.api_token.get_secret_value())
        super().__init__(name, config, transport=transport, auth=auth)

    async def post_note(self, ticket_id: str, body: str, *, public: bool = False) -> None:
        # `html_body` (Zendesk's "comment formatted as HTML"), escaped: shown as written, nothing in it is markup.
        update = {"ticket": {"comment": {"html_body": markup.html(body), "public": public}}}
        await self._send("PUT", f"/api/v2/tickets/{ticket_path_id(self.name, ticket_id)}.json", json=update)

    def read_webhook(self, body: bytes) -> TicketText:
        return payload.found(_read(payload.load(body, self.name)), self.name)


def _read(data: Any) -> TicketText | None:
    generic = payload.generic(data)
    if generic is not None:
        return generic
    ticket = payload.field(data, "ticket")
    if isinstance(ticket, dict):
        tid = payload.ticket_id(ticket.get("id"))
        if tid is None:
            return None
        return TicketText(
            tid,
            payload.text(
                ticket.get("title"),
                ticket.get("subject"),
                ticket.get("description"),
                # Not latest_comment: it may be an internal note, ours or an agent's.
                ticket.get("latest_public_comment"),
            ),
        )
    event_type = payload.field(data, "type")
    if isinstance(event_type, str) and event_type.startswith("zen:event-type:ticket."):
        tid = payload.ticket_id(payload.field(data, "detail", "id"))
        if tid is None:
            return None
        comment = payload.field(data, "event", "comment")
        public_comment = payload.field(comment, "body") if payload.field(comment, "is_public") is True else None
        return TicketText(
            tid,
            payload.text(
                payload.field(data, "detail", "subject"), payload.field(data, "detail", "description"), public_comment
            ),
        )
    return None
