"""HTTP only: parse, call the service, answer. No rules live here."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ticket_link.dependencies import Webhook, get_service, require_api_key
from ticket_link.errors import DepositCheckUnavailable
from ticket_link.schemas import DepositClaim, DepositClaimResponse, WebhookAccepted
from ticket_link.service import TicketService

router = APIRouter()

_ERROR = {"content": {"application/json": {"example": {"error": {"code": "...", "message": "..."}}}}}
_CLAIM_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid API key.", **_ERROR},
    404: {"description": "Unknown helpdesk.", **_ERROR},
    422: {"description": "Bad input (message says what), including deposit_check's own 422s.", **_ERROR},
    503: {"description": "deposit_check (or a chain node behind it) is unavailable: the claim is queued and noted later.", **_ERROR},
}


@router.post(
    "/v1/tickets/{ticket_ref}/deposits",
    response_model=DepositClaimResponse,
    responses=_CLAIM_ERRORS,
    summary="Check a deposit for a ticket, answer with the verdict and a player message, note it in the ticket",
)
async def claim_deposit(
    ticket_ref: str,
    body: DepositClaim,
    service: Annotated[TicketService, Depends(get_service)],
    _caller: Annotated[str, Depends(require_api_key)],
) -> DepositClaimResponse:
    ref = service.ticket(body.helpdesk, ticket_ref)
    try:
        return await service.claim(ref, body)
    except DepositCheckUnavailable as exc:
        await service.claim_later(ref, body)  # nothing accepted is lost: the note follows when it answers
        raise DepositCheckUnavailable(f"{exc.message}; the check is queued and the note will follow") from None


async def _webhook(webhook: Webhook, service: TicketService) -> JSONResponse:
    accepted = await service.accept_webhook(webhook.helpdesk, webhook.body)
    return JSONResponse(WebhookAccepted(accepted=accepted).model_dump(), status_code=202)


_WEBHOOK_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": WebhookAccepted, "description": "Verified; the claims found are queued."},
    401: {"description": "Sender not verified (signature, timestamp or path secret).", **_ERROR},
    404: {"description": "Unknown helpdesk.", **_ERROR},
    422: {"description": "Body too large or without a ticket id.", **_ERROR},
}


@router.post("/v1/webhooks/{helpdesk}", status_code=202, responses=_WEBHOOK_RESPONSES, summary="Helpdesk webhook (signed)")
async def webhook(webhook: Webhook, service: Annotated[TicketService, Depends(get_service)]) -> JSONResponse:
    return await _webhook(webhook, service)


@router.post(
    "/v1/webhooks/{helpdesk}/{secret}",
    status_code=202,
    responses=_WEBHOOK_RESPONSES,
    summary="Helpdesk webhook (unsigned helpdesks: a secret in the path)",
)
async def webhook_with_secret(webhook: Webhook, service: Annotated[TicketService, Depends(get_service)]) -> JSONResponse:
    return await _webhook(webhook, service)


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Redis and deposit_check answer", responses={503: {"description": "Not ready."}})
async def readyz(request: Request, service: Annotated[TicketService, Depends(get_service)]) -> JSONResponse:
    async def probe(name: str, check: Any) -> tuple[str, str]:
        try:
            await asyncio.wait_for(check(), 5.0)
            return name, "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure as "not ready"
            return name, f"unavailable: {getattr(exc, 'message', type(exc).__name__)}"

    results = dict(
        await asyncio.gather(probe("redis", service.links.redis.ping), probe("deposit_check", service.checker.ready))
    )
    ready = all(v == "ok" for v in results.values())
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": results}, status_code=200 if ready else 503)
