"""Candidate (tx hash, deposit address) claims in free ticket text, and lookups by address when it names no
hash: pure functions, no I/O.

The text is cut into runs of ASCII letters and digits by one linear regex, and each run is
classified on its own. That makes everything else (URL slashes, `?`, `#`, punctuation, quotes,
brackets, backticks, HTML tags, Cyrillic words) a boundary without look-arounds, and a run that is
longer than a hash (a 66-hex run, a 128-hex blob) is simply not a hash: nothing can backtrack.

Which address a hash goes with is decided by family. A `0x` hash is an EVM tx and pairs with EVM
addresses only. A bare 64-hex hash is a UTXO txid or a TRON tx id (the same shape), and pairs with
UTXO and TRON addresses alike, the nearest one winning, or with the one `0x` address the text names when it names
no UTXO or TRON address (a TRC-20 hash written next to an ERC-20 address: deposit_check answers `wrong_network`);
in a Tronscan link it is TRON's and pairs with TRON addresses only. deposit_check then picks the chain from the
address's format. A hash with no address is located by its hash alone (ticket_link/locate.py).
"""

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import base58
from eth_utils.address import is_checksum_address, to_checksum_address

from ticket_link import hints

Family = Literal["evm", "utxo", "tron"]
BARE_HASH_FAMILIES: tuple[Family, ...] = ("utxo", "tron")  # who a 64-hex hash without 0x may belong to

MAX_TEXT = 100_000  # a ticket can be 100 KB of pasted logs; deposits are named near the top
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TOKEN = re.compile(r"[0-9A-Za-z]+")
# Shortest segwit address (hrp "bc", 2-byte program) is 14 characters; the bech32 limit is 90.
_MIN_TOKEN, _MAX_TOKEN = 14, 90
_EVM_HASH = re.compile(r"0[xX][0-9a-fA-F]{64}")
_UTXO_HASH = re.compile(r"[0-9a-fA-F]{64}")
_EVM_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")
_TRON_HEX_ADDRESS = re.compile(r"41[0-9a-fA-F]{40}")
_TRON_VERSION = 0x41  # base58check version byte of every TRON address (mainnet and testnets): "T..."
# A Tronscan transaction link right before a hash (tronscan.org, tronscan.io, the nile and shasta testnets'):
# the link must not continue a URL or a word and the host is followed by its path, so `eviltronscan.org`,
# `tronscan.org.example`, `tronscan.org@example`, `example/tronscan.org/...` and `?u=https://tronscan.org/...`
# are not Tronscan. It only narrows which address the hash pairs with; the chain still decides.
_TRONSCAN = re.compile(
    r"(?<![0-9A-Za-z./@_~%+=?&#-])(?:https?://)?(?:(?:www|nile|shasta)\.)?tronscan\.(?:org|io)/(?:#/)?transaction/\Z",
    re.IGNORECASE,
)
_TRONSCAN_REACH = 48  # longer than any prefix _TRONSCAN matches (42), so its look-behind sees a real character

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_VALUES = {c: i for i, c in enumerate(_BECH32_CHARSET)}
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32, _BECH32M = 1, 0x2BC830A3  # polymod results of a valid bech32 / bech32m string


@dataclass(frozen=True)
class Claim:
    """One transaction the ticket names, with the deposit address it probably paid (None: ask)."""

    tx_hash: str  # lower-case; EVM hashes keep their 0x
    address: str | None  # EVM: EIP-55 checksummed; bech32: lower-case; TRON: base58check `T...`; base58: as written
    # The address's family; with no address, the hash's when it tells (0x: evm, a Tronscan link: tron), else
    # None: a bare hash is a UTXO or a TRON tx (BARE_HASH_FAMILIES), and only an address can say which.
    family: Family | None


@dataclass(frozen=True)
class Lookup:
    """An address the ticket names with no hash: ask which deposits reached it (deposit_check's `/v1/lookups`),
    narrowed and ranked by what the player said (hints.py: an amount with its asset, a time widened to a bound)."""

    address: str  # as in Claim
    family: Family
    expected_amount: str | None = None
    asset: str | None = None
    since: datetime | None = None

    def request(self) -> dict[str, Any]:
        """The lookup as a queued job keeps it (JSON: `since` as ISO 8601)."""
        return {
            "address": self.address,
            "asset": self.asset,
            "expected_amount": self.expected_amount,
            "since": self.since.isoformat() if self.since else None,
        }


@dataclass(frozen=True)
class _Hit:
    value: str
    family: Family
    start: int
    end: int


@dataclass
class _HashHit:
    value: str
    families: tuple[Family, ...]  # the address families it pairs with
    start: int
    end: int


def extract(text: str, max_claims: int = 10) -> list[Claim]:
    """Claims in order of first appearance, deduplicated by hash, at most `max_claims`."""
    if max_claims <= 0:
        return []
    bounded = _bounded(text)
    hashes: list[_HashHit] = []
    addresses: dict[Family, list[_Hit]] = {"evm": [], "utxo": [], "tron": []}
    seen: dict[str, _HashHit] = {}
    for match in _TOKEN.finditer(bounded):
        token = match.group()
        if not _MIN_TOKEN <= len(token) <= _MAX_TOKEN:
            continue
        tx = _tx_hash(token)
        if tx is not None:
            families = _hash_families(tx, bounded, match.start())
            # Dedupe on the bare hex: a player who also writes the 0x-less form means the same tx.
            bare = tx.removeprefix("0x")
            earlier = seen.get(bare)
            if earlier is not None:
                if families == ("tron",) and earlier.families == BARE_HASH_FAMILIES:
                    earlier.families = families  # named bare first, then linked on Tronscan: TRON's
            elif len(hashes) < max_claims:
                seen[bare] = _HashHit(tx, families, match.start(), match.end())
                hashes.append(seen[bare])
            continue
        found = _address(token)
        if found is not None:
            address, family = found
            addresses[family].append(_Hit(address, family, match.start(), match.end()))
    pools: dict[tuple[Family, ...], tuple[list[_Hit], list[int], _Hit | None]] = {}
    claims = []
    for h in hashes:
        if h.families not in pools:
            hits = sorted((a for f in h.families for a in addresses[f]), key=lambda a: a.start)
            pools[h.families] = (hits, [a.start for a in hits], _only(hits))
        hits, starts, only = pools[h.families]
        paired = only or _nearest(h, hits, starts)
        if paired is None and h.families == BARE_HASH_FAMILIES:
            # No UTXO or TRON address at all: a lone 0x address goes with the bare hash. deposit_check then finds
            # the tx on the chain it is on, and a TRC-20 hash sent next to an ERC-20 address is `wrong_network`.
            paired = _only(addresses["evm"])
        if paired is not None:
            claims.append(Claim(h.value, paired.value, paired.family))
        else:  # the hash's own family, when it has only one
            claims.append(Claim(h.value, None, h.families[0] if len(h.families) == 1 else None))
    return claims


def extract_lookups(text: str, now: datetime, max_lookups: int = 2) -> list[Lookup]:
    """With no hash in the text: one lookup per address it names (in order of first appearance, at most
    `max_lookups`), each with the amount and time the text gives, if any. A text with a hash gives none:
    its claims are checked (`extract`)."""
    if max_lookups <= 0:
        return []
    bounded = _bounded(text)
    addresses: dict[str, Family] = {}
    for match in _TOKEN.finditer(bounded):
        token = match.group()
        if not _MIN_TOKEN <= len(token) <= _MAX_TOKEN:
            continue
        if _tx_hash(token) is not None:
            return []
        found = _address(token)
        if found is not None and found[0] not in addresses and len(addresses) < max_lookups:
            addresses[found[0]] = found[1]
    if not addresses:
        return []
    stated = hints.amount(bounded)
    when = hints.since(bounded, now)
    return [
        Lookup(
            address,
            family,
            stated.value if stated else None,
            stated.asset if stated else None,
            when,
        )
        for address, family in addresses.items()
    ]


def _bounded(text: str) -> str:
    """The first MAX_TEXT characters, without a run cut in two (its stub could pose as a hash)."""
    if len(text) <= MAX_TEXT:
        return text
    head = text[:MAX_TEXT]
    return head.rstrip(_ALNUM) if text[MAX_TEXT] in _ALNUM else head


def _only(hits: list[_Hit]) -> _Hit | None:
    """The address when the ticket names exactly one of the families asked (however often)."""
    values = {h.value for h in hits}
    return hits[0] if len(values) == 1 else None


def _nearest(tx: _HashHit, candidates: list[_Hit], starts: list[int]) -> _Hit | None:
    """The address occurrence closest to the hash in characters; a tie goes to the one before."""
    if not candidates:
        return None
    # Hits are in text order and never overlap, so the two neighbours are found by bisection.
    i = bisect_right(starts, tx.start)
    before = candidates[i - 1] if i > 0 else None
    after = candidates[i] if i < len(candidates) else None
    if before is None:
        return after
    if after is None or tx.start - before.end <= after.start - tx.end:
        return before
    return after


def _hash_families(tx: str, text: str, start: int) -> tuple[Family, ...]:
    """The address families a hash found at `start` pairs with: EVM's for 0x, TRON's in a Tronscan link."""
    if tx.startswith("0x"):
        return ("evm",)
    if _TRONSCAN.search(text[max(0, start - _TRONSCAN_REACH) : start]):
        return ("tron",)
    return BARE_HASH_FAMILIES


def _tx_hash(token: str) -> str | None:
    if len(token) == 66 and _EVM_HASH.fullmatch(token):
        return "0x" + token[2:].lower()
    if len(token) == 64 and _UTXO_HASH.fullmatch(token):
        return token.lower()
    return None


def _address(token: str) -> tuple[str, Family] | None:
    if len(token) == 42 and _EVM_ADDRESS.fullmatch(token):
        address = "0x" + token[2:]
        body = token[2:]
        # All one case carries no checksum; mixed case must be a correct EIP-55 checksum.
        if body != body.lower() and body != body.upper() and not is_checksum_address(address):
            return None
        return to_checksum_address(address), "evm"
    if len(token) == 42 and _TRON_HEX_ADDRESS.fullmatch(token):
        # TRON's hex form carries no checksum: shown as its base58check form, as Tronscan and wallets do.
        return base58.b58encode_check(bytes.fromhex(token)).decode(), "tron"
    segwit = _segwit(token)
    if segwit is not None:
        return segwit, "utxo"
    payload = _base58check(token) if 25 <= len(token) <= 35 else None
    if payload is not None:
        # Version 0x41 is TRON's "T..."; a base58check address with any other version byte is a UTXO chain's.
        return token, "tron" if payload[0] == _TRON_VERSION else "utxo"
    return None


def _segwit(token: str) -> str | None:
    """The lower-cased address if `token` is a valid segwit address of any hrp (BIP-173/350)."""
    lower = token.lower()
    if token != lower and token != token.upper():  # BIP-173: mixed case is invalid
        return None
    sep = lower.rfind("1")
    if sep < 1 or len(lower) - sep - 1 < 7:  # hrp, then a witness version and a 6-char checksum
        return None
    hrp = lower[:sep]
    data: list[int] = []
    for c in lower[sep + 1 :]:
        value = _BECH32_VALUES.get(c)
        if value is None:
            return None
        data.append(value)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    const = _polymod(expanded + data)
    if const not in (_BECH32, _BECH32M):
        return None
    version, program = data[0], _five_to_eight(data[1:-6])
    if program is None or version > 16 or not 2 <= len(program) <= 40:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    # BIP-350: witness v0 uses bech32, v1+ bech32m; the wrong one is a typo, not an address.
    if (version == 0) != (const == _BECH32):
        return None
    return lower


def _polymod(values: list[int]) -> int:
    """The BIP-173 checksum function (reference implementation)."""
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_BECH32_GEN):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _five_to_eight(data: list[int]) -> list[int] | None:
    """Regroup 5-bit groups into bytes; None if the padding is not zero or too long (BIP-173)."""
    acc = bits = 0
    out: list[int] = []
    for value in data:
        acc = ((acc << 5) | value) & 0xFFF
        bits += 5
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits >= 5 or (acc << (8 - bits)) & 0xFF:
        return None
    return out


def _base58check(token: str) -> bytes | None:
    """The version byte and 20-byte hash `token` encodes, if its base58check checksum holds; else None."""
    try:
        payload = base58.b58decode_check(token)
    except ValueError:  # a character outside the alphabet, or a wrong checksum
        return None
    return payload if len(payload) == 21 else None
