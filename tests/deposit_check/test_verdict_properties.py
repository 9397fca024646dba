"""Properties of `verdict.decide` over generated observations (single-endpoint chains; the quorum
rules have their own tests in test_verdict_quorum.py)."""

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from deposit_check.models import AmountStatus, Asset, BlockRef, Observation, Payment, Status
from deposit_check.ownership import UNDECLARED, Owner
from deposit_check.verdict import LOCATED, AddressOwner, Expectation, Verdict, decide, located_status, status_of

LTC = Asset("LTC", 8)
ETH = Asset("ETH", 18)
USDT = Asset("USDT", 6, "0x" + "11" * 20)
ASSETS = (LTC, ETH, USDT)
CHAINS = ("litecoin", "ethereum")
T0 = datetime(2026, 11, 24, tzinfo=UTC)
PAYING = {Status.PENDING, Status.CONFIRMING, Status.CONFIRMED}


@st.composite
def observations(draw: st.DrawFn) -> Observation:
    tip = draw(st.integers(0, 2_000))
    block = draw(st.none() | st.integers(0, tip + 5).map(lambda h: BlockRef(h, f"{h:064x}")))
    # 0 included: an ERC-20 transfer of 0 (or a 0-value call) "pays" the address nothing.
    payments = draw(st.lists(st.builds(Payment, st.sampled_from(ASSETS), st.integers(0, 10**24)), max_size=3))
    return Observation(
        chain=draw(st.sampled_from(CHAINS)),
        tx_hash="ab" * 32,
        found=draw(st.booleans()),
        tip=tip,
        block=block,
        block_time=T0 if block is not None else None,
        payments=tuple(payments),
        reverted=draw(st.booleans()),
    )


amounts = st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False)
expectations = st.builds(Expectation, st.none() | st.sampled_from(ASSETS), st.none() | amounts)
asked_chains = st.none() | st.sampled_from((*CHAINS, "bsc"))
requireds = st.integers(1, 64)
owners = st.sampled_from((UNDECLARED, Owner(True, True, "acct-7"), Owner(True, True), Owner(True, False)))


def judge(
    o: Observation, required: int, expectation: Expectation, asked: str | None, owner: Owner = UNDECLARED
) -> Verdict:
    return decide(
        o, address="addr", required=required, native=LTC, expectation=expectation, asked_chain=asked, owner=owner
    )


def paid(o: Observation) -> list[Payment]:
    return [p for p in o.payments if p.amount > 0]


@settings(max_examples=500)
@given(observations(), requireds, expectations, asked_chains)
def test_confirmed_only_with_everything_in_place(
    o: Observation, required: int, e: Expectation, asked: str | None
) -> None:
    v = judge(o, required, e, asked)
    if v.status is Status.CONFIRMED:
        assert o.found and asked in (None, o.chain)
        assert o.block is not None and v.block == o.block
        assert v.confirmations >= required and not o.reverted and o.payments


@settings(max_examples=500)
@given(observations(), requireds, expectations, asked_chains, owners)
def test_each_status_has_its_reason(
    o: Observation, required: int, e: Expectation, asked: str | None, owner: Owner
) -> None:
    v = judge(o, required, e, asked, owner)
    if not o.found:
        assert v.status is Status.NOT_FOUND and v.confirmations == 0
    elif asked is not None and asked != o.chain:
        assert v.status is Status.WRONG_NETWORK and v.found_on == o.chain and v.chain == asked
    elif owner.declared and not owner.ours:
        assert v.status is Status.NOT_OUR_ADDRESS and v.received is None
    elif o.reverted:
        assert v.status is Status.FAILED
    elif not paid(o):
        assert v.status is Status.WRONG_ADDRESS
    elif e.asset is not None and e.asset not in {p.asset for p in paid(o)}:
        assert v.status is Status.WRONG_ASSET and v.payments == o.payments and v.final
    elif o.block is None:
        assert v.status is Status.PENDING and v.confirmations == 0
    else:
        assert v.status is (Status.CONFIRMED if o.confirmations >= required else Status.CONFIRMING)
    assert v.found_on is None or v.status is Status.WRONG_NETWORK
    assert v.confirmations >= 0 and (o.block is None or v.confirmations <= max(0, o.tip - o.block.height + 1))


@settings(max_examples=500)
@given(observations(), requireds, expectations, asked_chains)
def test_amount_status_matches_received_and_expected(
    o: Observation, required: int, e: Expectation, asked: str | None
) -> None:
    v = judge(o, required, e, asked)
    if v.status not in PAYING:
        assert v.received is None and v.amount_status is None
        return
    assert v.asset is not None
    assert v.received == v.asset.to_decimal(sum(p.amount for p in o.payments if p.asset == v.asset))
    if e.asset is not None:
        assert v.asset == e.asset
    if e.amount is None:
        assert v.amount_status is None
    else:
        expected = (
            AmountStatus.EXACT
            if v.received == e.amount
            else (AmountStatus.UNDER if v.received < e.amount else AmountStatus.OVER)
        )
        assert v.amount_status is expected
        assert v.expected == e.amount


@settings(max_examples=500)
@given(observations(), requireds, expectations, asked_chains, st.integers(0, 5_000))
def test_final_holds_for_every_later_block_without_a_reorg(
    o: Observation, required: int, e: Expectation, asked: str | None, later: int
) -> None:
    v = judge(o, required, e, asked)
    after = judge(dataclasses.replace(o, tip=o.tip + later), required, e, asked)  # same block: no reorg
    if v.final:
        assert after.final and after.status is v.status
    # Without a reorg progress only grows: confirming may become confirmed, never the reverse.
    if v.status is Status.CONFIRMED:
        assert after.status is Status.CONFIRMED
    if v.status is Status.CONFIRMING:
        assert after.status in (Status.CONFIRMING, Status.CONFIRMED)
    assert after.confirmations >= v.confirmations


@settings(max_examples=300)
@given(observations(), requireds, expectations, asked_chains)
def test_decide_is_pure(o: Observation, required: int, e: Expectation, asked: str | None) -> None:
    snapshot = dataclasses.replace(o)
    first = judge(o, required, e, asked)
    assert judge(o, required, e, asked) == first
    assert o == snapshot


def test_amount_strategy_reaches_exact_under_and_over() -> None:
    """Guard that the generators above can produce each amount status (not a vacuous property)."""
    o = Observation("litecoin", "ab" * 32, True, 10, BlockRef(5, "00" * 32), T0, (Payment(LTC, 150_000_000),))
    seen = {judge(o, 6, Expectation(amount=Decimal(x)), None).amount_status for x in ("1.5", "2", "1")}
    assert seen == {AmountStatus.EXACT, AmountStatus.UNDER, AmountStatus.OVER}


@settings(max_examples=300)
@given(observations(), requireds, expectations, st.text("0123456789abcdef", min_size=1, max_size=64))
def test_a_replaced_tx_is_replaced_and_final_whatever_was_seen(
    o: Observation, required: int, e: Expectation, replacement: str
) -> None:
    v = decide(o, address="addr", required=required, native=LTC, expectation=e, replaced_by=replacement)
    plain = judge(o, required, e, None)
    assert (v.status, v.replaced_by, v.final) == (Status.REPLACED, replacement, True)
    # Only the status says replaced: what was seen (block, amounts) stays as seen.
    assert dataclasses.replace(v, status=plain.status, replaced_by=None) == plain


# -- the verdict a hostile player cannot steer (issue 11) ----------------------------------------


@settings(max_examples=1000)
@given(observations(), requireds, expectations, asked_chains, owners)
def test_never_confirmed_with_nothing_of_the_asked_asset(
    o: Observation, required: int, e: Expectation, asked: str | None, owner: Owner
) -> None:
    v = judge(o, required, e, asked, owner)
    if v.status in PAYING:
        assert v.received is not None and v.received > 0, "a paying verdict about 0 of its asset"
        assert v.asset in {p.asset for p in paid(o)}
        assert e.asset is None or v.asset == e.asset


@settings(max_examples=1000)
@given(observations(), requireds, expectations, asked_chains, owners)
def test_never_confirmed_where_ownership_says_not_ours(
    o: Observation, required: int, e: Expectation, asked: str | None, owner: Owner
) -> None:
    v = judge(o, required, e, asked, owner)
    expected_owner = (
        AddressOwner.UNKNOWN if not owner.declared else (AddressOwner.CASINO if owner.ours else AddressOwner.NOT_CASINO)
    )
    assert v.address_owner is expected_owner
    assert v.account == (owner.account if v.address_owner is AddressOwner.CASINO else None)
    if v.status in PAYING:
        assert v.address_owner in (AddressOwner.CASINO, AddressOwner.UNKNOWN)
    if v.address_owner is AddressOwner.NOT_CASINO and o.found and asked in (None, o.chain):
        assert (v.status, v.final) == (Status.NOT_OUR_ADDRESS, True)


@settings(max_examples=500)
@given(observations(), requireds, expectations, asked_chains, owners, st.integers(0, 5_000))
def test_not_ours_and_wrong_asset_are_final_at_every_tip(
    o: Observation, required: int, e: Expectation, asked: str | None, owner: Owner, later: int
) -> None:
    """Final at once, in the mempool too, and no later block turns them into something to credit."""
    v = judge(o, required, e, asked, owner)
    if v.status in (Status.NOT_OUR_ADDRESS, Status.WRONG_ASSET):
        assert v.final
        mined = dataclasses.replace(o, block=o.block or BlockRef(o.tip, "ee" * 32), tip=o.tip + later)
        assert judge(mined, required, e, asked, owner).status is v.status


def test_owner_strategy_reaches_each_address_owner() -> None:
    """Guard that the generators can produce each owner (not a vacuous property)."""
    o = Observation("litecoin", "ab" * 32, True, 10, BlockRef(5, "00" * 32), T0, (Payment(LTC, 1),))
    for owner, status in (
        (UNDECLARED, Status.CONFIRMED),
        (Owner(True, True, "acct-7"), Status.CONFIRMED),
        (Owner(True, False), Status.NOT_OUR_ADDRESS),
    ):
        assert judge(o, 6, Expectation(), None, owner).status is status
    assert judge(o, 6, Expectation(USDT), None).status is Status.WRONG_ASSET


@settings(max_examples=500)
@given(observations(), requireds)
def test_a_located_tx_stands_where_a_check_of_an_address_it_paid_would(o: Observation, required: int) -> None:
    """`/v1/locate`'s status is the check's for an address the tx paid (declared the casino's): never further
    along, so a located "confirmed" is never ahead of what the check then says, and never a status of its own."""
    located = located_status(o, required)
    paying = dataclasses.replace(o, payments=(Payment(LTC, 1),))
    checked = status_of(paying, required, owner=Owner(True, True))
    assert located is checked
    assert located in LOCATED or located is Status.NOT_FOUND
    if located is Status.CONFIRMED:
        assert o.found and not o.reverted and o.block is not None and o.confirmations >= required
