"""Request Tracker 5 (REST2): a note is a comment (`/comment`, never mailed to the requester);
a public note is a reply (`/correspond`). Auth: `Authorization: token <auth token>`.

RT has no signed webhooks of its own: operators send one from a scrip (e.g. On Create, an
action POSTing with curl or LWP) to `.../v1/webhooks/{name}/{secret}` (default scheme
`path_secret`) with the body `{"ticket_id": <id>, "text": "<subject and content>"}`.
"""

from typing import ClassVar

import httpx

from ticket_link.config import RtConfig, WebhookScheme
from ticket_link.helpdesks import markup, payload
from ticket_link.helpdesks.base import TicketText
from ticket_link.helpdesks.http import HttpHelpdesk, ticket_path_id


class RequestTracker(HttpHelpdesk):
    kind = "rt"
    default_scheme: ClassVar[WebhookScheme] = "path_secret"

    def __init__(self, name: str, config: RtConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        headers = {"Authorization": f"token {config.token.get_secret_value()}"}
        super().__init__(name, config, transport=transport, headers=headers)

    async def post_note(self, ticket_id: str, body: str, *, public: bool = False) -> None:
        action = "correspond" if public else "comment"
        await self._send(
            "POST",
            f"/REST/2.0/ticket/{ticket_path_id(self.name, ticket_id)}/{action}",
            content=markup.plain(body).encode(),  # text/plain: RT escapes it for its pages
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )

    def read_webhook(self, body: bytes) -> TicketText:
        return payload.found(payload.generic(payload.load(body, self.name)), self.name)
