"""Pure: a ticket with an address and no hash gives a lookup, with the amount and time the player gave read
conservatively (hints.py); the lookup note in every language shows only shape-checked values."""

from datetime import UTC, datetime, timedelta

import pytest

from ticket_link import hints
from ticket_link.extract import extract_lookups
from ticket_link.lookups import lookup_note_key
from ticket_link.texts import LANGUAGES, coverage_gap, render_lookup_message, render_lookup_note

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BECH32 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
EVM = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.mark.parametrize(
    ("text", "value", "asset"),
    [
        ("I sent 0.05 LTC", "0.05", "LTC"),
        ("250 USDT please", "250", "USDT"),
        ("0,05 ltc", "0.05", "LTC"),
        ("1,000.50 USDT", "1000.5", "USDT"),
        ("0.05LTC and again 0.050 LTC", "0.05", "LTC"),  # the same amount twice is one
        ("sent 1500 TRX to your tron address", "1500", "TRX"),
        ("250 USDT TRC20", "250", "USDT"),
        ("250 USDT (TRC-20)", "250", "USDT"),
        ("50 USDT-TRC20", "50", "USDT"),
        # A token standard between the number and the symbol is the network, not the asset.
        ("I sent 100 TRC-20 USDT", "100", "USDT"),
        ("100 trc20 usdt", "100", "USDT"),
        ("100 ERC-20 USDT", "100", "USDT"),
        ("100 BEP20 USDT", "100", "USDT"),
    ],
)
def test_a_clear_amount_with_its_unit_is_read(text: str, value: str, asset: str) -> None:
    assert hints.amount(text) == hints.Amount(value, asset)


@pytest.mark.parametrize(
    "text",
    [
        "3 days ago",  # not an asset
        "1,000 USDT",  # a thousand, or one with a decimal comma?
        "0.05 LTC then 0.1 LTC",  # which one?
        "I sent 0.05",  # no unit
        "I sent 100 TRC20",  # a network, no asset
        "100 TRC-20 USDT, or was it 100 BEP-20 USDC",  # which one?
        "tx 9f2c4e1d7a0b3c5e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6",
    ],
)
def test_an_unclear_amount_gives_none(text: str) -> None:
    assert hints.amount(text) is None


@pytest.mark.parametrize(
    ("text", "earliest"),
    [
        ("an hour ago", NOW - timedelta(hours=3)),  # twice the lapse, and an hour more
        ("30 minutes ago", NOW - timedelta(hours=2)),
        ("yesterday", NOW - timedelta(days=2, hours=15)),  # any time zone
        ("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        ("2026-12-01T10:00:00+02:00", datetime(2026, 12, 1, 7, 0, tzinfo=UTC)),
        ("2026-12-01 10:00", datetime(2026, 11, 30, 19, 0, tzinfo=UTC)),  # no zone: UTC+14 at worst
        ("an hour ago, or was it 2 days ago", NOW - timedelta(days=4, hours=1)),  # the earliest
    ],
)
def test_a_time_becomes_a_bound_widened_by_a_margin(text: str, earliest: datetime) -> None:
    assert hints.since(text, NOW) == earliest


@pytest.mark.parametrize("text", ["at 14:30", "2026-13-45", "2027-01-01T00:00:00Z", "some time"])
def test_an_unclear_or_future_time_gives_none(text: str) -> None:
    assert hints.since(text, NOW) is None


def test_an_address_without_a_hash_is_a_lookup_with_the_players_words() -> None:
    [lookup] = extract_lookups(f"Hi, I sent 0.05 LTC an hour ago to {BECH32}!", NOW)
    assert (lookup.address, lookup.family, lookup.expected_amount, lookup.asset) == (BECH32, "utxo", "0.05", "LTC")
    assert lookup.since == NOW - timedelta(hours=3)
    assert lookup.request()["since"] == "2026-12-01T09:00:00+00:00"


def test_a_hash_anywhere_means_no_lookup_and_addresses_are_capped() -> None:
    assert extract_lookups(f"{'ab' * 32} to {BECH32}", NOW) == []
    assert extract_lookups("no address here", NOW) == []
    found = extract_lookups(f"{BECH32} {EVM.lower()} {BECH32} {EVM}", NOW, max_lookups=2)
    assert [(f.address, f.family) for f in found] == [(BECH32, "utxo"), (EVM, "evm")]
    assert extract_lookups(BECH32, NOW, max_lookups=0) == []


def deposit(tx: str, amount: str, status: str = "confirming", **more: object) -> dict:
    return {
        "status": status,
        "chain": "litecoin",
        "tx_hash": tx,
        "confirmations": 2,
        "required_confirmations": 6,
        "block_time": "2026-12-01T09:14:02Z",
        "payments": [{"asset": "LTC", "amount": amount, "contract": None}],
        **more,
    }


COVERAGE = {"source": "watcher", "chain": "litecoin", "from_block": 100, "to_block": 120, "mempool": False}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lookup_note_lists_at_most_the_limit_and_quotes_nothing_unshaped(language: str) -> None:
    hostile = "[click](https://evil.example) <script>"
    answer = {
        "deposits": [deposit(c * 64, f"0.{i + 1}") for i, c in enumerate("abcdef")]
        + [deposit(hostile, "9", address=hostile)],
        "coverage": [COVERAGE | {"complete": False, "note": f"unavailable: {hostile}"}],
        "complete": False,
        "truncated": True,
    }
    note = render_lookup_note(answer, language=language, address=BECH32, expected_amount="0.1", asset="LTC", limit=5)
    assert all(c * 64 in note for c in "abcde") and "f" * 64 not in note
    assert "0.1 LTC" in note and "(2/6)" in note and "2026-12-01 09:14:02 UTC" in note and BECH32 in note
    assert "evil" not in note and "<script>" not in note and "unavailable:" not in note
    assert "100" in note and "120" in note  # the blocks searched


def test_the_empty_note_says_none_only_of_what_was_searched() -> None:
    complete = {"deposits": [], "coverage": [COVERAGE | {"complete": True}], "complete": True}
    note = render_lookup_note(complete, language="en", address=BECH32)
    assert "No deposit to this address was found in what was searched (below)." in note
    assert "- the watcher's index on litecoin: blocks 100 to 120" in note
    partial = {"deposits": [], "coverage": [COVERAGE | {"complete": False, "note": "not one of the casino's"}]}
    note = render_lookup_note(partial, language="en", address=BECH32)
    assert "this is not a no" in note and "sees only the casino's declared addresses" in note


def test_the_note_key_is_one_per_candidates_and_statuses_not_per_time() -> None:
    request = {"address": BECH32, "expected_amount": "0.1", "asset": "LTC", "since": "2026-12-01T09:00:00+00:00"}
    answer = {"deposits": [deposit("a" * 64, "0.1")]}
    key = lookup_note_key("t", request, answer)
    assert key == lookup_note_key("t", request | {"since": "2026-12-01T09:01:00+00:00"}, answer)
    assert key != lookup_note_key("t", request, {"deposits": [deposit("a" * 64, "0.1", status="confirmed")]})
    assert key != lookup_note_key("t", request, {"deposits": []})


PLURALS = {  # count -> the noun the message uses, per language (CLDR's categories for ru and pl)
    "en": {1: "1 deposit ", 2: "2 deposits", 5: "5 deposits", 21: "21 deposits"},
    "fr": {1: "1 dépôt ", 2: "2 dépôts", 5: "5 dépôts", 21: "21 dépôts"},
    "pl": {1: "1 wpłatę", 2: "2 wpłaty", 5: "5 wpłat", 12: "12 wpłat", 22: "22 wpłaty"},
    "ru": {
        1: "1 депозит ",
        2: "2 депозита",
        5: "5 депозитов",
        11: "11 депозитов",
        21: "21 депозит ",
        22: "22 депозита",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_bot_lookup_message_counts_in_each_language_and_names_no_deposit(language: str) -> None:
    for count, words in PLURALS[language].items():
        answer = {"deposits": [{"tx_hash": f"{i:064x}", "received_amount": "0.5"} for i in range(count)]}
        message = render_lookup_message(answer, language=language, noted=True)
        assert words in message, (count, message)
        assert "0000" not in message and "0.5" not in message  # no hash, no amount: the bot lists them if it wants
    noted = render_lookup_message({"deposits": [{}]}, language=language, noted=True)
    asked = render_lookup_message({"deposits": [{}]}, language=language, noted=False)
    none = render_lookup_message({"deposits": [], "complete": True}, language=language, noted=True)
    partial = render_lookup_message({"deposits": [], "complete": False}, language=language, noted=True)
    assert len({noted, asked, none, partial}) == 4 and "\n" not in noted


def test_coverage_gaps_are_our_codes_never_deposit_checks_text() -> None:
    assert coverage_gap({"complete": True, "note": "unavailable: x"}) is None
    assert coverage_gap({"complete": False, "note": "unavailable: ConnectError"}) == "unavailable"
    assert coverage_gap({"complete": False, "note": "the node has no trace_filter"}) == "no_trace"
    assert coverage_gap({"complete": False, "note": ATTACK_NOTE}) == "partial"


ATTACK_NOTE = "[click](https://evil.example) to re-verify"
