"""How the index stores an address and what it knows of it: keyed hashes and sealed accounts.

An address is kept as a keyed BLAKE2b hash split into a bucket number (14 bits: 16,384 small
hashes per chain) and a 12-byte field, so nothing at rest lists the casino's addresses and a
player cannot search offline for an address whose hash meets one of ours (2^96 fields per bucket).
An account reference is sealed with AES-SIV bound to the address's field (a value copied onto
another address does not open), 17 bytes more than the reference itself.

Outside the index (the `Owner` a lookup answers, and so verdicts, cached answers, watch records) an
account travels sealed too (`seal_account`): AES-SIV without a nonce is deterministic, so two sealed
references are equal exactly when the references are, and only an HTTP answer opens one.
"""

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

BUCKET_BITS = 14
BUCKETS = 1 << BUCKET_BITS
FIELD_BYTES = 12

# Accounts are the casino's opaque pseudonymous ids: letters, digits and a few separators, up to 128.
# No spaces or "@": a name or an e-mail address is refused, not stored.
ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")
ACCOUNT_RULE = "an opaque id of 1-128 letters, digits or ._:/+=- (no spaces, no @: never a name or e-mail)"

_IMPORTED = 0x00
_IMPORTED_WITH_ACCOUNT = 0x01
_DERIVED = 0x02
_SEALED_REFERENCE = b"deposit_check sealed account reference v1"  # associated data: not an index entry


def _derive(secret: bytes, purpose: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(secret)


def account_error(account: str) -> str | None:
    """Why `account` cannot be stored, or None when it can."""
    if ACCOUNT.fullmatch(account):
        return None
    if len(account) > 128:
        return f"account reference too long ({len(account)} characters, at most 128)"
    return f"account reference refused: {ACCOUNT_RULE}"


@dataclass(frozen=True)
class Slot:
    """Where one address lives: bucket number and field."""

    bucket: int
    field: bytes


@dataclass(frozen=True)
class Derived:
    """An address derived from an extended key: which key (fingerprint), branch and index."""

    key: str  # 8 hex characters
    branch: int
    index: int


@dataclass(frozen=True)
class Entry:
    """What the index holds about one address."""

    account: str | None = None
    derived: Derived | None = None


class Codec:
    """Keyed hashing, sealing and the byte layout of values; one per secret."""

    def __init__(self, secret: str) -> None:
        raw = secret.encode()
        self._hash_key = _derive(raw, b"deposit_check ownership address hash v1", 32)
        self._siv = AESSIV(_derive(raw, b"deposit_check ownership account seal v1", 64))

    def seal_account(self, account: str) -> str:
        """An account reference as it may be kept or passed around: sealed, deterministic (equal in, equal out)."""
        return base64.urlsafe_b64encode(self._siv.encrypt(account.encode(), [_SEALED_REFERENCE])).decode().rstrip("=")

    def open_account(self, sealed: str) -> str:
        """ValueError when `sealed` is not a reference sealed with this secret."""
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            return self._siv.decrypt(raw, [_SEALED_REFERENCE]).decode()
        except (InvalidTag, ValueError):
            raise ValueError("a sealed account reference does not open with this secret") from None

    def slot(self, chain: str, address: str) -> Slot:
        """`address` in the chain's canonical form."""
        digest = hashlib.blake2b(
            f"{chain}\x1f{address}".encode(), key=self._hash_key, digest_size=2 + FIELD_BYTES
        ).digest()
        return Slot(int.from_bytes(digest[:2], "big") >> (16 - BUCKET_BITS), digest[2:])

    def encode(self, slot: Slot, entry: Entry) -> bytes:
        if entry.derived is not None:
            d = entry.derived
            return bytes([_DERIVED]) + bytes.fromhex(d.key) + bytes([d.branch]) + d.index.to_bytes(4, "big")
        if entry.account is None:
            return bytes([_IMPORTED])
        return bytes([_IMPORTED_WITH_ACCOUNT]) + self._siv.encrypt(entry.account.encode(), [slot.field])

    def decode(self, slot: Slot, value: bytes) -> Entry:
        """ValueError when the value is not ours (another secret, or tampered with)."""
        kind = value[0] if value else -1
        if kind == _IMPORTED and len(value) == 1:
            return Entry()
        if kind == _IMPORTED_WITH_ACCOUNT:
            try:
                return Entry(account=self._siv.decrypt(value[1:], [slot.field]).decode())
            except InvalidTag:
                raise ValueError("a sealed account reference does not open with this secret") from None
        if kind == _DERIVED and len(value) == 10:
            return Entry(derived=Derived(value[1:5].hex(), value[5], int.from_bytes(value[6:10], "big")))
        raise ValueError("an ownership entry in an unknown format")


def key_fingerprint(extended_key: str) -> str:
    """A short stable name of an extended key (8 hex characters), for progress and derived entries."""
    return hashlib.sha256(extended_key.encode()).hexdigest()[:8]
