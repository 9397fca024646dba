"""Agent sign-in for the web form: scrypt password hashes, bounded password checks, the session, CSRF.

The session is Starlette's signed cookie (SessionMiddleware): it holds the agent's name, the
session version and password fingerprint (sessions.py) and a CSRF token, nothing about players or
tickets. Attempts are counted before the password is checked (limiter.py).
"""

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from ticket_link import metrics
from ticket_link.config import SignInConfig, WebUser
from ticket_link.web.limiter import Keyed, SignInBusy, SignInLimiter, SignInUnavailable, TooManyAttempts

log = logging.getLogger(__name__)

# scrypt at N=2**15, r=8, p=1: 32 MiB and ~0.1 s a check on the project's machines. The
# parameters travel in the hash string, so they can be raised without invalidating old hashes.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 256 * 1024 * 1024
_SALT_BYTES, _KEY_BYTES = 16, 32

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
    """The configured agents, and sign-in: counted first (limiter), then a bounded password check."""

    def __init__(self, users: list[WebUser], keyed: Keyed, limiter: SignInLimiter, config: SignInConfig) -> None:
        self.hashes: dict[str, str] = {}
        for user in users:
            if user.name in self.hashes:
                raise ValueError(f"web.users: the name {user.name!r} appears twice")
            self.hashes[user.name] = user.password_hash
        # Unknown names are checked against this, so they take as long as known ones.
        self._dummy = hash_password(secrets.token_urlsafe(16))
        self._keyed = keyed
        self.limiter = limiter
        # scrypt takes 32 MiB and ~0.1 s of a core: a few at a time, a short queue, then "busy" at
        # once. Unbounded, 120 concurrent attempts took a process from 89 to 1,080 MiB.
        self._checks = asyncio.Semaphore(config.password_checks)
        self._queue = config.password_checks + config.password_queue
        self._in_line = 0  # checking or waiting to, in this process

    def masked(self, name: str) -> str:
        """An attempted name as logs show it: a keyed hash (it may be a password typed in the wrong field)."""
        return "name#" + self._keyed.of("log", name)[:8]

    def fingerprint(self, name: str) -> str:
        """A keyed fingerprint of the agent's configured password hash: a new password, a new fingerprint."""
        return self._keyed.of("password", self.hashes.get(name, ""))[:16]

    async def sign_in(self, name: str, password: str, source: str) -> bool:
        """True for the right password; SignInRefused (limiter.py) when the attempt is not checked at all."""
        try:
            await self.limiter.admit(name, source)  # counted before anything is checked
        except TooManyAttempts:
            metrics.SIGN_INS.labels("limited").inc()
            raise
        except SignInUnavailable:
            metrics.SIGN_INS.labels("unavailable").inc()
            raise
        known = self.hashes.get(name)
        ok = await self._check(password, known or self._dummy) and known is not None
        if ok:
            await self.limiter.remember(name, source)
            metrics.SIGN_INS.labels("signed_in").inc()
            return True
        metrics.SIGN_INS.labels("refused").inc()
        log.warning(
            "web sign-in refused for %s (%s)", self.masked(name), "unknown name" if known is None else "wrong password"
        )
        return False

    async def _check(self, password: str, encoded: str) -> bool:
        if self._in_line >= self._queue:
            metrics.SIGN_INS.labels("busy").inc()
            raise SignInBusy("too many password checks at once")
        self._in_line += 1
        try:
            async with self._checks:
                metrics.PASSWORD_CHECKS.inc()
                # scrypt is CPU work: off the event loop. The thread is waited for even if the
                # request is cancelled, so the semaphore never lets more run than it says.
                return await run_in_threadpool(verify_password, password, encoded)
        finally:
            self._in_line -= 1

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


def start_session(session: dict[str, Any], name: str, version: str, fingerprint: str) -> None:
    """A fresh session for a signed-in agent: nothing carried over, a new CSRF token."""
    session.clear()
    session["agent"] = name
    session["v"] = version
    session["pw"] = fingerprint
    csrf_token(session)
