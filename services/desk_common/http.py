"""The one error shape both services answer with: {"error": {"code", "message"}}."""

import logging
import time
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def error_response(code: str, message: str, status_code: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A 503 also says `"status": "unavailable"`, so callers never read it as a verdict."""
    body: dict[str, object] = {"error": {"code": code, "message": message}}
    if status_code == 503:
        body = {"status": "unavailable", **body}
    all_headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status_code == 401 else {})}
    return JSONResponse(body, status_code=status_code, headers=all_headers or None)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable reason, e.g. `unauthorized`, `invalid_request`, `rate_limited`.")
    message: str = Field(description="For people: what is wrong and, where it helps, what to do. Never echoes a key.")


class ErrorResponse(BaseModel):
    """Every error but a 503."""

    error: ErrorDetail = Field(description="What went wrong.")


class UnavailableResponse(BaseModel):
    """A 503: the truth is unknown right now (never to be read as a verdict)."""

    status: Literal["unavailable"] = Field(default="unavailable", description="Always `unavailable`.")
    error: ErrorDetail = Field(description="What could not be reached.")


def error_doc(description: str, code: str, example: str, headers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One entry of a route's OpenAPI `responses`: the error model, a description and an example."""
    body: dict[str, Any] = {"error": {"code": code, "message": example}}
    model: type[BaseModel] = ErrorResponse
    if code == "unavailable":
        body, model = {"status": "unavailable", **body}, UnavailableResponse
    doc: dict[str, Any] = {
        "model": model, "description": description, "content": {"application/json": {"example": body}}
    }
    if headers:
        doc["headers"] = dict(headers)
    return doc


def auth_error_docs(forbidden: str) -> dict[int | str, dict[str, Any]]:
    """401, 403 and 429 for a route behind an API key; `forbidden` says which scope it needs."""
    return {
        401: error_doc(
            "No API key, an unknown one, or (with no keys configured) a caller not on loopback.",
            "unauthorized", "missing API key: send 'Authorization: Bearer <key>'",
            {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
        ),
        403: error_doc(forbidden, "forbidden", "this API key lacks the scope 'check' (checking a deposit)"),
        429: error_doc(
            "The API key used up its rate limit (`rate_limit` in its config entry).",
            "rate_limited", "rate limit of 120 per 1 minute for this API key reached; retry in 12 s",
            {"Retry-After": {"description": "Seconds until a request fits in the limit again.", "schema": {"type": "integer"}}},
        ),
    }


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
