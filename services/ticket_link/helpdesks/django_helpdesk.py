"""django-helpdesk (PyPI django-helpdesk 2.6): notes are follow-ups posted through its REST API.

Its webhooks (env HELPDESK_NEW_TICKET_WEBHOOK_URLS / HELPDESK_FOLLOWUP_WEBHOOK_URLS) are unsigned,
so the default scheme is `path_secret`: point them at `.../v1/webhooks/{name}/{secret}`.
"""

from typing import Any, ClassVar

import httpx

from ticket_link.config import DjangoHelpdeskConfig, WebhookScheme
from ticket_link.errors import HelpdeskUnavailable
from ticket_link.helpdesks import markup, payload
from ticket_link.helpdesks.base import TicketText
from ticket_link.helpdesks.http import HttpHelpdesk, ticket_path_id


class DjangoHelpdesk(HttpHelpdesk):
    kind = "django_helpdesk"
    default_scheme: ClassVar[WebhookScheme] = "path_secret"

    def __init__(
        self, name: str, config: DjangoHelpdeskConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        auth = httpx.BasicAuth(config.username, config.password.get_secret_value())
        super().__init__(name, config, transport=transport, auth=auth)

    async def post_note(self, ticket_id: str, body: str, *, public: bool = False) -> None:
        # django-helpdesk renders a follow-up's comment as markdown: escaped, it shows as written.
        note = {"ticket": int(ticket_path_id(self.name, ticket_id)), "comment": markup.markdown(body), "public": public}
        try:
            await self._send("POST", "/helpdesk/api/followups/", json=note)
        except HelpdeskUnavailable:
            # django-helpdesk saves the follow-up, THEN calls its follow-up webhooks in the same
            # request and answers 500 when one of them refuses the connection. Retrying would
            # post the note twice, so look whether it is there before saying "retry".
            if await self.has_note(ticket_id, body, public=public):
                return
            raise

    async def has_note(self, ticket_id: str, body: str, *, public: bool = False) -> bool:
        try:
            response = await self._send("GET", f"/helpdesk/api/tickets/{ticket_path_id(self.name, ticket_id)}/")
            followups = payload.field(response.json(), "followup_set")
        except (HelpdeskUnavailable, ValueError):
            return False
        if not isinstance(followups, list):
            return False
        # Only the last few: a note of ours that old would have been found by an earlier attempt.
        comment = markup.markdown(body)
        return any(
            isinstance(f, dict) and f.get("comment") == comment and f.get("public") is public for f in followups[-5:]
        )

    def read_webhook(self, body: bytes) -> TicketText:
        return payload.found(_read(payload.load(body, self.name)), self.name)


def _read(data: Any) -> TicketText | None:
    """Ticket id, title, description and PUBLIC follow-ups only: internal notes are agents' (and ours).

    The body also carries submitter_email, e-mail recipients and custom fields: never read here.
    """
    ticket = payload.field(data, "ticket")
    if not isinstance(ticket, dict):
        return payload.generic(data)
    tid = payload.ticket_id(ticket.get("id"))
    if tid is None:
        return None
    followups = ticket.get("followup_set")
    trigger = payload.field(data, "followup_id")
    if trigger is not None and isinstance(followups, list):
        # A webhook for an internal follow-up (our own notes, agents' notes) brings no new player text.
        for f in followups:
            if isinstance(f, dict) and f.get("id") == trigger and f.get("public") is not True:
                return TicketText(tid, "")
    comments = [
        f.get("comment")
        for f in (followups if isinstance(followups, list) else [])
        if isinstance(f, dict) and f.get("public") is True
    ]
    return TicketText(tid, payload.text(ticket.get("title"), ticket.get("description"), *comments))
