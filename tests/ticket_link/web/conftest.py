"""The app with the web form, served in-process (httpx's ASGI transport), deposit_check mocked; and the
Chromium the browser tests drive."""

import json
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from fastapi import FastAPI

from tests.conftest import RedisServer, require_tool
from tests.helpers import dev_mode
from ticket_link.app import create_app
from ticket_link.checker import DepositCheckClient
from ticket_link.config import AppConfig, parse_config
from ticket_link.links import Links
from ticket_link.privacy import Pseudonymizer
from ticket_link.service import TicketService
from ticket_link.web.auth import hash_password

PASSWORD = "correct horse battery staple"
HASH = hash_password(PASSWORD)
EXPLORER = "https://explorer.example/ltc/tx/{tx_hash}"
TRONSCAN = "https://tronscan.org/#/transaction/{tx_hash}"
TX = "9f2c" + "ab" * 30
ADDRESS = "rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7k693xs3"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium the browser tests drive: $DESK_CHROMIUM, else `chromium` on PATH (Debian's package)."""
    found = os.environ.get("DESK_CHROMIUM") or shutil.which("chromium") or "chromium"
    require_tool(Path(found).is_file(), f"Chromium not found ({found}): apt-get install chromium, or set DESK_CHROMIUM")
    return Path(found)


def verdict(**fields: Any) -> dict[str, Any]:
    base = {
        "status": "confirming",
        "chain": "litecoin",
        "tx_hash": TX,
        "address": ADDRESS,
        "confirmations": 2,
        "required_confirmations": 6,
        "block_height": 204,
        "block_hash": "5e" * 32,
        "block_time": "2026-11-24T09:12:03Z",
        "payments": [{"asset": "LTC", "amount": "0.5", "contract": None}],
        "asset": "LTC",
        "received_amount": "0.5",
        "expected_amount": "0.5",
        "amount_status": "exact",
        "found_on": None,
        "chains_checked": ["litecoin"],
        "final": False,
        "checked_at": "2026-11-24T09:13:00Z",
        "summary": "Your deposit of 0.5 LTC ...",
        "watching": True,
    }
    return base | fields


def config_text(web: bool = True) -> str:
    text = f"""
secret = "{secrets.token_urlsafe(32)}"
[deposit_check]
url = "http://deposit-check.invalid"
[notes]
explorer_tx_urls = {{ litecoin = "{EXPLORER}", tron = "{TRONSCAN}" }}
[helpdesks.desk]
kind = "django_helpdesk"
base_url = "http://desk.invalid"
username = "u"
password = "p"
"""
    if web:
        text += f"""
[web]
session_secret = "{secrets.token_urlsafe(32)}"
cookie_secure = false
refresh_seconds = 0.1
[[web.users]]
name = "alice"
password_hash = "{HASH}"
"""
    return text


class DepositCheck:
    """A stand-in for deposit_check's /v1/checks and /v1/locate: records the requests (and paths), answers `answer`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.answer: Callable[[dict[str, Any]], httpx.Response] = lambda _: httpx.Response(200, json=verdict())

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        self.paths.append(request.url.path)
        return self.answer(body)


def make_app(deposit_check: DepositCheck, redis_url: str, web: bool = True) -> FastAPI:
    """The app; the web form's sign-in counters and session versions in the Redis at `redis_url`."""
    file = parse_config(dev_mode(config_text(web)), env={})
    app = create_app(AppConfig(file=file, redis_url=redis_url, source="test"))
    # No lifespan under the ASGI transport: the service gets only what a check needs. Its Redis is
    # one that does not answer (the event stream is then left out: the card re-asks deposit_check).
    checker = DepositCheckClient(file.deposit_check, transport=httpx.MockTransport(deposit_check.handle))
    silent = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    app.state.service = TicketService(
        checker=checker,
        links=Links(silent, Pseudonymizer(file.secret.get_secret_value())),
        delivery=None,  # type: ignore[arg-type]
        notes=file.notes,
        helpdesk_names=["desk"],
        events=silent,
    )
    return app


@pytest.fixture
def deposit_check() -> DepositCheck:
    return DepositCheck()


@pytest.fixture
async def client(deposit_check: DepositCheck, redis_server: RedisServer) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(deposit_check, redis_server.url))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


async def sign_in(client: httpx.AsyncClient, name: str = "alice", password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/web/sign-in")
    return await client.post(
        "/web/sign-in", data={"name": name, "password": password, "csrf_token": csrf_of(page.text)}
    )
