from datetime import UTC, datetime
from decimal import Decimal

from deposit_check.models import Asset, BlockRef, Observation, Payment
from deposit_check.ownership import Owner
from deposit_check.summary import format_amount, short_hash, summarize
from deposit_check.verdict import Expectation, decide, not_found

LTC = Asset("LTC", 8)


def test_format_amount_is_plain_decimal() -> None:
    assert format_amount(Decimal("1.50000000")) == "1.5"
    assert format_amount(Decimal("100")) == "100"
    assert format_amount(Decimal("1E+2")) == "100"
    assert format_amount(Decimal("0.00000001")) == "0.00000001"
    assert format_amount(Decimal("0")) == "0"


def test_short_hash_keeps_prefix() -> None:
    assert short_hash("0x" + "a" * 58 + "123456") == "0xaaaaaaaa…123456"
    assert short_hash("b" * 58 + "654321") == "bbbbbbbb…654321"


def test_sentences_say_status_amount_and_shortfall() -> None:
    o = Observation(
        chain="litecoin",
        tx_hash="ab" * 32,
        found=True,
        tip=102,
        block=BlockRef(100, "cd" * 32),
        block_time=datetime(2026, 1, 1, tzinfo=UTC),
        payments=(Payment(LTC, 50_000_000),),
    )
    v = decide(o, address="rltc1q", required=6, native=LTC, expectation=Expectation(amount=Decimal("0.6")))
    text = summarize(v)
    assert "0.5 LTC" in text and "3 of 6" in text and "0.1 LTC less than the expected 0.6" in text
    assert "cannot find" in summarize(not_found("ab" * 32, "rltc1q", "litecoin", 6))


def _mined(*payments: Payment) -> Observation:
    return Observation("ethereum", "0x" + "ab" * 32, True, 110, BlockRef(100, "cd" * 32), None, payments)


ETH = Asset("ETH", 18)
USDT = Asset("USDT", 6, "0x" + "11" * 20)


def test_not_ours_and_wrong_asset_never_say_confirmed() -> None:
    paid = _mined(Payment(ETH, 1))
    theirs = decide(paid, address="0xAb", required=6, native=ETH, owner=Owner(declared=True, ours=False))
    wrong = decide(paid, address="0xAb", required=6, native=ETH, expectation=Expectation(USDT, Decimal("250")))
    assert "not one of our deposit addresses" in summarize(theirs) and "cannot be credited" in summarize(theirs)
    assert summarize(wrong).endswith(
        "sent 0.000000000000000001 ETH to the deposit address, but no USDT, so it cannot be credited as this deposit."
    )
    for text in (summarize(theirs), summarize(wrong)):
        assert "confirmed" not in text.lower() and "Your deposit" not in text


def test_unknown_ownership_is_said_where_the_verdict_confirms() -> None:
    paid = _mined(Payment(ETH, 10**18))
    unverified = "We have not verified that this address is one of ours."
    assert summarize(decide(paid, address="0xAb", required=6, native=ETH)).endswith(unverified)
    assert summarize(decide(paid, address="0xAb", required=20, native=ETH)).endswith(unverified)  # confirming
    ours = decide(paid, address="0xAb", required=6, native=ETH, owner=Owner(declared=True, ours=True, account="a"))
    assert summarize(ours) == "Your deposit of 1 ETH is confirmed on ethereum."
