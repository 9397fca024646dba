"""django-helpdesk adapter against a REAL django-helpdesk (DevDesk) and its real webhooks."""

import json
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from ticket_link.config import DjangoHelpdeskConfig
from ticket_link.devdesk.launcher import DevDesk
from ticket_link.errors import HelpdeskRejected, HelpdeskUnavailable, WebhookRejected
from ticket_link.helpdesks.django_helpdesk import DjangoHelpdesk

from ..conftest import WebhookReceiver

EMAIL = "jane.roe@example.com"
NAME = "Jane Roe"


class Recording(httpx.AsyncHTTPTransport):
    """The real network, with the statuses seen kept."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


def adapter(
    desk: DevDesk,
    *,
    password: str | None = None,
    secret: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DjangoHelpdesk:
    config = DjangoHelpdeskConfig(
        kind="django_helpdesk",
        base_url=desk.base_url,
        username=desk.username,
        password=SecretStr(password or desk.password),
        webhook_secret=SecretStr(secret) if secret else None,
        timeout_seconds=10,
    )
    return DjangoHelpdesk("devdesk", config, transport=transport)


async def test_post_note_is_an_internal_followup(devdesk: DevDesk) -> None:
    ticket = devdesk.create_ticket("Deposit missing", "I sent 0xabc", EMAIL, NAME)
    desk = adapter(devdesk)
    await desk.post_note(str(ticket), "Deposit 0xabc: confirmed (6/6)")
    await desk.post_note(str(ticket), "Public reply", public=True)
    await desk.aclose()
    notes = {f["comment"]: f["public"] for f in devdesk.followups(ticket)}
    assert notes["Deposit 0xabc: confirmed (6/6)"] is False
    assert notes["Public reply"] is True


async def test_wrong_credentials_are_rejected(devdesk: DevDesk) -> None:
    ticket = devdesk.create_ticket("t", "d", EMAIL)
    desk = adapter(devdesk, password="wrong-password")
    with pytest.raises(HelpdeskRejected) as info:
        await desk.post_note(str(ticket), "note")
    await desk.aclose()
    assert info.value.status in (401, 403)  # DRF answers 403 when session auth comes first
    assert "wrong-password" not in str(info.value)


async def test_unknown_ticket_is_rejected(devdesk: DevDesk) -> None:
    desk = adapter(devdesk)
    with pytest.raises(HelpdeskRejected) as info:
        await desk.post_note("987654", "note")
    await desk.aclose()
    assert info.value.status == 400  # DRF: "Invalid pk - object does not exist"


async def test_stopped_desk_is_unavailable(devdesk: DevDesk) -> None:
    ticket = devdesk.create_ticket("t", "d", EMAIL)
    desk = adapter(devdesk)
    devdesk.stop()
    try:
        with pytest.raises(HelpdeskUnavailable):
            await desk.post_note(str(ticket), "note")
    finally:
        devdesk.start()
    await desk.post_note(str(ticket), "after restart")  # same database, same port
    await desk.aclose()
    assert "after restart" in [f["comment"] for f in devdesk.followups(ticket)]


async def test_note_saved_despite_500_from_a_dead_webhook_is_not_retried(devdesk: DevDesk) -> None:
    # django-helpdesk saves the follow-up, then answers 500 when a follow-up webhook URL refuses
    # the connection: the adapter must see the note is there instead of asking for a retry.
    ticket = devdesk.create_ticket("t", "d", EMAIL)
    urls = devdesk.webhook_urls
    devdesk.webhook_urls = ["http://127.0.0.1:9/dead"]
    devdesk.restart()
    try:
        recording = Recording()
        desk = adapter(devdesk, transport=recording)
        await desk.post_note(str(ticket), "posted once")
        await desk.aclose()
        assert recording.statuses == [500, 200]  # the POST failed as described, the check found the note
    finally:
        devdesk.webhook_urls = urls
        devdesk.restart()
    assert [f["comment"] for f in devdesk.followups(ticket)].count("posted once") == 1


async def test_real_webhook_on_ticket_creation(devdesk: DevDesk, webhook_receiver: WebhookReceiver) -> None:
    ticket = devdesk.create_ticket("Deposit not credited", "tx 0x" + "ab" * 32, EMAIL, NAME)
    received = webhook_receiver.wait_for(
        lambda r: "followup_id" not in json.loads(r.body) and json.loads(r.body)["ticket"]["id"] == ticket
    )
    assert EMAIL.encode() in received.body and NAME.encode() in received.body  # what arrives is PII

    desk = adapter(devdesk, secret=webhook_receiver.secret)
    path_secret = received.path.rstrip("/").rsplit("/", 1)[-1]
    desk.verify_webhook(received.headers, received.body, path_secret, time.time())
    with pytest.raises(WebhookRejected):
        desk.verify_webhook(received.headers, received.body, "guess", time.time())
    with pytest.raises(WebhookRejected):
        desk.verify_webhook(received.headers, received.body, None, time.time())

    result = desk.read_webhook(received.body)
    await desk.aclose()
    assert result.ticket_id == str(ticket)
    assert result.text == "Deposit not credited\ntx 0x" + "ab" * 32
    assert EMAIL not in repr(result) and "jane" not in repr(result).lower() and "Roe" not in repr(result)


async def test_followup_webhook_leaves_out_internal_notes(devdesk: DevDesk, webhook_receiver: WebhookReceiver) -> None:
    ticket = devdesk.create_ticket("Deposit", "tx 0xaaa", EMAIL, NAME)
    desk = adapter(devdesk, secret=webhook_receiver.secret)
    await desk.post_note(str(ticket), "internal: 0xbbb confirmed")
    await desk.post_note(str(ticket), "public: see 0xccc", public=True)
    received = webhook_receiver.wait_for(
        lambda r: (
            json.loads(r.body).get("followup_id") is not None
            and any(f["comment"] == "public: see 0xccc" for f in json.loads(r.body)["ticket"]["followup_set"])
        )
    )
    result = desk.read_webhook(received.body)
    await desk.aclose()
    assert result.ticket_id == str(ticket)
    assert "0xaaa" in result.text and "0xccc" in result.text
    assert "0xbbb" not in result.text


async def test_webhook_for_an_internal_followup_brings_no_text(
    devdesk: DevDesk, webhook_receiver: WebhookReceiver
) -> None:
    """Our own notes fire django-helpdesk's follow-up webhook: that must not re-check the ticket."""
    ticket = devdesk.create_ticket("Deposit", "tx 0xddd", EMAIL, NAME)
    desk = adapter(devdesk, secret=webhook_receiver.secret)
    await desk.post_note(str(ticket), "internal: only for agents")
    received = webhook_receiver.wait_for(
        lambda r: (
            json.loads(r.body).get("followup_id") is not None
            and json.loads(r.body)["ticket"]["id"] == ticket
            and any(f["comment"] == "internal: only for agents" for f in json.loads(r.body)["ticket"]["followup_set"])
        )
    )
    result = desk.read_webhook(received.body)
    await desk.aclose()
    assert (result.ticket_id, result.text) == (str(ticket), "")


def test_a_desk_made_from_a_template_has_its_own_user_and_the_same_schema(tmp_path: Path) -> None:
    """The first desk leaves a migrated database without users; the next copies it and adds its own user."""
    template = tmp_path / "cache" / "devdesk.sqlite3"
    with DevDesk(base_dir=tmp_path / "first", template=template, password="first-password") as first:
        first.create_ticket("Deposit", "text", "a@example.invalid")
    assert template.is_file()
    made = template.stat().st_mtime
    with DevDesk(
        base_dir=tmp_path / "second", template=template, username="other", password="second-password"
    ) as second:
        assert second.create_ticket("Deposit", "text", "b@example.invalid") == 1  # no ticket came with the copy
        refused = httpx.get(f"{second.base_url}/helpdesk/api/tickets/", auth=("devdesk", "first-password"))
        assert refused.status_code == 403  # the first desk's user is not in the copy
    assert template.stat().st_mtime == made  # read, not rewritten
