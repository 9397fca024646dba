"""Domain values shared by the adapters, the verdict and the API.

Amounts are integers in base units (satoshis, wei, token units); they become decimal strings
only at the edge, through `Asset.to_decimal`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Status(StrEnum):
    NOT_FOUND = "not_found"
    PENDING = "pending"
    CONFIRMING = "confirming"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    WRONG_ADDRESS = "wrong_address"
    WRONG_NETWORK = "wrong_network"
    REPLACED = "replaced"  # the watcher saw another tx spend its inputs (or take its nonce)
    DISPUTED = "disputed"  # a chain with a quorum: its endpoints contradict each other on the tx's block
    NOT_OUR_ADDRESS = "not_our_address"  # ownership is declared for the chain and the address is not the casino's
    WRONG_ASSET = "wrong_asset"  # the tx pays the address, but none of the asset asked about
    UNAVAILABLE = "unavailable"


class InternalTransfers(StrEnum):
    """Whether native coin that reached the address through a tx's internal calls (EVM) is in `payments`."""

    COUNTED = "counted"  # the tx was traced and internal calls paid the address: included
    NONE = "none"  # nothing can have arrived that way (a plain transfer, a reverted tx) or the trace shows none
    UNAVAILABLE = "unavailable"  # could not be seen: the node traces no tx, or the tx is not mined yet


class AmountStatus(StrEnum):
    EXACT = "exact"
    UNDER = "under"
    OVER = "over"


@dataclass(frozen=True)
class Asset:
    """A coin or token on one chain. `contract` is None for the chain's native coin."""

    symbol: str
    decimals: int
    contract: str | None = None

    def to_decimal(self, base_units: int) -> Decimal:
        return Decimal(base_units).scaleb(-self.decimals)

    def to_base_units(self, amount: Decimal) -> int:
        """Exact conversion; raises ValueError when `amount` has more decimals than the asset."""
        scaled = amount.scaleb(self.decimals)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{amount} has more than {self.decimals} decimals for {self.symbol}")
        return int(scaled)


@dataclass(frozen=True)
class Payment:
    """Value of one asset that reached the deposit address in one transaction."""

    asset: Asset
    amount: int


@dataclass(frozen=True)
class BlockRef:
    height: int
    hash: str


@dataclass(frozen=True)
class BlockTx:
    """One tx of a block, with what a replacement of a watched tx would share with it.

    `spends`: the outpoints "prev_txid:vout" it spends (UTXO; none for a coinbase). Another tx
    spending one of a watched tx's outpoints replaced it (RBF or a double spend).
    `sender_nonce`: "<lower-case sender>:<nonce>" (EVM; nonce in decimal). Another tx with the
    same one replaced the watched tx.
    """

    tx_hash: str
    spends: tuple[str, ...] = ()
    sender_nonce: str | None = None


@dataclass(frozen=True)
class BlockPayment:
    """Value that reached an address in a block, as the block's own answer shows it (the watcher's index).

    `address` is as the node spelled it (UTXO: its encoding of the output script; EVM: lower-case hex).
    `certain` is False where the block cannot tell whether the value really moved (EVM: a tx's native
    value before its receipt says it succeeded): the watcher asks the chain about those. `script` (UTXO):
    the output's scriptPubKey as hex, the ownership index's identity of the address, so the watcher looks
    a block's recipients up with no address parsing."""

    address: str
    tx_hash: str
    payment: Payment
    certain: bool = True
    script: str | None = None


@dataclass(frozen=True)
class Recipient:
    """An address a tx paid (in the mempool: will pay), as a located tx lists them (`Chain.locate`): which asset,
    never how much (an amount is a check's answer, about one address). `address` as the node spells it; `script`
    (UTXO): the output's scriptPubKey hex, the ownership index's identity of the address."""

    address: str
    asset: Asset
    script: str | None = None


@dataclass(frozen=True)
class Block:
    """A block as the node knows it, whether or not it is on the best chain now."""

    height: int
    hash: str
    parent_hash: str  # the genesis block's: all zeros
    time: datetime | None
    txs: tuple[BlockTx, ...]
    # What the block paid to addresses, read in the same node call (UTXO outputs; EVM native values and the
    # allow-listed tokens' Transfer logs). Empty from an adapter that cannot tell: then nothing is indexed.
    payments: tuple[BlockPayment, ...] = ()

    @property
    def ref(self) -> BlockRef:
        return BlockRef(height=self.height, hash=self.hash)


@dataclass(frozen=True)
class EndpointView:
    """What one endpoint of a chain with a quorum said of the tx: its block (None: in no block) and its tip."""

    endpoint: str  # scheme://host:port, no credentials
    found: bool
    block: BlockRef | None
    tip: int

    @property
    def confirmations(self) -> int:
        return 0 if self.block is None else max(0, self.tip - self.block.height + 1)


@dataclass(frozen=True)
class Observation:
    """What a chain adapter saw of one tx, with no policy applied.

    `block` is None while the tx is only in the mempool. `tip` is the best height seen
    in the same round trip. `payments` holds what paid the asked address (empty: nothing did);
    for a mempool tx it is what the tx will pay once mined. `spends` (UTXO) and `sender_nonce`
    (EVM) identify what a replacement would share with the tx: see `BlockTx`. `internal_transfers`
    (EVM only; None elsewhere and when not found) says whether native coin paid through internal
    calls is in `payments` or could not be seen. `solidified` (TRON; None elsewhere): the chain's latest
    irreversible block, read in the same round trip; a block above it is not final whatever its
    confirmations. `failure`: why a `reverted` tx failed, as the chain words it (TRON's `contractRet`:
    REVERT, OUT_OF_ENERGY, ...); None where it gives no reason (an EVM receipt's status 0).

    On a chain with a quorum (`quorum` > 1 endpoints must agree), `views` holds each answering
    endpoint's view, and the other fields are those of one of them (see chains/quorum.py).
    """

    chain: str
    tx_hash: str
    found: bool
    tip: int
    block: BlockRef | None = None
    block_time: datetime | None = None
    payments: tuple[Payment, ...] = field(default=())
    reverted: bool = False
    spends: tuple[str, ...] = ()
    sender_nonce: str | None = None
    quorum: int = 1
    views: tuple[EndpointView, ...] = ()
    internal_transfers: InternalTransfers | None = None
    solidified: int | None = None
    failure: str | None = None
    # Every address the tx paid (`Chain.locate` only; empty from `observe`). `unseen`: what paid them cannot all
    # be seen (native coin passed on by a contract's inner calls: EVM, TRON), so an address may be missing.
    recipients: tuple[Recipient, ...] = ()
    unseen: bool = False

    @property
    def confirmations(self) -> int:
        if self.block is None:
            return 0
        return max(0, self.tip - self.block.height + 1)
