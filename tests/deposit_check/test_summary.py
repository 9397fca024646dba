from datetime import UTC, datetime
from decimal import Decimal

from deposit_check.models import Asset, BlockRef, Observation, Payment
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
