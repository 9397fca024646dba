"""HTTP shapes of `POST /v1/locate`. No amount anywhere: an amount is a check's answer, about one address."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from deposit_check.models import Status
from desk_common.chain_text import TX_HASH_DOC, ChainName, TxHash

EXAMPLES = {
    "any_chain": {
        "summary": "A bare hash: every chain whose hash shape fits is asked",
        "value": {"tx_hash": "b69c51db8f9d974e6a38c76852c8ce1adcb682dbacb25ad8ad4f6876121fe9dc"},
    },
    "one_chain": {
        "summary": "Only one chain",
        "value": {"tx_hash": "b69c51db8f9d974e6a38c76852c8ce1adcb682dbacb25ad8ad4f6876121fe9dc", "chain": "tron"},
    },
}


class LocateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tx_hash: TxHash = Field(description=TX_HASH_DOC)
    chain: ChainName | None = Field(
        default=None, max_length=32, description="Configured chain name; omit to ask every chain the hash fits."
    )


class PaidAddress(BaseModel):
    address: str = Field(description="One of the casino's declared deposit addresses, in the chain's canonical form.")
    assets: list[str] = Field(description="What the tx paid it (symbols), never how much: a check of it says that.")


class LocatedOn(BaseModel):
    """The tx on one chain: where it stands, and which of the casino's addresses it paid. Not a credit decision."""

    chain: str = Field(description="The chain that holds the tx.")
    tx_hash: str = Field(description="The hash as that chain spells it (EVM: with 0x).")
    status: Status = Field(
        description="Where the tx stands on this chain, whoever it paid: `pending` (in the mempool), `confirming` "
        "(fewer than `required_confirmations`, or TRON's block not yet solidified), `confirmed` (deep enough), "
        "`failed` (reverted: it paid nothing), `disputed` (a quorum's nodes contradict each other). About the tx, "
        "not about any deposit: never a credit decision (a check of one of `casino_addresses` is)."
    )
    confirmations: int = Field(description="Confirmations at the time asked (0 in the mempool).")
    required_confirmations: int = Field(description="What the chain's policy requires before a check says confirmed.")
    block_height: int | None = Field(description="Height of the block holding the tx; null in the mempool.")
    block_time: datetime | None = Field(description="Time of that block (UTC); null in the mempool.")
    failure_reason: str | None = Field(default=None, description="With failed, the chain's reason (TRON) or null.")
    ownership_declared: bool | None = Field(
        description="Whether the casino declared its addresses on this chain: false, `casino_addresses` is empty "
        "for want of a list (which address is the casino's cannot be told); null when the tx paid no address."
    )
    casino_addresses: list[PaidAddress] = Field(
        description="The casino's own addresses the tx paid (in the mempool: will pay), by the ownership index. "
        "Check each one (`POST /v1/checks`) before anything is credited."
    )
    other_recipients: int = Field(
        description="How many other addresses it paid (not the casino's, or not known to be: ownership undeclared)."
    )
    unseen_payments: bool = Field(
        description="The tx ran a contract that may have passed native coin on through inner calls, which this "
        "answer does not see: an address paid that way is in neither list."
    )


class LocateResponse(BaseModel):
    tx_hash: str = Field(description="The hash as asked, lower-case, without 0x.")
    found: bool = Field(description="At least one chain holds the tx.")
    found_on: list[LocatedOn] = Field(description="Each chain that holds it.")
    not_found_on: list[str] = Field(description="Chains that answered and do not know it.")
    unavailable: list[str] = Field(
        description="Chains that did not answer: the tx may be there. `found: false` with any of these is no 'not "
        "found'."
    )
    checked_at: datetime = Field(description="When the chains were asked.")
