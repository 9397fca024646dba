"""Request dependencies: who may call, which helpdesk a webhook is from (verified), the service."""

import time
from typing import Annotated

from fastapi import Depends, Request

from desk_common import auth
from ticket_link import keys
from ticket_link.config import AppConfig
from ticket_link.errors import InvalidRequest, UnknownHelpdesk
from ticket_link.helpdesks.base import Helpdesk
from ticket_link.schemas import DepositClaim, DepositLookup
from ticket_link.service import TicketService

MAX_WEBHOOK_BYTES = 1_000_000

# Each scope and what it grants: whoever may post a note may also just check. `lookup` lists the deposits that
# reached an address (no hash needed): more than a check tells, so neither `check` nor `post` implies it, as on
# deposit_check's keys. A key without `scopes` has all three.
SCOPES = {"check": {"check"}, "post": {"check", "post"}, "lookup": {"lookup"}}


async def get_service(request: Request) -> TicketService:
    service: TicketService = request.app.state.service
    return service


def build_gate(config: AppConfig) -> auth.Gate:
    """Keys, scopes and rate limits, counted in ticket_link's Redis (shared by every API process)."""
    return auth.Gate(
        config.file.api.keys,
        SCOPES,
        config.redis_url,
        keys.RATE_LIMITS,
        dev_mode=config.file.api.dev_mode,
        new_key_command="ticket-link new-key NAME",
    )


async def claim_caller(body: DepositClaim, caller: Annotated[auth.Caller, Depends(auth.api_caller)]) -> auth.Caller:
    """A caller whose key may make this claim: `post` to note it in the ticket, `check` to only check (403)."""
    if body.post_note:
        caller.require("post", 'posting a note; send "post_note": false to only check')
    else:
        caller.require("check", "checking a deposit")
    return caller


async def lookup_caller(body: DepositLookup, caller: Annotated[auth.Caller, Depends(auth.api_caller)]) -> auth.Caller:
    """A caller whose key may make this lookup: `lookup`, and `post` too to note it in the ticket (403)."""
    caller.require("lookup", "looking up deposits by address")
    if body.post_note:
        caller.require("post", 'posting a note; send "post_note": false to only look up')
    return caller


async def _read_bounded(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        raise InvalidRequest(f"webhook body over {MAX_WEBHOOK_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_WEBHOOK_BYTES:
            raise InvalidRequest(f"webhook body over {MAX_WEBHOOK_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class VerifiedWebhook:
    def __init__(self, helpdesk: Helpdesk, body: bytes) -> None:
        self.helpdesk = helpdesk
        self.body = body


async def verified_webhook(request: Request, helpdesk: str, secret: str | None = None) -> VerifiedWebhook:
    """The sender is verified before the body is parsed; with a secret in the path, before it is read."""
    adapter: Helpdesk | None = request.app.state.helpdesks.get(helpdesk)
    if adapter is None:
        raise UnknownHelpdesk(f"unknown helpdesk {helpdesk!r}")
    headers = {k.lower(): v for k, v in request.headers.items()}
    now = time.time()
    if adapter.webhook_scheme == "path_secret":
        adapter.verify_webhook(headers, b"", secret, now)
        return VerifiedWebhook(adapter, await _read_bounded(request))
    body = await _read_bounded(request)
    adapter.verify_webhook(headers, body, secret, now)
    return VerifiedWebhook(adapter, body)


Webhook = Annotated[VerifiedWebhook, Depends(verified_webhook)]
