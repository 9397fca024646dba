"""TRON addresses: base58check `T...` (what wallets and Tronscan show) and hex `41...` (the node's own
spelling with `visible: false`), both 21 bytes: the 0x41 prefix and the 20-byte key hash EVM uses too.

The canonical form is base58check. The hex form has no checksum, so a typo in it is another valid address
(a payment to it is not a payment to the asked one: `wrong_address`, never credited). An EVM `0x` address
of the same key is refused: a player pasting one meant another network, and must be told so.
"""

import re
from functools import lru_cache

import base58

from deposit_check.errors import InvalidAddress

PREFIX = 0x41
_BASE58 = re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}")
_HEX = re.compile(r"41[0-9a-fA-F]{40}")
_EVM = re.compile(r"0[xX][0-9a-fA-F]{40}")


@lru_cache(maxsize=65_536)
def parse_address(address: str) -> str:
    """The base58check form of a TRON address given either way; InvalidAddress for anything else."""
    text = address.strip()
    if _HEX.fullmatch(text):
        return from_bytes(bytes.fromhex(text))
    if _EVM.fullmatch(text):
        raise InvalidAddress(
            f"{address!r} is an EVM address (0x...), not a TRON one: TRON addresses start with T (or 41 in hex); "
            "check which network the deposit address is on"
        )
    if not _BASE58.fullmatch(text):
        raise InvalidAddress(
            f"{address!r} is not a TRON address: expected T and 33 base58 characters, or 41 and 40 hexadecimal"
        )
    try:
        payload = base58.b58decode_check(text)
    except ValueError:
        raise InvalidAddress(f"{address!r} has a bad checksum: check it for typos") from None
    if len(payload) != 21 or payload[0] != PREFIX:
        raise InvalidAddress(f"{address!r} is not a TRON address: its version byte is not 0x41")
    return text


def from_bytes(raw: bytes) -> str:
    """Base58check of 21 bytes (0x41 and a key hash)."""
    if len(raw) != 21 or raw[0] != PREFIX:
        raise ValueError("a TRON address is 21 bytes starting with 0x41")
    return base58.b58encode_check(raw).decode()


def from_hex(text: str) -> str:
    """Base58check of an address as the node spells it: `41` + 40 hex, or the 20-byte hash alone (logs, topics)."""
    body = text.lower().removeprefix("0x")
    if len(body) == 40:
        body = "41" + body
    return from_bytes(bytes.fromhex(body))


def to_hex(address: str) -> str:
    """`41` + 40 lower-case hex digits of a canonical (base58) address."""
    return base58.b58decode_check(address).hex()


def key_hash(address: str) -> str:
    """The 20-byte key hash of a canonical address, lower-case hex (a log topic's last 40 digits)."""
    return to_hex(address)[2:]
