"""What we read from a raw transaction: its outputs (value, script) and the outpoints it spends.

Decoded here rather than with bitcoinlib's `Transaction.parse`, which needs a network of its own
(it has no litecoin regtest), builds key and address objects for every input and output, and is
pure Python either way: values and scripts are all a check needs. Values are read as integers in
base units from the bytes, so they never pass through the server's JSON floats.
"""

import hashlib
from dataclasses import dataclass

from deposit_check.chains.jsonrpc import BadAnswer


@dataclass(frozen=True)
class RawTx:
    outputs: tuple[tuple[int, str], ...]  # (value in base units, scriptPubKey hex)
    spends: tuple[str, ...]  # "prev_txid:vout"; none for a coinbase


def scripthash(script_pubkey: str) -> str:
    """The Electrum protocol's key of a script: sha256 of the scriptPubKey, byte-reversed, hex."""
    return hashlib.sha256(bytes.fromhex(script_pubkey)).digest()[::-1].hex()


def header_hash(header: bytes) -> str:
    """A block's hash (display order) from its 80-byte header."""
    return hashlib.sha256(hashlib.sha256(header[:80]).digest()).digest()[::-1].hex()


def header_time(header: bytes) -> int:
    return int.from_bytes(header[68:72], "little")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise BadAnswer("raw transaction ends early")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def varint(self) -> int:
        first = self.take(1)[0]
        if first < 0xFD:
            return first
        return int.from_bytes(self.take({0xFD: 2, 0xFE: 4, 0xFF: 8}[first]), "little")


def decode(raw_hex: str) -> RawTx:
    """Inputs and outputs of a serialized tx (segwit or not; Litecoin's MWEB part, after them, is skipped)."""
    try:
        reader = _Reader(bytes.fromhex(raw_hex))
    except ValueError:
        raise BadAnswer("raw transaction is not hex") from None
    reader.take(4)  # version
    count = reader.varint()
    if count == 0:  # segwit marker, then a non-zero flag byte, then the real input count
        reader.take(1)
        count = reader.varint()
    spends = []
    for _ in range(count):
        prev = reader.take(32)[::-1].hex()
        index = int.from_bytes(reader.take(4), "little")
        reader.take(reader.varint())  # scriptSig
        reader.take(4)  # sequence
        if prev != "0" * 64:  # a coinbase spends nothing
            spends.append(f"{prev}:{index}")
    outputs = []
    for _ in range(reader.varint()):
        value = int.from_bytes(reader.take(8), "little")
        outputs.append((value, reader.take(reader.varint()).hex()))
    return RawTx(outputs=tuple(outputs), spends=tuple(spends))
