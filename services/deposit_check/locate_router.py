"""HTTP only: `POST /v1/locate`, where a transaction with no address is (scope `check`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from deposit_check.locate.schemas import EXAMPLES, LocateRequest, LocateResponse
from deposit_check.locate.service import LocateService
from desk_common.auth import Caller, requires
from desk_common.body import StrictJsonRoute
from desk_common.openapi import auth_error_docs, error_doc

LOCATE_SCOPE, LOCATE_PURPOSE = "check", "locating a transaction"

router = APIRouter(tags=["locate"], route_class=StrictJsonRoute)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **auth_error_docs("The key's `scopes` lack `check`.", LOCATE_SCOPE, LOCATE_PURPOSE),
    422: error_doc(
        "A field is missing or malformed (`invalid_request`), the hash is no configured chain's (`invalid_tx_hash`), "
        "or the chain is not configured (`unknown_chain`).",
        "invalid_tx_hash",
        "no configured chain takes '0x12' as a transaction hash",
    ),
    503: error_doc(
        "No chain asked answered (each one's failure named): nothing is known. Some chains not answering is a 200 "
        "that lists them in `unavailable`.",
        "unavailable",
        "litecoin: no node answered (http://127.0.0.1:19443: ConnectError)",
    ),
}


locate_caller = requires(LOCATE_SCOPE, LOCATE_PURPOSE)


async def get_locate(request: Request) -> LocateService:
    service: LocateService = request.app.state.locate
    return service


@router.post(
    "/v1/locate",
    response_model=LocateResponse,
    responses=_RESPONSES,
    summary="Find which chains hold a transaction, and which of the casino's addresses it paid (no address needed)",
)
async def create_locate(
    body: Annotated[LocateRequest, Body(openapi_examples=EXAMPLES)],
    service: Annotated[LocateService, Depends(get_locate)],
    _: Annotated[Caller, Depends(locate_caller)],
) -> LocateResponse:
    """Every configured chain whose hash shape fits (or the one named) is asked at once. For each that holds the tx:
    where it stands (`pending`, `confirming` k/N, `confirmed`, `failed`), and the casino's own addresses it paid.
    A finding, not a verdict: no amount, no credit decision; check one of those addresses (`POST /v1/checks`).
    Needs scope `check`; rate-limited per key."""
    return await service.locate(body)
