"""TRON's rules in verdict.py: confirmed needs the block solidified as well as deep; a failure carries its reason."""

from datetime import UTC, datetime

from deposit_check.models import Asset, BlockRef, Observation, Payment, Status
from deposit_check.schemas import CheckResponse
from deposit_check.verdict import decide, decided_at_depth, status_of
from deposit_check.watch.state import observation_from_dict, observation_to_dict

TRX = Asset("TRX", 6)
USDT = Asset("USDT", 6, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def mined(height: int, tip: int, solidified: int, **kw: object) -> Observation:
    base: dict[str, object] = dict(
        chain="tron",
        tx_hash="ab" * 32,
        found=True,
        tip=tip,
        block=BlockRef(height, "00" * 32),
        block_time=datetime(2026, 11, 30, tzinfo=UTC),
        payments=(Payment(USDT, 250_000_000),),
        solidified=solidified,
    )
    base.update(kw)
    return Observation(**base)  # type: ignore[arg-type]


def test_confirmed_needs_both_the_count_and_solidification() -> None:
    assert status_of(mined(100, tip=118, solidified=100), 19) is Status.CONFIRMED  # 19 deep, solidified
    assert status_of(mined(100, tip=117, solidified=100), 19) is Status.CONFIRMING  # solidified, 18 deep
    assert status_of(mined(100, tip=130, solidified=99), 19) is Status.CONFIRMING  # 31 deep, not solidified
    assert status_of(mined(100, tip=130, solidified=None), 19) is Status.CONFIRMED  # other chains: the count


def test_held_for_solidification_says_so() -> None:
    v = decide(mined(100, tip=130, solidified=99), address=ADDRESS, required=19, native=TRX)
    assert (v.status, v.confirmations, v.awaiting_solidification, v.final) == (Status.CONFIRMING, 31, True, False)
    response = CheckResponse.from_verdict(v, ["tron"], datetime.now(UTC))
    assert (
        response.awaiting_solidification and "solidified" in response.summary and "solidified" in (response.note or "")
    )
    early = decide(mined(100, tip=105, solidified=90), address=ADDRESS, required=19, native=TRX)
    assert (early.status, early.confirmations, early.awaiting_solidification) == (Status.CONFIRMING, 6, False)
    assert "6 of 19 confirmations" in CheckResponse.from_verdict(early, ["tron"], datetime.now(UTC)).summary


def test_a_failed_tx_names_its_reason_and_credits_nothing() -> None:
    o = mined(100, tip=200, solidified=180, payments=(), reverted=True, failure="OUT_OF_ENERGY")
    v = decide(o, address=ADDRESS, required=19, native=TRX)
    assert (v.status, v.failure_reason, v.received, v.final) == (Status.FAILED, "OUT_OF_ENERGY", None, True)
    response = CheckResponse.from_verdict(v, ["tron"], datetime.now(UTC))
    assert response.failure_reason == "OUT_OF_ENERGY" and "(OUT_OF_ENERGY)" in response.summary
    paid = decide(mined(100, tip=200, solidified=180), address=ADDRESS, required=19, native=TRX)
    assert paid.failure_reason is None  # only with failed


def test_the_watcher_asks_again_at_depth_rather_than_trusting_a_height() -> None:
    assert not decided_at_depth(mined(100, tip=118, solidified=99))
    assert decided_at_depth(mined(100, tip=118, solidified=None))


def test_solidified_and_failure_survive_a_watch_record() -> None:
    o = mined(100, tip=130, solidified=99, reverted=True, failure="REVERT")
    assert observation_from_dict(observation_to_dict(o)) == o
    plain = mined(100, tip=130, solidified=None)
    assert "solidified" not in observation_to_dict(plain)  # other chains' records stay as they were
