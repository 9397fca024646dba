"""HTTP shapes of `POST /v1/lookups`: a deposit's fields are a check's (`CheckResponse`), amounts decimal strings."""

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from deposit_check.schemas import DECIMAL_STRING, CheckResponse
from desk_common.chain_text import Address, ChainName


class LookupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    address: Address = Field(
        description="The deposit address (as in a check). Its format picks the chains unless `chain` names one."
    )
    chain: ChainName | None = Field(default=None, max_length=32, description="Configured chain name, or omit.")
    asset: str | None = Field(
        default=None, max_length=32, description="Only deposits of this asset (symbol); the amount check is about it."
    )
    expected_amount: str | None = Field(
        default=None,
        pattern=DECIMAL_STRING,
        max_length=80,
        description="Decimal string: each deposit's `amount_status` says how it compares, and exact ones come first.",
    )
    since: AwareDatetime | None = Field(
        default=None,
        description="Only deposits in blocks of this time or later (ISO 8601 with a time zone, e.g. "
        "`2026-12-01T09:00:00Z`); omit for as far back as the sources keep.",
    )


class LookupDeposit(CheckResponse):
    """One deposit: the verdict a check of its tx hash and the address gives (without `account`: ask a check)."""

    sources: list[str] = Field(
        description="The sources that found it (`watcher`, `electrum`, `evm_logs`, `evm_trace`, `trongrid`)."
    )


class CoverageOut(BaseModel):
    """What one source searched: "nothing found" is said only about this."""

    source: str = Field(
        description="`watcher` (the watcher's own index), `electrum`, `evm_logs`, `evm_trace` or `trongrid`."
    )
    chain: str = Field(description="The chain this source searched.")
    from_block: int | None = Field(description="First block searched; null: see `from_time`, or the full history.")
    to_block: int | None = Field(description="Last block searched; null: up to the source's tip.")
    from_time: datetime | None = Field(default=None, description="Earliest block time searched (a kept window).")
    mempool: bool = Field(description="Unconfirmed transactions were searched too.")
    assets: list[str] = Field(description="Assets searched; empty: every asset the source can see.")
    complete: bool = Field(description="False: the source searched less than asked (see `note`): not a no.")
    note: str | None = Field(default=None, description="Why not complete, or what the source cannot see.")


class LookupResponse(BaseModel):
    chains: list[str] = Field(description="The chains searched.")
    deposits: list[LookupDeposit] = Field(
        description="Newest first (with `expected_amount`: exact amounts first, each group newest first)."
    )
    coverage: list[CoverageOut] = Field(description="One entry per source and chain searched.")
    complete: bool = Field(description="Every coverage entry is complete: an empty `deposits` is a real no.")
    truncated: bool = Field(description="A cap was hit: older deposits were left out (narrow with `since`).")
    checked_at: datetime = Field(description="When the lookup was answered.")


EXAMPLES: dict[str, Any] = {
    "utxo": {
        "summary": "Litecoin deposits to an address since this morning",
        "value": {
            "address": "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj",
            "chain": "litecoin",
            "expected_amount": "0.05",
            "since": "2026-12-01T08:00:00Z",
        },
    },
    "evm_token": {
        "summary": "USDT deposits to an EVM address, any configured EVM chain",
        "value": {"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "asset": "USDT"},
    },
}
