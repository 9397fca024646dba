"""TRON addresses: base58check and hex forms of published mainnet addresses, round trips, and refusals."""

import pytest

from deposit_check.chains.tron.address import from_hex, key_hash, parse_address, to_hex
from deposit_check.errors import InvalidAddress
from desk_common import chain_text

# Published on Tronscan and in Tether's and TRON's documentation: the USDT-TRC20 contract, and the
# burn address (0x41 followed by 20 zero bytes).
USDT = ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "41a614f803b6fd780986a42c78ec9c7f77e6ded13c")
BURN = ("T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb", "41" + "00" * 20)


@pytest.mark.parametrize(("base58", "hex_form"), [USDT, BURN])
def test_both_forms_normalize_to_base58(base58: str, hex_form: str) -> None:
    assert parse_address(base58) == base58
    assert parse_address(hex_form) == base58
    assert parse_address(hex_form.upper().replace("0X", "0x")) == base58  # hex in any case
    assert parse_address(f"  {base58}\n") == base58
    assert to_hex(base58) == hex_form
    assert from_hex(hex_form) == base58 and from_hex(hex_form[2:]) == base58  # a log's 20-byte form
    assert key_hash(base58) == hex_form[2:]


def test_a_typo_in_base58_fails_the_checksum() -> None:
    typo = USDT[0][:-1] + ("u" if USDT[0][-1] != "u" else "v")
    with pytest.raises(InvalidAddress, match="bad checksum"):
        parse_address(typo)


def test_hex_has_no_checksum_so_a_typo_is_another_address() -> None:
    # Decided: the hex form is accepted as the node spells it, and a typo in it cannot be caught; it names
    # another address, which a tx to the intended one does not pay (wrong_address, never credited).
    typo = USDT[1][:-1] + "d"
    assert parse_address(typo) != USDT[0]


def test_an_evm_address_of_the_same_key_is_refused_not_taken_for_tron() -> None:
    same_key = "0x" + USDT[1][2:]
    with pytest.raises(InvalidAddress, match="EVM address"):
        parse_address(same_key)


@pytest.mark.parametrize(
    "text",
    [
        "TZJozAg1ruapycCicgz31GxvYJ1G1qELV7",  # valid base58check, T-shaped, version byte 0x42
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",  # a Bitcoin address
        "0x41" + "00" * 20,  # hex with 0x: not the node's spelling
        "41" + "00" * 19,  # too short
        "T" + "1" * 40,
        "",
    ],
)
def test_other_text_is_not_a_tron_address(text: str) -> None:
    with pytest.raises(InvalidAddress):
        parse_address(text)


def test_the_door_names_both_forms_tron_before_base58() -> None:
    for text in (*USDT, BURN[0]):
        family = chain_text.address_family(text)
        assert family is not None and family.name == "tron", text
    family = chain_text.address_family("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
    assert family is not None and family.name == "base58"
    assert "TRON address" in chain_text.ADDRESS_RULE
