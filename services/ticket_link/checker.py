"""The client of deposit_check: the only code here that talks to it."""

import re
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
        try:
            response = await self._http.post("/v1/checks", json=body)
        except httpx.HTTPError as exc:
            raise DepositCheckUnavailable(f"deposit_check did not answer: {type(exc).__name__}") from None
        if response.status_code == 200:
            verdict: dict[str, Any] = response.json()
            return verdict
        message, code = _message(response)
        if response.status_code == 422:
            refused = InvalidRequest(message)
            # Its code (invalid_tx_hash, invalid_address, unknown_chain...) is what a note may say of it:
            # the message can quote what the player typed (docs/operations.md, "Threat model").
            refused.code = code if _CODE.fullmatch(code) else InvalidRequest.code
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
