"""Request dependencies: who may call, and the service instance."""

from fastapi import Request

from deposit_check.errors import Unauthorized
from deposit_check.service import CheckService
from desk_common.auth import AuthFailed, authenticate


async def get_service(request: Request) -> CheckService:
    # async on purpose: FastAPI runs a sync dependency in a worker thread, a thread hand-off per request.
    return request.app.state.service


async def require_api_key(request: Request) -> str:
    """Return the caller's key name; with no keys configured only loopback callers get in."""
    client = request.client.host if request.client else None
    try:
        return authenticate(request.app.state.api_keys, request.headers.get("authorization", ""), client)
    except AuthFailed as exc:
        raise Unauthorized(str(exc)) from None
