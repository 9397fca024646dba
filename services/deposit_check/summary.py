"""One plain sentence about a verdict that an agent can paste to the player."""

from collections.abc import Mapping
from decimal import Decimal

from deposit_check.models import AmountStatus, InternalTransfers, Status
from deposit_check.verdict import AddressOwner, Verdict, agreeing


def format_amount(value: Decimal) -> str:
    """A decimal string without exponent or trailing zeros: 1.5, 0.00012, 100."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".") or "0"


def short_hash(tx_hash: str) -> str:
    bare = tx_hash.removeprefix("0x")
    return f"{tx_hash[: len(tx_hash) - len(bare) + 8]}…{bare[-6:]}"


def _what(v: Verdict) -> str:
    if v.received is not None and v.asset is not None:
        return f"{format_amount(v.received)} {v.asset.symbol}"
    return "funds"


def _amount_note(v: Verdict) -> str:
    if v.amount_status is None or v.expected is None or v.received is None or v.asset is None:
        return ""
    diff = format_amount(abs(v.received - v.expected))
    if v.amount_status is AmountStatus.UNDER:
        return f" That is {diff} {v.asset.symbol} less than the expected {format_amount(v.expected)}."
    if v.amount_status is AmountStatus.OVER:
        return f" That is {diff} {v.asset.symbol} more than the expected {format_amount(v.expected)}."
    return ""


def _unverified(v: Verdict) -> str:
    """With no ownership declared for the chain, confirmed and confirming say the address was not verified as ours."""
    return " We have not verified that this address is one of ours." if v.address_owner is AddressOwner.UNKNOWN else ""


def _paid(v: Verdict) -> str:
    """What the tx paid the address, e.g. "0.000000000000000001 ETH and 5 USDC"."""
    return (
        " and ".join(f"{format_amount(p.asset.to_decimal(p.amount))} {p.asset.symbol}" for p in v.payments) or "nothing"
    )


def note(v: Verdict) -> str | None:
    """For agents, why a chain with a quorum does not say "confirmed", or that internal transfers could not be
    seen (None when there is nothing to say)."""
    if v.status is Status.DISPUTED:
        return (
            f"The {len(v.views)} nodes asked disagree on the block of this transaction (see dispute): "
            f"not confirmed until {v.quorum} of them agree."
        )
    if v.awaiting_quorum:
        agree = agreeing(v.block, v.views, v.required_confirmations)
        return (
            f"Held at confirming: {v.quorum} nodes must see {v.required_confirmations} confirmations in the same "
            f"block, {agree} of the {len(v.views)} that answered do."
        )
    if v.awaiting_solidification:
        return (
            f"Held at confirming: {v.confirmations} confirmations, but the block is not solidified (irreversible) "
            "yet; TRON deposits are confirmed only once it is."
        )
    if v.internal_transfers is InternalTransfers.UNAVAILABLE:
        return (
            "This transaction calls a contract, and the coin it may have passed on to the address through internal "
            "calls could not be seen (the node traces no transactions, or the transaction is not mined yet): the "
            "payments shown may be incomplete."
        )
    return None


def summarize(v: Verdict, names: Mapping[str, str] | None = None) -> str:
    """`names`: chain name -> its name for people (`display_name`); a chain not in it is called by its name."""
    names = names or {}
    chain = names.get(v.chain, v.chain) if v.chain else "any of our networks"
    found_on = names.get(v.found_on, v.found_on) if v.found_on else None
    tx = short_hash(v.tx_hash)
    match v.status:
        case Status.NOT_FOUND:
            return (
                f"We cannot find transaction {tx} on {chain} yet. Please check the hash in your "
                "wallet's history and which network you sent it on."
            )
        case Status.WRONG_NETWORK:
            return (
                f"Transaction {tx} was sent on {found_on}, not on {chain}, so it has not reached this deposit address."
            )
        case Status.FAILED:
            why = f"({v.failure_reason})" if v.failure_reason else "(it was reverted)"
            return f"Transaction {tx} failed on {chain} {why}, so no funds were transferred."
        case Status.WRONG_ADDRESS:
            return f"Transaction {tx} on {chain} does not send anything to the deposit address {v.address}."
        case Status.PENDING:
            return (
                f"Your payment of {_what(v)} is waiting to be included in a block on {chain}; "
                "it has no confirmations yet." + _amount_note(v)
            )
        case Status.CONFIRMING if v.awaiting_quorum:
            return (
                f"Your deposit of {_what(v)} has {v.confirmations} confirmations on {chain} according to one "
                "of our nodes; it is credited once our other nodes confirm it too." + _amount_note(v) + _unverified(v)
            )
        case Status.CONFIRMING if v.awaiting_solidification:
            return (
                f"Your deposit of {_what(v)} has {v.confirmations} confirmations on {chain}; it is credited once "
                "the network makes its block final (solidified), usually within a minute."
                + _amount_note(v)
                + _unverified(v)
            )
        case Status.CONFIRMING:
            return (
                f"Your deposit of {_what(v)} has {v.confirmations} of {v.required_confirmations} "
                f"confirmations on {chain}; it is credited once it reaches {v.required_confirmations}."
                + _amount_note(v)
                + _unverified(v)
            )
        case Status.REPLACED:
            return (
                f"Transaction {tx} was replaced on {chain} by another transaction"
                + (f" ({short_hash(v.replaced_by)})" if v.replaced_by else "")
                + "; please check your wallet for the one that went through."
            )
        case Status.CONFIRMED:
            return f"Your deposit of {_what(v)} is confirmed on {chain}." + _amount_note(v) + _unverified(v)
        case Status.NOT_OUR_ADDRESS:
            return (
                f"The address {v.address} is not one of our deposit addresses on {chain}, so transaction {tx} "
                "cannot be credited; please check the deposit address shown in your account."
            )
        case Status.WRONG_ASSET:
            asked = v.asset.symbol if v.asset else "the asset asked about"
            return (
                f"Transaction {tx} on {chain} sent {_paid(v)} to the deposit address, but no {asked}, "
                "so it cannot be credited as this deposit."
            )
        case Status.DISPUTED:
            return (
                f"Our nodes for {chain} disagree about transaction {tx} right now (the network is split), "
                "so it cannot be credited yet; please check again in a few minutes."
            )
        case _:
            return f"We cannot check transaction {tx} right now; please try again in a few minutes."
