"""Zendesk adapter against a mock of its documented API (PUT /api/v2/tickets/{id}.json)."""

import json

import pytest
from pydantic import SecretStr

from ticket_link.config import ZendeskConfig
from ticket_link.errors import InvalidRequest
from ticket_link.helpdesks.zendesk import Zendesk

from .mock import Desk, basic, json_of

TOKEN = "zd-api-token-123"


def make(desk: Desk) -> Zendesk:
    config = ZendeskConfig(
        kind="zendesk",
        base_url="https://acme.zendesk.com/",
        email="bot@acme.test",
        api_token=SecretStr(TOKEN),
        webhook_secret=SecretStr("zd-signing-secret"),
    )
    return Zendesk("zd", config, transport=desk.transport)


@pytest.mark.parametrize("public", [False, True])
async def test_post_note_shape(public: bool) -> None:
    desk = Desk()
    desk.answer(200, json_body={"ticket": {"id": 35436, "status": "open"}, "audit": {"id": 1}})
    zd = make(desk)
    await zd.post_note("35436", "Deposit confirmed\n6 confirmations", public=public)
    request = desk.last
    assert request.method == "PUT"
    assert str(request.url) == "https://acme.zendesk.com/api/v2/tickets/35436.json"
    # Zendesk API tokens: "{email}/token:{api_token}" as HTTP Basic.
    assert request.headers["authorization"] == basic("bot@acme.test/token", TOKEN)
    # `html_body`, escaped (helpdesks/markup.py): what the note says, as text, with its line breaks.
    comment = {"html_body": "Deposit confirmed<br>6 confirmations", "public": public}
    assert json_of(request) == {"ticket": {"comment": comment}}
    await zd.aclose()


def test_read_generic_body() -> None:
    zd = make(Desk())
    body = json.dumps({"ticket_id": "35436", "text": "tx 0xabc", "requester": "jane@example.com"}).encode()
    result = zd.read_webhook(body)
    assert (result.ticket_id, result.text) == ("35436", "tx 0xabc")


def test_read_ticket_object_drops_requester() -> None:
    zd = make(Desk())
    body = json.dumps(
        {
            "ticket": {
                "id": 35436,
                "title": "Deposit missing",
                "description": "I sent 0xabc",
                "latest_public_comment": "still nothing",
                "latest_comment": "internal: 0xdef",
                "requester": {"name": "Jane Roe", "email": "jane@example.com"},
            },
        }
    ).encode()
    result = zd.read_webhook(body)
    assert result.ticket_id == "35436"
    assert result.text == "Deposit missing\nI sent 0xabc\nstill nothing"  # not the internal latest_comment
    assert "jane" not in repr(result).lower() and "Roe" not in repr(result)


def test_read_ticket_event_takes_public_comment_only() -> None:
    zd = make(Desk())
    event = {
        "type": "zen:event-type:ticket.comment_added",
        "account_id": 1,
        "id": "01H",
        "time": "2024-04-17T17:18:10Z",
        "subject": "zen:ticket:35436",
        "detail": {"id": "35436", "subject": "Deposit", "description": "tx 0xabc", "requester_id": "77"},
        "event": {"comment": {"body": "internal: 0xdef", "is_public": False, "author": {"name": "Agent"}}},
    }
    result = zd.read_webhook(json.dumps(event).encode())
    assert (result.ticket_id, result.text) == ("35436", "Deposit\ntx 0xabc")
    event["event"]["comment"]["is_public"] = True  # type: ignore[index]
    assert "0xdef" in zd.read_webhook(json.dumps(event).encode()).text


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        b'{"ticket_id": "12a", "text": "x"}',
        b'{"ticket": {"id": "../1"}}',
        b'{"ticket_id": true, "text": "x"}',
        b"[1]",
    ],
)
def test_read_rejects_unreadable(body: bytes) -> None:
    with pytest.raises(InvalidRequest) as info:
        make(Desk()).read_webhook(body)
    assert body.decode() not in info.value.message
