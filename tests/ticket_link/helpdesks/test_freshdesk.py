"""Freshdesk adapter against a mock of its documented API (POST /api/v2/tickets/{id}/notes)."""

import json

import pytest
from pydantic import SecretStr

from ticket_link.config import FreshdeskConfig
from ticket_link.errors import InvalidRequest
from ticket_link.helpdesks.freshdesk import Freshdesk
from ticket_link.helpdesks.markup import html as to_html

from .mock import Desk, basic, json_of

KEY = "fd-api-key-abc"


def make(desk: Desk) -> Freshdesk:
    config = FreshdeskConfig(kind="freshdesk", base_url="https://acme.freshdesk.com", api_key=SecretStr(KEY))
    return Freshdesk("fd", config, transport=desk.transport)


@pytest.mark.parametrize("public", [False, True])
async def test_post_note_shape(public: bool) -> None:
    desk = Desk()
    desk.answer(201, json_body={"id": 7, "body": "...", "private": not public, "ticket_id": 20})
    fd = make(desk)
    await fd.post_note("20", "Deposit <confirmed> & safe\nsee 0xabc", public=public)
    request = desk.last
    assert request.method == "POST"
    assert str(request.url) == "https://acme.freshdesk.com/api/v2/tickets/20/notes"
    # Freshdesk: the API key is the Basic user name, the password is ignored ("X").
    assert request.headers["authorization"] == basic(KEY, "X")
    assert json_of(request) == {"body": "Deposit &lt;confirmed&gt; &amp; safe<br>see 0xabc", "private": not public}
    await fd.aclose()


def test_to_html_escapes_and_keeps_lines() -> None:
    assert to_html('<script>"x"</script>\r\nb') == "&lt;script&gt;&quot;x&quot;&lt;/script&gt;<br>b"


def test_read_generic_and_simple_bodies() -> None:
    fd = make(Desk())
    generic = fd.read_webhook(json.dumps({"ticket_id": 20, "text": "tx 0xabc"}).encode())
    assert (generic.ticket_id, generic.text) == ("20", "tx 0xabc")
    simple = {
        "freshdesk_webhook": {
            "ticket_id": "20",
            "ticket_subject": "Deposit",
            "ticket_description": "<p>0xabc</p>",
            "ticket_contact_email": "jane@example.com",
            "ticket_contact_name": "Jane Roe",
        }
    }
    result = fd.read_webhook(json.dumps(simple).encode())
    assert (result.ticket_id, result.text) == ("20", "Deposit\n<p>0xabc</p>")
    assert "jane" not in repr(result).lower()


def test_read_rejects_other_shapes() -> None:
    with pytest.raises(InvalidRequest):
        make(Desk()).read_webhook(b'{"ticket": {"id": 20}}')
