"""Request Tracker 5 adapter against a mock of REST2 (POST /REST/2.0/ticket/{id}/comment|correspond)."""

import pytest
from pydantic import SecretStr

from ticket_link.config import RtConfig
from ticket_link.errors import InvalidRequest
from ticket_link.helpdesks.rt import RequestTracker

from .mock import Desk

TOKEN = "rt-auth-token"


def make(desk: Desk) -> RequestTracker:
    config = RtConfig(kind="rt", base_url="https://rt.acme.test/", token=SecretStr(TOKEN))
    return RequestTracker("rt", config, transport=desk.transport)


@pytest.mark.parametrize(("public", "action"), [(False, "comment"), (True, "correspond")])
async def test_post_note_shape(public: bool, action: str) -> None:
    desk = Desk()
    desk.answer(201, json_body=["Comments added" if not public else "Correspondence added"])
    rt = make(desk)
    await rt.post_note("6", "Deposit confirmed\nline 2 ✓", public=public)
    request = desk.last
    assert request.method == "POST"
    assert str(request.url) == f"https://rt.acme.test/REST/2.0/ticket/6/{action}"
    assert request.headers["authorization"] == f"token {TOKEN}"
    assert request.headers["content-type"].startswith("text/plain")
    assert request.content.decode() == "Deposit confirmed\nline 2 ✓"
    await rt.aclose()


async def test_base_url_with_a_path() -> None:
    # RT often lives under /rt: the API path is appended to it.
    desk = Desk()
    desk.answer(201, json_body=["Comments added"])
    config = RtConfig(kind="rt", base_url="https://acme.test/rt/", token=SecretStr(TOKEN))
    rt = RequestTracker("rt", config, transport=desk.transport)
    await rt.post_note("6", "x")
    assert str(desk.last.url) == "https://acme.test/rt/REST/2.0/ticket/6/comment"


def test_read_generic_only() -> None:
    rt = make(Desk())
    result = rt.read_webhook(b'{"ticket_id": "6", "text": "tx 0xabc", "requestor": "jane@example.com"}')
    assert (result.ticket_id, result.text) == ("6", "tx 0xabc")
    with pytest.raises(InvalidRequest):
        rt.read_webhook(b'{"ticket": {"id": 6}}')
