"""HTTP only: parse, call the service, answer. No rules live here."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from deposit_check.dependencies import get_service, require_check_scope
from deposit_check.schemas import CheckRequest, CheckResponse, ReadyResponse
from deposit_check.service import CheckService
from desk_common.auth import admit, api_caller
from desk_common.body import StrictJsonRoute, json_body
from desk_common.openapi import auth_error_docs, error_doc, json_body_doc
from desk_common.readiness import Readiness

router = APIRouter(route_class=StrictJsonRoute)


_CHECK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The verdict.",
        "headers": {
            "X-Cache": {
                "description": "`hit` when the verdict came from the cache, else `miss`.",
                "schema": {"type": "string"},
            }
        },
    },
    **auth_error_docs('The key\'s `scopes` lack `check`, or lack `watch` for a request with `"watch": true`.'),
    422: error_doc(
        "A field is missing or malformed (`invalid_request`), the hash or address is not of the chain's kind "
        "(`invalid_tx_hash`, `invalid_address`), or the chain or asset is not configured (`unknown_chain`, `unknown_asset`).",
        "invalid_address",
        "address 'rltc1qxyz': bad bech32 checksum",
    ),
    503: error_doc(
        "No node of the chain answered: the truth is unknown (never answered as `not_found`).",
        "unavailable",
        "litecoin: no node answered (http://127.0.0.1:19443: ConnectError)",
    ),
}

_CHECK_EXAMPLES: dict[str, Any] = {
    "utxo": {
        "summary": "Litecoin deposit with an expected amount",
        "value": {
            "tx_hash": "9f2c4e1d7a0b3c5e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6",
            "address": "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj",
            "chain": "litecoin",
            "expected_amount": "0.5",
        },
    },
    "evm_token": {
        "summary": "USDT (ERC-20) on an EVM chain",
        "value": {
            "tx_hash": "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
            "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "chain": "ethereum",
            "asset": "USDT",
            "expected_amount": "250.00",
        },
    },
    "any_chain": {
        "summary": "No chain named: the address format decides",
        "value": {
            "tx_hash": " 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060 ",
            "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        },
    },
    "watch": {
        "summary": "Check and follow until it settles (scope `watch`)",
        "value": {
            "tx_hash": "9f2c4e1d7a0b3c5e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6",
            "address": "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj",
            "watch": True,
        },
    },
}


@router.post(
    "/v1/checks",
    response_model=CheckResponse,
    responses=_CHECK_RESPONSES,
    summary="Check a transaction against a deposit address",
    # The route reads its own key and body (below); this tells OpenAPI what FastAPI cannot see.
    openapi_extra={
        "requestBody": json_body_doc(CheckRequest, _CHECK_EXAMPLES),
        "security": [{api_caller.scheme_name: []}],
    },
)
async def create_check(request: Request) -> Response:
    """Ask the chain's node(s) about the transaction and judge it against the deposit address: found or
    not, confirmations, what reached the address and whether that matches the expected amount.

    Needs an API key with scope `check` (`watch` with `"watch": true`). A verdict may come from a short
    cache (header `X-Cache: hit`); a cached verdict never claims more progress than the chain had.
    """
    # The hottest path there is: a cached check is mostly this function's work. So no FastAPI
    # dependency or declared body: FastAPI resolves those anew on each request, a fifth of a cached
    # check's cost (docs/benchmarks.md). Same answers, same order: key 401, rate 429, body 422, scope 403.
    caller = await admit(request)
    body = await json_body(request, CheckRequest)
    require_check_scope(caller, body)
    service: CheckService = request.app.state.service
    payload, cached = await service.check_json(body)
    # The service already produced the validated JSON; re-validating it here would only cost time.
    return Response(payload, media_type="application/json", headers={"X-Cache": "hit" if cached else "miss"})


@router.get("/healthz", summary="The process is up", response_description='Always `{"status": "ok"}`.')
async def healthz() -> dict[str, str]:
    """Liveness: answers while the process runs, whatever the nodes and the store do. No key needed."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Every node and the store answer",
    response_model=ReadyResponse,
    response_description="Ready: every chain's node and the store answered.",
    responses={
        503: {
            "model": ReadyResponse,
            "description": "Something is not ready; `checks` says what and why.",
            "content": {
                "application/json": {
                    "example": {
                        "status": "not_ready",
                        "checks": {
                            "chain:litecoin": "unavailable: node has no tx index (-txindex=1)",
                            "store:redis": "ok",
                        },
                    }
                }
            },
        }
    },
)
async def readyz(request: Request, service: Annotated[CheckService, Depends(get_service)]) -> JSONResponse:
    """Readiness: every chain's node (tx index on, right chain id) and the store answered, within 5 s. No key
    needed: the answer is a probe at most `[api] readyz_cache_seconds` old (5 s), so calls do not reach the nodes."""
    readiness: Readiness = request.app.state.readiness
    return await readiness.answer()
