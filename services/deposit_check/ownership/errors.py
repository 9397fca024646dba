"""Ownership's errors, in deposit_check's one error tree."""

from deposit_check.errors import DepositCheckError, InvalidRequest


class OwnershipUnavailable(DepositCheckError):
    """The ownership index did not answer: no verdict may say whose the address is."""

    status_code = 503
    code = "unavailable"


class OwnershipNotConfigured(InvalidRequest):
    """Ownership cannot be declared: `[ownership] secret` is not set."""

    code = "ownership_not_configured"


class InvalidEntries(InvalidRequest):
    """Some lines or items of an import are not valid; nothing was written."""

    code = "invalid_entries"

    def __init__(self, errors: list[str]) -> None:
        shown = errors[:20]
        more = f" (and {len(errors) - len(shown)} more)" if len(errors) > len(shown) else ""
        super().__init__("; ".join(shown) + more + "; nothing was written")
        self.errors = errors
