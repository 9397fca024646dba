"""extract(): hashes and addresses out of real-looking ticket text, and properties on any text."""

import re
import time
from datetime import UTC, datetime

import base58
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticket_link.extract import BARE_HASH_FAMILIES, MAX_TEXT, Claim, extract, extract_lookups

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
H1 = "9f2c" + "1a" * 30
H2 = "5e1a" + "b7" * 30
H3 = "c0ffee" + "12" * 29
EVM_H1 = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
EVM_H2 = "0x" + "de" * 32
EVM_A1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
EVM_A2 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
EVM_A1_BAD = "0x70997970c51812dc3A010C7d01b50e0d17dc79C8"  # one letter's case flipped: bad EIP-55
# TRON: the USDT-TRC20 contract (TRON's docs, FACTS.md) and the account of java-tron's HTTP API examples, each with
# its hex form (41 and the 20-byte hash, as java-tron answers it); the EVM address of the same 20 bytes.
TRON_A1 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TRON_A1_HEX = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"
TRON_A1_AS_EVM = "0xa614f803B6FD780986A42c78Ec9c7f77e6DeD13C"
TRON_A2 = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL"
TRON_A2_HEX = "418840E6C55B9ADA326D211D818C34A994AECED808"
TRON_A1_BAD = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"  # last character changed: the checksum fails
# Base58check of version 0x42 and TRON_A1's 20 bytes: a valid base58check starting with T, not a TRON address.
T_LOOKALIKE = "TpSyGx2w2bR9GdrDrYtrYwbvSPhwSmg7ER"

# BIP-173 / BIP-350 test vectors, then addresses encoded by bitcoinlib (an independent
# implementation) for the networks the BIPs have no vectors for.
SEGWIT_VALID = [
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
    "BC1SW50QGDZ25J",
    "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
    "bc1qc9dlra207wrhsaxc6alp0qnmv564x8sdmnjfp2",
    "tb1pp8h0wm5v4fawyw0wzv4n0yf8wasg2ma9am3qtxnsprpfe35uhxwq8svrr5",
    "bcrt1qc9dlra207wrhsaxc6alp0qnmv564x8sdnushds",
    "bcrt1pp8h0wm5v4fawyw0wzv4n0yf8wasg2ma9am3qtxnsprpfe35uhxwq2fx9kw",
    "ltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdl0gde6",
    "ltc1qp8h0wm5v4fawyw0wzv4n0yf8wasg2ma9am3qtxnsprpfe35uhxwqet54mz",
    "ltc1pp8h0wm5v4fawyw0wzv4n0yf8wasg2ma9am3qtxnsprpfe35uhxwqnu5ur7",
    "tltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdgaty2s",
    "tltc1pp8h0wm5v4fawyw0wzv4n0yf8wasg2ma9am3qtxnsprpfe35uhxwqcnszut",
    "rltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdd3276w",
    "rltc1qp8h0wm5v4fawyw0wzv4n0yf8wasg2ma9am3qtxnsprpfe35uhxwqgavnpl",
    "rltc1pp8h0wm5v4fawyw0wzv4n0yf8wasg2ma9am3qtxnsprpfe35uhxwqz2v6er",
]
SEGWIT_INVALID = [
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # v1 with a bech32 checksum
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",  # v2 with a bech32 checksum
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # v0 with a bech32m checksum
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # v16 with bech32
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",  # v0, program of 33 bytes
    "bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",  # BIP-173's v2 vector: bech32, invalid since BIP-350
    "bc1qc9dlra207wrhsaxc6alp0qnmv564x8sdmnjfp3",  # last character changed
    "bc1qc9dlra207wrhsaxc6alp0qnmv564x8sdMnjfp2",  # mixed case
    "ltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdl0gdd6",  # one data character changed
]
BASE58_VALID = [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  # bitcoin genesis, p2pkh mainnet
    "3KKQV2aTWQevVhu7frv51mp29uakq6x3wB",  # bitcoin p2sh mainnet
    "my9LrYAzmXmoBegJGLDrR4fQsNtkALBc9w",  # bitcoin / litecoin testnet and regtest p2pkh
    "2NAscYmWV7sAGhVXfLzXwdioHNFnvaKidNu",  # bitcoin testnet/regtest p2sh
    "LcrLphPr3AabfLtqiuEmsAWrDbfKRsk9sa",  # litecoin p2pkh mainnet
    "MRXYnuzRTXWMJDB1mjuQqR4RUcBCo8szmr",  # litecoin p2sh mainnet
    "QeENfnNj8yDMqgHhy6ZxiREiWeEkZ578pa",  # litecoin testnet/regtest p2sh
]
BASE58_INVALID = [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  # checksum off by one character
    "LcrLphPr3AabfLtqiuEmsAWrDbfKRsk9sA",
    "Supercalifragilisticexpialidocious",  # 34 base58 characters, not an address
    "MRXYnuzRTXWMJDB1mjuQqR4RUcBCo8sz",  # truncated
]


def claims(text: str, max_claims: int = 10) -> list[tuple[str, str | None, str]]:
    return [(c.tx_hash, c.address, c.family) for c in extract(text, max_claims)]


@pytest.mark.parametrize("address", SEGWIT_VALID + BASE58_VALID)
def test_valid_utxo_addresses_are_paired(address: str) -> None:
    expected = address.lower() if address in SEGWIT_VALID else address  # bech32 is case-insensitive
    assert claims(f"sent to {address}, txid {H1}") == [(H1, expected, "utxo")]


@pytest.mark.parametrize("address", SEGWIT_INVALID + BASE58_INVALID)
def test_lookalike_addresses_are_ignored(address: str) -> None:
    assert claims(f"sent to {address}, txid {H1}") == [(H1, None, None)]


def test_evm_address_checksum() -> None:
    assert claims(f"to {EVM_A1} tx {EVM_H1}") == [(EVM_H1, EVM_A1, "evm")]
    # All one case carries no checksum: accepted, and returned checksummed as deposit_check does.
    assert claims(f"to {EVM_A1.lower()} tx {EVM_H1}") == [(EVM_H1, EVM_A1, "evm")]
    assert claims(f"to 0x{EVM_A1[2:].upper()} tx {EVM_H1}") == [(EVM_H1, EVM_A1, "evm")]
    assert claims(f"to {EVM_A1_BAD} tx {EVM_H1}") == [(EVM_H1, None, "evm")]


def test_english_ticket_with_explorer_link() -> None:
    text = (
        "Hi, I deposited 250 USDT two hours ago and it's still not showing!!\n"
        f"Here: https://etherscan.io/tx/{EVM_H1}?utm_source=wallet#eventlog\n"
        f"I sent it to your address {EVM_A1}. Please help."
    )
    assert claims(text) == [(EVM_H1, EVM_A1, "evm")]


@pytest.mark.parametrize(
    "url",
    [
        f"https://etherscan.io/tx/{EVM_H1}",
        f"https://bscscan.com/tx/{EVM_H1.upper().replace('0X', '0x')}#internal",
        f"https://blockchair.com/ethereum/transaction/{EVM_H1}?from=ticket",
        f"https://blockchair.com/bitcoin/transaction/{H1}",
        f"https://mempool.space/tx/{H1}#vout=1",
        f"https://mempool.space/testnet/tx/{H1}",
        f"https://litecoinspace.org/tx/{H1}",
        f"https://live.blockcypher.com/ltc/tx/{H1}/",
    ],
)
def test_hash_inside_explorer_urls(url: str) -> None:
    found = claims(f"link: {url} thanks")
    assert len(found) == 1 and found[0][0] in (EVM_H1, H1)


@pytest.mark.parametrize(
    "wrap",
    [
        "`{}`",
        "**{}**",
        "({})",
        "[{}]",
        "<{}>",
        '"{}"',
        "'{}'",
        "«{}»",
        "{}.",
        "{},",
        "{}!",
        "{}?",
        ":{};",
        "<code>{}</code>",
        '<a href="https://mempool.space/tx/{}">link</a>',
        "```\n{}\n```",
        "txid={}&x=1",
        "tx_hash:{}",
        "\u200b{}\u200b",
        "хэш:{}—",
        "{}\r\n",
    ],
)
def test_hash_next_to_punctuation_markup_and_quotes(wrap: str) -> None:
    assert claims(wrap.format(H1)) == [(H1, None, None)]
    assert claims(wrap.format(EVM_H1)) == [(EVM_H1, None, "evm")]


def test_russian_ticket_mixed_with_english() -> None:
    text = (
        "Здравствуйте! Пополнил счёт на 0.5 LTC, но баланс не изменился.\n"
        f"Адрес депозита: {SEGWIT_VALID[10]}\n"
        f"Хэш транзакции (txid): {H1.upper()}\n"
        "Кошелёк Trust Wallet, сеть Litecoin. Thanks in advance."
    )
    assert claims(text) == [(H1, SEGWIT_VALID[10], "utxo")]


def test_html_ticket() -> None:
    text = (
        "<div><p>Deposit missing</p><table><tr><td>Tx</td>"
        f"<td><a href='https://etherscan.io/tx/{EVM_H1}'>{EVM_H1}</a></td></tr>"
        f"<tr><td>To</td><td><b>{EVM_A2}</b></td></tr></table></div>"
    )
    assert claims(text) == [(EVM_H1, EVM_A2, "evm")]


def test_runs_longer_or_shorter_than_a_hash_are_nothing() -> None:
    assert claims("a" * 66) == []
    assert claims("0x" + "a" * 66) == []
    assert claims("0x" + "a" * 62) == []
    assert claims("f" * 63) == []
    assert claims("ab" * 64) == []  # a 128-hex blob (a signature, a key) is not two hashes
    assert claims("x" + H1) == []
    assert claims(H1 + "g") == []
    assert claims("0x" + "a" * 64 + "ff") == []


def test_two_addresses_and_two_hashes_pair_by_distance() -> None:
    a1, a2 = SEGWIT_VALID[6], BASE58_VALID[0]
    text = f"first deposit: {H1} to {a1}\n\nsecond one went to {a2}, hash {H2}"
    assert claims(text) == [(H1, a1, "utxo"), (H2, a2, "utxo")]


def test_distance_tie_goes_to_the_preceding_address() -> None:
    a1, a2 = BASE58_VALID[4], BASE58_VALID[5]
    assert claims(f"{a1} {H1} {a2}") == [(H1, a1, "utxo")]
    assert claims(f"{a1} {H1}  {a2}") == [(H1, a1, "utxo")]
    assert claims(f"{a1}  {H1} {a2}") == [(H1, a2, "utxo")]


def test_one_address_of_a_family_goes_to_every_hash_of_it() -> None:
    a = SEGWIT_VALID[10]
    text = f"{H1}\n{'blah ' * 200}\n{H2}\naddress {a} (again: {a})\n{H3}"
    assert claims(text) == [(H1, a, "utxo"), (H2, a, "utxo"), (H3, a, "utxo")]


def test_utxo_and_evm_in_one_ticket_pair_within_their_family() -> None:
    ltc_address = SEGWIT_VALID[10]
    text = (
        f"LTC: {H1} -> {EVM_A1}?? no sorry, the LTC address is {ltc_address}\n"
        f"and USDT on ethereum: {EVM_H1} (from my wallet to {EVM_A1})"
    )
    assert claims(text) == [(H1, ltc_address, "utxo"), (EVM_H1, EVM_A1, "evm")]


def test_hash_without_address_and_address_without_hash() -> None:
    assert claims(f"my tx {EVM_H1}, ltc address {SEGWIT_VALID[10]}") == [(EVM_H1, None, "evm")]
    assert claims(f"I paid to {EVM_A1} and {SEGWIT_VALID[0]} but have no hash") == []


def test_hashes_are_lowercased_deduplicated_and_capped() -> None:
    text = f"{H1.upper()} {H2} {H1} 0x{H1} {EVM_H1.upper().replace('0X', '0x')} {EVM_H1} {H3}"
    assert [c.tx_hash for c in extract(text)] == [H1, H2, EVM_H1, H3]
    assert [c.tx_hash for c in extract(text, max_claims=2)] == [H1, H2]
    assert extract(text, max_claims=0) == []
    many = " ".join(f"{i:064x}" for i in range(1, 50))
    assert len(extract(many)) == 10 and extract(many)[0].tx_hash == f"{1:064x}"


def test_only_the_first_100k_characters_are_read() -> None:
    pad = "." * (MAX_TEXT - 10)
    assert claims(pad + " " + H1) == []
    # A 66-hex run cut by the limit must not leave a 64-hex stub behind that poses as a hash.
    cut = " " * (MAX_TEXT - 64) + "a" * 66
    assert claims(cut) == []
    assert claims(" " * (MAX_TEXT - 64) + H1 + " tail") == [(H1, None, None)]


def test_claim_is_frozen() -> None:
    claim = Claim(H1, None, None)
    with pytest.raises(AttributeError):
        claim.address = "x"  # type: ignore[misc]


# ---------------------------------------------------------------- TRON


def test_a_t_address_is_tron_not_utxo() -> None:
    assert claims(f"USDT TRC20 to {TRON_A1}, txid {H1}") == [(H1, TRON_A1, "tron")]
    assert claims(f"{H2} -> {TRON_A2}") == [(H2, TRON_A2, "tron")]


def test_a_hex_41_address_is_tron_and_shown_in_base58() -> None:
    assert claims(f"to {TRON_A1_HEX} hash {H1}") == [(H1, TRON_A1, "tron")]
    assert claims(f"to {TRON_A2_HEX} hash {H1}") == [(H1, TRON_A2, "tron")]
    # Both forms of one address are one address: it goes to every hash, however far.
    text = f"{H1} paid {TRON_A1}\n{'blah ' * 100}\n{H2} (hex: {TRON_A1_HEX})"
    assert claims(text) == [(H1, TRON_A1, "tron"), (H2, TRON_A1, "tron")]


def test_a_t_address_with_a_bad_checksum_is_no_address() -> None:
    assert claims(f"to {TRON_A1_BAD} tx {H1}") == [(H1, None, None)]
    assert extract_lookups(f"I paid {TRON_A1_BAD} yesterday", NOW) == []


def test_a_t_lookalike_of_another_version_byte_is_not_tron() -> None:
    # Its base58check holds, so it is some coin's address; TRON's version byte is 0x41, this one's 0x42.
    assert claims(f"to {T_LOOKALIKE} tx {H1}") == [(H1, T_LOOKALIKE, "utxo")]


@pytest.mark.parametrize(
    "url",
    [
        f"https://tronscan.org/#/transaction/{H1}",
        f"https://tronscan.io/#/transaction/{H1}",
        f"https://nile.tronscan.org/#/transaction/{H1}",
        f"https://shasta.tronscan.org/#/transaction/{H1}/event-log",
        f"tronscan.org/#/transaction/{H1.upper()}",
        f"<a href='https://tronscan.org/#/transaction/{H1}'>tx</a>",
        f"[tx](https://tronscan.org/#/transaction/{H1})",
    ],
)
def test_a_tronscan_link_gives_a_tron_hash(url: str) -> None:
    # Alone it says TRON; with a Litecoin address in the ticket too, the hash still goes with no UTXO address.
    assert claims(f"my deposit {url} thanks") == [(H1, None, "tron")]
    assert claims(f"my deposit {url}, my LTC address {SEGWIT_VALID[10]}") == [(H1, None, "tron")]
    assert claims(f"{url} sent to {TRON_A2}, LTC one is {SEGWIT_VALID[10]}") == [(H1, TRON_A2, "tron")]


def test_a_hash_named_bare_then_linked_on_tronscan_is_tron() -> None:
    text = f"tx {H1}, ltc {SEGWIT_VALID[10]}; link https://tronscan.org/#/transaction/{H1}"
    assert claims(text) == [(H1, None, "tron")]


def test_a_bare_hash_goes_with_the_nearest_utxo_or_tron_address() -> None:
    ltc = SEGWIT_VALID[10]
    text = f"LTC deposit {H1} to {ltc}\n\nand USDT on TRON: {TRON_A1} hash {H2}"
    assert claims(text) == [(H1, ltc, "utxo"), (H2, TRON_A1, "tron")]
    # A bare hash and one address of either family: that address, whichever family it is.
    assert claims(f"{H1}\n{'x ' * 500}\n{TRON_A2}") == [(H1, TRON_A2, "tron")]
    assert claims(f"{H1}\n{'x ' * 500}\n{ltc}") == [(H1, ltc, "utxo")]


def test_a_bare_hash_without_address_says_no_family() -> None:
    # A UTXO txid or a TRON tx id: only an address (or a Tronscan link) says which.
    assert claims(f"my tx is {H1}") == [(H1, None, None)]


def test_an_evm_hash_does_not_take_a_tron_address() -> None:
    assert claims(f"{EVM_H1} to {TRON_A1}") == [(EVM_H1, None, "evm")]


def test_a_bare_hash_takes_a_lone_evm_address_only_when_no_utxo_or_tron_address_is_named() -> None:
    # The most common mistake: a TRC-20 hash sent with the ERC-20 deposit address. Paired, deposit_check finds the
    # tx on TRON and answers wrong_network; unpaired, nobody would have asked.
    assert claims(f"{H1} to {EVM_A1}") == [(H1, EVM_A1, "evm")]
    assert claims(f"{H1} to {EVM_A1}, yes {EVM_A1}") == [(H1, EVM_A1, "evm")]  # one address, named twice
    assert claims(f"{H1} to {EVM_A1} or {EVM_A2}?") == [(H1, None, None)]  # two: which one is not ours to guess
    assert claims(f"{H1} to {EVM_A1}, my TRON address {TRON_A1}") == [(H1, TRON_A1, "tron")]
    assert claims(f"{EVM_A1} paid, {H1} and {EVM_H1}") == [(H1, EVM_A1, "evm"), (EVM_H1, EVM_A1, "evm")]


def test_the_evm_address_of_a_tron_key_stays_evm() -> None:
    # Same 20 bytes as TRON_A1: each is paired within its own family, neither is turned into the other.
    text = f"ERC20: {EVM_H1} to {TRON_A1_AS_EVM}\nTRC20: {H1} to {TRON_A1}"
    assert claims(text) == [(EVM_H1, TRON_A1_AS_EVM, "evm"), (H1, TRON_A1, "tron")]
    assert claims(f"{H1} to {TRON_A1_AS_EVM}") == [(H1, TRON_A1_AS_EVM, "evm")]  # a lone 0x address: an EVM one


def test_a_t_address_without_a_hash_is_a_tron_lookup() -> None:
    found = extract_lookups(f"I sent 250 USDT to {TRON_A1} an hour ago, nothing arrived", NOW)
    assert [(f.address, f.family, f.expected_amount, f.asset) for f in found] == [(TRON_A1, "tron", "250", "USDT")]
    found = extract_lookups(f"deposit to {TRON_A2_HEX}", NOW)
    assert [(f.address, f.family) for f in found] == [(TRON_A2, "tron")]


# ---------------------------------------------------------------- properties

SEPARATORS = [*" \n\t/?#&=:;,.!()[]{}<>\"'`*_|~-+—«»", "<br>", "</a>", "**", "\u00a0", "хэш"]
hex_hash = st.binary(min_size=32, max_size=32).map(bytes.hex)
any_hash = st.one_of(hex_hash, hex_hash.map(lambda h: "0x" + h), hex_hash.map(str.upper))
separator = st.sampled_from(SEPARATORS)


@given(prefix=st.text(max_size=200), sep1=separator, tx=any_hash, sep2=separator, suffix=st.text(max_size=200))
def test_a_hash_between_separators_is_always_found(prefix: str, sep1: str, tx: str, sep2: str, suffix: str) -> None:
    text = f"{prefix} {sep1}{tx}{sep2} {suffix}"
    expected = "0x" + tx[2:].lower() if tx.lower().startswith("0x") else tx.lower()
    # Only hashes that come before ours could push it past the cap; random text has none.
    assert expected in [c.tx_hash for c in extract(text, max_claims=100)]


fragment = st.one_of(
    st.text(max_size=30),
    separator,
    any_hash,
    st.sampled_from(
        SEGWIT_VALID
        + BASE58_VALID
        + SEGWIT_INVALID
        + BASE58_INVALID
        + [EVM_A1, EVM_A2, EVM_A1_BAD, TRON_A1, TRON_A2, TRON_A1_HEX, TRON_A1_BAD, T_LOOKALIKE]
    ),
    st.text(alphabet="0123456789abcdefABCDEFx", min_size=30, max_size=140),
)
HASH_FORM = re.compile(r"(0x)?[0-9a-f]{64}")


@given(parts=st.lists(fragment, max_size=40), max_claims=st.integers(min_value=-1, max_value=12))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_results_are_always_well_formed(parts: list[str], max_claims: int) -> None:
    text = "".join(parts)
    found = extract(text, max_claims)
    assert len(found) <= max(max_claims, 0)
    bare = [c.tx_hash.removeprefix("0x") for c in found]
    assert len(bare) == len(set(bare))
    lowered = text.lower()
    for c in found:
        assert HASH_FORM.fullmatch(c.tx_hash)
        assert c.tx_hash in lowered
        if c.tx_hash.startswith("0x"):
            assert c.family == "evm"
        else:  # a bare hash goes with a UTXO or a TRON address, a lone 0x one, or none (no Tronscan link here)
            assert c.family in (*BARE_HASH_FAMILIES, "evm", None)
            assert (c.family is None) == (c.address is None)
        if c.address is not None:
            assert c.address.startswith("0x") == (c.family == "evm")
            if c.family == "tron" and c.address.lower() not in lowered:
                assert base58.b58decode_check(c.address).hex() in lowered  # written in hex, shown in base58
            else:
                assert c.address.lower() in lowered
    # A bare hash takes a 0x address only when the text names no UTXO or TRON address: then every bare hash
    # takes that same one, or none.
    bare_evm = {c.address for c in found if not c.tx_hash.startswith("0x") and c.family == "evm"}
    if bare_evm:
        assert len(bare_evm) == 1
        assert all(c.family in ("evm", None) for c in found if not c.tx_hash.startswith("0x"))


@given(st.text(max_size=2000))
def test_never_crashes_on_arbitrary_text(text: str) -> None:
    assert isinstance(extract(text), list)


ADVERSARIAL = {
    "one long hex run": "a" * 300_000,
    "near-hash runs": ("f" * 65 + " ") * 2000,
    "many hashes": " ".join(f"{i:064x}" for i in range(1600)),
    "bech32 lookalikes at the length cap": ("bc1" + "q" * 87 + " ") * 1200,
    "base58 lookalikes": ("1" + "A" * 33 + " ") * 3000,
    "mixed-case evm lookalikes": ("0x" + "aB" * 20 + " ") * 2500,
    "valid addresses and hashes": " ".join([EVM_A1, EVM_H1, SEGWIT_VALID[0], H1, BASE58_VALID[0]] * 600),
    "tron addresses, hex and base58": " ".join([TRON_A1, TRON_A1_HEX, TRON_A1_BAD, H1] * 700),
    "tronscan links": f"https://tronscan.org/#/transaction/{H1} " * 1000,
    "separators only": "/?#<>`*" * 20_000,
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_runtime_stays_small_on_100k_of_adversarial_input(name: str) -> None:
    text = ADVERSARIAL[name]
    started = time.perf_counter()
    extract(text, max_claims=10_000)
    assert time.perf_counter() - started < 1.0  # typically well under 0.1 s


@given(unit=st.text(min_size=1, max_size=70))
@settings(deadline=None, max_examples=30)
def test_runtime_stays_small_on_any_repeated_pattern(unit: str) -> None:
    text = (unit * (MAX_TEXT // len(unit) + 1))[: MAX_TEXT + 5000]
    started = time.perf_counter()
    extract(text)
    assert time.perf_counter() - started < 1.0
