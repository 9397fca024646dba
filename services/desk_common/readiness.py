"""`/readyz`: every probe run at once, each within a timeout; the answer kept for a few seconds.

`/readyz` needs no key (orchestrators call it), so anyone who reaches it could make us ask the
nodes, deposit_check and Redis once per request. `Readiness` asks at most once per `ttl_seconds`,
and concurrent callers while a probe runs all wait for that one probe: over a stretch of D
seconds the probes run at most ceil(D / ttl) + 1 times, however many calls come in.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from fastapi.responses import JSONResponse

Probe = Callable[[], Awaitable[object]]


async def probe_all(probes: dict[str, Probe], timeout_seconds: float = 5.0) -> dict[str, str]:
    """Run every probe concurrently, each within `timeout_seconds`: "ok", or "unavailable: why", by name."""

    async def run(name: str, probe: Probe) -> tuple[str, str]:
        try:
            await asyncio.wait_for(probe(), timeout_seconds)
            return name, "ok"
        except TimeoutError:
            return name, "unavailable: timed out"
        except Exception as exc:
            return name, f"unavailable: {getattr(exc, 'message', None) or str(exc) or type(exc).__name__}"

    return dict(await asyncio.gather(*(run(name, probe) for name, probe in probes.items())))


def response(results: dict[str, str]) -> JSONResponse:
    """200 when every probe answered, else 503 saying which and why."""
    ready = all(v == "ok" for v in results.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": results}, status_code=200 if ready else 503
    )


class Readiness:
    """The readiness answer, probed at most once per `ttl_seconds` (0: on every call, still one at a time)."""

    def __init__(
        self,
        probes: dict[str, Probe],
        ttl_seconds: float,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probes = probes
        self._ttl = ttl_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._results: dict[str, str] | None = None
        self._probed_at = 0.0
        self._running: asyncio.Task[dict[str, str]] | None = None

    async def answer(self) -> JSONResponse:
        if self._results is not None and self._clock() - self._probed_at < self._ttl:
            return response(self._results)
        if self._running is None:
            self._running = asyncio.create_task(self._probe())
        # Shielded: a caller that goes away must not cancel the probe the others wait for.
        return response(await asyncio.shield(self._running))

    async def _probe(self) -> dict[str, str]:
        try:
            results = await probe_all(self._probes, self._timeout)
            # From when the answer came: a probe that took the whole timeout is not stale at once.
            self._results, self._probed_at = results, self._clock()
            return results
        finally:
            self._running = None
