"""Zammad adapter against a mock of its documented API (POST /api/v1/ticket_articles)."""

import json

import pytest
from pydantic import SecretStr

from ticket_link.config import ZammadConfig
from ticket_link.errors import InvalidRequest
from ticket_link.helpdesks.zammad import Zammad

from .mock import Desk, json_of

TOKEN = "zm-token-xyz"


def make(desk: Desk) -> Zammad:
    config = ZammadConfig(kind="zammad", base_url="https://desk.acme.test", token=SecretStr(TOKEN))
    return Zammad("zm", config, transport=desk.transport)


@pytest.mark.parametrize("public", [False, True])
async def test_post_note_shape(public: bool) -> None:
    desk = Desk()
    desk.answer(201, json_body={"id": 104, "ticket_id": 3, "type": "note", "internal": not public})
    zm = make(desk)
    await zm.post_note("3", "Deposit confirmed", public=public)
    request = desk.last
    assert request.method == "POST"
    assert str(request.url) == "https://desk.acme.test/api/v1/ticket_articles"
    assert request.headers["authorization"] == f"Token token={TOKEN}"
    assert json_of(request) == {
        "ticket_id": 3,
        "body": "Deposit confirmed",
        "type": "note",
        "internal": not public,
        "content_type": "text/html",  # escaped HTML (helpdesks/markup.py)
    }
    await zm.aclose()


def _payload(internal: bool | None) -> dict[str, object]:
    article: dict[str, object] = {"body": "sent 0xdef", "from": "Jane Roe <jane@example.com>", "sender": "Customer"}
    if internal is not None:
        article["internal"] = internal
    return {
        "ticket": {
            "id": 3,
            "title": "Deposit 0xabc missing",
            "number": "31003",
            "customer": {"firstname": "Jane", "lastname": "Roe", "email": "jane@example.com"},
            "created_by": {"email": "jane@example.com", "login": "jane@example.com"},
        },
        "article": article,
    }


def test_read_takes_title_and_public_article() -> None:
    result = make(Desk()).read_webhook(json.dumps(_payload(internal=False)).encode())
    assert (result.ticket_id, result.text) == ("3", "Deposit 0xabc missing\nsent 0xdef")
    assert "jane" not in repr(result).lower() and "Roe" not in repr(result)


@pytest.mark.parametrize("internal", [True, None])
def test_read_skips_internal_article(internal: bool | None) -> None:
    result = make(Desk()).read_webhook(json.dumps(_payload(internal)).encode())
    assert (result.ticket_id, result.text) == ("3", "Deposit 0xabc missing")


def test_read_without_article_and_generic() -> None:
    zm = make(Desk())
    assert zm.read_webhook(b'{"ticket": {"id": 3, "title": "t"}, "article": {}}').text == "t"
    assert zm.read_webhook(b'{"ticket_id": 3, "text": "x"}').ticket_id == "3"
    with pytest.raises(InvalidRequest):
        zm.read_webhook(b'{"ticket": {"title": "no id"}}')
