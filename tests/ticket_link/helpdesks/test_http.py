"""Error mapping shared by all adapters (helpdesks/http.py), through each adapter and a mock desk."""

import email.utils
import time
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from ticket_link.config import (
    DjangoHelpdeskConfig,
    FreshdeskConfig,
    HelpdeskConfig,
    RtConfig,
    ZammadConfig,
    ZendeskConfig,
)
from ticket_link.errors import (
    HelpdeskRateLimited,
    HelpdeskRejected,
    HelpdeskUnavailable,
)
from ticket_link.helpdesks import build_helpdesk
from ticket_link.helpdesks.base import Helpdesk
from ticket_link.helpdesks.http import DEFAULT_RETRY_AFTER, retry_after_seconds

from .mock import Desk

SECRET = "s3cr3t-credential-value"
BODY = "note body with 0xfeedface"
URL = "https://desk.example.test"

CONFIGS: dict[str, HelpdeskConfig] = {
    "django_helpdesk": DjangoHelpdeskConfig(
        kind="django_helpdesk", base_url=URL, username="staff", password=SecretStr(SECRET)
    ),
    "zendesk": ZendeskConfig(kind="zendesk", base_url=URL, email="bot@example.test", api_token=SecretStr(SECRET)),
    "freshdesk": FreshdeskConfig(kind="freshdesk", base_url=URL, api_key=SecretStr(SECRET)),
    "zammad": ZammadConfig(kind="zammad", base_url=URL, token=SecretStr(SECRET)),
    "rt": RtConfig(kind="rt", base_url=URL, token=SecretStr(SECRET)),
}
KINDS = list(CONFIGS)


def make(kind: str, desk: Desk) -> Helpdesk:
    return build_helpdesk("acme", CONFIGS[kind], transport=desk.transport)


def _clean(exc: Exception) -> None:
    """An error names the helpdesk, never a credential or the note body."""
    text = str(exc)
    assert "acme" in text
    assert SECRET not in text and BODY not in text and "0xfeedface" not in text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 301])
async def test_final_statuses_are_rejected(kind: str, status: int) -> None:
    desk = Desk()
    desk.answer(status, json_body={"error": "RecordInvalid", "description": "no"})
    with pytest.raises(HelpdeskRejected) as info:
        await make(kind, desk).post_note("12", BODY)
    assert info.value.status == status
    assert str(status) in str(info.value)
    _clean(info.value)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_unavailable(kind: str, status: int) -> None:
    desk = Desk()
    desk.answer(status)
    with pytest.raises(HelpdeskUnavailable) as info:
        await make(kind, desk).post_note("12", BODY)
    _clean(info.value)


@pytest.mark.parametrize("kind", KINDS)
async def test_429_with_seconds(kind: str) -> None:
    desk = Desk()
    desk.answer(429, headers={"Retry-After": "93"})
    with pytest.raises(HelpdeskRateLimited) as info:
        await make(kind, desk).post_note("12", BODY)
    assert info.value.retry_after == 93
    _clean(info.value)


@pytest.mark.parametrize("kind", KINDS)
async def test_429_with_http_date(kind: str) -> None:
    desk = Desk()
    desk.answer(429, headers={"Retry-After": email.utils.formatdate(time.time() + 120, usegmt=True)})
    with pytest.raises(HelpdeskRateLimited) as info:
        await make(kind, desk).post_note("12", BODY)
    assert 115 <= info.value.retry_after <= 121


@pytest.mark.parametrize("kind", KINDS)
async def test_429_without_retry_after(kind: str) -> None:
    desk = Desk()
    desk.answer(429)
    with pytest.raises(HelpdeskRateLimited) as info:
        await make(kind, desk).post_note("12", BODY)
    assert info.value.retry_after == DEFAULT_RETRY_AFTER


def _raiser(exc: Callable[[httpx.Request], Exception]) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        raise exc(request)

    return respond


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "error",
    [
        lambda r: httpx.ConnectError("[Errno 111] Connection refused", request=r),
        lambda r: httpx.ReadTimeout("timed out", request=r),
        lambda r: httpx.ConnectTimeout("timed out", request=r),
        lambda r: httpx.RemoteProtocolError("Server disconnected", request=r),
    ],
)
async def test_transport_errors_are_unavailable(kind: str, error: Callable[[httpx.Request], Exception]) -> None:
    desk = Desk(_raiser(error))
    with pytest.raises(HelpdeskUnavailable) as info:
        await make(kind, desk).post_note("12", BODY)
    _clean(info.value)
    assert info.value.__cause__ is None  # the httpx error (with its URL) is not chained into logs


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("ticket_id", ["1/../../users/me", "12?x=1", "", "abc", "１２", "12 "])
async def test_non_numeric_ticket_id_is_final_and_never_sent(kind: str, ticket_id: str) -> None:
    desk = Desk()
    with pytest.raises(HelpdeskRejected) as info:
        await make(kind, desk).post_note(ticket_id, BODY)
    assert info.value.status == 400
    assert desk.requests == []


def test_retry_after_parsing() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(" 7 ", now) == 7
    assert retry_after_seconds(email.utils.formatdate(now + 60, usegmt=True), now) == 60
    assert retry_after_seconds(email.utils.formatdate(now - 60, usegmt=True), now) == 0  # already past
    assert retry_after_seconds("-5", now) == 0
    for unreadable in (None, "", "soon", "nan", "inf", "Wed, 99 Foo 2015 07:28:00"):
        assert retry_after_seconds(unreadable, now) == DEFAULT_RETRY_AFTER
