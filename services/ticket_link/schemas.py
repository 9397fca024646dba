"""HTTP shapes of ticket_link. No field for a name or an e-mail exists, and unknown fields are refused."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DECIMAL_STRING = r"^[0-9]+(\.[0-9]+)?$"


class DepositClaim(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "tx_hash": "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
                    "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                    "expected_amount": "250",
                    "lang": "fr",
                }
            ]
        },
    )

    tx_hash: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=200, description="The casino's deposit address.")
    chain: str | None = Field(default=None, max_length=32)
    expected_amount: str | None = Field(default=None, pattern=DECIMAL_STRING, max_length=80)
    lang: str | None = Field(default=None, max_length=16, description="Language of player_message: en, fr, pl, ru.")
    helpdesk: str | None = Field(
        default=None, max_length=32, description="Configured helpdesk name; may be omitted when only one is configured."
    )


class NoteOutcome(BaseModel):
    status: Literal["queued", "already_posted"]


class DuplicateClaim(BaseModel):
    ticket: str = Field(description="The earlier ticket that claimed this transaction, as agents know it.")


class DepositClaimResponse(BaseModel):
    """deposit_check's verdict (every field of it), plus what ticket_link adds."""

    model_config = ConfigDict(extra="allow")

    status: str
    tx_hash: str
    summary: str
    player_message: str
    note: NoteOutcome
    duplicate_claim: DuplicateClaim | None = None


class WebhookAccepted(BaseModel):
    accepted: int = Field(description="How many (tx hash, address) claims were found in the ticket and queued.")


def claim_response(
    verdict: dict[str, Any], player_message: str, queued: bool, earlier: str | None
) -> DepositClaimResponse:
    return DepositClaimResponse(
        **verdict,
        player_message=player_message,
        note=NoteOutcome(status="queued" if queued else "already_posted"),
        duplicate_claim=DuplicateClaim(ticket=earlier) if earlier else None,
    )
