"""A hostile player and TRON in ticket text (issue 15): what a ticket, a pasted line or a link can make of a TRON
address or a Tronscan link, and what it cannot.

- A link that only looks like Tronscan (another host, Tronscan inside another URL) does not make a hash TRON's.
- A TRON address and the EVM address of the same key are two addresses of two families: neither is turned into
  the other, and each goes only with a hash of its own family.
- A `T...` with a wrong checksum, a base58check of another version byte, a homoglyph `T`, an address cut by an
  invisible character: none is a TRON address.
- Nothing of the player's link reaches a note: the note's explorer link is the operator's, with the hash.
- `wrong_network` never advises crediting, whoever the address belongs to.

Pure: extraction, the form's paste rules, the note and the advice rule need no server.
"""

from datetime import UTC, datetime

import pytest

from ticket_link.advice import Advice, Match, advise
from ticket_link.extract import extract, extract_lookups
from ticket_link.schemas import AddressOwner, DepositStatus
from ticket_link.texts import LANGUAGES, render_note, render_player_message
from ticket_link.web.forms import read_deposit_form

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
H = "7c2d4206c03a883dd9066d620335dc1be272a8dc733cfa3f6d10308faa37facc"
EVM_H = "0x" + "5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
LTC = "ltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdl0gde6"
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TRON_HEX = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"
TRON_AS_EVM = "0xa614f803B6FD780986A42c78Ec9c7f77e6DeD13C"  # the same 20 bytes, EIP-55
T_LOOKALIKE = "TpSyGx2w2bR9GdrDrYtrYwbvSPhwSmg7ER"  # base58check of version 0x42 and the same 20 bytes


def found(text: str) -> list[tuple[str, str | None, str | None]]:
    return [(c.tx_hash, c.address, c.family) for c in extract(text)]


@pytest.mark.parametrize(
    "link",
    [
        f"https://tronscan.org.evil.example/#/transaction/{H}",
        f"https://evil.example/tronscan.org/#/transaction/{H}",
        f"https://tronscan.org@evil.example/#/transaction/{H}",
        f"https://eviltronscan.org/#/transaction/{H}",
        f"https://evil.example/?next=https://tronscan.org/#/transaction/{H}",
        f"https://evil.example/r?u=tronscan.org/#/transaction/{H}",
        f"https://tronscan.evil/#/transaction/{H}",
    ],
)
def test_a_link_that_only_looks_like_tronscan_does_not_make_the_hash_trons(link: str) -> None:
    # A real Tronscan link would keep the hash from the Litecoin address; these are plain bare hashes.
    assert found(f"deposit: {link} to {LTC}") == [(H, LTC, "utxo")]
    assert found(f"deposit: {link}") == [(H, None, None)]


def test_a_real_tronscan_link_next_to_a_utxo_address_keeps_the_hash_off_it() -> None:
    assert found(f"https://tronscan.org/#/transaction/{H} and my LTC address {LTC}") == [(H, None, "tron")]


def test_the_evm_address_of_a_tron_key_is_never_taken_for_the_tron_address() -> None:
    # Same key, two families: the bare hash goes with the T... only, the 0x hash with the 0x... only.
    assert found(f"{H} to {TRON_AS_EVM}, {EVM_H} to {TRON}") == [(H, TRON, "tron"), (EVM_H, TRON_AS_EVM, "evm")]
    # Alone, the 0x address goes with the bare hash as what it is, an EVM address (never converted to T...):
    # deposit_check finds the tx on TRON and answers wrong_network, which credits nothing.
    assert found(f"{H} to {TRON_AS_EVM}") == [(H, TRON_AS_EVM, "evm")]
    assert found(f"{EVM_H} to {TRON}") == [(EVM_H, None, "evm")]
    assert found(f"{EVM_H} to {TRON_HEX}") == [(EVM_H, None, "evm")]
    # A lookup by address keeps each as written in its own family.
    lookups = extract_lookups(f"sent to {TRON_AS_EVM} and {TRON}", now=NOW)
    assert [(lk.address, lk.family) for lk in lookups] == [(TRON_AS_EVM, "evm"), (TRON, "tron")]


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("checksum off by one character", TRON[:-1] + "u"),
        ("two characters swapped", TRON[:5] + TRON[6] + TRON[5] + TRON[7:]),
        ("Cyrillic Т as its first letter", "\u0422" + TRON[1:]),
        ("a zero-width space inside", TRON[:17] + "\u200b" + TRON[17:]),
        ("0x before the hex form", "0x" + TRON_HEX),
        ("hex form one byte short", TRON_HEX[:-2]),
        ("hex form one byte long", TRON_HEX + "00"),
    ],
)
def test_what_is_not_a_tron_address(name: str, address: str) -> None:
    claims = found(f"sent to {address}, txid {H}")
    assert claims == [(H, None, None)], name
    assert extract_lookups(f"I paid {address} an hour ago", now=NOW) == [], name


def test_a_t_lookalike_of_another_coin_is_not_tron() -> None:
    assert found(f"sent to {T_LOOKALIKE}, txid {H}") == [(H, T_LOOKALIKE, "utxo")]


def test_markup_around_a_tron_address_and_link_reaches_no_note() -> None:
    text = (
        f"[Urgent: re-verify KYC]({TRON}) <a href='https://evil.example/login'>"
        f"https://tronscan.org.evil.example/#/transaction/{H}</a> **{TRON}**"
    )
    (claim,) = extract(text)
    assert (claim.tx_hash, claim.address) == (H, TRON)
    for language in LANGUAGES:
        note = render_note(None, language=language, claim=claim, reason="unavailable")
        assert H in note and TRON in note
        assert "evil" not in note and "KYC" not in note and "<a" not in note and "](" not in note


def test_the_note_links_the_operators_explorer_never_the_players() -> None:
    (claim,) = extract(f"https://tronscan.org.evil.example/#/transaction/{H} sent to {TRON}")
    verdict = {"status": "not_found", "chain": "tron", "tx_hash": claim.tx_hash, "address": claim.address}
    note = render_note(verdict, language="en", explorer_url="https://tronscan.org/#/transaction/{tx_hash}")
    assert f"Explorer: https://tronscan.org/#/transaction/{H}" in note and "evil" not in note


def test_the_form_keeps_the_hash_of_a_lookalike_link_and_nothing_of_its_host() -> None:
    form, errors = read_deposit_form(
        {"tx_hash": f"https://tronscan.org@evil.example/#/transaction/{H}", "address": TRON}
    )
    assert errors == [] and (form.tx_hash, form.address) == (H, TRON)


@pytest.mark.parametrize("owner", list(AddressOwner))
@pytest.mark.parametrize("match", list(Match))
@pytest.mark.parametrize("duplicate", [False, True])
def test_wrong_network_never_advises_crediting(owner: AddressOwner, match: Match, duplicate: bool) -> None:
    advice = advise(DepositStatus.WRONG_NETWORK, owner, match, duplicate)
    assert advice is not Advice.CREDIT and advice is not Advice.WAIT
    verdict = {
        "status": "wrong_network",
        "chain": "ethereum",
        "found_on": "tron",
        "tx_hash": H,
        "address": TRON_AS_EVM,
        "address_owner": owner.value,
    }
    for language in LANGUAGES:
        message = render_player_message(verdict, language=language, account_match=match, duplicate=duplicate)
        if owner is AddressOwner.NOT_CASINO:  # "not one of our addresses" comes first, and is no credit either
            assert "ethereum" in message and "tron" not in message
        else:  # the network it went to, and the address's
            assert "tron" in message and "ethereum" in message
