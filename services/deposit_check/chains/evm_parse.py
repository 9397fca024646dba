"""Pure parsing for the EVM adapter: addresses, and JSON-RPC answers (quantities, payments, blocks). No I/O.

A field missing from an answer raises KeyError or TypeError; the adapter treats those as a
malformed answer from that node and asks the next one.
"""

import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from deposit_check.errors import InvalidAddress
from deposit_check.models import Asset, Block, BlockPayment, BlockRef, BlockTx, Payment, Recipient

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
_TRANSFER_CALL = "0xa9059cbb"  # selector of transfer(address,uint256)


def hex_int(value: int | str) -> int:
    """JSON-RPC quantities are hex strings; some fields (anvil's receipt blockTimestamp) are ints."""
    return value if isinstance(value, int) else int(value, 16)


def parse_address(address: str) -> str:
    """The EIP-55 checksummed form; InvalidAddress for anything else or a wrong mixed-case checksum."""
    text = address.strip()
    if not _ADDRESS.fullmatch(text):
        raise InvalidAddress(f"{address!r} is not an EVM address: expected 0x followed by 40 hexadecimal characters")
    checksummed = to_checksum_address(text)
    body = text[2:]
    # All-lower and all-upper carry no checksum; mixed case does and must be right (typo guard).
    if body not in (body.lower(), body.upper()) and text != checksummed:
        raise InvalidAddress(f"{address!r} has a bad checksum: check it for typos (EIP-55 mixed case)")
    return checksummed


def timestamp(value: int | str) -> datetime:
    return datetime.fromtimestamp(hex_int(value), UTC)


def sender_nonce(tx: dict[str, Any]) -> str:
    """The tx's "<lower-case sender>:<nonce in decimal>"; another tx with the same one replaces it."""
    return f"{tx['from'].lower()}:{hex_int(tx['nonce'])}"


def stamped_time(tx: dict[str, Any], receipt: dict[str, Any]) -> datetime | None:
    """The block time newer nodes put on receipts and txs (`blockTimestamp`), if there."""
    stamp = receipt.get("blockTimestamp", tx.get("blockTimestamp"))
    return None if stamp is None else timestamp(stamp)


def head(block: dict[str, Any]) -> BlockRef:
    """Height and hash of an `eth_getBlockByNumber` answer."""
    return BlockRef(height=hex_int(block["number"]), hash=block["hash"])


def block(
    raw: dict[str, Any], parser: "PaymentParser | None" = None, logs: list[dict[str, Any]] | None = None
) -> Block:
    """An `eth_getBlockByHash(hash, true)` answer (full txs) as a Block; with a `parser`, what it paid: each tx's
    native value to its `to` (not `certain`: the tx may have failed) and the allow-listed tokens' `logs`."""
    payments: list[BlockPayment] = []
    if parser is not None:
        for tx in raw["transactions"]:
            value, to = hex_int(tx.get("value") or "0x0"), tx.get("to")
            if value > 0 and to:
                payments.append(BlockPayment(to.lower(), tx["hash"], Payment(parser.native, value), certain=False))
        payments.extend(parser.logged(logs or []))
    return Block(
        height=hex_int(raw["number"]),
        hash=raw["hash"],
        parent_hash=raw["parentHash"],
        time=timestamp(raw["timestamp"]),
        txs=tuple(BlockTx(tx_hash=tx["hash"], sender_nonce=sender_nonce(tx)) for tx in raw["transactions"]),
        payments=tuple(payments),
    )


class PaymentParser:
    """What a tx paid an address: the native value and the Transfers of allow-listed tokens."""

    def __init__(self, native: Asset, tokens: dict[str, Asset]) -> None:
        """`tokens` by lower-case contract address."""
        self.native = native
        self.tokens = tokens

    def _native_value(self, tx: dict[str, Any], address: str) -> int:
        return hex_int(tx.get("value", "0x0")) if (tx.get("to") or "").lower() == address else 0

    def intended(self, tx: dict[str, Any], address: str) -> tuple[Payment, ...]:
        """What a pending tx pays `address`: its value, or an allow-listed token's transfer(address, amount)."""
        amounts = {self.native: self._native_value(tx, address)}
        token = self.tokens.get((tx.get("to") or "").lower())
        data = (tx.get("input") or tx.get("data") or "").lower()
        # transfer(to, amount): the selector, the recipient left-padded to 32 bytes, the amount.
        pays_address = data[:10] == _TRANSFER_CALL and data[10:74] == "0" * 24 + address[2:] and len(data) >= 138
        if token is not None and pays_address:
            amounts[token] = int(data[74:138], 16)
        return _payments(amounts)

    def logged(self, logs: list[dict[str, Any]]) -> list[BlockPayment]:
        """The allow-listed tokens' Transfers among `logs` (eth_getLogs), as payments to their recipients."""
        found: list[BlockPayment] = []
        for log in logs:
            token = self.tokens.get((log.get("address") or "").lower())
            topics = [t.lower() for t in log.get("topics") or []]
            data = log.get("data") or ""
            if (
                token is None
                or log.get("removed")
                or len(topics) != 3
                or topics[0] != TRANSFER_TOPIC
                or len(data) != 66
            ):
                continue
            if (amount := int(data, 16)) > 0:
                found.append(BlockPayment("0x" + topics[2][-40:], log["transactionHash"], Payment(token, amount)))
        return found

    def mined(self, tx: dict[str, Any], receipt: dict[str, Any], address: str) -> tuple[Payment, ...]:
        """The tx's value to `address` plus every Transfer to it logged by an allow-listed token."""
        amounts = {self.native: self._native_value(tx, address)}
        for log in receipt.get("logs") or []:
            # Anyone can emit a Transfer event: only the listed contracts' logs are money.
            token = self.tokens.get((log.get("address") or "").lower())
            topics = [t.lower() for t in log.get("topics") or []]
            data = log.get("data") or ""
            if token is None or len(topics) != 3 or topics[0] != TRANSFER_TOPIC or len(data) != 66:
                continue
            if topics[2][-40:] == address[2:]:
                amounts[token] = amounts.get(token, 0) + int(data, 16)
        return _payments(amounts)

    def recipients(self, tx: dict[str, Any], receipt: dict[str, Any] | None) -> tuple[Recipient, ...]:
        """Every address the tx paid (`receipt` None, in the mempool: will pay): its value's `to`, and each recipient
        of an allow-listed token's Transfer logs (pending: of its transfer(to, amount) call). A reverted tx, none."""
        if receipt is not None and hex_int(receipt.get("status", "0x1")) == 0:
            return ()
        found: list[Recipient] = []
        to = (tx.get("to") or "").lower()
        if to and hex_int(tx.get("value") or "0x0") > 0:
            found.append(Recipient(to, self.native))
        if receipt is None:
            token = self.tokens.get(to)
            data = (tx.get("input") or tx.get("data") or "").lower()
            if token is not None and data[:10] == _TRANSFER_CALL and len(data) >= 138 and int(data[74:138], 16) > 0:
                found.append(Recipient("0x" + data[34:74], token))
        else:
            logs = [{**log, "transactionHash": tx["hash"]} for log in receipt.get("logs") or []]
            found.extend(Recipient(p.address, p.payment.asset) for p in self.logged(logs))
        return tuple(dict.fromkeys(found))


def _payments(amounts: dict[Asset, int]) -> tuple[Payment, ...]:
    """Non-zero amounts only: a 0-value tx or Transfer (address poisoning) paid nothing."""
    return tuple(Payment(asset=asset, amount=amount) for asset, amount in amounts.items() if amount > 0)


# --- internal transfers: native coin moved by a tx's inner calls (traces) ---

# Only these move value to the callee: DELEGATECALL and STATICCALL move none, CALLCODE pays the caller itself.
_VALUE_CALLS = {"call"}


def traced_value_parity(traces: list[dict[str, Any]], address: str) -> int:
    """Native coin the inner calls of one tx paid `address` (lower case), from a Parity-style
    `trace_transaction` answer: calls, creates and self-destructs, below the top level (the tx's own
    value is `tx.value`), whose frame and every enclosing frame succeeded (a call inside a reverted
    frame moved nothing, though traces show it without an error of its own)."""
    failed = [tuple(t["traceAddress"]) for t in traces if t.get("error")]
    total = 0
    for trace in traces:
        path = tuple(trace["traceAddress"])
        if not path or any(path[: len(f)] == f for f in failed):
            continue
        action, kind = trace["action"], trace.get("type")
        if kind == "call" and action.get("callType") in _VALUE_CALLS:
            to, value = action.get("to"), action.get("value")
        elif kind == "create":
            to, value = (trace.get("result") or {}).get("address"), action.get("value")
        elif kind == "suicide":
            to, value = action.get("refundAddress"), action.get("balance")
        else:
            continue
        if (to or "").lower() == address and value:
            total += hex_int(value)
    return total


def traced_value_geth(frame: dict[str, Any], address: str, top: bool = True) -> int:
    """The same from a `debug_traceTransaction` answer with the `callTracer` (nested frames): a frame
    with an `error` reverted, and everything below it with it."""
    if frame.get("error"):
        return 0
    total = 0
    kind = str(frame.get("type", "")).upper()
    if not top and kind in ("CALL", "CREATE", "CREATE2", "SELFDESTRUCT") and (frame.get("to") or "").lower() == address:
        total += hex_int(frame.get("value") or "0x0")
    return total + sum(traced_value_geth(inner, address, top=False) for inner in frame.get("calls") or [])


def with_native(payments: tuple[Payment, ...], native: Asset, extra: int) -> tuple[Payment, ...]:
    """`payments` with `extra` base units of the native coin added (to its entry, or as a first entry)."""
    if extra <= 0:
        return payments
    amounts = {native: extra}
    for payment in payments:
        amounts[payment.asset] = amounts.get(payment.asset, 0) + payment.amount
    return _payments(amounts)


def needs_trace(tx: dict[str, Any], address: str, tokens: Collection[str] = ()) -> bool:
    """Whether the tx can have paid `address` (lower case) through inner calls: it runs code (input data, a
    contract creation) or sends to another address, which may be a contract that passes coin on. A plain
    transfer to the address itself cannot (its value is all there is), and neither can a call of an
    allow-listed token (`tokens`, lower-case contracts: the operator vetted them as ERC-20s, which move no
    coin), so those cost no trace: the common checks, coin and token deposits, stay one round trip."""
    data = tx.get("input") or tx.get("data") or "0x"
    to = (tx.get("to") or "").lower()
    if to in tokens:
        return False
    return data not in ("0x", "") or to != address


_MISSING_METHOD = ("method not found", "does not exist", "not available", "not supported", "unsupported", "not enabled")


def missing_method(error: Any) -> bool:
    """Whether a JSON-RPC error says the node lacks the method (-32601, or a provider's words for it)."""
    if not isinstance(error, dict):
        return False
    text = str(error.get("message", "")).lower()
    return error.get("code") == -32601 or any(words in text for words in _MISSING_METHOD)
