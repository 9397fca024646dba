"""HTTP only: parse, call the service, answer. No rules live here."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from deposit_check.dependencies import get_service, require_api_key
from deposit_check.errors import NodeUnavailable
from deposit_check.schemas import CheckRequest, CheckResponse, ErrorResponse, UnavailableResponse
from deposit_check.service import CheckService
from deposit_check.store import StoreUnavailable

router = APIRouter()

READY_TIMEOUT_SECONDS = 5.0

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or invalid API key."},
    422: {"model": ErrorResponse, "description": "Malformed hash or address, unknown chain or asset."},
    503: {"model": UnavailableResponse, "description": "No node of the chain answered: the truth is unknown."},
}


@router.post(
    "/v1/checks",
    response_model=CheckResponse,
    responses=_ERRORS,
    summary="Check a transaction against a deposit address",
)
async def create_check(
    body: CheckRequest,
    service: Annotated[CheckService, Depends(get_service)],
    _caller: Annotated[str, Depends(require_api_key)],
) -> Response:
    payload, cached = await service.check_json(body)
    # The service already produced the validated JSON; re-validating it here would only cost time.
    return Response(payload, media_type="application/json", headers={"X-Cache": "hit" if cached else "miss"})


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Every node and the store answer", responses={503: {"description": "Something is not ready."}})
async def readyz(request: Request, service: Annotated[CheckService, Depends(get_service)]) -> JSONResponse:
    async def probe(name: str, check: Any) -> tuple[str, str]:
        try:
            await asyncio.wait_for(check(), READY_TIMEOUT_SECONDS)
            return name, "ok"
        except (NodeUnavailable, StoreUnavailable) as exc:
            return name, f"unavailable: {getattr(exc, 'message', str(exc))}"
        except TimeoutError:
            return name, "unavailable: timed out"

    probes = [probe(f"chain:{name}", chain.ready) for name, chain in service.chains.items()]
    probes.append(probe(f"store:{service.store.kind}", service.store.ping))
    results = dict(await asyncio.gather(*probes))
    ready = all(v == "ok" for v in results.values())
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": results}, status_code=200 if ready else 503)
