"""What a transaction hash, a deposit address and a chain name may look like: the one rule at every door.

Both services apply it to what a caller sends (ticket_link's bot API and agent form, deposit_check's
`/v1/checks`), and ticket_link's notes show a hash or an address only if it passes. It checks the
character set and the length of each chain family's spelling, nothing more: whether the checksum is
right and the network is the chain's is deposit_check's adapters' to say (with their own 422). So
this rule is never stricter than they are, and whatever passes it is letters and digits only: no
markup, no URL, no space can get through a door into a note.

A family is one entry of `ADDRESS_FAMILIES` (TRON's `T...` is one, before the generic base58 whose shape
it also has); a new chain family is a new entry here, and both services accept it at once.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

INVALID_TX_HASH = "invalid_tx_hash"
INVALID_ADDRESS = "invalid_address"
INVALID_CHAIN = "invalid_chain"
CODES = frozenset({INVALID_TX_HASH, INVALID_ADDRESS, INVALID_CHAIN})  # error codes a 422 may carry

# UTXO txids, EVM tx hashes and TRON tx ids alike: 32 bytes in hex. deposit_check's adapters lower-case
# the hash and accept an optional 0x on every family, so the door does too.
_TX_HASH = re.compile(r"(?:0[xX])?[0-9a-fA-F]{64}")
TX_HASH_RULE = "expected 64 hexadecimal characters (0-9, a-f), optionally after 0x"

_CHAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
CHAIN_RULE = "expected a configured chain's name: 1 to 32 letters, digits, '_', '.' or '-'"

# A chain's name for people ("TRON (TRC-20)"), set by the operator and shown in notes and player messages.
# Letters of any script and digits, single spaces and ( ) . + / - : no markup character (* _ [ ] < > ` # | ...),
# no URL (no ':'), no line break, so a note needs no escaping of it (the helpdesk adapters escape it anyway).
_DISPLAY_NAME = re.compile(r"(?:[^\W_]|[()])(?:[^\W_]|[().+/-]| (?! )){0,46}(?:[^\W_]|[().+/-])|[^\W_]")
DISPLAY_NAME_RULE = (
    "expected 1 to 48 letters, digits, single spaces and ( ) . + / -, starting with a letter, a digit or '(' "
    "and not ending with a space"
)

_BECH32_DATA = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


@dataclass(frozen=True)
class AddressFamily:
    """One way of spelling a deposit address: its name, its shape, and the shape in words (for a 422)."""

    name: str
    shape: re.Pattern[str]
    rule: str

    def fits(self, text: str) -> bool:
        return self.shape.fullmatch(text) is not None


ADDRESS_FAMILIES: tuple[AddressFamily, ...] = (
    AddressFamily("evm", re.compile(r"0[xX][0-9a-fA-F]{40}"), "an EVM address (0x and 40 hexadecimal characters)"),
    # BIP-173/350: a human-readable part, the separator 1, at least a witness version, a 2-byte
    # program and a 6-character checksum (11 characters), 90 characters in all; one case only.
    AddressFamily(
        "bech32",
        re.compile(
            rf"(?=.{{14,90}}$)(?:[a-z0-9]{{1,83}}1[{_BECH32_DATA}]{{11,}}|[A-Z0-9]{{1,83}}1[{_BECH32_DATA.upper()}]{{11,}})"
        ),
        f"a bech32 address (a prefix such as ltc, then 1, then 11 or more of {_BECH32_DATA}; "
        "14 to 90 characters, one case)",
    ),
    # TRON: base58check of 0x41 and a 20-byte hash (always T and 33 more), or the node's hex spelling (41 and
    # 40 hex). Before base58, whose shape the T form also has: a T... address is TRON's, not a UTXO coin's.
    AddressFamily(
        "tron",
        re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}|41[0-9a-fA-F]{40}"),
        "a TRON address (T and 33 base58 characters, or 41 and 40 hexadecimal)",
    ),
    # Base58check of a version byte, a 20-byte hash and a 4-byte checksum: 25 to 35 characters.
    AddressFamily(
        "base58",
        re.compile(r"[1-9A-HJ-NP-Za-km-z]{25,35}"),
        "a base58 address (25 to 35 characters, without 0, O, I or l)",
    ),
)
ADDRESS_RULE = "expected " + ", ".join(f.rule for f in ADDRESS_FAMILIES[:-1]) + " or " + ADDRESS_FAMILIES[-1].rule

# The request fields' OpenAPI descriptions, from the rules above (both services' schemas use them).
TX_HASH_DOC = f"Transaction hash (txid): {TX_HASH_RULE}. Anything else is a 422 `{INVALID_TX_HASH}`."
ADDRESS_DOC = (
    f"The casino's deposit address: {ADDRESS_RULE}. Anything else is a 422 `{INVALID_ADDRESS}`; its checksum and "
    "network are checked by the chain."
)


def tx_hash_fits(text: str) -> bool:
    return _TX_HASH.fullmatch(text) is not None


def address_family(text: str) -> AddressFamily | None:
    """The first family whose shape `text` has; None when it has none."""
    return next((f for f in ADDRESS_FAMILIES if f.fits(text)), None)


def tx_hash_problem(text: str) -> str | None:
    """Why `text` (already stripped) cannot be a tx hash, never quoting it; None when it can."""
    return None if tx_hash_fits(text) else f"not a transaction hash: {TX_HASH_RULE}"


def address_problem(text: str) -> str | None:
    """Why `text` (already stripped) cannot be a deposit address, never quoting it; None when it can."""
    return None if address_family(text) is not None else f"not a deposit address: {ADDRESS_RULE}"


def chain_problem(text: str) -> str | None:
    return None if _CHAIN.fullmatch(text) else f"not a chain name: {CHAIN_RULE}"


def display_name_problem(text: str) -> str | None:
    """Why `text` cannot be a chain's display name, never quoting it; None when it can."""
    return None if _DISPLAY_NAME.fullmatch(text) else f"not a display name: {DISPLAY_NAME_RULE}"


def _validator(code: str, problem: Callable[[str], str | None]) -> AfterValidator:
    def check(value: str) -> str:
        reason = problem(value)
        if reason is not None:
            # Its own error type: the one 422 handler answers it with this code (desk_common.errors).
            raise PydanticCustomError(code, reason)
        return value

    return AfterValidator(check)


# Request fields: the model strips whitespace first (`str_strip_whitespace`), then this rule runs.
TxHash = Annotated[str, _validator(INVALID_TX_HASH, tx_hash_problem)]
Address = Annotated[str, _validator(INVALID_ADDRESS, address_problem)]
ChainName = Annotated[str, _validator(INVALID_CHAIN, chain_problem)]
