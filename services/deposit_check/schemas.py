"""HTTP shapes of the check API. Amounts are decimal strings, never JSON numbers."""

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from deposit_check.models import AmountStatus, InternalTransfers, Status
from deposit_check.summary import format_amount, note, summarize
from deposit_check.verdict import AddressOwner, Verdict
from desk_common.chain_text import ADDRESS_DOC, TX_HASH_DOC, Address, ChainName, TxHash

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

    tx_hash: TxHash = Field(description=TX_HASH_DOC)
    address: Address = Field(description=ADDRESS_DOC)
    chain: ChainName | None = Field(
        default=None, max_length=32, description="Configured chain name; omit to let the address format decide."
    )
    asset: str | None = Field(default=None, max_length=32, description="Asset symbol the amount check is about.")
    expected_amount: str | None = Field(
        default=None,
        pattern=DECIMAL_STRING,
        max_length=80,
        description='Expected amount as a decimal string in the asset\'s units, e.g. "0.015".',
    )
    watch: bool = Field(
        default=False,
        description="Follow the deposit until it is final and announce each status change as an event (needs Redis, and scope `watch`).",
    )


class PaymentOut(BaseModel):
    asset: str = Field(description="Symbol of what was paid: the chain's coin or an allow-listed token.")
    amount: str = Field(description="Decimal string in the asset's units.")
    contract: str | None = Field(default=None, description="Token contract; null for the native coin.")


class EndpointViewOut(BaseModel):
    endpoint: str = Field(description="The node as scheme://host:port (never credentials, path or query).")
    found: bool = Field(description="The node knows the tx (in a block or its mempool).")
    block_height: int | None = Field(description="Height of the block that node holds the tx in; null: in none.")
    block_hash: str | None = Field(description="Hash of that block; null: in none.")
    confirmations: int = Field(description="Confirmations by that node's count.")
    tip: int = Field(description="That node's best block height.")


class DisputeOut(BaseModel):
    endpoints: list[EndpointViewOut] = Field(description="What each node asked said of the tx.")


class CheckResponse(BaseModel):
    status: Status = Field(
        description="The verdict: `not_found`, `pending` (mempool), `confirming`, `confirmed`, `failed` (reverted), "
        "`wrong_address`, `wrong_network` (see `found_on`), `replaced` (see `replaced_by`), `disputed` (the chain's "
        "endpoints contradict each other), `not_our_address` (ownership is declared for the chain and the address is "
        "not one of the casino's: do not credit), `wrong_asset` (the tx pays the address, but none of `asset`)."
    )
    chain: str | None = Field(
        description="The chain the verdict is about; null when no chain was named and several were searched."
    )
    tx_hash: str = Field(description="Normalized transaction hash (lower case; EVM hashes keep `0x`).")
    address: str = Field(description="Normalized deposit address (EIP-55 checksummed EVM address; lower-case bech32).")
    confirmations: int = Field(description="Confirmations at check time (0 in the mempool or not found).")
    required_confirmations: int = Field(description="Confirmations the chain's policy requires for `confirmed`.")
    block_height: int | None = Field(description="Height of the block holding the tx; null while in the mempool.")
    block_hash: str | None = Field(
        description="Hash of that block; null while in the mempool, and on TRON (a check reads the height only)."
    )
    block_time: datetime | None = Field(description="Time of that block (UTC); null while in the mempool.")
    payments: list[PaymentOut] = Field(description="What reached the address in this tx, one entry per asset.")
    internal_transfers: InternalTransfers | None = Field(
        default=None,
        description="EVM chains: native coin that reached the address through the tx's internal calls (a "
        "contract forwarding it, a batch payout, a smart-contract wallet). `counted`: some did, and it is in "
        "`payments` and `received_amount`; `none`: none did (or the tx cannot carry any: a plain transfer, a "
        "reverted tx); `unavailable`: it could not be seen (the node traces no tx, or the tx is not mined yet), so "
        "`payments` may miss some. Only successful calls count. Null on other chains and when the tx is not found.",
    )
    asset: str | None = Field(description="The asset the amount fields are about.")
    received_amount: str | None = Field(description="Decimal string: how much of `asset` reached the address.")
    expected_amount: str | None = Field(description="The expected amount as asked, normalized; null if none was given.")
    amount_status: AmountStatus | None = Field(
        description="`exact`, `under` or `over`; null without `expected_amount` or when nothing reached the address."
    )
    found_on: str | None = Field(description="With wrong_network: the chain where the tx is.")
    chain_display: str | None = Field(
        default=None,
        description="`chain` as people call it: the chain's `display_name` (e.g. `TRON (TRC-20)`), else its name; "
        "null with `chain`. Letters, digits, single spaces and ( ) . + / - only.",
    )
    found_on_display: str | None = Field(
        default=None, description="`found_on` as people call it, as `chain_display`; null with `found_on`."
    )
    failure_reason: str | None = Field(
        default=None,
        description="With failed: why, as the chain words it (TRON: `REVERT`, `OUT_OF_ENERGY`, ...); null where "
        "the chain gives no reason (an EVM receipt's status 0).",
    )
    address_owner: AddressOwner = Field(
        default=AddressOwner.UNKNOWN,
        description="`casino`: the address is one of the casino's declared deposit addresses; `unknown`: no "
        "ownership is declared for the chain (not verified); `not_casino`: ownership is declared and the address "
        "is not in it (the status is then `not_our_address` once the tx is found on the asked chain).",
    )
    account: str | None = Field(
        default=None,
        description="With `casino`: the casino's opaque player-account reference of the address, when one was "
        "imported; null otherwise.",
    )
    replaced_by: str | None = Field(default=None, description="With replaced: the tx that took its place.")
    chains_checked: list[str] = Field(description="The chains that were asked.")
    final: bool = Field(description="True when only a deep reorg could change this verdict.")
    awaiting_quorum: bool = Field(
        default=False,
        description="With confirming: enough confirmations on one node, held until `quorum` nodes agree (see note).",
    )
    awaiting_solidification: bool = Field(
        default=False,
        description="With confirming (TRON): enough confirmations, held until the block is solidified (see note).",
    )
    checked_at: datetime = Field(description="When the chain was asked (a cached verdict keeps its original time).")
    summary: str = Field(description="One plain English sentence an agent can paste to the player.")
    watching: bool = Field(default=False, description="The watcher follows this deposit and announces its changes.")
    note: str | None = Field(
        default=None,
        description="For agents: why a chain whose nodes must agree (quorum) says disputed or holds at confirming.",
    )
    dispute: DisputeOut | None = Field(default=None, description="With disputed: each node's view of the tx.")

    @classmethod
    def from_verdict(
        cls, v: Verdict, chains_checked: list[str], checked_at: datetime, names: Mapping[str, str] | None = None
    ) -> "CheckResponse":
        """`names`: each chain's name for people (FileConfig.display_names); a chain missing from it goes by its name."""
        names = names or {}
        return cls(
            status=v.status,
            chain=v.chain,
            tx_hash=v.tx_hash,
            address=v.address,
            confirmations=v.confirmations,
            required_confirmations=v.required_confirmations,
            block_height=v.block.height if v.block else None,
            block_hash=(v.block.hash or None) if v.block else None,  # TRON checks read no block id
            block_time=v.block_time,
            payments=[
                PaymentOut(
                    asset=p.asset.symbol, amount=format_amount(p.asset.to_decimal(p.amount)), contract=p.asset.contract
                )
                for p in v.payments
            ],
            internal_transfers=v.internal_transfers,
            asset=v.asset.symbol if v.asset else None,
            received_amount=format_amount(v.received) if v.received is not None else None,
            expected_amount=format_amount(v.expected) if v.expected is not None else None,
            amount_status=v.amount_status,
            found_on=v.found_on,
            chain_display=names.get(v.chain, v.chain) if v.chain else None,
            found_on_display=names.get(v.found_on, v.found_on) if v.found_on else None,
            failure_reason=v.failure_reason,
            address_owner=v.address_owner,
            account=v.account,
            replaced_by=v.replaced_by,
            chains_checked=chains_checked,
            final=v.final,
            awaiting_quorum=v.awaiting_quorum,
            awaiting_solidification=v.awaiting_solidification,
            checked_at=checked_at,
            summary=summarize(v, names),
            note=note(v),
            dispute=_dispute(v),
        )


def _dispute(v: Verdict) -> DisputeOut | None:
    if v.status is not Status.DISPUTED:
        return None
    return DisputeOut(
        endpoints=[
            EndpointViewOut(
                endpoint=e.endpoint,
                found=e.found,
                block_height=e.block.height if e.block else None,
                block_hash=(e.block.hash or None) if e.block else None,
                confirmations=e.confirmations,
                tip=e.tip,
            )
            for e in v.views
        ]
    )


class ReadyResponse(BaseModel):
    status: Literal["ready", "not_ready"] = Field(description="`ready` when every check below is `ok`.")
    checks: dict[str, str] = Field(
        description="Per part (`chain:<name>`, `store:<kind>`): `ok`, or `unavailable: <why>`."
    )
