"""Several RPC endpoints per chain: failover in order, a circuit breaker and the last error of each.

Both adapters put their per-endpoint clients in an `EndpointPool`. A call is asked of the first
endpoint whose breaker admits it; an `EndpointFailure` (transport error, timeout, HTTP error, an
answer that cannot be used) moves on to the next. After `failures` consecutive failures an
endpoint's circuit opens: it is skipped, without a request, for `reset_seconds`; then one probe
call is let through (half-open): success closes the circuit, failure opens it again.

The breaker is a small class of our own rather than a library's, because none of those on PyPI
fits cleanly (checked: circuitbreaker 2.1.3, purgatory 3.0.1, aiobreaker 1.2.0):
- all three let every concurrent caller through while half-open, so a node that hangs costs each
  of them a full timeout at once; ours lets one probe through at a time;
- circuitbreaker and purgatory close the circuit (and forget the failure count) when the call
  ends with any exception they are not told is a failure, cancellation included: a hanging node
  whose calls a caller's own deadline cancels (readyz's) would never open. Here a cancelled call
  counts neither way;
- purgatory reads the wall clock (time.time) and sends each call through an async unit of work
  and a message bus; aiobreaker's last release is from 2021; circuitbreaker is untyped and
  rounds the open time to whole seconds.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from deposit_check import metrics
from deposit_check.errors import DepositCheckError, NodeUnavailable

C = TypeVar("C")  # an adapter's per-endpoint client
T = TypeVar("T")

BreakerState = Literal["closed", "open", "half_open"]


class EndpointFailure(Exception):
    """This endpoint's answer cannot be used (no answer, an error, a malformed or unfit one): ask the next."""


def label_of(url: str) -> str:
    """scheme://host:port of a URL: safe to show, unlike its user, password, path or query (API keys)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


class Breaker:
    """Consecutive-failure circuit breaker of one endpoint: closed -> open -> half-open -> closed."""

    def __init__(self, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = failures
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failures = 0  # consecutive
        self.opened_at: float | None = None
        self._probing = False  # a half-open probe is in flight

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return "closed"
        return "open" if self.clock() - self.opened_at < self.reset_seconds else "half_open"

    def retry_in(self) -> float | None:
        """Seconds until an open circuit lets a probe through; None unless open."""
        if self.opened_at is None:
            return None
        left = self.opened_at + self.reset_seconds - self.clock()
        return left if left > 0 else None

    def admit(self) -> bool:
        """May a call go to the endpoint now? While half-open, one call at a time (the probe)."""
        state = self.state
        if state == "closed":
            return True
        if state == "open" or self._probing:
            return False
        self._probing = True
        return True

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._probing = False

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = self.clock()  # (again, after a failed probe)
        self._probing = False

    def released(self) -> None:
        """The call was cancelled: it proves nothing either way."""
        self._probing = False


@dataclass
class Endpoint(Generic[C]):
    """One endpoint of a chain: its client, its breaker and what went wrong last."""

    label: str  # scheme://host:port, unique within the pool
    client: C
    breaker: Breaker
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_ok_at: datetime | None = None

    def state(self) -> dict[str, Any]:
        """For /readyz: no credentials (the label has none, errors are built from labels)."""
        retry_in = self.breaker.retry_in()
        return {
            "endpoint": self.label,
            "state": self.breaker.state,
            "consecutive_failures": self.breaker.failures,
            "retry_in_seconds": None if retry_in is None else round(retry_in, 1),
            "last_error": self.last_error,
            "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None,
            "last_ok_at": self.last_ok_at.isoformat() if self.last_ok_at else None,
        }


class EndpointPool(Generic[C]):
    """A chain's endpoints in the configured order, each behind its breaker; every attempt is
    bounded by `timeout_seconds` (the whole attempt: one call may be two requests to that node)."""

    def __init__(
        self,
        chain: str,
        clients: Sequence[tuple[str, C]],
        *,
        timeout_seconds: float,
        breaker_failures: int,
        breaker_reset_seconds: float,
        max_in_flight: int = 8,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clients`: (URL, client) pairs; the URL only names the endpoint (masked)."""
        self.chain = chain
        self.max_in_flight = max_in_flight
        self._slots: dict[str, asyncio.Semaphore] = {}
        self.timeout_seconds = timeout_seconds
        self.endpoints: list[Endpoint[C]] = []
        seen: dict[str, int] = {}
        for url, client in clients:
            label = label_of(url)
            seen[label] = seen.get(label, 0) + 1
            if seen[label] > 1:  # same host and port, another path: still tell them apart
                label = f"{label}#{seen[label]}"
            self.endpoints.append(Endpoint(label, client, Breaker(breaker_failures, breaker_reset_seconds, clock)))
        metrics.track_pool(self)

    def states(self) -> list[dict[str, Any]]:
        return [e.state() for e in self.endpoints]

    async def first(self, ask: Callable[[C], Awaitable[T]]) -> T:
        """`ask` the endpoints in order; the first useful answer wins, else NodeUnavailable naming each failure.

        Exceptions other than EndpointFailure (e.g. UnknownBlock: an answer, not a failure) are raised as is.
        """
        failures: list[str] = []
        for endpoint in self.endpoints:
            if not endpoint.breaker.admit():
                failures.append(f"{endpoint.label}: {_skipped(endpoint)}")
                continue
            try:
                return await self._attempt(endpoint, ask)
            except EndpointFailure as exc:
                failures.append(f"{endpoint.label}: {exc}")
        raise self._unavailable(failures)

    async def several(self, n: int, ask: Callable[[C], Awaitable[T]]) -> list[tuple[str, T]]:
        """Useful answers of up to `n` distinct endpoints, asked concurrently, with their labels.

        Each of the `n` lanes asks the next endpoint not yet asked (in order) until one answers,
        so a failing endpoint is replaced by a spare one. Fewer than `n` answers are returned as
        they are (the caller decides what that means); none raises NodeUnavailable.
        """
        failures: list[str] = []
        order = iter(self.endpoints)  # shared by the lanes: each endpoint is asked once at most

        async def lane() -> tuple[int, str, T] | None:
            for endpoint in order:
                if not endpoint.breaker.admit():
                    failures.append(f"{endpoint.label}: {_skipped(endpoint)}")
                    continue
                try:
                    return self.endpoints.index(endpoint), endpoint.label, await self._attempt(endpoint, ask)
                except EndpointFailure as exc:
                    failures.append(f"{endpoint.label}: {exc}")
            return None

        try:
            async with asyncio.TaskGroup() as group:
                lanes = [group.create_task(lane()) for _ in range(n)]
        except BaseExceptionGroup as caught:  # an answer that is no failure (a bug, UnknownBlock): as is
            raise caught.exceptions[0] from None
        answers = sorted(a for a in (t.result() for t in lanes) if a is not None)
        if not answers:
            raise self._unavailable(failures)
        return [(label, value) for _, label, value in answers]

    async def each(self, ask: Callable[[C], Awaitable[T]]) -> list[tuple[str, T | EndpointFailure]]:
        """`ask` every endpoint whose breaker admits it, concurrently; each one's answer or failure."""

        async def one(endpoint: Endpoint[C]) -> tuple[str, T | EndpointFailure]:
            if not endpoint.breaker.admit():
                return endpoint.label, EndpointFailure(_skipped(endpoint))
            try:
                return endpoint.label, await self._attempt(endpoint, ask)
            except EndpointFailure as exc:
                return endpoint.label, exc

        return list(await asyncio.gather(*(one(e) for e in self.endpoints)))

    async def _attempt(self, endpoint: Endpoint[C], ask: Callable[[C], Awaitable[T]]) -> T:
        """One call to one endpoint (admitted by its breaker), bounded in time; the breaker hears how it went."""
        slots = self._slots.setdefault(endpoint.label, asyncio.Semaphore(self.max_in_flight))
        async with slots:  # waiting for a slot is ours, not the node's: outside its timeout and breaker
            return await self._ask(endpoint, ask)

    async def _ask(self, endpoint: Endpoint[C], ask: Callable[[C], Awaitable[T]]) -> T:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_seconds):
                answer = await ask(endpoint.client)
        except TimeoutError:
            self._failed(endpoint, f"no answer within {self.timeout_seconds:g} s", started)
            raise EndpointFailure(f"no answer within {self.timeout_seconds:g} s") from None
        except EndpointFailure as exc:
            self._failed(endpoint, str(exc), started)
            raise
        except DepositCheckError:
            self._ok(endpoint, started)  # the node answered (e.g. "no such block"): it works
            raise
        except BaseException:
            endpoint.breaker.released()  # cancelled (or a bug of ours): says nothing about the node
            raise
        self._ok(endpoint, started)
        return answer

    def _ok(self, endpoint: Endpoint[C], started: float) -> None:
        metrics.NODE_SECONDS.labels(self.chain, endpoint.label, "ok").observe(time.perf_counter() - started)
        endpoint.breaker.succeeded()
        endpoint.last_ok_at = datetime.now(UTC)

    def _failed(self, endpoint: Endpoint[C], error: str, started: float) -> None:
        metrics.NODE_SECONDS.labels(self.chain, endpoint.label, "error").observe(time.perf_counter() - started)
        metrics.NODE_ERRORS.labels(self.chain, endpoint.label).inc()
        endpoint.breaker.failed()
        endpoint.last_error = error
        endpoint.last_error_at = datetime.now(UTC)

    def _unavailable(self, failures: list[str]) -> NodeUnavailable:
        return NodeUnavailable(f"{self.chain}: no node answered usefully ({'; '.join(failures)})", chain=self.chain)


def _skipped(endpoint: Endpoint[Any]) -> str:
    """Why an endpoint was not asked (its circuit is open, or a half-open probe is in flight)."""
    last = f"; last error: {endpoint.last_error}" if endpoint.last_error else ""
    return f"skipped, circuit open after {endpoint.breaker.failures} consecutive failures{last}"
