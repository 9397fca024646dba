"""HTTP only: parse, call the service, answer. No rules live here."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from desk_common.auth import Caller
from desk_common.body import StrictJsonRoute
from desk_common.openapi import auth_error_docs, error_doc
from desk_common.readiness import Readiness
from ticket_link.dependencies import Webhook, claim_caller, get_service, lookup_caller
from ticket_link.schemas import (
    DepositClaim,
    DepositClaimResponse,
    DepositLookup,
    DepositLookupResponse,
    ReadyResponse,
    WebhookAccepted,
)
from ticket_link.service import TicketService

router = APIRouter(route_class=StrictJsonRoute)

_UNKNOWN_HELPDESK = error_doc(
    "No such helpdesk in the config.", "unknown_helpdesk", "unknown helpdesk 'zendesk'; configured: desk"
)
_CLAIM_ERRORS: dict[int | str, dict[str, Any]] = {
    **auth_error_docs('The key\'s `scopes` lack `post` (needed unless `"post_note": false`) or `check`.'),
    429: error_doc(
        "The API key used up its rate limit (`rate_limit` in its config entry; code `rate_limited`), or, with a "
        "note asked for, the ticket or its helpdesk reached a claims cap (`claims.per_ticket`, "
        "`claims.per_helpdesk`; code `claims_capped`, the message naming the cap). `Retry-After` says when.",
        "claims_capped",
        'too many claims: the cap claims.per_ticket = "10/minute" is reached; retry in 42 s',
        {"Retry-After": {"description": "Seconds until a claim fits again.", "schema": {"type": "integer"}}},
    ),
    404: _UNKNOWN_HELPDESK,
    422: error_doc(
        "Bad input (the message says what): a missing or malformed field, a non-numeric ticket id, an unknown "
        "field, or deposit_check's own 422 (hash or address not of the chain's kind, unknown chain).",
        "invalid_request",
        "ticket_ref must be the helpdesk's numeric ticket id",
    ),
    503: error_doc(
        "deposit_check (or a chain node behind it) is unavailable. With a note asked for, the claim is queued "
        "all the same and the note follows when it answers.",
        "unavailable",
        "deposit_check did not answer: ConnectError; the check is queued and the note will follow",
    ),
}

_CLAIM_EXAMPLES: dict[str, Any] = {
    "bot": {
        "summary": "A support bot: check, answer in French, note the ticket",
        "value": {
            "tx_hash": "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
            "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "expected_amount": "250",
            "lang": "fr",
        },
    },
    "check_only": {
        "summary": "Only check and answer, nothing written to the ticket (scope `check`)",
        "value": {
            "tx_hash": "9f2c4e1d7a0b3c5e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6",
            "address": "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj",
            "chain": "litecoin",
            "post_note": False,
        },
    },
    "helpdesk": {
        "summary": "Several helpdesks configured: name the one the ticket is in",
        "value": {
            "tx_hash": "9f2c4e1d7a0b3c5e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6",
            "address": "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj",
            "helpdesk": "zendesk",
        },
    },
}


@router.post(
    "/v1/tickets/{ticket_ref}/deposits",
    response_model=DepositClaimResponse,
    responses=_CLAIM_ERRORS,
    summary="Check a deposit for a ticket, answer with the verdict and a player message, note it in the ticket",
    response_description="deposit_check's verdict, the player message, and what became of the note.",
)
async def claim_deposit(
    ticket_ref: str,
    body: Annotated[DepositClaim, Body(openapi_examples=_CLAIM_EXAMPLES)],
    service: Annotated[TicketService, Depends(get_service)],
    _caller: Annotated[Caller, Depends(claim_caller)],
) -> DepositClaimResponse:
    """For support bots and agents. `ticket_ref` is the helpdesk's numeric ticket id.

    Asks deposit_check now and answers with its verdict plus `player_message` in `lang`. Unless
    `"post_note": false`, it also links the deposit to the ticket, queues one internal note per
    (ticket, tx, status), and has deposit_check follow the deposit so the ticket hears of each change.
    Scopes: `post` to note, `check` to only check.
    """
    return (await service.claim(service.ticket(body.helpdesk, ticket_ref), body)).answer


_LOOKUP_ERRORS: dict[int | str, dict[str, Any]] = {
    **_CLAIM_ERRORS,
    403: auth_error_docs(
        'The key\'s `scopes` lack `lookup`, or `post` (needed unless `"post_note": false`). `lookup` is implied by '
        "neither `check` nor `post`.",
        "lookup",
        "looking up deposits by address",
    )[403],
    422: error_doc(
        "Bad input, the message naming the field: a missing or malformed field (`address`, `chain`: codes "
        "`invalid_address`, `invalid_chain`; `since` without a time zone; `asset` not a symbol), an unknown field, a "
        "non-numeric ticket id, or deposit_check's own 422 (`unknown_chain`, `unknown_asset`, `invalid_address`).",
        "invalid_address",
        "address: not a deposit address: expected an EVM address (0x and 40 hexadecimal characters), ...",
    ),
    503: error_doc(
        "deposit_check could not look (or found nothing while a source could not answer: that is not a none). With a "
        "note asked for, the lookup is queued all the same and the note follows when it answers.",
        "unavailable",
        "deposit_check did not answer: ConnectError; the lookup is queued and the note will follow",
    ),
}

_LOOKUP_EXAMPLES: dict[str, Any] = {
    "bot": {
        "summary": "The player gave an address, an amount and a time: look up, answer in French, note the ticket",
        "value": {
            "address": "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj",
            "expected_amount": "0.05",
            "asset": "LTC",
            "since": "2026-12-01T08:00:00Z",
            "lang": "fr",
        },
    },
    "lookup_only": {
        "summary": "Only look up and answer, nothing written to the ticket (scope `lookup`)",
        "value": {"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "asset": "USDT", "post_note": False},
    },
}


@router.post(
    "/v1/tickets/{ticket_ref}/lookups",
    response_model=DepositLookupResponse,
    responses=_LOOKUP_ERRORS,
    summary="Find a ticket's deposit by address (no hash): the candidates, a player message, a note in the ticket",
    response_description="The candidate deposits, what was searched, the player message, and what became of the note.",
)
async def lookup_deposits(
    ticket_ref: str,
    body: Annotated[DepositLookup, Body(openapi_examples=_LOOKUP_EXAMPLES)],
    service: Annotated[TicketService, Depends(get_service)],
    _caller: Annotated[Caller, Depends(lookup_caller)],
) -> DepositLookupResponse:
    """For support bots whose player gives an address and no tx hash. `ticket_ref` is the helpdesk's numeric id.

    Asks deposit_check's `/v1/lookups` now and answers at most 5 candidates (exact amounts first when
    `expected_amount` is given, then newest), `coverage` (complete, and which sources searched), `truncated`, and
    `player_message` in `lang`. Unless `"post_note": false`, it queues the internal note listing the candidates
    (once per ticket, address, amount and candidate list: a retry adds nothing). It links no tx and watches
    nothing: the agent checks the one the player confirms. Scopes: `lookup`, plus `post` to note.
    """
    return await service.bot_lookup(service.ticket(body.helpdesk, ticket_ref), body)


async def _webhook(webhook: Webhook, service: TicketService) -> JSONResponse:
    accepted = await service.accept_webhook(webhook.helpdesk, webhook.body)
    return JSONResponse(WebhookAccepted(accepted=accepted).model_dump(), status_code=202)


_WEBHOOK_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": WebhookAccepted, "description": "Verified; the claims found are queued."},
    401: error_doc(
        "Sender not verified: bad or missing signature, stale timestamp, wrong path secret, or webhooks not "
        "configured for this helpdesk.",
        "webhook_rejected",
        "bad webhook signature",
    ),
    404: _UNKNOWN_HELPDESK,
    422: error_doc(
        "Body over 1 MB, not JSON, or without a ticket id and text.",
        "invalid_request",
        "webhook body over 1000000 bytes",
    ),
}

_WEBHOOK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The helpdesk's own payload, or the generic one. Only the ticket id and its text are read; "
        "everything else (names, e-mails) is dropped on arrival.",
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "A helpdesk webhook payload."},
                "examples": {
                    "generic": {
                        "summary": "Generic body (Zendesk/Freshdesk/RT triggers, Standard Webhooks)",
                        "value": {"ticket_id": "48213951", "text": "I sent 0.5 LTC, tx 9f2c4e1d… to ltc1qjl5h…"},
                    },
                    "django_helpdesk": {
                        "summary": "django-helpdesk's own payload (abridged)",
                        "value": {
                            "ticket": {
                                "id": 48213951,
                                "title": "Deposit not credited",
                                "description": "tx 9f2c4e1d… to ltc1qjl5h…",
                                "followup_set": [],
                            },
                            "queue_slug": "deposits",
                        },
                    },
                    "zammad": {
                        "summary": "Zammad's own payload (abridged)",
                        "value": {
                            "ticket": {"id": 3, "title": "Deposit missing"},
                            "article": {"body": "tx 9f2c4e1d… to ltc1qjl5h…", "internal": False},
                        },
                    },
                },
            }
        },
    }
}


@router.post(
    "/v1/webhooks/{helpdesk}",
    status_code=202,
    responses=_WEBHOOK_RESPONSES,
    summary="Helpdesk webhook (signed)",
    openapi_extra=_WEBHOOK_BODY,
)
async def webhook(webhook: Webhook, service: Annotated[TicketService, Depends(get_service)]) -> JSONResponse:
    """For helpdesk automation with a signature scheme (`zendesk`, `zammad`, `standard_webhooks`).

    The signature and replay window are verified before the body is parsed. Hashes and addresses found
    in the ticket's text are paired and queued; the worker checks each and posts one note per
    (ticket, tx, status). Redelivered webhooks change nothing. No API key: the signature is the proof.
    """
    return await _webhook(webhook, service)


@router.post(
    "/v1/webhooks/{helpdesk}/{secret}",
    status_code=202,
    responses=_WEBHOOK_RESPONSES,
    summary="Helpdesk webhook (unsigned helpdesks: a secret in the path)",
    openapi_extra=_WEBHOOK_BODY,
)
async def webhook_with_secret(
    webhook: Webhook, service: Annotated[TicketService, Depends(get_service)]
) -> JSONResponse:
    """For helpdesks that cannot sign (`path_secret`: django-helpdesk, Freshdesk, RT): the helpdesk's
    `webhook_secret` is the last path segment, checked before the body is even read. Otherwise as the
    signed webhook.
    """
    return await _webhook(webhook, service)


@router.get("/healthz", summary="The process is up", response_description='Always `{"status": "ok"}`.')
async def healthz() -> dict[str, str]:
    """Liveness: answers while the process runs. No key needed."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Redis and deposit_check answer",
    response_model=ReadyResponse,
    response_description="Ready: Redis and deposit_check answered.",
    responses={
        503: {
            "model": ReadyResponse,
            "description": "Not ready; `checks` says what and why.",
            "content": {
                "application/json": {
                    "example": {
                        "status": "not_ready",
                        "checks": {
                            "redis": "ok",
                            "deposit_check": "unavailable: deposit_check did not answer: ConnectError",
                        },
                    }
                }
            },
        }
    },
)
async def readyz(request: Request, service: Annotated[TicketService, Depends(get_service)]) -> JSONResponse:
    """Readiness: Redis and deposit_check's `/readyz` answered, within 5 s. No key needed: the answer is a probe
    at most `[api] readyz_cache_seconds` old (5 s), so calls do not reach deposit_check or Redis."""
    readiness: Readiness = request.app.state.readiness
    return await readiness.answer()
