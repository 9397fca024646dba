"""Redis answers as text: our clients do not decode (raw bytes are cheaper on the hot paths), and
redis-py types every answer as `bytes | str` whatever the client was built with."""

from typing import Any


def text(raw: Any) -> str:
    """A Redis bulk string as `str` (members, keys and values we wrote as text)."""
    if isinstance(raw, bytes):
        return raw.decode()
    if isinstance(raw, str):
        return raw
    raise TypeError(f"expected a Redis string, got {type(raw).__name__}")
