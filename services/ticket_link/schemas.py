"""HTTP shapes of ticket_link. No field for a name or an e-mail exists, and unknown fields are refused."""

from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from desk_common.chain_text import ADDRESS_DOC, TX_HASH_DOC, Address, ChainName, TxHash

DECIMAL_STRING = r"^[0-9]+(\.[0-9]+)?$"
ACCOUNT_MAX_CHARS = 128


def account_reference(value: str | None) -> str | None:
    """The casino's opaque player-account reference: bounded, printable (no control or format characters)."""
    if value is None:
        return None
    if not value or len(value) > ACCOUNT_MAX_CHARS or not value.isprintable() or value != value.strip():
        raise ValueError(f"account must be 1 to {ACCOUNT_MAX_CHARS} printable characters")
    return value


class DepositStatus(StrEnum):
    """The `status` field of deposit_check's `/v1/checks` answer and events, as ticket_link reads it.

    A mirror of deposit_check's `Status` (the JSON contract, docs/api.md), not an import of it:
    ticket_link talks to deposit_check over HTTP only. A status deposit_check adds later still
    arrives as a plain string and is shown as it is. tests/test_rules_home.py holds the mirror to
    deposit_check's list.
    """

    NOT_FOUND = "not_found"
    PENDING = "pending"
    CONFIRMING = "confirming"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    WRONG_ADDRESS = "wrong_address"
    WRONG_NETWORK = "wrong_network"
    REPLACED = "replaced"
    DISPUTED = "disputed"
    NOT_OUR_ADDRESS = "not_our_address"
    WRONG_ASSET = "wrong_asset"
    UNAVAILABLE = "unavailable"  # deposit_check's 503 body: `{"status": "unavailable", "error": ...}`


class EventType(StrEnum):
    """The `type` of deposit_check's events (docs/api.md "Events"), mirrored as `DepositStatus` is."""

    STATUS = "status"
    REORG = "reorg"
    REPLACED = "replaced"
    EXPIRED = "expired"
    DEPOSIT_SEEN = (
        "deposit_seen"  # a payment to one of the casino's addresses (skipped for now: issue 14's ticket side)
    )


class AddressOwner(StrEnum):
    """The verdict's `address_owner` (docs/api.md), mirrored as `DepositStatus` is; absent from an older
    deposit_check, it reads as `unknown`."""

    CASINO = "casino"
    UNKNOWN = "unknown"
    NOT_CASINO = "not_casino"


# The statuses whose verdict carries confirmations k/N and a received amount: deposit_check's
# `verdict.PAYING`, mirrored (tests/test_rules_home.py holds the two equal).
PAYING = frozenset({DepositStatus.PENDING, DepositStatus.CONFIRMING, DepositStatus.CONFIRMED})


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

    tx_hash: TxHash = Field(description=TX_HASH_DOC)
    address: Address | None = Field(
        default=None,
        description=ADDRESS_DOC + " Omit when the player gave none: the tx is then located by its hash "
        "(deposit_check's `/v1/locate`), and when it paid exactly one of the casino's addresses on one chain the claim "
        "is checked with that address; otherwise a 422 `address_needed` says what was found (and, with a note asked "
        "for, the note says it to the agent).",
    )
    chain: ChainName | None = Field(
        default=None, max_length=32, description="deposit_check's chain name; omit to let the address format decide."
    )
    expected_amount: str | None = Field(
        default=None,
        pattern=DECIMAL_STRING,
        max_length=80,
        description='Expected amount as a decimal string, e.g. "0.015".',
    )
    lang: str | None = Field(default=None, max_length=16, description="Language of player_message: en, fr, pl, ru.")
    helpdesk: str | None = Field(
        default=None, max_length=32, description="Configured helpdesk name; may be omitted when only one is configured."
    )
    account: str | None = Field(
        default=None,
        max_length=ACCOUNT_MAX_CHARS,
        description="The ticket's player account: the casino's opaque reference (never a name or e-mail), as its "
        "deposit addresses are imported with. The note says when the address belongs to another account. "
        "Kept only as a keyed hash.",
    )
    post_note: bool = Field(
        default=True,
        description="Post the verdict as an internal note in the ticket and follow the deposit (scope `post`). "
        "`false` only checks and answers (scope `check` is enough): nothing is written to the ticket.",
    )

    _account = field_validator("account")(account_reference)


class NoteOutcome(BaseModel):
    status: Literal["queued", "already_posted"] = Field(
        description="`queued`: the note is queued now (or was already waiting); `already_posted`: "
        "the same note for this ticket, tx and status was posted before."
    )


class DuplicateClaim(BaseModel):
    """Other tickets claim this transaction too. Which ones is for agents (the internal notes), never here."""

    duplicate: Literal[True] = Field(default=True, description="Another ticket claims this transaction too.")
    account_matched: bool | None = Field(
        description="The claim's `account` is the deposit address's account (true), another one (false), "
        "or either is unknown (null). Only a matching account lets the note advise crediting."
    )


class PaymentOut(BaseModel):
    asset: str = Field(description="Symbol of what was paid.")
    amount: str = Field(description="Decimal string in the asset's units.")
    contract: str | None = Field(default=None, description="Token contract; null for the native coin.")


class DepositClaimResponse(BaseModel):
    """deposit_check's verdict (every field of it, as `/v1/checks` answers), plus what ticket_link adds."""

    # Fields deposit_check adds later pass through untouched.
    model_config = ConfigDict(extra="allow")

    status: str = Field(
        description="The verdict: not_found, pending, confirming, confirmed, failed, wrong_address, wrong_network, "
        "replaced, disputed, not_our_address, wrong_asset."
    )
    chain: str | None = Field(default=None, description="The chain the verdict is about.")
    tx_hash: str = Field(description="Normalized transaction hash.")
    address: str | None = Field(default=None, description="Normalized deposit address.")
    confirmations: int | None = Field(default=None, description="Confirmations at check time.")
    required_confirmations: int | None = Field(default=None, description="Confirmations required for `confirmed`.")
    block_height: int | None = Field(default=None, description="Height of the tx's block; null in the mempool.")
    block_hash: str | None = Field(default=None, description="Hash of the tx's block; null in the mempool.")
    block_time: str | None = Field(default=None, description="Time of the tx's block (ISO 8601, UTC).")
    payments: list[PaymentOut] = Field(default=[], description="What reached the address in this tx.")
    asset: str | None = Field(default=None, description="The asset the amount fields are about.")
    received_amount: str | None = Field(default=None, description="Decimal string: how much reached the address.")
    expected_amount: str | None = Field(default=None, description="The expected amount as asked.")
    amount_status: Literal["exact", "under", "over"] | None = Field(
        default=None, description="exact, under or over; null without an expected amount."
    )
    found_on: str | None = Field(default=None, description="With wrong_network: the chain where the tx is.")
    chain_display: str | None = Field(
        default=None, description="`chain` as people call it (its configured display name, else its name)."
    )
    found_on_display: str | None = Field(
        default=None, description="`found_on` as people call it (its configured display name, else its name)."
    )
    replaced_by: str | None = Field(default=None, description="With replaced: the tx that took its place.")
    failure_reason: str | None = Field(
        default=None, description="With failed: why, as the chain words it (TRON: `REVERT`, `OUT_OF_ENERGY`, ...)."
    )
    chains_checked: list[str] = Field(default=[], description="The chains deposit_check asked.")
    final: bool | None = Field(default=None, description="True when only a deep reorg could change the verdict.")
    checked_at: str | None = Field(default=None, description="When the chain was asked (ISO 8601, UTC).")
    summary: str = Field(description="deposit_check's one English sentence about the verdict.")
    watching: bool | None = Field(
        default=None, description="deposit_check follows the deposit; the ticket hears of each change."
    )
    player_message: str = Field(description="The verdict for the player, in `lang`; never names another ticket.")
    ticket_note: NoteOutcome | None = Field(description='The internal note; null with `"post_note": false`.')
    duplicate_claim: DuplicateClaim | None = Field(
        default=None,
        description="Other tickets claim this tx too (never which: agents see them in the notes); "
        "null otherwise or without a note.",
    )


class WebhookAccepted(BaseModel):
    accepted: int = Field(description="How many (tx hash, address) claims were found in the ticket and queued.")


class ReadyResponse(BaseModel):
    status: Literal["ready", "not_ready"] = Field(description="`ready` when every check is `ok`.")
    checks: dict[str, str] = Field(description="Per part (`redis`, `deposit_check`): `ok`, or `unavailable: <why>`.")


# `account` is the casino's reference of the address's player account: a bot (and so a player) never
# gets it, whoever the address belongs to; `duplicate_claim.account_matched` says what it needs.
_OWN_FIELDS = frozenset({"player_message", "ticket_note", "duplicate_claim", "account"})


def claim_response(
    verdict: dict[str, Any], player_message: str, queued: bool | None, duplicate: DuplicateClaim | None
) -> DepositClaimResponse:
    """`queued` None: no note was asked for."""
    # ticket_link's own fields win over same-named verdict fields, should deposit_check ever add one.
    verdict = {k: v for k, v in verdict.items() if k not in _OWN_FIELDS}
    return DepositClaimResponse(
        **verdict,
        player_message=player_message,
        ticket_note=None if queued is None else NoteOutcome(status="queued" if queued else "already_posted"),
        duplicate_claim=duplicate,
    )


ASSET_SYMBOL = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"


class DepositLookup(BaseModel):
    """A bot's lookup by address for a ticket: the player gave an address and no hash."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "address": "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj",
                    "expected_amount": "0.05",
                    "asset": "LTC",
                    "since": "2026-12-01T08:00:00Z",
                    "lang": "fr",
                }
            ]
        },
    )

    address: Address = Field(
        description="The deposit address the player paid: the shape rule of `/v1/tickets/{ticket_ref}/deposits` "
        "(422 `invalid_address` otherwise).",
    )
    chain: ChainName | None = Field(
        default=None, max_length=32, description="deposit_check's chain name; omit to let the address format decide."
    )
    asset: str | None = Field(
        default=None,
        pattern=ASSET_SYMBOL,
        description="Only deposits of this asset (its symbol, e.g. LTC, USDT); the amount check is about it.",
    )
    expected_amount: str | None = Field(
        default=None,
        pattern=DECIMAL_STRING,
        max_length=80,
        description='The amount the player says they sent, a decimal string ("0.05"): exact matches come first.',
    )
    since: AwareDatetime | None = Field(
        default=None,
        description="Only deposits in blocks of this time or later: ISO 8601 with a time zone "
        "(`2026-12-01T08:00:00Z`); a time without a zone is a 422. Omit for as far back as the sources keep.",
    )
    lang: str | None = Field(default=None, max_length=16, description="Language of player_message: en, fr, pl, ru.")
    helpdesk: str | None = Field(
        default=None, max_length=32, description="Configured helpdesk name; may be omitted when only one is configured."
    )
    post_note: bool = Field(
        default=True,
        description="Post the candidates as an internal note in the ticket (scopes `lookup` and `post`). `false` "
        "only looks up and answers (scope `lookup`): nothing is written to the ticket.",
    )


class LookupCandidate(BaseModel):
    """One deposit that reached the address, as deposit_check judged it (a check's fields, the ones a bot needs)."""

    tx_hash: str = Field(description="Normalized transaction hash.")
    chain: str | None = Field(description="The chain it is on.")
    status: str = Field(description="The verdict's status: pending, confirming, confirmed, ... (as a claim's).")
    confirmations: int | None = Field(description="Confirmations at lookup time.")
    required_confirmations: int | None = Field(description="Confirmations required for `confirmed`.")
    asset: str | None = Field(description="The asset the amount fields are about.")
    received_amount: str | None = Field(description="Decimal string: how much reached the address in this tx.")
    amount_status: Literal["exact", "under", "over"] | None = Field(
        description="Against `expected_amount`: exact, under or over; null without one."
    )
    block_time: str | None = Field(description="Time of the tx's block (ISO 8601, UTC); null in the mempool.")


class SourceSearched(BaseModel):
    """What one source searched, in our words (deposit_check's own text is not passed on)."""

    source: str = Field(description="`watcher` (deposit_check's index), `electrum`, `evm_logs` or `evm_trace`.")
    chain: str = Field(description="The chain it searched.")
    complete: bool = Field(description="It searched all that was asked.")
    gap: (
        Literal["unavailable", "not_declared", "no_ownership", "window", "not_started", "no_trace", "partial"] | None
    ) = Field(
        description="Why not complete: the source could not answer, the address is not one of the casino's declared "
        "ones, none are declared on the chain, its history is shorter than asked, it has not indexed the chain yet, "
        "the node cannot list internal transfers, or another limit. Null when complete."
    )


class CoverageSummary(BaseModel):
    complete: bool = Field(description="Every source searched all that was asked: an empty list is a real none.")
    sources: list[SourceSearched] = Field(description="One entry per source and chain searched.")


class DepositLookupResponse(BaseModel):
    """The candidates for the player's deposit, the search's coverage, the player message and the note."""

    deposits: list[LookupCandidate] = Field(
        description="At most 5, deposit_check's order: exact amounts first when `expected_amount` was given, "
        "then newest first."
    )
    more: int = Field(description="Found but not listed here (over 5); the agent form and the note list the same 5.")
    truncated: bool = Field(description="deposit_check hit a cap: older deposits were left out (narrow with `since`).")
    coverage: CoverageSummary = Field(description="What was searched: a none is said only about this.")
    player_message: str = Field(
        description="For the player, in `lang`: how many deposits were found, or none yet; never names a ticket."
    )
    ticket_note: NoteOutcome | None = Field(
        description='The internal note listing the candidates; null with `"post_note": false`.'
    )
