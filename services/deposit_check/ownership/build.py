"""`build_ownership`: the `Ownership` a deployment's config asks for."""

import redis.asyncio as redis

from deposit_check.chains.utxo_address import AddressParams, params_for_chain, parse_address
from deposit_check.config import AppConfig, UtxoChainConfig
from deposit_check.ownership import NoOwnership, Ownership
from deposit_check.ownership.backends import MemoryBackend, RedisBackend
from deposit_check.ownership.codec import Codec, account_error, key_fingerprint
from deposit_check.ownership.index import Identity, OwnershipIndex
from desk_common.redis_connect import decodes_responses


def build_ownership(config: AppConfig, redis_client: "redis.Redis | None") -> Ownership:
    """The index in Redis (`redis_client`, bytes replies), or in this process when there is none;
    `NoOwnership` when `[ownership] secret` is not set (nothing can be declared)."""
    settings = config.file.ownership
    if settings.secret is None:
        return NoOwnership()
    if redis_client is not None and decodes_responses(redis_client):
        raise ValueError("the ownership index needs a Redis client that returns bytes (no decode_responses)")
    backend = RedisBackend(redis_client) if redis_client is not None else MemoryBackend()
    key_accounts = {key_fingerprint(k.key.strip()): k.account for keys in settings.xpubs.values() for k in keys}
    for account in filter(None, key_accounts.values()):
        if (why := account_error(account)) is not None:
            raise ValueError(f"ownership.xpubs: {why}")
    identities = {
        name: _script_of(params_for_chain(name, chain))
        for name, chain in config.file.chains.items()
        if isinstance(chain, UtxoChainConfig)
    }
    return OwnershipIndex(
        backend, Codec(settings.secret), identities, declared=settings.xpubs, key_accounts=key_accounts
    )


def _script_of(params: AddressParams) -> Identity:
    # The adapter's cached parse: a check's address was parsed a moment ago.
    return lambda address: parse_address(address, params).script_pubkey
