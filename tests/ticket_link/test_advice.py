"""The one rule for "Next step", and that no note or player message says "credit it" outside it."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticket_link.advice import Advice, Match, advise, match_of, owner_of
from ticket_link.schemas import AddressOwner, DepositStatus
from ticket_link.texts import LANGUAGES, render_note, render_player_message

from .test_texts import NEXT_STEP, verdict

# The note's "credit it" next step, and the player's "confirmed" message, per language.
CREDIT_IT = {language: NEXT_STEP[language]["confirmed"] for language in LANGUAGES}
PLAYER_CONFIRMED = {
    "en": "is confirmed",
    "fr": "est confirmé",
    "pl": "została potwierdzona",
    "ru": "подтверждён",
}
STATUSES = [s.value for s in DepositStatus] + ["something_new", ""]


def allowed(status: str, owner: AddressOwner, match: Match, duplicate: bool, rival_matched: bool) -> bool:
    """The issue's words: confirmed, the casino's address or ownership unknown, not another account's,
    and no duplicate claim unless the account binding names this ticket (and only this one)."""
    return (
        status == "confirmed"
        and owner in (AddressOwner.CASINO, AddressOwner.UNKNOWN)
        and match is not Match.OTHER_ACCOUNT
        and (not duplicate or (match is Match.MATCHED and not rival_matched))
    )


@given(
    st.sampled_from(STATUSES),
    st.sampled_from(list(AddressOwner)),
    st.sampled_from(list(Match)),
    st.booleans(),
    st.booleans(),
)
def test_credit_only_when_allowed(status: str, owner: AddressOwner, match: Match, duplicate: bool, rival: bool) -> None:
    advice = advise(status, owner, match, duplicate, rival_matched=rival)
    assert (advice is Advice.CREDIT) == allowed(status, owner, match, duplicate, rival)


@given(
    status=st.sampled_from(STATUSES),
    owner=st.sampled_from(["casino", "unknown", "not_casino", None, "CASINO", 7]),
    claim_account=st.sampled_from([None, "acct-1", "acct-2"]),
    verdict_account=st.sampled_from([None, "acct-1", "acct-2", 5]),
    earlier=st.sampled_from([None, "desk #1"]),
    later=st.sampled_from([None, "desk #3"]),
    rival=st.booleans(),
    held=st.booleans(),
    event=st.sampled_from([None, "status", "reorg", "expired"]),
    language=st.sampled_from(LANGUAGES),
)
def test_no_note_or_message_says_credit_it_outside_the_rule(
    status: str,
    owner: Any,
    claim_account: str | None,
    verdict_account: Any,
    earlier: str | None,
    later: str | None,
    rival: bool,
    held: bool,
    event: str | None,
    language: str,
) -> None:
    v = verdict(status or "confirmed", address_owner=owner, account=verdict_account, awaiting_quorum=held)
    v["status"] = status
    match = match_of(claim_account, verdict_account)
    note = render_note(
        v,
        language=language,
        earlier_ticket=earlier,
        later_ticket=later,
        account_match=match,
        rival_matched=rival,
        event=event,
    )
    duplicate = bool(earlier or later)
    ok = allowed(status, owner_of(owner), match, duplicate, rival) and not held  # held: a quorum wait, never a credit
    assert (CREDIT_IT[language] in note.lower()) == ok
    message = render_player_message(v, language=language, account_match=match, duplicate=duplicate)
    says_confirmed = PLAYER_CONFIRMED[language] in message
    assert says_confirmed == (allowed(status, owner_of(owner), match, duplicate, False) and not held)


def test_owner_and_match_readings() -> None:
    assert (
        owner_of(None) is AddressOwner.UNKNOWN
        and owner_of("casino") is AddressOwner.CASINO
        and owner_of("x") is AddressOwner.UNKNOWN
    )
    assert match_of(None, "a") is Match.UNKNOWN and match_of("a", None) is Match.UNKNOWN
    assert match_of("a", "a") is Match.MATCHED and match_of("a", "b") is Match.OTHER_ACCOUNT


@pytest.mark.parametrize(
    ("status", "owner", "match", "duplicate", "rival", "expected"),
    [
        ("confirmed", AddressOwner.NOT_CASINO, Match.MATCHED, False, False, Advice.DO_NOT_CREDIT_NOT_OURS),
        ("not_our_address", AddressOwner.UNKNOWN, Match.UNKNOWN, False, False, Advice.DO_NOT_CREDIT_NOT_OURS),
        ("wrong_asset", AddressOwner.CASINO, Match.MATCHED, False, False, Advice.DO_NOT_CREDIT_WRONG_ASSET),
        ("confirmed", AddressOwner.CASINO, Match.OTHER_ACCOUNT, True, False, Advice.DO_NOT_CREDIT_OTHER_ACCOUNT),
        ("confirming", AddressOwner.CASINO, Match.OTHER_ACCOUNT, False, False, Advice.DO_NOT_CREDIT_OTHER_ACCOUNT),
        ("confirmed", AddressOwner.UNKNOWN, Match.UNKNOWN, True, False, Advice.DO_NOT_CREDIT_DUPLICATE),
        ("confirmed", AddressOwner.CASINO, Match.MATCHED, True, True, Advice.DO_NOT_CREDIT_DUPLICATE),
        ("confirmed", AddressOwner.CASINO, Match.MATCHED, True, False, Advice.CREDIT),
        ("pending", AddressOwner.UNKNOWN, Match.UNKNOWN, False, False, Advice.WAIT),
        ("failed", AddressOwner.CASINO, Match.MATCHED, False, False, Advice.BY_STATUS),
    ],
)
def test_precedence(
    status: str, owner: AddressOwner, match: Match, duplicate: bool, rival: bool, expected: Advice
) -> None:
    assert advise(status, owner, match, duplicate, rival_matched=rival) is expected
