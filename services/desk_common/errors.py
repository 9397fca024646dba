"""One error base for both services, and the one shape every error answers with: {"error": {"code", "message"}}."""

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from desk_common import chain_text


class DeskError(Exception):
    """Base of every error either service raises on purpose; `install_error_handlers` answers it as HTTP."""

    status_code = 500
    code = "internal_error"
    headers: dict[str, str] | None = None  # extra response headers (Retry-After)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def error_response(code: str, message: str, status_code: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A 503 also says `"status": "unavailable"`, so callers never read it as a verdict."""
    body: dict[str, object] = {"error": {"code": code, "message": message}}
    if status_code == 503:
        body = {"status": "unavailable", **body}
    all_headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status_code == 401 else {})}
    return JSONResponse(body, status_code=status_code, headers=all_headers or None)


async def on_desk_error(_: Request, exc: Exception) -> JSONResponse:
    """A domain error (either service's, or the API-key gate's) as its status, code and message."""
    assert isinstance(exc, DeskError)
    return error_response(exc.code, exc.message, exc.status_code, exc.headers)


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (a body that is not JSON: 400; no such route: 404) in our error shape."""
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 400 and "pars" in message.lower():
        message = "the request body is not valid JSON"
    return error_response(code, message, exc.status_code, dict(exc.headers) if exc.headers else None)


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad field and what is wrong with it (never echoing the input)."""
    assert isinstance(exc, RequestValidationError)
    parts = []
    types = set()
    for err in exc.errors():
        if err.get("type") == "json_invalid" and isinstance(err.get("ctx"), dict):
            # FastAPI's own body parsing: its loc is an offset, its msg says only "JSON decode error".
            parts.append(f"body: not valid JSON: {err['ctx'].get('error', 'invalid')}")
            continue
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
        types.add(err.get("type"))
    # A hash, address or chain of the wrong shape (chain_text) keeps its own code, as the adapters' 422s do.
    only = next(iter(types)) if len(types) == 1 else None
    code = only if isinstance(only, str) and only in chain_text.CODES else "invalid_request"
    return error_response(code, "; ".join(parts), 422)


def install_error_handlers(app: FastAPI) -> None:
    """Every error an app answers, in the one shape: domain errors, bad input, Starlette's own."""
    app.add_exception_handler(DeskError, on_desk_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
