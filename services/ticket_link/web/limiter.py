"""Sign-in attempts, counted before the password is checked, in Redis (shared by every process) or here.

Each attempt is one atomic `hit` per window (the `limits` package's moving window: a Lua script in
Redis), made before scrypt runs, so concurrent attempts cannot slip past a limit that is tested
first and counted later. In order, stopping at the first that is full:

1. per (agent, source address): `per_agent_and_source` (5/minute and 20/hour);
2. per source address, any name: `per_source` (20/minute), against spraying many names;
3. per agent, from addresses that have not signed in as that agent within `known_source_days`:
   `per_agent` (60/hour), the ceiling on guessing spread over many addresses.

An attempt refused by (1) or (2) is not counted in (3): one address adds at most
`per_agent_and_source` (20 an hour) to an agent's ceiling (60 an hour). Addresses the agent signed in from lately are not
held to (3) at all, so filling the ceiling from outside cannot lock an agent out of where they
work. docs/web-form.md says why. Agents and addresses are keyed hashes in every key.
"""

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as redis
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from desk_common.redis_connect import limits_storage
from ticket_link import keys
from ticket_link.config import SignInConfig

log = logging.getLogger(__name__)


class SignInRefused(Exception):
    """Base of why an attempt was not checked at all."""


class TooManyAttempts(SignInRefused):
    """A window is full; `retry_after` whole seconds until an attempt fits; `scope` names the window."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(scope)
        self.scope = scope
        self.retry_after = retry_after


class SignInBusy(SignInRefused):
    """Too many password checks running and waiting in this process: try again in a moment (503)."""


class SignInUnavailable(SignInRefused):
    """The attempt counter (Redis) did not answer: no attempt is checked uncounted (503)."""


@dataclass(frozen=True)
class Keyed:
    """Keyed hashes of agents and addresses for Redis keys and logs: nothing readable at rest."""

    key: bytes

    def of(self, *parts: str) -> str:
        return hmac.new(self.key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


class SignInLimiter:
    """Counts attempts (`admit`) and remembers where an agent signed in from (`remember`)."""

    def __init__(
        self,
        config: SignInConfig,
        redis_url: str | None,
        client: redis.Redis | None,  # of `redis_url`, shared with the session versions
        keyed: Keyed,
        clock: Callable[[], float] = time.time,  # the known-sources memory of the in-process backend
    ) -> None:
        self._pair, self._source, self._agent = (
            parse_many(config.per_agent_and_source),
            parse_many(config.per_source),
            parse_many(config.per_agent),
        )
        self._known_seconds = config.known_source_days * 86400
        self._keyed = keyed
        self._clock = clock
        self._redis = client
        self._known: dict[str, float] = {}  # without Redis: pair key -> known until
        if redis_url is not None and client is not None:
            storage = limits_storage(client, keys.WEB_SIGN_IN_LIMITS, redis_url, wrap_exceptions=True)
        else:
            storage = MemoryStorage()
        self.storage_kind = "redis" if client is not None else "memory"
        self._limiter = MovingWindowRateLimiter(storage)

    async def admit(self, name: str, source: str) -> None:
        """Count one attempt of `name` from `source`; TooManyAttempts if a window is full."""
        agent, address = self._keyed.of("agent", name), self._keyed.of("source", source)
        pair = self._keyed.of("pair", name, source)
        try:
            await self._hit(self._pair, "agent and source", "pair", pair)
            await self._hit(self._source, "source", "source", address)
            if not await self._is_known(pair):
                await self._hit(self._agent, "agent", "agent", agent)
        except (StorageError, RedisError) as exc:
            log.warning("sign-in limiter unavailable, sign-ins refused: %s", type(exc).__name__)
            raise SignInUnavailable("the sign-in counter is unavailable") from exc

    async def remember(self, name: str, source: str) -> None:
        """`name` signed in from `source`: that address is held to the per-agent ceiling no more, for a while."""
        pair = self._keyed.of("pair", name, source)
        if self._redis is None:
            self._known[pair] = self._clock() + self._known_seconds
            return
        await self._redis.set(keys.web_known_source(pair), b"1", ex=self._known_seconds)

    async def _is_known(self, pair: str) -> bool:
        if self._redis is None:
            return self._known.get(pair, 0.0) > self._clock()
        return bool(await self._redis.exists(keys.web_known_source(pair)))

    async def _hit(self, items: list[RateLimitItem], scope: str, *identifiers: str) -> None:
        """Count the attempt in each window in turn; TooManyAttempts at the first that is full."""
        for item in items:
            if not await self._limiter.hit(item, *identifiers):
                stats = await self._limiter.get_window_stats(item, *identifiers)
                raise TooManyAttempts(scope, max(1, math.ceil(stats.reset_time - time.time())))
