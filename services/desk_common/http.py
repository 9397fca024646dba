"""The one error shape both services answer with: {"error": {"code", "message"}}."""

import logging
import time

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def error_response(code: str, message: str, status_code: int) -> JSONResponse:
    """A 503 also says `"status": "unavailable"`, so callers never read it as a verdict."""
    body: dict[str, object] = {"error": {"code": code, "message": message}}
    if status_code == 503:
        body = {"status": "unavailable", **body}
    headers = {"WWW-Authenticate": "Bearer"} if status_code == 401 else None
    return JSONResponse(body, status_code=status_code, headers=headers)


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad field and what is wrong with it (never echoing the input)."""
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return error_response("invalid_request", "; ".join(parts), 422)


class AccessLog:
    """Access log by route template (`/v1/tickets/{ticket_ref}/deposits`), never the raw path:
    paths carry ticket ids and webhook secrets. Use with uvicorn's own access log off."""

    def __init__(self, app: ASGIApp, logger_name: str) -> None:
        self.app = app
        self.log = logging.getLogger(logger_name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path_format", None) or "(unmatched)"
            self.log.info("%s %s %d %.1fms", scope["method"], path, status, (time.perf_counter() - started) * 1000)
