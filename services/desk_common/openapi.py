"""What the OpenAPI documents say about errors and about routes that read their own body or key."""

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.security.base import SecurityBase
from pydantic import BaseModel, Field


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


def auth_error_docs(
    forbidden: str, scope: str = "check", purpose: str = "checking a deposit"
) -> dict[int | str, dict[str, Any]]:
    """401, 403 and 429 for a route behind an API key; `forbidden` says which scope it needs, and the 403's
    example is the gate's message for `scope` and `purpose` (as the route's `caller.require` names them)."""
    return {
        401: error_doc(
            "No API key, an unknown one, or (with no keys configured) a caller not on loopback.",
            "unauthorized",
            "missing API key: send 'Authorization: Bearer <key>'",
            {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
        ),
        403: error_doc(forbidden, "forbidden", f"this API key lacks the scope {scope!r} ({purpose})"),
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
