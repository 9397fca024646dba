"""The one error shape both services answer with: {"error": {"code", "message"}}."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security.base import SecurityBase
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def error_response(code: str, message: str, status_code: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A 503 also says `"status": "unavailable"`, so callers never read it as a verdict."""
    body: dict[str, object] = {"error": {"code": code, "message": message}}
    if status_code == 503:
        body = {"status": "unavailable", **body}
    all_headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status_code == 401 else {})}
    return JSONResponse(body, status_code=status_code, headers=all_headers or None)


class ErrorDetail(BaseModel):
    code: str = Field(
        description="Stable, machine-readable reason, e.g. `unauthorized`, `invalid_request`, `rate_limited`."
    )
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
        "model": model,
        "description": description,
        "content": {"application/json": {"example": body}},
    }
    if headers:
        doc["headers"] = dict(headers)
    return doc


def auth_error_docs(forbidden: str) -> dict[int | str, dict[str, Any]]:
    """401, 403 and 429 for a route behind an API key; `forbidden` says which scope it needs."""
    return {
        401: error_doc(
            "No API key, an unknown one, or (with no keys configured) a caller not on loopback.",
            "unauthorized",
            "missing API key: send 'Authorization: Bearer <key>'",
            {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
        ),
        403: error_doc(forbidden, "forbidden", "this API key lacks the scope 'check' (checking a deposit)"),
        429: error_doc(
            "The API key used up its rate limit (`rate_limit` in its config entry).",
            "rate_limited",
            "rate limit of 120 per 1 minute for this API key reached; retry in 12 s",
            {
                "Retry-After": {
                    "description": "Seconds until a request fits in the limit again.",
                    "schema": {"type": "integer"},
                }
            },
        ),
    }


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
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return error_response("invalid_request", "; ".join(parts), 422)


Model = TypeVar("Model", bound=BaseModel)


async def json_body(request: Request, model: type[Model]) -> Model:
    """The request's JSON body as `model`, for a route that reads its own body; a bad one is a 422
    like that of a body FastAPI validates (`on_validation_error` words it).

    Parsed and validated in one step by pydantic (its JSON parser), where FastAPI's own body
    handling parses with `json`, then validates the Python objects: on a cached check, where the
    body is most of the work left, that is measurably cheaper (docs/benchmarks.md).
    """
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "send a JSON object with 'Content-Type: application/json'"}]
        )
    raw = await request.body()
    if not raw.strip():
        raise RequestValidationError([{"loc": ("body",), "msg": "the request body is empty: send a JSON object"}])
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def json_body_doc(model: type[BaseModel], examples: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI `requestBody` of a route reading `json_body(request, model)`, for its `openapi_extra`
    (`document_components` puts `model` in the document)."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"required": True, "content": {"application/json": {"schema": schema, "examples": dict(examples)}}}


def document_components(app: FastAPI, models: Sequence[type[BaseModel]], security: Sequence[SecurityBase] = ()) -> None:
    """Add to `app`'s OpenAPI document what FastAPI cannot see in a route that reads its own body
    (`json_body`) and checks its own key (`auth.admit`): the body's model, the security scheme."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        spec = generate()  # FastAPI keeps what it generated in app.openapi_schema: completed once
        if first:
            components = spec.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            schemes = components.setdefault("securitySchemes", {})
            for scheme in security:
                schemes[scheme.scheme_name] = jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document


MAX_JSON_BODY_BYTES = 64 * 1024


class BodyLimit:
    """413 `request_too_large` for a body over `max_bytes`, by Content-Length or as it streams in.

    The body is read here (at most `max_bytes` + one chunk) and replayed to the app, so no route reads an
    unbounded body and the 413 keeps the standard error shape. Paths under `exempt_prefixes` keep their
    own cap (ticket_link's webhooks: 1 MB, checked in their dependency)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = MAX_JSON_BODY_BYTES, exempt_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response("request_too_large", f"request body over {self.max_bytes} bytes", 413)
        await response(scope, receive, send)


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


async def readiness(probes: dict[str, Callable[[], Awaitable[object]]], timeout_seconds: float = 5.0) -> JSONResponse:
    """Run every probe concurrently, each within `timeout_seconds`: 200 when all answered, else 503 saying which and why."""

    async def run(name: str, probe: Callable[[], Awaitable[object]]) -> tuple[str, str]:
        try:
            await asyncio.wait_for(probe(), timeout_seconds)
            return name, "ok"
        except TimeoutError:
            return name, "unavailable: timed out"
        except Exception as exc:
            return name, f"unavailable: {getattr(exc, 'message', None) or str(exc) or type(exc).__name__}"

    results = dict(await asyncio.gather(*(run(name, probe) for name, probe in probes.items())))
    ready = all(v == "ok" for v in results.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": results}, status_code=200 if ready else 503
    )
