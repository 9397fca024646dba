"""Agent sign-in, CSRF on every POST, sign-out, the light limit, and `ticket-link hash-password`."""

import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from tests.conftest import RedisServer
from tests.ticket_link.web.conftest import PASSWORD, TX, DepositCheck, csrf_of, make_app, sign_in
from ticket_link.config import WebConfig
from ticket_link.web.auth import hash_password, verify_password


def test_password_hashes_are_salted_scrypt_and_verify() -> None:
    first, second = hash_password("s3cret-pass-phrase"), hash_password("s3cret-pass-phrase")
    assert first.startswith("scrypt$") and first != second  # a random salt each time
    assert verify_password("s3cret-pass-phrase", first) and verify_password("s3cret-pass-phrase", second)
    assert not verify_password("s3cret-pass-phrasE", first)
    assert not verify_password("s3cret-pass-phrase", "scrypt$broken")


def test_hash_password_command_reads_stdin_and_prints_a_config_line() -> None:
    command = Path(sys.executable).parent / "ticket-link"
    done = subprocess.run([command, "hash-password"], input=f"{PASSWORD}\n", capture_output=True, text=True, check=True)
    line = done.stdout.strip()
    assert line.startswith('password_hash = "scrypt$') and PASSWORD not in done.stdout
    assert verify_password(PASSWORD, line.split('"')[1])
    short = subprocess.run([command, "hash-password"], input="short\n", capture_output=True, text=True, check=False)
    assert short.returncode == 1 and "12 characters" in short.stderr


def test_web_config_wants_a_long_session_secret_and_users() -> None:
    with pytest.raises(ValidationError, match="32 characters"):
        WebConfig.model_validate({"session_secret": "short", "users": [{"name": "a", "password_hash": "scrypt$x"}]})
    with pytest.raises(ValidationError):
        WebConfig.model_validate({"session_secret": "x" * 40, "users": []})


async def test_anonymous_agents_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/", "/check"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/web/sign-in"
    events = await client.get("/web/events", params={"tx_hash": TX, "address": "x"})
    assert events.status_code == 401


async def test_sign_in_sets_an_httponly_lax_cookie_and_opens_the_form(client: httpx.AsyncClient) -> None:
    response = await sign_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = await client.get("/")
    assert page.status_code == 200 and "Signed in as <strong>alice</strong>" in page.text
    assert '<label for="tx_hash">' in page.text and 'aria-live="polite"' in page.text


async def test_secure_cookie_is_the_default() -> None:
    assert WebConfig.model_validate(
        {"session_secret": "x" * 40, "users": [{"name": "a", "password_hash": "scrypt$x"}]}
    ).cookie_secure


async def test_wrong_password_is_refused_and_the_name_is_not_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await sign_in(client, name="alice-typo-name", password="wrong password!")
    assert response.status_code == 401 and "Wrong name or password." in response.text
    assert "Signed in as" not in response.text
    assert (await client.get("/")).status_code == 303  # still signed out
    refused = [r.getMessage() for r in caplog.records if "sign-in refused" in r.getMessage()]
    assert refused and all("alice-typo-name" not in line and "wrong password!" not in line for line in refused)
    assert all("alice-typo-name" not in r.getMessage() for r in caplog.records)


async def test_failed_sign_ins_are_limited(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (await sign_in(client, password="nope nope nope")).status_code == 401
    limited = await sign_in(client)  # even the right password waits now
    assert limited.status_code == 429 and "Too many sign-ins" in limited.text


@pytest.mark.parametrize("token", [None, "", "forged-token", "é"])
async def test_posts_without_the_sessions_csrf_token_are_refused(
    client: httpx.AsyncClient, deposit_check: DepositCheck, token: str | None
) -> None:
    page = await client.get("/web/sign-in")
    assert csrf_of(page.text)
    data = {"name": "alice", "password": PASSWORD} | ({"csrf_token": token} if token is not None else {})
    refused = await client.post("/web/sign-in", data=data)
    assert refused.status_code == 403 and "Signed in as" not in refused.text
    assert (await sign_in(client)).status_code == 303
    form = {"tx_hash": TX, "address": "rltc1q", "csrf_token": token} if token is not None else {"tx_hash": TX}
    for path in ("/check", "/web/post"):
        response = await client.post(path, data=form)
        assert response.status_code == 403 and "expired" in response.text
    assert deposit_check.requests == []  # nothing was asked
    out = await client.post("/web/sign-out", data={"csrf_token": token or ""})
    assert out.status_code == 403 and (await client.get("/")).status_code == 200  # still signed in


async def test_a_token_from_another_session_is_refused(deposit_check: DepositCheck, redis_server: RedisServer) -> None:
    app = make_app(deposit_check, redis_server.url)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as mallory,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as alice,
    ):
        await sign_in(mallory)
        stolen = csrf_of((await mallory.get("/")).text)
        await sign_in(alice)
        response = await alice.post("/check", data={"tx_hash": TX, "address": "rltc1q", "csrf_token": stolen})
        assert response.status_code == 403


async def test_sign_out_ends_the_session(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    page = await client.get("/")
    out = await client.post("/web/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/web/sign-in"
    assert (await client.get("/")).status_code == 303
    assert (await client.get("/web/events", params={"tx_hash": TX, "address": "x"})).status_code == 401
