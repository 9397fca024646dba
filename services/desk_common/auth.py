"""Bearer API keys, kept as SHA-256 digests; loopback-only when none are configured."""

import hashlib
import ipaddress


class AuthFailed(Exception):
    """The caller is not let in; the message says why (never echoes the key)."""


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def authenticate(keys: dict[str, str], authorization: str, client_host: str | None) -> str:
    """Return the caller's key name (`keys` maps digest -> name).

    A dict lookup on the digest of the presented key leaks nothing useful through timing: the
    attacker controls the pre-image, not the digest being compared.
    """
    if not keys:
        if _is_loopback(client_host):
            return "loopback"
        raise AuthFailed("no API keys are configured: the API only answers on loopback")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthFailed("missing API key: send 'Authorization: Bearer <key>'")
    name = keys.get(hashlib.sha256(token.strip().encode()).hexdigest())
    if name is None:
        raise AuthFailed("invalid API key")
    return name


def new_key(name: str) -> str:
    """Make a random API key; return the text telling the operator the key and its config entry."""
    import secrets

    key = secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    return (
        f"API key (give it to the caller; it is not stored): {key}\n"
        f'Add to the config file:\n[[api.keys]]\nname = "{name}"\nsha256 = "{digest}"'
    )
