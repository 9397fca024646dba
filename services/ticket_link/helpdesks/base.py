"""The one interface every helpdesk adapter offers: post a note, verify a webhook, read a webhook."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TicketText:
    """All ticket_link ever takes from a webhook: which ticket, and its text to search for hashes.

    Everything else of the payload (requester name, email, other fields) is dropped on arrival.
    """

    ticket_id: str
    text: str


class Helpdesk(Protocol):
    name: str  # the operator's name for it, used in /v1/webhooks/{name}
    kind: str  # django_helpdesk | zendesk | freshdesk | zammad | rt
    account_field: str | None  # where its webhook payload holds the ticket's player account (dotted path)
    webhook_scheme: str  # path_secret | zendesk | zammad | standard_webhooks | none (config or the kind's default)

    async def post_note(self, ticket_id: str, body: str, *, public: bool = False) -> None:
        """Add a note to the ticket; internal (agents only) unless `public`.

        Raises HelpdeskRejected (4xx, final), HelpdeskRateLimited (429, with Retry-After),
        HelpdeskUnavailable (5xx, timeouts, connection errors: retry).
        """
        ...

    async def has_note(self, ticket_id: str, body: str, *, public: bool = False) -> bool:
        """Whether this exact note is among the ticket's latest ones; False when the helpdesk cannot tell.

        Asked before a retry: an attempt that died after the helpdesk saved the note (a killed
        worker, a lost answer) must not post it twice.
        """
        ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, path_secret: str | None, now: float) -> None:
        """Raise WebhookRejected unless the request provably comes from this helpdesk.

        `headers` are lower-cased; `path_secret` is the last URL path segment when the webhook
        URL carries one; `now` is the current Unix time (for replay windows).
        """
        ...

    def read_webhook(self, body: bytes) -> TicketText:
        """Take the ticket id and its text from a verified webhook body; raise InvalidRequest if absent."""
        ...

    async def aclose(self) -> None: ...
