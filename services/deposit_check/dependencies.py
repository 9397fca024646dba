"""Request dependencies: who may call (key, rate, scope), and the service instance."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deposit_check import keys
from deposit_check.config import AppConfig
from deposit_check.errors import Forbidden, RateLimited, Unauthorized
from deposit_check.schemas import CheckRequest
from deposit_check.service import CheckService
from desk_common import auth

# Each scope and what it grants: a watch is a check that is followed afterwards.
SCOPES = {"check": {"check"}, "watch": {"check", "watch"}}

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key whose SHA-256 is in `[[api.keys]]` (`deposit-check new-key NAME`).",
)


def build_gate(config: AppConfig) -> auth.Gate:
    """Keys, scopes and rate limits; counted in Redis when REDIS_URL is set, else in memory."""
    return auth.Gate(config.file.api.keys, SCOPES, config.redis_url, keys.PREFIX)


async def get_service(request: Request) -> CheckService:
    # async on purpose: FastAPI runs a sync dependency in a worker thread, a thread hand-off per request.
    return request.app.state.service


async def api_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> auth.Caller:
    """The caller behind the bearer key (401), within its rate limit (429)."""
    gate: auth.Gate = request.app.state.gate
    try:
        return await gate.admit(credentials.credentials if credentials else None, request.client.host if request.client else None)
    except auth.RateLimited as exc:
        raise RateLimited(str(exc), exc.retry_after) from None
    except auth.AuthFailed as exc:
        raise Unauthorized(str(exc)) from None


async def check_caller(body: CheckRequest, caller: Annotated[auth.Caller, Depends(api_caller)]) -> auth.Caller:
    """A caller whose key may make this check: scope `check`, or `watch` with `"watch": true` (403)."""
    try:
        if body.watch:
            caller.require("watch", 'asking for "watch": true')
        else:
            caller.require("check", "checking a deposit")
    except auth.MissingScope as exc:
        raise Forbidden(str(exc)) from None
    return caller
