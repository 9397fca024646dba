"""Session versions: a signed cookie is good only while its agent's version is the one on the server.

The session itself is Starlette's signed cookie; this adds what a cookie alone cannot do: end it
before it expires. Per agent the server keeps a random version (in Redis, shared by every
process; in this process without one). Sign-in writes it into the cookie; each request compares;
sign-out replaces it, which ends every session of that agent, everywhere, copies of the cookie
included. A password change ends them as well: the cookie also carries a keyed fingerprint of the
agent's password hash, compared with the configured one on each request.

In Redis the version lives `ttl` seconds after the last signed-in request (each check renews it),
as long as a cookie can: when it expires, every cookie that carried it is past its own age too.
"""

import secrets

import redis.asyncio as redis

from ticket_link import keys
from ticket_link.web.limiter import Keyed


class SessionVersions:
    def __init__(self, client: redis.Redis | None, keyed: Keyed, ttl_seconds: int) -> None:
        self._redis = client
        self._keyed = keyed
        self._ttl = ttl_seconds
        self._memory: dict[str, str] = {}  # without Redis: agent key -> version

    def _key(self, name: str) -> str:
        return keys.web_session_version(self._keyed.of("agent", name))

    async def begin(self, name: str) -> str:
        """The version a new session of `name` carries (made on the first sign-in, else the current one)."""
        if self._redis is None:
            return self._memory.setdefault(name, secrets.token_urlsafe(16))
        key = self._key(name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, secrets.token_urlsafe(16), nx=True, ex=self._ttl)
            pipe.getex(key, ex=self._ttl)
            _, version = await pipe.execute()
        return _text(version)

    async def current(self, name: str) -> str | None:
        """The version sessions of `name` must carry (None: none is good); renews its lifetime."""
        if self._redis is None:
            return self._memory.get(name)
        version = await self._redis.getex(self._key(name), ex=self._ttl)
        return None if version is None else _text(version)

    async def revoke(self, name: str) -> None:
        """End every session of `name`: a new version that no cookie carries yet."""
        if self._redis is None:
            self._memory[name] = secrets.token_urlsafe(16)
            return
        await self._redis.set(self._key(name), secrets.token_urlsafe(16), ex=self._ttl)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
