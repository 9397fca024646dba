from datetime import UTC, datetime
from decimal import Decimal

import pytest

from deposit_check.models import AmountStatus, Asset, BlockRef, EndpointView, Observation, Payment, Status
from deposit_check.ownership import Owner
from deposit_check.verdict import (
    FINAL_AT_ONCE,
    SETTLED,
    WATCHABLE,
    AddressOwner,
    Expectation,
    agreeing,
    decide,
    is_final,
    not_found,
    status_of,
    vanished,
)

LTC = Asset("LTC", 8)
USDT = Asset("USDT", 6, "0x" + "11" * 20)
ETH = Asset("ETH", 18)
T0 = datetime(2026, 11, 24, tzinfo=UTC)


def obs(**kw: object) -> Observation:
    base: dict[str, object] = dict(chain="litecoin", tx_hash="ab" * 32, found=True, tip=110)
    base.update(kw)
    return Observation(**base)  # type: ignore[arg-type]


def mined(height: int, *payments: Payment, tip: int = 110, **kw: object) -> Observation:
    return obs(block=BlockRef(height, "cd" * 32), block_time=T0, payments=payments, tip=tip, **kw)


@pytest.mark.parametrize(
    ("observation", "expected"),
    [
        (obs(found=False), Status.NOT_FOUND),
        (obs(payments=(Payment(LTC, 5),)), Status.PENDING),
        (obs(payments=()), Status.WRONG_ADDRESS),
        (mined(110, Payment(LTC, 5)), Status.CONFIRMING),  # 1 of 6
        (mined(106, Payment(LTC, 5)), Status.CONFIRMING),  # 5 of 6
        (mined(105, Payment(LTC, 5)), Status.CONFIRMED),  # 6 of 6
        (mined(100), Status.WRONG_ADDRESS),
        (mined(100, reverted=True), Status.FAILED),
    ],
)
def test_status_rules(observation: Observation, expected: Status) -> None:
    assert status_of(observation, 6) is expected


def test_confirmations_count_the_tip_block() -> None:
    assert mined(110).confirmations == 1
    assert mined(105).confirmations == 6
    assert obs().confirmations == 0


def test_confirmed_needs_required_confirmations_exactly() -> None:
    v5 = decide(mined(106, Payment(LTC, 1)), address="a", required=6, native=LTC)
    v6 = decide(mined(105, Payment(LTC, 1)), address="a", required=6, native=LTC)
    assert (v5.status, v5.final) == (Status.CONFIRMING, False)
    assert (v6.status, v6.final) == (Status.CONFIRMED, True)


def test_amount_sums_payments_of_the_asset_and_compares_exactly() -> None:
    o = mined(100, Payment(LTC, 10_000_000), Payment(LTC, 2_345_678))
    exact = decide(o, address="a", required=6, native=LTC, expectation=Expectation(amount=Decimal("0.12345678")))
    under = decide(o, address="a", required=6, native=LTC, expectation=Expectation(amount=Decimal("0.2")))
    over = decide(o, address="a", required=6, native=LTC, expectation=Expectation(amount=Decimal("0.1")))
    assert exact.received == Decimal("0.12345678")
    assert (exact.amount_status, under.amount_status, over.amount_status) == (
        AmountStatus.EXACT,
        AmountStatus.UNDER,
        AmountStatus.OVER,
    )


def test_amount_of_the_asked_asset_only() -> None:
    o = mined(100, Payment(ETH, 10**18), Payment(USDT, 250_000_000), tip=200)
    usdt = decide(o, address="a", required=12, native=ETH, expectation=Expectation(USDT, Decimal("250")))
    assert (usdt.asset, usdt.received, usdt.amount_status) == (USDT, Decimal("250"), AmountStatus.EXACT)
    # No asset named and two paid: the amount is about the native coin.
    auto = decide(o, address="a", required=12, native=ETH)
    assert (auto.asset, auto.received) == (ETH, Decimal(1))


def test_a_single_paid_token_is_the_asset_when_none_is_named() -> None:
    v = decide(mined(100, Payment(USDT, 1_500_000), tip=200), address="a", required=12, native=ETH)
    assert (v.asset, v.received) == (USDT, Decimal("1.5"))


def test_no_amount_status_when_nothing_reached_the_address() -> None:
    for o in (mined(100, reverted=True), mined(100), obs(found=False)):
        v = decide(o, address="a", required=6, native=LTC, expectation=Expectation(amount=Decimal(1)))
        assert v.amount_status is None and v.received is None


def test_wrong_network_names_where_it_was_found() -> None:
    o = mined(100, Payment(ETH, 1), tip=200).__class__(
        chain="bsc",
        tx_hash="0x" + "ab" * 32,
        found=True,
        tip=200,
        block=BlockRef(100, "x"),
        payments=(Payment(ETH, 1),),
    )
    v = decide(o, address="a", required=12, native=ETH, asked_chain="ethereum")
    assert (v.status, v.chain, v.found_on) == (Status.WRONG_NETWORK, "ethereum", "bsc")


def test_final_only_when_deep_enough() -> None:
    assert not decide(obs(payments=(Payment(LTC, 1),)), address="a", required=1, native=LTC).final
    assert not decide(mined(110), address="a", required=6, native=LTC).final  # wrong address, 1 conf
    assert decide(mined(100), address="a", required=6, native=LTC).final
    assert not not_found("h", "a", "litecoin", 6).final


# -- replaced: the watcher tells, the verdict decides ------------------------------------------


def test_replaced_wins_over_whatever_the_last_observation_said() -> None:
    other = "cd" * 32
    for o in (obs(payments=(Payment(LTC, 5),)), obs(found=False), mined(110, Payment(LTC, 5)), mined(100)):
        v = decide(o, address="a", required=6, native=LTC, replaced_by=other)
        assert (v.status, v.replaced_by, v.final) == (Status.REPLACED, other, True)


def test_replaced_keeps_what_the_replaced_tx_would_have_paid() -> None:
    """As before the rule moved here: the amounts of the last observation, so the agent knows what to look for."""
    o = obs(payments=(Payment(LTC, 50_000_000),))
    v = decide(o, address="a", required=6, native=LTC, expectation=Expectation(amount=Decimal("0.5")), replaced_by="x")
    assert (v.status, v.received, v.amount_status, v.confirmations) == (
        Status.REPLACED,
        Decimal("0.5"),
        AmountStatus.EXACT,
        0,
    )


def test_no_replacement_no_replaced_by() -> None:
    for replaced_by in (None, ""):
        v = decide(obs(payments=(Payment(LTC, 5),)), address="a", required=6, native=LTC, replaced_by=replaced_by)
        assert (v.status, v.replaced_by) == (Status.PENDING, None)


# -- the status sets and predicates the watcher, the API and the summary ask -------------------


@pytest.mark.parametrize("status", list(Status))
def test_final_is_settled_and_deep_enough_or_final_at_once(status: Status) -> None:
    deep, shallow = is_final(status, 6, 6), is_final(status, 5, 6)
    assert deep == (status in SETTLED or status in FINAL_AT_ONCE)
    assert shallow == (status in FINAL_AT_ONCE)


def test_final_at_once_is_what_no_block_can_change() -> None:
    # Replaced (the replacement was seen mined), not ours (whatever the tx does), wrong asset (what a tx pays is
    # fixed when it is signed): final in the mempool too, and never watched.
    assert {Status.REPLACED, Status.NOT_OUR_ADDRESS, Status.WRONG_ASSET} == FINAL_AT_ONCE
    assert not FINAL_AT_ONCE & (WATCHABLE | SETTLED)


def test_settled_and_watchable() -> None:
    assert {Status.CONFIRMED, Status.FAILED, Status.WRONG_ADDRESS, Status.WRONG_NETWORK} == SETTLED
    # Confirmed stays watched (reorgs); nothing else that can be final is, nor what is unknown or replaced.
    assert {Status.CONFIRMED} == WATCHABLE & SETTLED
    assert not WATCHABLE & {Status.REPLACED, Status.UNAVAILABLE}
    assert {Status.NOT_FOUND, Status.PENDING, Status.CONFIRMING, Status.DISPUTED} <= WATCHABLE


def test_vanished_only_from_pending() -> None:
    gone, there = obs(found=False), obs(payments=(Payment(LTC, 5),))
    assert vanished(Status.PENDING, gone)
    assert not vanished(Status.PENDING, there)
    for status in set(Status) - {Status.PENDING}:
        assert not vanished(status, gone)


def test_agreeing_counts_endpoints_in_the_same_block_deep_enough() -> None:
    x, y = BlockRef(105, "aa" * 32), BlockRef(105, "bb" * 32)
    views = (
        EndpointView("http://a", True, x, 110),  # 6 confirmations
        EndpointView("http://b", True, x, 109),  # 5
        EndpointView("http://c", True, y, 120),  # another block
        EndpointView("http://d", False, None, 120),
    )
    assert (agreeing(x, views, 6), agreeing(x, views, 5), agreeing(y, views, 1), agreeing(None, views, 1)) == (
        1,
        2,
        1,
        0,
    )


# -- ownership and the asked asset (issue 11) -------------------------------------------------

OURS = Owner(declared=True, ours=True, account="acct-7")
NOT_OURS = Owner(declared=True, ours=False)


def test_one_wei_of_eth_where_usdt_was_asked_is_wrong_asset_never_confirmed_with_0() -> None:
    o = mined(100, Payment(ETH, 1), chain="ethereum")
    v = decide(o, address="a", required=6, native=ETH, expectation=Expectation(USDT, Decimal("250")))
    assert (v.status, v.final, v.received, v.amount_status) == (Status.WRONG_ASSET, True, None, None)
    assert v.payments == (Payment(ETH, 1),) and v.asset == USDT
    pending = decide(
        obs(payments=(Payment(ETH, 1),)), address="a", required=6, native=ETH, expectation=Expectation(USDT)
    )
    assert (pending.status, pending.final) == (Status.WRONG_ASSET, True)  # in the mempool too


def test_usdt_where_eth_was_asked_is_wrong_asset_and_a_transfer_of_0_pays_nothing() -> None:
    v = decide(mined(100, Payment(USDT, 5)), address="a", required=6, native=ETH, expectation=Expectation(ETH))
    assert v.status is Status.WRONG_ASSET
    zero = decide(mined(100, Payment(USDT, 0)), address="a", required=6, native=ETH, expectation=Expectation(USDT))
    assert zero.status is Status.WRONG_ADDRESS
    # No asset asked, several paid without the native coin: the amount is about one that was paid, never 0 ETH.
    both = decide(mined(100, Payment(USDT, 0), Payment(USDT, 5)), address="a", required=6, native=ETH)
    assert (both.status, both.asset, both.received) == (Status.CONFIRMED, USDT, Decimal("0.000005"))


@pytest.mark.parametrize(
    ("observation", "expected"),
    [
        (obs(found=False), Status.NOT_FOUND),  # not found stands above not ours
        (mined(100, reverted=True), Status.NOT_OUR_ADDRESS),
        (mined(100), Status.NOT_OUR_ADDRESS),
        (mined(100, Payment(LTC, 5)), Status.NOT_OUR_ADDRESS),
        (obs(payments=(Payment(LTC, 5),)), Status.NOT_OUR_ADDRESS),
    ],
)
def test_not_our_address_comes_right_after_found_on_the_asked_network(
    observation: Observation, expected: Status
) -> None:
    assert status_of(observation, 6, owner=NOT_OURS) is expected
    assert status_of(observation, 6, on_asked_chain=False, owner=NOT_OURS) in (Status.NOT_FOUND, Status.WRONG_NETWORK)


def test_address_owner_and_account() -> None:
    o = mined(100, Payment(LTC, 5))
    ours = decide(o, address="a", required=6, native=LTC, owner=OURS)
    assert (ours.status, ours.address_owner, ours.account) == (Status.CONFIRMED, AddressOwner.CASINO, "acct-7")
    theirs = decide(o, address="a", required=6, native=LTC, owner=NOT_OURS)
    assert (theirs.status, theirs.address_owner, theirs.account, theirs.final) == (
        Status.NOT_OUR_ADDRESS,
        AddressOwner.NOT_CASINO,
        None,
        True,
    )
    assert theirs.payments == o.payments and theirs.received is None  # what the tx paid is still shown
    plain = decide(o, address="a", required=6, native=LTC)
    assert (plain.status, plain.address_owner, plain.account) == (Status.CONFIRMED, AddressOwner.UNKNOWN, None)
    # An account can only come with the casino's own address, whatever the index handed over.
    assert decide(o, address="a", required=6, native=LTC, owner=Owner(True, False, "x")).account is None
    assert not_found("h", "a", "litecoin", 6, owner=OURS).account == "acct-7"
