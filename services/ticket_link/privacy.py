"""Pseudonymity: ticket references become keyed hashes for lookups and are sealed (encrypted) where
they must be read back (a queued note must know where to go; a duplicate claim names the earlier
ticket for agents). Nothing at rest holds a raw ticket id."""

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


class Pseudonymizer:
    def __init__(self, secret: str) -> None:
        raw = secret.encode()
        self._hash_key = _derive(raw, b"ticket_link ticket-ref hash v1")
        self._account_key = _derive(raw, b"ticket_link account-ref hash v1")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(raw, b"ticket_link seal v1")))

    def ticket_key(self, helpdesk: str, ticket_id: str) -> str:
        """A stable, keyed, one-way name for a ticket (HMAC-SHA256, 128 bits in hex)."""
        message = f"{helpdesk}\x1f{ticket_id}".encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()[:32]

    def account_key(self, account: str) -> str:
        """A keyed hash of a player-account reference (the casino's opaque id): compared, never stored raw."""
        return hmac.new(self._account_key, account.encode(), hashlib.sha256).hexdigest()[:32]

    def seal(self, value: Any) -> str:
        """Encrypt and authenticate a JSON-able value."""
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()

    def unseal(self, token: str) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ValueError("sealed value does not open with this secret") from None
