"""The quorum rules (pure): several endpoints' views of a tx -> disputed, held at confirming, or confirmed."""

from datetime import UTC, datetime

import pytest

from deposit_check.chains.quorum import combine
from deposit_check.models import Asset, BlockRef, EndpointView, Observation, Payment, Status
from deposit_check.schemas import CheckResponse
from deposit_check.verdict import decide, status_of

LTC = Asset("LTC", 8)
PAID = (Payment(LTC, 5),)
X = BlockRef(105, "aa" * 32)
Y = BlockRef(105, "bb" * 32)
A, B = "http://127.0.0.1:1", "http://127.0.0.1:2"


def seen(block: BlockRef | None, tip: int, found: bool = True, **kw: object) -> Observation:
    return Observation(
        chain="litecoin", tx_hash="ab" * 32, found=found, tip=tip, block=block, payments=PAID if found else (), **kw
    )  # type: ignore[arg-type]


def combined(*views: Observation, quorum: int = 2) -> Observation:
    labels = [A, B, "http://127.0.0.1:3"][: len(views)]
    [one] = combine([(label, [o]) for label, o in zip(labels, views, strict=True)], quorum)
    return one


@pytest.mark.parametrize(
    ("views", "expected"),
    [
        # Same block, enough confirmations on both: confirmed.
        ((seen(X, 110), seen(X, 110)), Status.CONFIRMED),
        ((seen(X, 111), seen(X, 110)), Status.CONFIRMED),
        # Same block, one short of 6: confirming (the cautious view is shown).
        ((seen(X, 110), seen(X, 109)), Status.CONFIRMING),
        # Different blocks: a fork.
        ((seen(X, 110), seen(Y, 110)), Status.DISPUTED),
        # In a block on one; the other reached that height without it (mempool or unknown there).
        ((seen(X, 110), seen(None, 105)), Status.DISPUTED),
        ((seen(X, 110), seen(None, 120, found=False)), Status.DISPUTED),
        ((seen(None, 105, found=False), seen(X, 105)), Status.DISPUTED),
        # The other lags below the block: no contradiction, and no agreement either.
        ((seen(X, 110), seen(None, 104)), Status.CONFIRMING),
        ((seen(X, 105), seen(None, 104, found=False)), Status.CONFIRMING),
        # Neither has it in a block: the mempool is no contradiction.
        ((seen(None, 110), seen(None, 110, found=False)), Status.PENDING),
        ((seen(None, 110, found=False), seen(None, 111, found=False)), Status.NOT_FOUND),
        # Only one endpoint answered: never confirmed.
        ((seen(X, 120),), Status.CONFIRMING),
        # A fork where one side reverted: disputed before failed.
        ((seen(X, 110, reverted=True), seen(Y, 110)), Status.DISPUTED),
    ],
)
def test_quorum_rules(views: tuple[Observation, ...], expected: Status) -> None:
    assert status_of(combined(*views), 6) is expected


def test_three_endpoints_quorum_two() -> None:
    assert status_of(combined(seen(X, 110), seen(None, 100), seen(X, 110)), 6) is Status.CONFIRMED
    assert status_of(combined(seen(X, 110), seen(X, 110), seen(Y, 110)), 6) is Status.DISPUTED


def test_without_quorum_views_are_ignored() -> None:
    one = seen(X, 110)
    assert status_of(one, 6) is Status.CONFIRMED
    assert combined(one, quorum=1).quorum == 1


def test_combine_shows_the_most_cautious_view() -> None:
    one = combined(seen(X, 112), seen(X, 110))
    assert one.confirmations == 6 and one.tip == 110
    assert one.views == (EndpointView(A, True, X, 112), EndpointView(B, True, X, 110))
    assert combined(seen(None, 110, found=False), seen(None, 110)).found


def test_a_newer_tip_alone_does_not_make_a_held_deposit_confirmed() -> None:
    """The watcher moves `tip` forward from one node's head: the views still decide."""
    held = combined(seen(X, 110), seen(None, 104))
    later = Observation(**{**held.__dict__, "tip": 200})
    assert status_of(later, 6) is Status.CONFIRMING


def test_response_of_a_dispute_names_each_endpoint_and_nothing_final() -> None:
    verdict = decide(combined(seen(X, 110), seen(None, 110, found=False)), address="rltc1q", required=6, native=LTC)
    assert verdict.status is Status.DISPUTED and not verdict.final and verdict.received is None
    body = CheckResponse.from_verdict(verdict, ["litecoin"], datetime.now(UTC)).model_dump(mode="json")
    assert body["dispute"] == {
        "endpoints": [
            {"endpoint": A, "found": True, "block_height": 105, "block_hash": X.hash, "confirmations": 6, "tip": 110},
            {"endpoint": B, "found": False, "block_height": None, "block_hash": None, "confirmations": 0, "tip": 110},
        ]
    }
    assert "disagree" in body["note"] and "disagree" in body["summary"]


def test_response_of_a_deposit_held_for_the_quorum() -> None:
    verdict = decide(combined(seen(X, 120)), address="rltc1q", required=6, native=LTC)
    assert verdict.status is Status.CONFIRMING and verdict.awaiting_quorum and not verdict.final
    body = CheckResponse.from_verdict(verdict, ["litecoin"], datetime.now(UTC)).model_dump(mode="json")
    assert body["dispute"] is None and body["confirmations"] == 16 and body["awaiting_quorum"] is True
    assert body["note"] == (
        "Held at confirming: 2 nodes must see 6 confirmations in the same block, 1 of the 1 that answered do."
    )
    assert "once our other nodes confirm it too" in body["summary"]


def test_no_note_without_quorum() -> None:
    verdict = decide(seen(X, 110), address="rltc1q", required=6, native=LTC)
    body = CheckResponse.from_verdict(verdict, ["litecoin"], datetime.now(UTC)).model_dump(mode="json")
    assert (
        body["status"] == "confirmed"
        and body["note"] is None
        and body["dispute"] is None
        and body["awaiting_quorum"] is False
    )
