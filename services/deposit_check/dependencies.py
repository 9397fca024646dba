"""Request dependencies: who may call (key, rate, scope), and the service instance."""

from fastapi import Request

from deposit_check import keys
from deposit_check.config import AppConfig
from deposit_check.schemas import CheckRequest
from deposit_check.service import CheckService
from desk_common import auth

# Each scope and what it grants: a watch is a check that is followed afterwards; `admin` declares
# the casino's addresses (/v1/addresses) and only a key that lists it has it.
# `lookup` lists what reached an address (POST /v1/lookups): more than a check, which needs the tx hash,
# so a key listing only `check` does not have it.
SCOPES = {"check": {"check"}, "watch": {"check", "watch"}, "lookup": {"lookup"}, "admin": {"admin"}}
EXPLICIT_SCOPES = ("admin",)


def build_gate(config: AppConfig) -> auth.Gate:
    """Keys, scopes and rate limits; counted in Redis when REDIS_URL is set, else in memory."""
    return auth.Gate(
        config.file.api.keys,
        SCOPES,
        config.redis_url,
        keys.RATE_LIMITS,
        explicit=EXPLICIT_SCOPES,
        dev_mode=config.file.api.dev_mode,
        new_key_command="deposit-check new-key NAME",
    )


async def get_service(request: Request) -> CheckService:
    # async on purpose: FastAPI runs a sync dependency in a worker thread, a thread hand-off per request.
    service: CheckService = request.app.state.service
    return service


def require_check_scope(caller: auth.Caller, body: CheckRequest) -> None:
    """The caller's key may make this check: scope `check`, or `watch` with `"watch": true` (403)."""
    if body.watch:
        caller.require("watch", 'asking for "watch": true')
    else:
        caller.require("check", "checking a deposit")
