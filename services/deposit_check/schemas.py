"""HTTP shapes of the check API. Amounts are decimal strings, never JSON numbers."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from deposit_check.models import AmountStatus, Status
from deposit_check.summary import format_amount, summarize
from deposit_check.verdict import Verdict

DECIMAL_STRING = r"^[0-9]+(\.[0-9]+)?$"


class CheckRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "tx_hash": "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
                    "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                    "chain": "ethereum",
                    "asset": "USDT",
                    "expected_amount": "250.00",
                }
            ]
        },
    )

    tx_hash: str = Field(min_length=1, max_length=200, description="Transaction hash (txid) as the player gave it.")
    address: str = Field(min_length=1, max_length=200, description="The casino's deposit address.")
    chain: str | None = Field(
        default=None, max_length=32, description="Configured chain name; omit to let the address format decide."
    )
    asset: str | None = Field(default=None, max_length=32, description="Asset symbol the amount check is about.")
    expected_amount: str | None = Field(
        default=None,
        pattern=DECIMAL_STRING,
        max_length=80,
        description="Expected amount as a decimal string in the asset's units, e.g. \"0.015\".",
    )
    watch: bool = Field(
        default=False,
        description="Follow the deposit until it is final and announce each status change as an event (needs Redis).",
    )


class PaymentOut(BaseModel):
    asset: str
    amount: str = Field(description="Decimal string in the asset's units.")
    contract: str | None = Field(default=None, description="Token contract; null for the native coin.")


class CheckResponse(BaseModel):
    status: Status
    chain: str | None
    tx_hash: str
    address: str
    confirmations: int
    required_confirmations: int
    block_height: int | None
    block_hash: str | None
    block_time: datetime | None
    payments: list[PaymentOut]
    asset: str | None = Field(description="The asset the amount fields are about.")
    received_amount: str | None
    expected_amount: str | None
    amount_status: AmountStatus | None
    found_on: str | None = Field(description="With wrong_network: the chain where the tx is.")
    replaced_by: str | None = Field(default=None, description="With replaced: the tx that took its place.")
    chains_checked: list[str]
    final: bool = Field(description="True when only a deep reorg could change this verdict.")
    checked_at: datetime
    summary: str
    watching: bool = Field(default=False, description="The watcher follows this deposit and announces its changes.")

    @classmethod
    def from_verdict(cls, v: Verdict, chains_checked: list[str], checked_at: datetime) -> "CheckResponse":
        return cls(
            status=v.status,
            chain=v.chain,
            tx_hash=v.tx_hash,
            address=v.address,
            confirmations=v.confirmations,
            required_confirmations=v.required_confirmations,
            block_height=v.block.height if v.block else None,
            block_hash=v.block.hash if v.block else None,
            block_time=v.block_time,
            payments=[
                PaymentOut(asset=p.asset.symbol, amount=format_amount(p.asset.to_decimal(p.amount)), contract=p.asset.contract)
                for p in v.payments
            ],
            asset=v.asset.symbol if v.asset else None,
            received_amount=format_amount(v.received) if v.received is not None else None,
            expected_amount=format_amount(v.expected) if v.expected is not None else None,
            amount_status=v.amount_status,
            found_on=v.found_on,
            replaced_by=v.replaced_by,
            chains_checked=chains_checked,
            final=v.final,
            checked_at=checked_at,
            summary=summarize(v),
        )


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class UnavailableResponse(BaseModel):
    status: Literal["unavailable"] = "unavailable"
    error: ErrorDetail
