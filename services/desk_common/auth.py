"""Bearer API keys (kept as SHA-256 digests), their scopes and their rate limits.

With no keys configured the service does not start, unless the config says `dev_mode = true`
under `[api]`: then loopback callers get in, with every scope and no limit. Explicit, because a
reverse proxy on the same host is loopback too: without keys, it would hand the world every scope.
Rate limits are counted by the `limits` package: in Redis when there is one (shared by every API
process), else in this process's memory.

A key allowed many requests per window (a busy bot, ticket_link's own key) takes them from the
shared window in batches of up to 1% of its limit (at most 100): one Redis round trip per batch
instead of one per request, which on a cached check is most of the cost. A key of fewer than 200
per window (the default is 120 per minute) is counted request by request. What a batch costs in
precision, with P API processes: at most P batches more than the limit pass in one window (what
each process had taken but not used when the window moved on), and at most P batches fewer (taken
by one process, unused while another is refused).
"""

import asyncio
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated

import redis.asyncio as redis
from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from starlette.requests import HTTPConnection

from desk_common.config import ApiKey
from desk_common.errors import DeskError
from desk_common.redis_connect import connect, limits_storage

log = logging.getLogger(__name__)

LIMITER_TIMEOUT_SECONDS = 1.0
BATCH_SHARE = 100  # a batch is at most 1/BATCH_SHARE of the key's limit...
MAX_BATCH = 100  # ...and at most this many requests


class AccessDenied(DeskError):
    """Base of why a caller is turned away; messages never echo the key."""

    status_code = 403
    code = "forbidden"


class NoApiKeys(ValueError):
    """No `[[api.keys]]` and no `dev_mode`: the service refuses to start (the message says what to do)."""


class AuthFailed(AccessDenied):
    """No key, or not one of ours (401)."""

    status_code = 401
    code = "unauthorized"


class MissingScope(AccessDenied):
    """A known key asked for something its scopes do not allow (403)."""


class RateLimited(AccessDenied):
    """The key used up its rate limit (429); `retry_after` is whole seconds until a request fits."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Caller:
    """Who is calling, what they may do, and the rate they are held to (None: not limited)."""

    name: str
    scopes: frozenset[str]
    limit: RateLimitItem | None = None
    bucket: str = ""
    batch: int = 1  # requests taken from the shared window at a time (see the module's docstring)

    def require(self, scope: str, purpose: str) -> None:
        if scope not in self.scopes:
            raise MissingScope(f"this API key lacks the scope {scope!r} ({purpose})")


@dataclass
class _Taken:
    """Requests of one key this process took from the shared window ahead of use, good until `until` (the gate's clock)."""

    left: int
    until: float


@dataclass
class _Asking:
    """A batch being asked for: `done` when it landed; `unavailable` when the limiter did not answer."""

    done: asyncio.Event = field(default_factory=asyncio.Event)
    unavailable: bool = False


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Gate:
    """Lets callers in (401), holds them to their rate (429); endpoints then check scopes (403).

    `scopes` maps each scope of the service to the scopes it grants (itself included), e.g.
    `{"check": {"check"}, "post": {"check", "post"}}`. A key without `scopes` gets them all but the
    `explicit` ones (e.g. `admin`), which only a key that lists them has: a key written before such
    a scope existed does not gain it.
    """

    def __init__(
        self,
        keys: Iterable[ApiKey],
        scopes: Mapping[str, Iterable[str]],
        redis_url: str | None,
        prefix: str,
        clock: Callable[[], float] = time.monotonic,  # how long a batch taken ahead stays good
        explicit: Iterable[str] = (),
        dev_mode: bool = False,
        new_key_command: str = "new-key NAME",
    ) -> None:
        keys = list(keys)
        if not keys and not dev_mode:
            raise NoApiKeys(
                f"no API keys are configured: make one with `{new_key_command}` and add the [[api.keys]] entry it "
                "prints to the config file (docs/configuration.md); for local development only, `dev_mode = true` "
                "under [api] lets loopback callers in without a key instead"
            )
        if not keys:
            log.warning(
                "dev_mode: no API keys, every loopback caller has every scope, unlimited "
                "(a reverse proxy on this host included): never expose this service"
            )
        every = frozenset(s for granted in scopes.values() for s in granted) | frozenset(scopes)
        implied = every - frozenset(explicit)
        self._callers: dict[str, Caller] = {}
        for key in keys:
            unknown = sorted(set(key.scopes or ()) - set(scopes))
            if unknown:
                raise ValueError(
                    f"API key {key.name!r}: unknown scope {', '.join(unknown)}; known: {', '.join(scopes)}"
                )
            granted = (
                implied if key.scopes is None else frozenset(s for name in key.scopes for s in (name, *scopes[name]))
            )
            # The digest names the bucket: unique per key, and reveals nothing (the key is random).
            limit = parse(key.rate_limit)
            batch = max(1, min(MAX_BATCH, limit.amount // BATCH_SHARE))
            self._callers[key.sha256] = Caller(key.name, granted, limit, key.sha256[:16], batch)
        self._loopback = Caller("loopback", every)
        self._client: redis.Redis | None = None
        if redis_url is not None:
            # Our own client, so it can be closed; short timeouts, since a slow limiter must not stall the API.
            self._client = connect(
                redis_url,
                socket_timeout=LIMITER_TIMEOUT_SECONDS,
                socket_connect_timeout=LIMITER_TIMEOUT_SECONDS,
                retry_timeouts=False,
            )
            # prefix: the service's keys.RATE_LIMITS
            storage = limits_storage(self._client, prefix, redis_url, wrap_exceptions=True)
        else:
            storage = MemoryStorage()
        self.storage_kind = "redis" if redis_url else "memory"
        self._limiter = MovingWindowRateLimiter(storage)
        self._clock = clock
        self._warned_at = 0.0
        self._taken: dict[str, _Taken] = {}  # per bucket: requests this process took ahead (batch > 1)
        self._asking: dict[str, _Asking] = {}  # per bucket: the batch being asked for

    def authenticate(self, token: str | None, client_host: str | None) -> Caller:
        """The caller a bearer token (None: no or another scheme) stands for.

        A dict lookup on the digest of the presented key leaks nothing useful through timing: the
        attacker controls the pre-image, not the digest being compared.
        """
        if not self._callers:
            if _is_loopback(client_host):
                return self._loopback
            raise AuthFailed("no API keys are configured: the API only answers on loopback")
        if not token or not token.strip():
            raise AuthFailed("missing API key: send 'Authorization: Bearer <key>'")
        caller = self._callers.get(hashlib.sha256(token.strip().encode()).hexdigest())
        if caller is None:
            raise AuthFailed("invalid API key")
        return caller

    async def throttle(self, caller: Caller) -> None:
        """Count one request against the caller's limit; RateLimited when it is used up.

        If the limiter's Redis fails, the request goes through (logged): an outage of the counter
        must not turn into an outage of the API.
        """
        if caller.limit is None:
            return
        if caller.batch == 1:
            await self._hit(caller)
            return
        while True:
            if self._take(caller.bucket):
                return
            asking = self._asking.get(caller.bucket)
            if asking is None:
                break
            # Another request of this key is asking for the next batch: wait for it, all waiters at
            # once (a lock would hand over one by one, a queue of them on every batch: a p99 tail).
            await asking.done.wait()
            if asking.unavailable:
                return  # the limiter's store did not answer it: let these through as well
        asking = self._asking[caller.bucket] = _Asking()
        try:
            asking.unavailable = not await self._hit(caller)
        finally:
            del self._asking[caller.bucket]
            asking.done.set()  # refused or let through alone, the waiters each try for themselves

    def _take(self, bucket: str) -> bool:
        taken = self._taken.get(bucket)
        if taken is None or taken.left < 1 or self._clock() >= taken.until:
            return False
        taken.left -= 1
        return True

    async def _hit(self, caller: Caller) -> bool:
        """Count the request (RateLimited when it does not fit); False when the limiter did not answer."""
        assert caller.limit is not None
        try:
            # A whole batch when the window has room for it (this request and the next batch - 1),
            # else this one request alone: near the limit, every request still gets what is left.
            if caller.batch > 1 and await self._limiter.hit(caller.limit, caller.bucket, cost=caller.batch):
                # Used within one window only: taken now and used after the window moved on, a
                # request would be counted in no window.
                self._taken[caller.bucket] = _Taken(caller.batch - 1, self._clock() + caller.limit.get_expiry())
                return True
            if await self._limiter.hit(caller.limit, caller.bucket):
                return True
            stats = await self._limiter.get_window_stats(caller.limit, caller.bucket)
        except StorageError as exc:
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                log.warning("rate limiter unavailable, requests are not limited: %s", type(exc.storage_error).__name__)
            return False
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"rate limit of {caller.limit} for this API key reached; retry in {retry_after} s", retry_after
        )

    async def admit(self, token: str | None, client_host: str | None) -> Caller:
        caller = self.authenticate(token, client_host)
        await self.throttle(caller)
        return caller

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def new_key(name: str) -> str:
    """Make a random API key; return the text telling the operator the key and its config entry."""
    import secrets

    key = secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    return (
        f"API key (give it to the caller; it is not stored): {key}\n"
        f'Add to the config file:\n[[api.keys]]\nname = "{name}"\nsha256 = "{digest}"\n'
        "# scopes = [...]            # default: every scope (see docs/configuration.md)\n"
        '# rate_limit = "120/minute" # the default'
    )


def bearer_token(request: HTTPConnection) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, read as `fastapi.security.HTTPBearer` reads it."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    return token if token and scheme.lower() == "bearer" else None


async def admit(request: HTTPConnection) -> Caller:
    """The caller of a request, let in (401) and counted against its rate (429) by the app's `state.gate`."""
    gate: Gate = request.app.state.gate
    return await gate.admit(bearer_token(request), request.client.host if request.client else None)


class BearerGate(HTTPBearer):
    """The dependency for routes behind an API key (documented in OpenAPI as `ApiKey`): `admit`.

    One dependency, not a bearer dependency under a gate dependency: FastAPI resolves every level
    of a dependency tree again on each request. A route on the hottest path may call `admit` itself
    and name the `ApiKey` scheme in its `openapi_extra` (deposit_check's checks, docs/benchmarks.md).
    """

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]  # a Caller, not the raw credentials
        return await admit(request)


api_caller = BearerGate(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key whose SHA-256 is in `[[api.keys]]` (make one with the service's `new-key` command).",
)


def requires(scope: str, purpose: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A route's dependency: the API caller, refused with a 403 that names `scope` and `purpose` unless its key
    has that scope (an endpoint that needs one scope whatever the body says)."""

    async def caller(caller: Annotated[Caller, Depends(api_caller)]) -> Caller:
        caller.require(scope, purpose)
        return caller

    return caller
