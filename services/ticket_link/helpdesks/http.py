"""The HTTP side every adapter shares: one client per helpdesk, and one mapping from responses and
transport errors to the HelpdeskError family.

Error messages name the helpdesk and the status only: never a credential, a note body or a payload.
"""

import email.utils
import math
import re
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from ticket_link import metrics
from ticket_link.config import HelpdeskConfig, WebhookScheme
from ticket_link.errors import (
    HelpdeskRateLimited,
    HelpdeskRejected,
    HelpdeskUnavailable,
    WebhookRejected,
)
from ticket_link.helpdesks import webhooks

DEFAULT_RETRY_AFTER = 30.0
_TICKET_ID = re.compile(r"[0-9]{1,20}")


def retry_after_seconds(value: str | None, now: float | None = None) -> float:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date; 30 when absent or unreadable."""
    if value is None or not value.strip():
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive one would be read as local time
            return DEFAULT_RETRY_AFTER
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return DEFAULT_RETRY_AFTER
    return max(0.0, seconds)


def check_response(helpdesk: str, response: httpx.Response) -> None:
    """Raise the HelpdeskError that fits a non-2xx response; return on 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        raise HelpdeskRateLimited(
            f"helpdesk {helpdesk}: rate limited (HTTP 429)", retry_after_seconds(response.headers.get("retry-after"))
        )
    if status >= 500:
        raise HelpdeskUnavailable(f"helpdesk {helpdesk}: HTTP {status}")
    if 300 <= status < 400:
        # Redirects are not followed (a POST would turn into a GET): base_url is wrong, a retry will not help.
        raise HelpdeskRejected(f"helpdesk {helpdesk}: HTTP {status} redirect, check base_url", status)
    raise HelpdeskRejected(f"helpdesk {helpdesk}: HTTP {status}", status)


def ticket_path_id(helpdesk: str, ticket_id: str) -> str:
    """The ticket id, checked to be a plain number before it goes into a URL path.

    Every supported helpdesk numbers its tickets; anything else would never be accepted, so it
    is final (HelpdeskRejected, status 400) without asking the helpdesk.
    """
    if not _TICKET_ID.fullmatch(ticket_id):
        raise HelpdeskRejected(f"helpdesk {helpdesk}: ticket id is not a number", 400)
    return ticket_id


class HttpHelpdesk:
    """What the adapters have in common: name, config, one AsyncClient, webhook verification, closing."""

    kind: str
    default_scheme: ClassVar[WebhookScheme]

    def __init__(
        self,
        name: str,
        config: HelpdeskConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.webhook_scheme: str = config.webhook_scheme or self.default_scheme
        self.account_field: str | None = config.account_field
        secret = config.webhook_secret.get_secret_value() if config.webhook_secret else None
        self._webhook_secret = secret or None
        webhooks.check_secret(self.webhook_scheme, self._webhook_secret, helpdesk=name)
        self._client = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/"),
            timeout=config.timeout_seconds,
            transport=transport,
            auth=auth,
            headers=dict(headers or {}),
            follow_redirects=False,
        )

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; any failure becomes a HelpdeskError (see check_response)."""
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise HelpdeskUnavailable(f"helpdesk {self.name}: timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            # str(exc) can carry the URL; the class name says enough.
            raise HelpdeskUnavailable(f"helpdesk {self.name}: connection failed ({type(exc).__name__})") from None
        check_response(self.name, response)
        return response

    async def has_note(self, ticket_id: str, body: str, *, public: bool = False) -> bool:
        return False  # adapters that can read a ticket's notes back say better

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, path_secret: str | None, now: float) -> None:
        try:
            webhooks.verify(
                self.webhook_scheme,
                self._webhook_secret,
                headers,
                body,
                path_secret,
                now,
                self.config.webhook_tolerance_seconds,
                helpdesk=self.name,
            )
        except WebhookRejected:
            metrics.WEBHOOKS.labels(self.name, "rejected").inc()  # accepted ones are counted by the service
            raise

    async def aclose(self) -> None:
        await self._client.aclose()
