"""A route's JSON body, parsed and validated in one step; duplicate keys refused on every route."""

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from desk_common import strict_json

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
        # A parse of its own only to refuse duplicate keys (pydantic keeps the last): ~4 us on a
        # check's body; pydantic then parses again, so the body means what it meant before.
        strict_json.loads(raw)
    except strict_json.DuplicateKey as exc:
        raise RequestValidationError([{"loc": ("body",), "msg": exc.msg}]) from None
    except (ValueError, RecursionError):
        pass  # pydantic words what is wrong with it below
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


class StrictJsonRequest(Request):
    """A request whose `json()` refuses duplicate keys (what FastAPI parses a route's body with)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_json.loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """The route class of every router: FastAPI's body parsing, through `StrictJsonRequest`.

    FastAPI answers the DuplicateKey (a JSONDecodeError) as its 422 `json_invalid`, which
    `errors.on_validation_error` words with the key.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
