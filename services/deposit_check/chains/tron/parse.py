"""Pure parsing of java-tron HTTP answers (default `visible: false`: addresses in hex). No I/O.

A field missing from an answer raises KeyError, TypeError or ValueError; the adapter treats those as a
malformed answer from that node and asks the next one.
"""

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from eth_utils.crypto import keccak

from deposit_check.chains.tron.address import from_hex, key_hash
from deposit_check.models import Asset, Block, BlockPayment, BlockRef, BlockTx, InternalTransfers, Payment, Recipient

TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)").hex()  # java-tron spells topics without 0x
_TRANSFER_CALL = "a9059cbb"  # selector of transfer(address,uint256)
_NODE_BLOCK = re.compile(r"Num:(\d+),ID:([0-9a-f]{64})")
_REASON = re.compile(r"[A-Z][A-Z_]{0,39}")  # contractRet names: only these reach an answer (and a note)
SUCCESS = "SUCCESS"


def found(answer: Any) -> bool:
    """An answer about a tx or block: `{}` is java-tron's "no such thing"."""
    return isinstance(answer, dict) and bool(answer)


def node_heads(info: dict[str, Any]) -> tuple[BlockRef, BlockRef]:
    """(latest, solidified) blocks of a `/wallet/getnodeinfo` answer ("Num:<height>,ID:<block id>")."""
    latest, solid = (_NODE_BLOCK.fullmatch(info[key]) for key in ("block", "solidityBlock"))
    if latest is None or solid is None:
        raise ValueError(f"getnodeinfo: block {info['block']!r:.90}, solidityBlock {info['solidityBlock']!r:.90}")
    return BlockRef(int(latest[1]), latest[2]), BlockRef(int(solid[1]), solid[2])


def header_ref(answer: dict[str, Any]) -> BlockRef:
    """Height and id of a block answer (`/wallet/getblock`, `getblockbyid`, ...)."""
    return BlockRef(int(answer["block_header"]["raw_data"]["number"]), str(answer["blockID"]).lower())


def height_of(block_id: str) -> int:
    """A TRON block id starts with its height (8 bytes, big-endian)."""
    return int(block_id[:16], 16)


def millis(value: int | str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def failure(tx: dict[str, Any] | None, info: dict[str, Any]) -> str | None:
    """Why the tx failed: `ret[0].contractRet` other than SUCCESS, else the info's `receipt.result` other than
    SUCCESS, else its top-level `result: FAILED`; None when none of them says it failed (any one that does
    wins: a wrong "succeeded" could credit). A name outside the node's plain enum style is reported as
    FAILED, never passed on."""
    said = (
        (((tx or {}).get("ret") or [{}])[0] or {}).get("contractRet"),
        (info.get("receipt") or {}).get("result"),
        info.get("result"),
    )
    reason = next((str(r) for r in said if r is not None and r != SUCCESS), None)
    if reason is None:
        return None
    return reason if _REASON.fullmatch(reason) else "FAILED"


def called(tx: dict[str, Any] | None, info: dict[str, Any]) -> str | None:
    """The 20-byte key hash (lower-case hex) of the contract the tx called; None for a system contract (a TRX
    transfer...). The info names it too (`contract_address`), so a call is known without the tx's body."""
    if tx is not None:
        kind, value = _contract(tx)
        return str(value.get("contract_address", ""))[-40:].lower() or None if kind == "TriggerSmartContract" else None
    return str(info.get("contract_address", ""))[-40:].lower() or None


def _contract(tx: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The tx's (one) contract: its type and its parameter's value."""
    contract = tx["raw_data"]["contract"][0]
    return str(contract["type"]), contract["parameter"]["value"]


def _address(text: str) -> str:
    """An address as the node spelled it (hex `41...`, or base58 with `visible`) in base58."""
    return text if text.startswith("T") else from_hex(text)


class PaymentParser:
    """What a tx paid an address: TRX by TransferContract, and the allow-listed TRC-20 tokens' Transfer logs."""

    def __init__(self, native: Asset, tokens: dict[str, Asset]) -> None:
        """`tokens` by the contract's 20-byte key hash (lower-case hex, as a log's `address`)."""
        self.native = native
        self.tokens = tokens

    def _trx(self, tx: dict[str, Any] | None, address: str | None) -> int:
        if tx is None or address is None:
            return 0
        kind, value = _contract(tx)
        if kind != "TransferContract" or _address(value["to_address"]) != address:
            return 0
        return int(value["amount"])

    def mined(self, tx: dict[str, Any] | None, info: dict[str, Any], address: str | None) -> tuple[Payment, ...]:
        """A successful mined tx's TRX to `address` plus every Transfer to it logged by an allow-listed token
        (so a transfer made through another contract counts; call data alone never does)."""
        if address is None:
            return ()
        amounts = {self.native: self._trx(tx, address)}
        for payment in self.logged([info]):
            if payment.address == address:
                amounts[payment.payment.asset] = amounts.get(payment.payment.asset, 0) + payment.payment.amount
        return _payments(amounts)

    def intended(self, tx: dict[str, Any], address: str | None) -> tuple[Payment, ...]:
        """What a tx the node holds without its result yet will pay `address`: its TRX, or an allow-listed
        token's transfer(address, amount) call (a `pending` verdict: never credited on this alone)."""
        if address is None:
            return ()
        amounts = {self.native: self._trx(tx, address)}
        token = self.tokens.get(called(tx, {}) or "")
        data = str(_contract(tx)[1].get("data", "")).lower()
        if token is not None and data[:8] == _TRANSFER_CALL and data[8:72] == "0" * 24 + key_hash(address):
            amounts[token] = int(data[72:136] or "0", 16)
        return _payments(amounts)

    def logged(self, infos: Iterable[dict[str, Any]]) -> list[BlockPayment]:
        """The allow-listed tokens' Transfers in tx infos, as payments to their recipients (base58)."""
        payments: list[BlockPayment] = []
        for info in infos:
            for log in info.get("log") or []:
                token = self.tokens.get(str(log.get("address", ""))[-40:].lower())
                topics = [str(t).lower() for t in log.get("topics") or []]
                data = str(log.get("data") or "")
                if token is None or len(topics) != 3 or topics[0] != TRANSFER_TOPIC or len(data) != 64:
                    continue
                if (amount := int(data, 16)) > 0:
                    payments.append(BlockPayment(from_hex(topics[2][-40:]), str(info["id"]), Payment(token, amount)))
        return payments

    def recipients(self, tx: dict[str, Any] | None, info: dict[str, Any] | None) -> tuple[Recipient, ...]:
        """Every address a tx paid (base58): a TransferContract's `to_address`, and the recipients of allow-listed
        tokens' Transfer logs; `info` None (not mined yet): what it will pay, its TRX or an allow-listed token's
        transfer(to, amount) call. A failed tx, none."""
        if info is not None and failure(tx, info) is not None:
            return ()
        found: list[Recipient] = []
        if tx is not None:
            kind, value = _contract(tx)
            if kind == "TransferContract" and int(value.get("amount") or 0) > 0:
                found.append(Recipient(_address(str(value["to_address"])), self.native))
        if info is not None:
            found.extend(Recipient(p.address, p.payment.asset) for p in self.logged([info]))
        elif tx is not None:
            token = self.tokens.get(called(tx, {}) or "")
            data = str(_contract(tx)[1].get("data", "")).lower()
            if token is not None and data[:8] == _TRANSFER_CALL and len(data) >= 136 and int(data[72:136], 16) > 0:
                found.append(Recipient(from_hex(data[32:72]), token))
        return tuple(dict.fromkeys(found))

    def internal(self, contract: str | None, address: str | None) -> InternalTransfers:
        """TRX a called contract passes on cannot be seen here (java-tron keeps internal txs only with
        `vm.saveInternalTx`): unavailable for a call of any contract but an allow-listed token."""
        if contract is None or address is None or contract in self.tokens:
            return InternalTransfers.NONE
        return InternalTransfers.UNAVAILABLE


def block(raw: dict[str, Any], infos: list[dict[str, Any]], parser: PaymentParser) -> Block:
    """A `getblockbyid` answer and its `gettransactioninfobyblocknum` answer as a Block, with what it paid:
    successful TransferContracts' TRX and the allow-listed tokens' logs. ValueError when the infos are of
    another block (the node's block at that height changed between the two calls)."""
    ref = header_ref(raw)
    header = raw["block_header"]["raw_data"]
    txs = raw.get("transactions") or []
    ids = {str(tx["txID"]) for tx in txs}
    if any(str(info["id"]) not in ids or int(info["blockNumber"]) != ref.height for info in infos):
        raise ValueError(f"the tx infos of height {ref.height} are not those of block {ref.hash}")
    payments: list[BlockPayment] = []
    for tx in txs:
        kind, value = _contract(tx)
        if kind == "TransferContract" and failure(tx, {}) is None and int(value["amount"]) > 0:
            to = _address(value["to_address"])
            payments.append(BlockPayment(to, str(tx["txID"]), Payment(parser.native, int(value["amount"]))))
    # A failed tx's logs are reverted (java-tron prints none); should a node print some, they paid nothing.
    payments.extend(parser.logged(info for info in infos if failure(None, info) is None))
    return Block(
        height=ref.height,
        hash=ref.hash,
        parent_hash=str(header.get("parentHash", "0" * 64)).lower(),
        time=millis(header["timestamp"]) if "timestamp" in header else None,
        txs=tuple(BlockTx(tx_hash=str(tx["txID"])) for tx in txs),
        payments=tuple(payments),
    )


def _payments(amounts: dict[Asset, int]) -> tuple[Payment, ...]:
    """Non-zero amounts only: a 0-value transfer (address poisoning) paid nothing."""
    return tuple(Payment(asset=asset, amount=amount) for asset, amount in amounts.items() if amount > 0)
