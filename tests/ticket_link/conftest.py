"""Session-wide back-ends for ticket_link: a real django-helpdesk (DevDesk) whose webhooks go to a
small local receiver that records what it gets."""

import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ticket_link.devdesk.launcher import DevDesk


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """Records every POST; answers 200 at once, as a webhook endpoint should."""

    url: str
    secret: str
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def hook_url(self) -> str:
        return f"{self.url}/v1/webhooks/devdesk/{self.secret}"

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 10.0) -> Received:
        with self.arrived:
            found: list[Received] = []

            def match() -> bool:
                found[:] = [r for r in self.requests if predicate(r)]
                return bool(found)

            if not self.arrived.wait_for(match, timeout=timeout):
                raise AssertionError("no matching webhook arrived")
            return found[-1]


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver: WebhookReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.end_headers()
            with receiver.arrived:
                receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                receiver.arrived.notify_all()

        def log_message(self, format: str, *args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = WebhookReceiver(f"http://127.0.0.1:{server.server_address[1]}", secrets.token_urlsafe(24))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def devdesk(webhook_receiver: WebhookReceiver) -> Iterator[DevDesk]:
    """A running django-helpdesk; its new-ticket and follow-up webhooks go to `webhook_receiver`."""
    desk = DevDesk(webhook_urls=[webhook_receiver.hook_url])
    try:
        desk.start()
        yield desk
    finally:
        desk.close()
