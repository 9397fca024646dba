"""The one rule for a note's "Next step": may the agent credit this deposit, and if not, why not.

Notes and player messages render the advice; they never decide "credit it" from the status
themselves. Inputs are what deposit_check's verdict says (status, `address_owner`) and what
ticket_link knows of the claim (the ticket's account against the verdict's `account`, and
whether other tickets claim the same tx).
"""

from enum import StrEnum

from ticket_link.schemas import PAYING, AddressOwner, DepositStatus


class Match(StrEnum):
    """The claim's account against the verdict's `account`."""

    MATCHED = "matched"
    OTHER_ACCOUNT = "other_account"
    UNKNOWN = "unknown"  # one side has no account reference


class Advice(StrEnum):
    CREDIT = "credit"
    WAIT = "wait"  # pending or confirming: credited once confirmed (the status's own wording)
    BY_STATUS = "by_status"  # not found, failed, wrong address, ...: the status's own next step, never a credit
    DO_NOT_CREDIT_NOT_OURS = "not_ours"
    DO_NOT_CREDIT_WRONG_ASSET = "wrong_asset"
    DO_NOT_CREDIT_OTHER_ACCOUNT = "other_account"
    DO_NOT_CREDIT_DUPLICATE = "duplicate"


def owner_of(verdict_owner: object) -> AddressOwner:
    """The verdict's `address_owner` as read: anything not declared `casino` or `not_casino` is `unknown`."""
    try:
        return AddressOwner(str(verdict_owner))
    except ValueError:
        return AddressOwner.UNKNOWN


def match_of(claim_account: str | None, verdict_account: object) -> Match:
    """`claim_account` and `verdict_account` compared as given (both opaque references, or both keyed hashes)."""
    if not claim_account or not isinstance(verdict_account, str) or not verdict_account:
        return Match.UNKNOWN
    return Match.MATCHED if claim_account == verdict_account else Match.OTHER_ACCOUNT


def advise(status: str, owner: AddressOwner, match: Match, duplicate: bool, *, rival_matched: bool = False) -> Advice:
    """The next step. `duplicate`: another ticket claims the same tx; `rival_matched`: one of those
    other tickets also carries the address's account (the binding then singles out no ticket).

    Precedence: the address is not the casino's; the asset was not paid; any other status not
    paying (its own next step); the address belongs to another account; a duplicate claim the
    account binding does not decide; pending/confirming (wait); confirmed (credit).
    """
    if owner is AddressOwner.NOT_CASINO or status == DepositStatus.NOT_OUR_ADDRESS:
        return Advice.DO_NOT_CREDIT_NOT_OURS
    if status == DepositStatus.WRONG_ASSET:
        return Advice.DO_NOT_CREDIT_WRONG_ASSET
    if status not in PAYING:
        return Advice.BY_STATUS
    if match is Match.OTHER_ACCOUNT:
        return Advice.DO_NOT_CREDIT_OTHER_ACCOUNT
    if duplicate and (match is not Match.MATCHED or rival_matched):
        return Advice.DO_NOT_CREDIT_DUPLICATE
    if status != DepositStatus.CONFIRMED:
        return Advice.WAIT
    return Advice.CREDIT
