"""ticket_link's config file: `[delivery] claim_idle_seconds` defaults to 60 and is bounded, the error naming it."""

import secrets

import pytest
from pydantic import ValidationError

from ticket_link.config import parse_config

SECRET = f'secret = "{secrets.token_urlsafe(32)}"\n'


def test_claim_idle_seconds_defaults_to_a_minute() -> None:
    assert parse_config(SECRET, env={}).delivery.claim_idle_seconds == 60


def test_claim_idle_seconds_is_read_from_delivery() -> None:
    assert parse_config(SECRET + "[delivery]\nclaim_idle_seconds = 5\n", env={}).delivery.claim_idle_seconds == 5


@pytest.mark.parametrize("value", ["0", "-1", "3601", "1.5", '"soon"'])
def test_claim_idle_seconds_out_of_bounds_is_refused_by_name(value: str) -> None:
    with pytest.raises(ValidationError, match="claim_idle_seconds"):
        parse_config(SECRET + f"[delivery]\nclaim_idle_seconds = {value}\n", env={})
