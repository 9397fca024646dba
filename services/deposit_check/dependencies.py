"""Request dependencies: who may call, and the service instance."""

import hashlib
import ipaddress

from fastapi import Request

from deposit_check.errors import Unauthorized
from deposit_check.service import CheckService


def get_service(request: Request) -> CheckService:
    return request.app.state.service


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def require_api_key(request: Request) -> str:
    """Return the caller's key name; with no keys configured only loopback callers get in.

    Keys are kept as SHA-256 digests; a dict lookup on the digest of the presented key leaks
    nothing useful through timing, since the attacker controls the pre-image, not the digest.
    """
    keys: dict[str, str] = request.app.state.api_keys
    if not keys:
        client = request.client.host if request.client else None
        if _is_loopback(client):
            return "loopback"
        raise Unauthorized("no API keys are configured: the API only answers on loopback")
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    name = keys.get(hashlib.sha256(token.strip().encode()).hexdigest())
    if name is None:
        raise Unauthorized("invalid API key")
    return name
