"""Pasted lines -> the hash, the address, the amount, the ticket number (pure)."""

import pytest

from ticket_link.web.forms import pasted_address, pasted_amount, pasted_hash, pasted_ticket, read_deposit_form

TX = "9f2c" + "0123456789abcdef" * 3 + "0123456789ab"
EVM_TX = "0x" + "5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
BECH32 = "rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7k693xs3"
EVM = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        (f"tx: {TX} ", TX),
        (f"   {TX.upper()}\n", TX),
        (f"TxID = «{TX}»", TX),
        (f"https://explorer.example/tx/{TX}?network=ltc", TX),
        (f"hash {EVM_TX}, sent yesterday", EVM_TX),
        ("tx: abc123 (typo)", "abc123"),  # no hash in it: the main word, for deposit_check to refuse clearly
        ("hash 9f2c0123", "9f2c0123"),
        ("   ", ""),
    ],
)
def test_pasted_hash(pasted: str, expected: str) -> None:
    assert len(TX) == 64
    assert pasted_hash(pasted) == expected


@pytest.mark.parametrize(
    ("pasted", "tx", "expected"),
    [
        (f"address: {BECH32} ", TX, BECH32),
        (f"  {BECH32.upper()}\n", TX, BECH32),
        (f"to {EVM.lower()} please", EVM_TX, EVM),  # checksummed, as extract writes it
        ("deposit addr: not-an-address-1234", TX, "not-an-address-1234"),
        (f"{BECH32}", "", BECH32),
    ],
)
def test_pasted_address(pasted: str, tx: str, expected: str) -> None:
    assert pasted_address(pasted, tx) == expected


def test_pasted_amount_and_ticket() -> None:
    assert pasted_amount(" 0,5 LTC") == "0.5" and pasted_amount("amount: 12") == "12" and pasted_amount("none") == ""
    assert pasted_ticket("desk #4321") == "4321"
    assert pasted_ticket("http://127.0.0.1:8000/helpdesk/tickets/77/") == "77"
    assert pasted_ticket("") == ""


def test_a_whole_ticket_line_in_the_hash_field_fills_the_address_too() -> None:
    form, errors = read_deposit_form({"tx_hash": f"I sent it, tx {TX} to {BECH32} thanks", "address": " "})
    assert errors == [] and (form.tx_hash, form.address) == (TX, BECH32)


def test_form_errors_and_defaults() -> None:
    form, errors = read_deposit_form({"tx_hash": TX, "address": BECH32, "expected_amount": "lots", "lang": "de"})
    assert errors == ["The expected amount must be a number, like 0.5."]
    assert form.lang == "en"
    claim = read_deposit_form({"tx_hash": TX, "address": BECH32, "expected_amount": "1.25", "lang": "pl"})[0].claim()
    assert (claim.tx_hash, claim.address, claim.expected_amount, claim.lang, claim.helpdesk) == (
        TX,
        BECH32,
        "1.25",
        "pl",
        None,
    )
