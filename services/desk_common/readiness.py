"""`/readyz`: every probe run at once, each within a timeout."""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi.responses import JSONResponse

Probe = Callable[[], Awaitable[object]]


async def readiness(probes: dict[str, Probe], timeout_seconds: float = 5.0) -> JSONResponse:
    """Run every probe concurrently, each within `timeout_seconds`: 200 when all answered, else 503 saying which and why."""

    async def run(name: str, probe: Probe) -> tuple[str, str]:
        try:
            await asyncio.wait_for(probe(), timeout_seconds)
            return name, "ok"
        except TimeoutError:
            return name, "unavailable: timed out"
        except Exception as exc:
            return name, f"unavailable: {getattr(exc, 'message', None) or str(exc) or type(exc).__name__}"

    results = dict(await asyncio.gather(*(run(name, probe) for name, probe in probes.items())))
    ready = all(v == "ok" for v in results.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": results}, status_code=200 if ready else 503
    )
