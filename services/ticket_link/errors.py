"""One error tree for ticket_link, under desk_common's `DeskError`: answered as HTTP by its one handler."""

from typing import Any

from desk_common.errors import DeskError


class TicketLinkError(DeskError):
    """Base of every error this service raises on purpose."""


class InvalidRequest(TicketLinkError):
    """The request says something we cannot act on."""

    status_code = 422
    code = "invalid_request"


class AddressNeeded(InvalidRequest):
    """A claim named no address, and the tx's hash alone gives no one casino address to check it with (422)."""

    code = "address_needed"
    located: dict[str, Any] | None = None  # deposit_check's locate answer, for the agent form's card
    noted: bool | None = None  # the located note: queued (True), posted before (False), not asked for (None)


class DuplicateJsonKey(TicketLinkError):
    """A webhook body names a key twice in one object: which one the sender meant is unknowable (400)."""

    status_code = 400
    code = "duplicate_key"


class UnknownHelpdesk(TicketLinkError):
    """The helpdesk named in the URL is not configured."""

    status_code = 404
    code = "unknown_helpdesk"


class WebhookRejected(TicketLinkError):
    """The webhook's sender could not be verified (bad or missing signature, stale timestamp, bad secret)."""

    status_code = 401
    code = "webhook_rejected"


class DepositCheckUnavailable(TicketLinkError):
    """deposit_check did not answer, or answered that a node is down."""

    status_code = 503
    code = "unavailable"


class ClaimDeferred(DepositCheckUnavailable):
    """deposit_check did not answer a claim that asked for a note: the claim is queued, the note follows."""


class HelpdeskError(TicketLinkError):
    """Base of the errors a helpdesk adapter raises when posting."""

    status_code = 502
    code = "helpdesk_error"


class HelpdeskRejected(HelpdeskError):
    """The helpdesk refused the request for good (401, 403, 404, 422): retrying will not help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class HelpdeskRateLimited(HelpdeskError):
    """The helpdesk said 429: try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class HelpdeskUnavailable(HelpdeskError):
    """The helpdesk did not answer, or answered 5xx: retry later."""
