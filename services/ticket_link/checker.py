"""The client of deposit_check: the only code here that talks to it."""

import re
from datetime import datetime
from typing import Any

import httpx

from ticket_link.config import DepositCheckConfig
from ticket_link.errors import DepositCheckUnavailable, InvalidRequest

_CODE = re.compile(r"[a-z_]{1,40}")


class DepositCheckClient:
    def __init__(self, config: DepositCheckConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        headers = {}
        if config.api_key is not None:
            headers["Authorization"] = f"Bearer {config.api_key.get_secret_value()}"
        self._http = httpx.AsyncClient(
            base_url=config.url, headers=headers, timeout=config.timeout_seconds, transport=transport
        )

    async def check(
        self,
        tx_hash: str,
        address: str,
        *,
        chain: str | None = None,
        expected_amount: str | None = None,
        watch: bool = True,
    ) -> dict[str, Any]:
        """The verdict as deposit_check's JSON; InvalidRequest for a 422, DepositCheckUnavailable otherwise.

        `watch` asks deposit_check to follow the deposit and announce its changes (ticket claims
        always want that: the ticket hears of the confirmation without anyone asking again).
        """
        body: dict[str, Any] = {"tx_hash": tx_hash, "address": address, "watch": watch}
        if chain is not None:
            body["chain"] = chain
        if expected_amount is not None:
            body["expected_amount"] = expected_amount
        return await self._post("/v1/checks", body)

    async def lookup(
        self,
        address: str,
        *,
        chain: str | None = None,
        asset: str | None = None,
        expected_amount: str | None = None,
        since: datetime | None = None,
    ) -> dict[str, Any]:
        """The deposits that reached `address` (deposit_check's `/v1/lookups` JSON: deposits, coverage, complete,
        truncated); InvalidRequest (its code, never its message) for a 4xx, DepositCheckUnavailable otherwise.

        A 200 may still say that a source could not answer (`coverage`): the caller decides what an empty list
        means from `complete`, never from the list alone.
        """
        body: dict[str, Any] = {"address": address}
        optional = {"chain": chain, "asset": asset, "expected_amount": expected_amount}
        body.update({name: value for name, value in optional.items() if value is not None})
        if since is not None:
            body["since"] = since.isoformat()
        return await self._post("/v1/lookups", body, quote=False)

    async def locate(self, tx_hash: str, *, chain: str | None = None) -> dict[str, Any]:
        """Where the tx is (deposit_check's `/v1/locate` JSON: found_on, not_found_on, unavailable); InvalidRequest
        (its code, never its message) for a 4xx, DepositCheckUnavailable for a 503 or no answer. A 200 may still
        name chains that could not be asked (`unavailable`): the caller decides what "found nowhere" means."""
        body: dict[str, Any] = {"tx_hash": tx_hash}
        if chain is not None:
            body["chain"] = chain
        return await self._post("/v1/locate", body, quote=False)

    async def _post(self, path: str, body: dict[str, Any], *, quote: bool = True) -> dict[str, Any]:
        """deposit_check's JSON answer; its 422 as InvalidRequest (with the message when `quote`), the rest as
        DepositCheckUnavailable (401/403 too: ticket_link's key is wrong, the caller's request is not)."""
        try:
            response = await self._http.post(path, json=body)
        except httpx.HTTPError as exc:
            raise DepositCheckUnavailable(f"deposit_check did not answer: {type(exc).__name__}") from None
        if response.status_code == 200:
            answer: dict[str, Any] = response.json()
            return answer
        message, code = _message(response)
        if response.status_code == 422 or (not quote and response.status_code in (400, 404, 413)):
            code = code if _CODE.fullmatch(code) else InvalidRequest.code
            refused = InvalidRequest(message if quote else f"deposit_check refused the request ({code})")
            # Its code (invalid_tx_hash, invalid_address, unknown_chain...) is what a note may say of it:
            # the message can quote what the player typed (docs/operations.md, "Threat model").
            refused.code = code
            raise refused
        if response.status_code in (401, 403):
            raise DepositCheckUnavailable(f"deposit_check refused ticket_link's API key: {message}")
        raise DepositCheckUnavailable(f"deposit_check answered {response.status_code}: {message}")

    async def ready(self) -> None:
        try:
            response = await self._http.get("/readyz")
        except httpx.HTTPError as exc:
            raise DepositCheckUnavailable(f"deposit_check did not answer: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise DepositCheckUnavailable(f"deposit_check is not ready ({response.status_code})")

    async def aclose(self) -> None:
        await self._http.aclose()


def _message(response: httpx.Response) -> tuple[str, str]:
    """deposit_check's error message and code (the reason phrase and `invalid_request` when it sent none)."""
    try:
        error = response.json()["error"]
        return str(error["message"]), str(error.get("code") or InvalidRequest.code)
    except (ValueError, KeyError, TypeError, AttributeError):
        return response.reason_phrase, InvalidRequest.code
