"""What a webhook payload yields beyond its text: the ticket id in its one spelling, and the account
from the helpdesk's configured `account_field`."""

from typing import Any

import pytest

from ticket_link.helpdesks import payload


@pytest.mark.parametrize(
    ("given", "expected"),
    [(123, "123"), ("0123", "123"), (" 00042 ", "42"), ("9223372036854775807", "9223372036854775807")],
)
def test_ticket_ids_have_one_spelling(given: Any, expected: str) -> None:
    assert payload.ticket_id(given) == expected


@pytest.mark.parametrize("given", [0, "0", "000", -1, "-1", True, 1.5, "12a", "１２", "9223372036854775808", "", None])
def test_ids_no_helpdesk_can_have_are_refused(given: Any) -> None:
    assert payload.ticket_id(given) is None


def test_account_is_read_from_the_configured_field_only() -> None:
    data = {"ticket": {"id": 3, "custom_fields": {"player_account": "acct-77", "number": 9001}}}
    assert payload.account(data, "ticket.custom_fields.player_account") == "acct-77"
    assert payload.account(data, "ticket.custom_fields.number") == "9001"
    assert payload.account(data, None) is None and payload.account(data, "ticket.custom_fields.missing") is None
    assert payload.account({"a": "x\ny"}, "a") is None  # no control characters: ignored, never a partial value
    assert payload.account({"a": "x" * 129}, "a") is None and payload.account({"a": {"b": 1}}, "a") is None
    assert payload.account([1, 2], "a") is None
