"""The verdict: a pure function of (observation, confirmation policy, expected amount).

Every status rule lives here and nowhere else, so the API, the watcher and the agent form can
never disagree about what a transaction means.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from deposit_check.models import (
    AmountStatus,
    Asset,
    BlockRef,
    EndpointView,
    InternalTransfers,
    Observation,
    Payment,
    Status,
)
from deposit_check.ownership import UNDECLARED, Owner

# The statuses grouped by what they mean over time. The watcher, the API and the summary ask these;
# none of them lists statuses of its own (tests/test_rules_home.py holds that).

PAYING = frozenset({Status.PENDING, Status.CONFIRMING, Status.CONFIRMED})
"""The tx pays the address (a mempool tx: once mined), so the amount check applies."""

SETTLED = frozenset({Status.CONFIRMED, Status.FAILED, Status.WRONG_ADDRESS, Status.WRONG_NETWORK})
"""More blocks cannot change these (a reorg can): final once the tx has the required confirmations."""

FINAL_AT_ONCE = frozenset({Status.REPLACED, Status.NOT_OUR_ADDRESS, Status.WRONG_ASSET})
"""Final whatever the confirmations: no block can change them. `replaced`: the watcher saw the replacement
mined. `not_our_address`: the address is not the casino's, whatever the tx does. `wrong_asset`: what a tx
pays is fixed when it is signed, so a mempool tx that pays none of the asked asset never will (a
replacement is another tx, checked by its own hash)."""

WATCHABLE = frozenset({Status.NOT_FOUND, Status.PENDING, Status.CONFIRMING, Status.CONFIRMED, Status.DISPUTED})
"""Worth following: not settled yet, or confirmed (followed a while longer, for reorgs)."""


def decided_at_depth(observation: Observation) -> bool:
    """Whether a new tip alone decides this observation once it is `required` blocks deep (the watcher then
    decides it from the height, with no node call). Not with a quorum (the nodes must agree at that depth
    too) nor on TRON (`solidified`: the chain's own finality line, which a height does not give): those
    are asked again."""
    return observation.quorum == 1 and observation.solidified is None


def above_solidified(observation: Observation) -> bool:
    """TRON: the tx's block is not yet solidified (irreversible), so it cannot be confirmed yet."""
    return (
        observation.solidified is not None
        and observation.block is not None
        and observation.block.height > observation.solidified
    )


def is_final(status: Status, confirmations: int, required: int) -> bool:
    """True when no later block can change the verdict short of a deep reorg."""
    return status in FINAL_AT_ONCE or (status in SETTLED and confirmations >= required)


def vanished(previous: Status, observation: Observation) -> bool:
    """Announced `pending`, now unknown to the nodes: replaced or evicted from the mempool, which only a
    block (the tx's or a replacement's) or the watcher's expiry can tell, so it is not `not_found`."""
    return previous is Status.PENDING and not observation.found


class AddressOwner(StrEnum):
    """Whose the checked address is, by the chain's declared ownership (see deposit_check.ownership)."""

    CASINO = "casino"  # one of the casino's deposit addresses
    UNKNOWN = "unknown"  # no ownership declared for the chain: not verified
    NOT_CASINO = "not_casino"  # ownership declared, and the address is not in it


def address_owner(owner: Owner) -> AddressOwner:
    if not owner.declared:
        return AddressOwner.UNKNOWN
    return AddressOwner.CASINO if owner.ours else AddressOwner.NOT_CASINO


def account_of(owner: Owner) -> str | None:
    """The player account a verdict may name: only that of one of the casino's own addresses."""
    return owner.account if owner.declared and owner.ours else None


@dataclass(frozen=True)
class Expectation:
    """What the desk expected to receive; `asset` None means the asset the tx paid (or the native coin)."""

    asset: Asset | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class Verdict:
    status: Status
    chain: str | None
    tx_hash: str
    address: str
    confirmations: int
    required_confirmations: int
    block: BlockRef | None
    block_time: datetime | None
    payments: tuple[Payment, ...]
    asset: Asset | None  # the asset the amount check is about
    received: Decimal | None  # of `asset`, when the tx pays the address
    expected: Decimal | None
    amount_status: AmountStatus | None
    found_on: str | None = None
    replaced_by: str | None = None
    quorum: int = 1  # endpoints that must agree before "confirmed" (1: no quorum)
    views: tuple[EndpointView, ...] = ()  # with a quorum: what each endpoint that answered said
    address_owner: AddressOwner = AddressOwner.UNKNOWN
    account: str | None = None  # the casino's opaque player account of the address, with CASINO
    internal_transfers: InternalTransfers | None = None  # EVM: internal native payments counted, none, or unseen
    failure_reason: str | None = None  # with failed: why, as the chain words it (TRON's contractRet)
    awaiting_solidification: bool = False  # with confirming: deep enough, the block not yet solidified (TRON)

    @property
    def awaiting_quorum(self) -> bool:
        """Enough confirmations on an endpoint, but fewer than `quorum` endpoints agree: held at confirming."""
        return (
            self.quorum > 1 and self.status is Status.CONFIRMING and self.confirmations >= self.required_confirmations
        )

    @property
    def final(self) -> bool:
        """True when no later block can change the verdict short of a deep reorg."""
        return is_final(self.status, self.confirmations, self.required_confirmations)


def status_of(
    observation: Observation,
    required: int,
    *,
    on_asked_chain: bool = True,
    owner: Owner = UNDECLARED,
    asset: Asset | None = None,
) -> Status:
    """The status rules, in order of precedence: replaced, not_found, wrong_network, not_our_address,
    disputed, failed, wrong_address, wrong_asset, pending, confirming, confirmed.

    `not_our_address` comes right after the tx is found on the asked network: whatever the tx did,
    the address is not the casino's (`owner`: its ownership is declared and the address is not in
    it). `wrong_asset` comes after `wrong_address`: the tx pays the address, but none of `asset`
    (the asset asked about; None: any asset will do). A payment of 0 pays nothing.

    With a quorum, endpoints that contradict each other on the tx's block make it `disputed`,
    and `confirmed` needs `quorum` endpoints holding it in the same block with `required`
    confirmations each; fewer (one did not answer, or lags behind) hold it at `confirming`.
    A wrong "confirmed" is the worst outcome: never without the quorum.

    On TRON (`solidified` set) `confirmed` also needs the block at or below the chain's latest solidified
    block: until then it is `confirming`, whatever the count.

    Above all of these stands `replaced`, which no single observation shows: the watcher saw another
    tx take this one's inputs or nonce (see `decide`'s `replaced_by`).
    """
    if not observation.found:
        return Status.NOT_FOUND
    if not on_asked_chain:
        return Status.WRONG_NETWORK
    if owner.declared and not owner.ours:
        return Status.NOT_OUR_ADDRESS
    if observation.quorum > 1 and contradict(observation.views):
        return Status.DISPUTED
    if observation.reverted:
        return Status.FAILED
    paid = [p for p in observation.payments if p.amount > 0]
    if not paid:
        return Status.WRONG_ADDRESS
    if asset is not None and all(p.asset != asset for p in paid):
        return Status.WRONG_ASSET
    return _depth(observation, required)


def _depth(observation: Observation, required: int) -> Status:
    """How deep a found tx is: pending (mempool), confirming (fewer than `required`, above TRON's solidified
    line, or with a quorum fewer than `quorum` nodes agreeing), confirmed."""
    if observation.block is None:
        return Status.PENDING
    if observation.confirmations < required or above_solidified(observation):
        return Status.CONFIRMING
    if observation.quorum > 1 and agreeing(observation.block, observation.views, required) < observation.quorum:
        return Status.CONFIRMING
    return Status.CONFIRMED


LOCATED = frozenset({Status.PENDING, Status.CONFIRMING, Status.CONFIRMED, Status.FAILED, Status.DISPUTED})
"""What `located_status` answers of a tx found with no address (`/v1/locate`)."""


def located_status(observation: Observation, required: int) -> Status:
    """Where a tx found with no address stands on its chain (`/v1/locate`): `status_of`'s rules that need no
    address, in its order: disputed, failed, then pending, confirming or confirmed by depth, as a check of an
    address the tx paid would say. About the tx alone: no address, no owner, no amount, so never a credit
    decision (a check of an address it paid is). Not found: NOT_FOUND."""
    if not observation.found:
        return Status.NOT_FOUND
    if observation.quorum > 1 and contradict(observation.views):
        return Status.DISPUTED
    if observation.reverted:
        return Status.FAILED
    return _depth(observation, required)


def contradict(views: tuple[EndpointView, ...]) -> bool:
    """Two endpoints hold the tx in different blocks, or one holds it in a block at a height the
    other has reached without holding it there. (One that has not reached that height yet lags:
    no contradiction, and no agreement either.)"""
    for a in views:
        if a.block is None:
            continue
        for b in views:
            if b.block is None and b.tip >= a.block.height:
                return True
            if b.block is not None and b.block != a.block:  # height and hash (a TRON check reads no hash)
                return True
    return False


def agreeing(block: BlockRef | None, views: tuple[EndpointView, ...], required: int) -> int:
    """Endpoints holding the tx in `block` (the observation's) with at least `required` confirmations."""
    return sum(
        1
        for v in views
        if block is not None and v.block is not None and v.block == block and v.confirmations >= required
    )


def _amount_asset(payments: tuple[Payment, ...], expectation: Expectation, native: Asset) -> Asset:
    """The asset asked about; with none asked, the one the tx paid (several: the native coin when it was
    paid, else the first paid), so that a paying verdict never reports 0 of an asset nobody sent."""
    if expectation.asset is not None:
        return expectation.asset
    paid = [p.asset for p in payments if p.amount > 0]
    if len(set(paid)) == 1 or (paid and native not in paid):
        return paid[0]
    return native


def _amount_status(received: Decimal, expected: Decimal) -> AmountStatus:
    if received == expected:
        return AmountStatus.EXACT
    return AmountStatus.UNDER if received < expected else AmountStatus.OVER


def decide(
    observation: Observation,
    *,
    address: str,
    required: int,
    native: Asset,
    expectation: Expectation = Expectation(),
    asked_chain: str | None = None,
    replaced_by: str | None = None,
    owner: Owner = UNDECLARED,
) -> Verdict:
    """Turn what a chain showed into a verdict.

    `asked_chain` is the chain the caller asked about; when the tx was observed on another
    chain it is a wrong-network verdict.

    `owner`: what the casino declared about `address` (`ownership.Owner`; UNDECLARED: nothing, so
    `address_owner` is unknown). A declared address that is not the casino's is `not_our_address`;
    `account` is reported only for the casino's own address.

    `wrong_asset` and `not_our_address` are final at once, in the mempool too (see FINAL_AT_ONCE).

    `replaced_by`: the watcher saw that tx take this one's inputs (or nonce), so the verdict is
    `replaced`, final, whatever `observation` (the last one before the replacement) says. Its
    amounts stay those of that observation: what the replaced tx would have paid.
    """
    on_asked = asked_chain is None or asked_chain == observation.chain
    seen = status_of(observation, required, on_asked_chain=on_asked, owner=owner, asset=expectation.asset)
    status = Status.REPLACED if replaced_by else seen
    asset = _amount_asset(observation.payments, expectation, native)
    pays = seen in PAYING
    received = asset.to_decimal(sum(p.amount for p in observation.payments if p.asset == asset)) if pays else None
    amount_status = (
        _amount_status(received, expectation.amount)
        if received is not None and expectation.amount is not None
        else None
    )
    return Verdict(
        status=status,
        chain=asked_chain if not on_asked else observation.chain,
        tx_hash=observation.tx_hash,
        address=address,
        confirmations=observation.confirmations if observation.found else 0,
        required_confirmations=required,
        block=observation.block,
        block_time=observation.block_time,
        payments=observation.payments,
        asset=asset,
        received=received,
        expected=expectation.amount,
        amount_status=amount_status,
        found_on=observation.chain if status is Status.WRONG_NETWORK else None,  # not when it was not found there
        replaced_by=replaced_by or None,
        quorum=observation.quorum,
        views=observation.views,
        address_owner=address_owner(owner),
        account=account_of(owner),
        internal_transfers=observation.internal_transfers if observation.found else None,
        failure_reason=observation.failure if seen is Status.FAILED else None,
        awaiting_solidification=(
            seen is Status.CONFIRMING and observation.confirmations >= required and above_solidified(observation)
        ),
    )


def not_found(
    tx_hash: str,
    address: str,
    chain: str | None,
    required: int,
    expected: Decimal | None = None,
    owner: Owner = UNDECLARED,
) -> Verdict:
    """The verdict when every node asked answered and none knows the tx (`owner`: as for `decide`)."""
    return Verdict(
        status=Status.NOT_FOUND,
        chain=chain,
        tx_hash=tx_hash,
        address=address,
        confirmations=0,
        required_confirmations=required,
        block=None,
        block_time=None,
        payments=(),
        asset=None,
        received=None,
        expected=expected,
        amount_status=None,
        address_owner=address_owner(owner),
        account=account_of(owner),
    )
