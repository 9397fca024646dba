"""The one error shape both services answer with: {"error": {"code", "message"}}."""

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


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
