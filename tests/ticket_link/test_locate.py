"""What a claim with no address does with deposit_check's `/v1/locate` answer (pure), and the note it gets
otherwise, in every language: never "credit it", only shape-checked values."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticket_link.locate import Located, Outcome, located_note_key, pick
from ticket_link.texts import LANGUAGES, render_located_note, render_note

from .test_advice import CREDIT_IT
from .test_texts import verdict

TX = "ab" * 32
LTC_A = "rltc1qg82dn7r2ruvdjvjmcvt8fc3wsxhrzrf4v0fsdl"
LTC_B = "rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kfeu9x3"
TRON_A = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
EXPLORERS = {"litecoin": "https://explorer.example/tx/{tx_hash}"}


def entry(chain: str, *casino: str, declared: bool | None = True, others: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "chain": chain,
        "tx_hash": TX,
        "status": "confirming",
        "confirmations": 2,
        "required_confirmations": 6,
        "block_height": 204,
        "block_time": "2026-11-24T09:12:03Z",
        "failure_reason": None,
        "ownership_declared": declared,
        "casino_addresses": [{"address": a, "assets": ["LTC"]} for a in casino],
        "other_recipients": others,
        "unseen_payments": False,
        **extra,
    }


def answer(*found: dict[str, Any], unavailable: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "tx_hash": TX,
        "found": bool(found),
        "found_on": list(found),
        "not_found_on": ["ethereum"],
        "unavailable": list(unavailable),
    }


def test_one_casino_address_on_one_chain_is_paired() -> None:
    assert pick(answer(entry("litecoin", LTC_A))) == Located(Outcome.PAIRED, "litecoin", LTC_A)
    # Found elsewhere paying nobody of the casino's does not change it.
    assert pick(answer(entry("litecoin", LTC_A), entry("mirror"))) == Located(Outcome.PAIRED, "litecoin", LTC_A)


@pytest.mark.parametrize(
    ("found", "outcome"),
    [
        ((), Outcome.NOWHERE),
        ((entry("litecoin"),), Outcome.PAID_NONE),
        ((entry("litecoin", others=0, declared=None, status="failed"),), Outcome.PAID_NONE),
        ((entry("litecoin", LTC_A, LTC_B),), Outcome.PAID_SEVERAL),
        ((entry("litecoin", LTC_A), entry("mirror", LTC_A)), Outcome.PAID_SEVERAL),
        ((entry("litecoin", declared=False),), Outcome.UNDECLARED),
        # One casino address, and a chain where which address is the casino's cannot be told: not paired.
        ((entry("litecoin", LTC_A), entry("mirror", declared=False)), Outcome.UNDECLARED),
    ],
)
def test_anything_else_is_a_note(found: tuple[dict[str, Any], ...], outcome: Outcome) -> None:
    assert pick(answer(*found)) == Located(outcome)


def test_values_not_of_their_shape_are_ignored() -> None:
    hostile = entry("litecoin", "[click](https://evil.example)")
    assert pick(answer(hostile)).outcome is Outcome.PAID_NONE
    assert pick(answer(entry("lite coin", LTC_A))).outcome is Outcome.NOWHERE
    assert pick({"found_on": "nope"}).outcome is Outcome.NOWHERE


def test_the_note_key_moves_with_what_was_found() -> None:
    one = answer(entry("litecoin"))
    deeper = answer(entry("litecoin", status="confirmed"))
    found = pick(one)
    assert located_note_key("t", TX, found, one) == located_note_key("t", TX, found, answer(entry("litecoin")))
    assert located_note_key("t", TX, found, one) != located_note_key("t", TX, found, deeper)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_outcome_in_every_language(language: str) -> None:
    paid_none = render_located_note(
        answer(entry("litecoin", others=2)), language=language, tx_hash=TX, outcome="paid_none", explorer_urls=EXPLORERS
    )
    assert TX in paid_none and "litecoin" in paid_none and "2/6" in paid_none and "204" in paid_none
    assert EXPLORERS["litecoin"].format(tx_hash=TX) in paid_none
    several = render_located_note(
        answer(entry("litecoin", LTC_A, LTC_B)), language=language, tx_hash=TX, outcome="paid_several"
    )
    assert LTC_A in several and LTC_B in several and "LTC" in several
    nowhere = render_located_note(answer(unavailable=("tron",)), language=language, tx_hash=TX, outcome="nowhere")
    assert "ethereum" in nowhere and "tron" in nowhere
    undeclared = render_located_note(
        answer(entry("litecoin", declared=False, others=3)), language=language, tx_hash=TX, outcome="undeclared"
    )
    failed = render_located_note(
        answer(entry("tron", others=0, declared=None, status="failed", failure_reason="OUT_OF_ENERGY")),
        language=language,
        tx_hash=TX,
        outcome="paid_none",
    )
    assert "OUT_OF_ENERGY" in failed
    texts = [paid_none, several, nowhere, undeclared, failed]
    assert len(set(texts)) == len(texts)
    for text in texts:
        assert CREDIT_IT[language] not in text.lower() and "{{" not in text and "None" not in text


def test_nothing_but_shaped_values_reaches_the_note() -> None:
    hostile = entry(
        "litecoin",
        TRON_A,
        "[click](https://evil.example)",
        status="<b>confirmed</b>",
        failure_reason="REVERT <script>",
        block_height="204; DROP",
    )
    hostile["casino_addresses"][0]["assets"] = ["USDT", "<img src=x>"]
    note = render_located_note(answer(hostile), language="en", tx_hash="<b>" + TX, outcome="paid_several")
    assert TRON_A in note and "(USDT)" in note
    for bad in ("evil.example", "<script>", "<img", "DROP", "<b>" + TX):
        assert bad not in note


@given(
    outcome=st.sampled_from([o.value for o in Outcome if o is not Outcome.PAIRED]),
    status=st.sampled_from(["pending", "confirming", "confirmed", "failed", "disputed", "not_found", "new"]),
    casino=st.lists(st.sampled_from([LTC_A, LTC_B, TRON_A]), max_size=3),
    declared=st.sampled_from([True, False, None]),
    language=st.sampled_from(LANGUAGES),
)
def test_a_located_note_never_says_credit_it(
    outcome: str, status: str, casino: list[str], declared: bool | None, language: str
) -> None:
    found = entry("litecoin", *casino, declared=declared, status=status, confirmations=6)
    note = render_located_note(answer(found), language=language, tx_hash=TX, outcome=outcome)
    assert CREDIT_IT[language] not in note.lower()


LOCATED_LINE = {
    "en": "found from its hash",
    "fr": "retrouvée à partir de son hash",
    "pl": "ustalony na podstawie jej hasha",
    "ru": "найденный по её хэшу",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_paired_claims_verdict_note_says_the_address_was_found_by_its_hash(language: str) -> None:
    v = verdict("confirmed", address_owner="casino")
    assert LOCATED_LINE[language] in render_note(v, language=language, located=True)
    assert LOCATED_LINE[language] not in render_note(v, language=language)
    assert CREDIT_IT[language] in render_note(v, language=language, located=True).lower()  # the verdict's advice
