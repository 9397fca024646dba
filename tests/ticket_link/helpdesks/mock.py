"""A MockTransport that records requests and answers what the test tells it to."""

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx


class Desk:
    """Plays a hosted helpdesk: every request is kept; the answer comes from `respond`."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.respond = respond or (lambda request: httpx.Response(200, json={}))
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def answer(self, status: int, *, json_body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.respond = lambda request: httpx.Response(status, json=json_body, headers=headers)

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "no request was sent"
        return self.requests[-1]


def json_of(request: httpx.Request) -> Any:
    assert request.headers["content-type"].startswith("application/json")
    return json.loads(request.content)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
