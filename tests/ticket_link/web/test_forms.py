"""Pasted lines -> the hash, the address, the amount, the ticket number (pure)."""

import pytest

from ticket_link.web.forms import pasted_address, pasted_amount, pasted_hash, pasted_ticket, read_deposit_form

TX = "9f2c" + "0123456789abcdef" * 3 + "0123456789ab"
EVM_TX = "0x" + "5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
BECH32 = "rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7k693xs3"
EVM = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # the USDT-TRC20 contract's address, and its hex form
TRON_HEX = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        (f"tx: {TX} ", TX),
        (f"   {TX.upper()}\n", TX),
        (f"TxID = «{TX}»", TX),
        (f"https://explorer.example/tx/{TX}?network=ltc", TX),
        (f"hash {EVM_TX}, sent yesterday", EVM_TX),
        (f"https://tronscan.org/#/transaction/{TX}", TX),
        (f"https://nile.tronscan.org/#/transaction/{TX.upper()}/event-log", TX),
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
        (f"TRC20 address: {TRON} ", TX, TRON),
        (f"hex {TRON_HEX}", TX, TRON),  # shown in base58check, as Tronscan and wallets do
        (f"{TRON}", "", TRON),
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


def test_a_tronscan_line_and_a_tron_address_fill_the_form() -> None:
    line = f"USDT TRC20 https://tronscan.org/#/transaction/{TX} to {TRON}"
    form, errors = read_deposit_form({"tx_hash": line, "address": ""})
    assert errors == [] and (form.tx_hash, form.address) == (TX, TRON)
    form, errors = read_deposit_form({"tx_hash": f"https://tronscan.io/#/transaction/{TX}", "address": TRON_HEX})
    assert errors == [] and (form.tx_hash, form.address) == (TX, TRON)


def test_a_tron_address_with_a_bad_checksum_is_sent_as_typed_for_deposit_check_to_refuse() -> None:
    bad = TRON[:-1] + "u"
    form, errors = read_deposit_form({"tx_hash": TX, "address": f"address: {bad}"})
    # The shape passes the door; the checksum is the TRON chain's to refuse (a 422 the form shows).
    assert errors == [] and form.address == bad


def test_a_hash_alone_is_a_form_to_locate_and_a_bad_address_is_still_refused() -> None:
    form, errors = read_deposit_form({"tx_hash": f"my txid: {TX}", "address": "   "})
    assert errors == [] and form.hash_only and (form.tx_hash, form.address) == (TX, "")
    assert form.claim().address is None  # the bot API's claim with no address: located by the service
    form, errors = read_deposit_form({"tx_hash": TX})
    assert errors == [] and form.hash_only
    _, errors = read_deposit_form({"tx_hash": TX, "address": "(deposit)"})
    assert len(errors) == 1 and errors[0].startswith("The deposit address is not a deposit address: expected")
    _, errors = read_deposit_form({"tx_hash": "", "address": ""})
    assert errors == ["Enter the transaction hash."]
