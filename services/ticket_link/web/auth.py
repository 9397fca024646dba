"""Agent sign-in for the web form: scrypt password hashes, the session, CSRF tokens, a light limit.

The session is Starlette's signed cookie (SessionMiddleware): it holds the agent's name and a
CSRF token, nothing about players or tickets.
"""

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from limits import parse, storage, strategies
from starlette.concurrency import run_in_threadpool

from ticket_link.config import WebUser

log = logging.getLogger(__name__)

# scrypt at N=2**15, r=8, p=1: 32 MiB and ~0.1 s a check on the project's machines. The
# parameters travel in the hash string, so they can be raised without invalidating old hashes.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 256 * 1024 * 1024
_SALT_BYTES, _KEY_BYTES = 16, 32
# Failed sign-ins only: per client address and per attempted name, in this process.
_PER_CLIENT = parse("10/minute")
_PER_NAME = parse("5/minute")

CSRF_FIELD = "csrf_token"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$key` (base64url), with a random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM, dklen=_KEY_BYTES)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """True if `password` matches `encoded`; False for a wrong password or a malformed hash."""
    try:
        scheme, n, r, p, salt, key = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(key)
        actual = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), maxmem=_MAXMEM, dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


class Agents:
    """The configured agents, and sign-in with a light limit on failures."""

    def __init__(self, users: list[WebUser], log_key: bytes) -> None:
        self.hashes: dict[str, str] = {}
        for user in users:
            if user.name in self.hashes:
                raise ValueError(f"web.users: the name {user.name!r} appears twice")
            self.hashes[user.name] = user.password_hash
        # Unknown names are checked against this, so they take as long as known ones.
        self._dummy = hash_password(secrets.token_urlsafe(16))
        self._log_key = log_key
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def masked(self, name: str) -> str:
        """An attempted name as logs show it: a keyed hash (it may be a password typed in the wrong field)."""
        return "name#" + hmac.new(self._log_key, name.encode(), hashlib.sha256).hexdigest()[:8]

    def limited(self, name: str, client: str) -> bool:
        """True while this client or this name has failed too often recently."""
        return not (self._limiter.test(_PER_CLIENT, "client", client) and self._limiter.test(_PER_NAME, "name", name))

    async def sign_in(self, name: str, password: str, client: str) -> bool:
        known = self.hashes.get(name)
        # scrypt is CPU work: off the event loop.
        ok = await run_in_threadpool(verify_password, password, known or self._dummy)
        if ok and known is not None:
            return True
        self._limiter.hit(_PER_CLIENT, "client", client)
        self._limiter.hit(_PER_NAME, "name", name)
        log.warning(
            "web sign-in refused for %s (%s)", self.masked(name), "unknown name" if known is None else "wrong password"
        )
        return False

    def is_agent(self, name: object) -> bool:
        return isinstance(name, str) and name in self.hashes


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(session: Mapping[str, Any], form: Mapping[str, Any]) -> bool:
    expected, given = session.get("csrf"), form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def start_session(session: dict[str, Any], name: str) -> None:
    """A fresh session for a signed-in agent: nothing carried over, a new CSRF token."""
    session.clear()
    session["agent"] = name
    csrf_token(session)
