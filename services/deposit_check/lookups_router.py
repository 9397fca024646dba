"""HTTP only: `POST /v1/lookups`, the deposits that reached an address (scope `lookup`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from deposit_check.lookups.schemas import EXAMPLES, LookupRequest, LookupResponse
from deposit_check.lookups.service import LookupService
from desk_common.auth import Caller, requires
from desk_common.body import StrictJsonRoute
from desk_common.openapi import auth_error_docs, error_doc

LOOKUP_SCOPE, LOOKUP_PURPOSE = "lookup", "looking deposits up by address"

router = APIRouter(tags=["lookups"], route_class=StrictJsonRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **auth_error_docs("The key's `scopes` lack `lookup`.", LOOKUP_SCOPE, LOOKUP_PURPOSE),
    422: error_doc(
        "A field is missing or malformed (`invalid_request`: `since` needs a time zone), the address is not of a "
        "configured chain (`invalid_address`), or the chain or asset is not configured (`unknown_chain`, "
        "`unknown_asset`).",
        "invalid_address",
        "'ltc1qxyz' is not an address of any configured chain (litecoin); check it, or name the chain",
    ),
    503: error_doc(
        "No source could answer (each one's failure named), or none is configured for the chain: nothing is known. "
        "Some sources failing is a 200 whose `coverage` says which (`complete: false`).",
        "unavailable",
        "litecoin: the watcher's index is unavailable: Error 111 connecting to 127.0.0.1:6379",
    ),
}


lookup_caller = requires(LOOKUP_SCOPE, LOOKUP_PURPOSE)


async def get_lookups(request: Request) -> LookupService:
    service: LookupService = request.app.state.lookups
    return service


@router.post(
    "/v1/lookups",
    response_model=LookupResponse,
    responses=_RESPONSES,
    summary="Find the deposits that reached an address (no tx hash needed)",
)
async def create_lookup(
    body: Annotated[LookupRequest, Body(openapi_examples=EXAMPLES)],
    service: Annotated[LookupService, Depends(get_lookups)],
    _: Annotated[Caller, Depends(lookup_caller)],
) -> LookupResponse:
    """The payments that reached the address, newest first, each judged as a check of its tx would be (status,
    confirmations, payments, amount status, address owner), and `coverage`: exactly what was searched. An empty
    list means "none" only where every coverage entry is `complete`. Needs scope `lookup`; rate-limited per key."""
    return await service.lookup(body)
