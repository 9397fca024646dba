"""Asking the watcher to follow a deposit: one record and its indexes, written atomically."""

import time

import redis.asyncio as redis

from deposit_check.config import WatchConfig
from deposit_check.keys import STREAMS, ChainKeys
from deposit_check.models import Observation, Status
from deposit_check.ownership import UNDECLARED, Owner
from deposit_check.verdict import WATCHABLE
from deposit_check.watch.changes import Changes, commit
from deposit_check.watch.state import Watch


class Registry:
    def __init__(self, client: redis.Redis, config: WatchConfig) -> None:
        self.redis = client
        self.config = config

    async def watch(
        self,
        observation: Observation,
        address: str,
        status: Status,
        asset: str | None,
        expected: str | None,
        owner: Owner = UNDECLARED,
    ) -> bool:
        """Follow this deposit (idempotent: an existing watch is kept as it is). False: not watchable.

        `owner`: what the check knew of the address, kept so that every later verdict is decided with it."""
        if status not in WATCHABLE:
            return False
        k = ChainKeys(observation.chain)
        if await self.redis.hexists(k.watches, observation.tx_hash):
            return True
        now = time.time()
        seconds = self.config.not_found_minutes * 60 if status is Status.NOT_FOUND else self.config.pending_hours * 3600
        record = Watch(
            chain=observation.chain,
            tx_hash=observation.tx_hash,
            address=address,
            observation=observation,
            status=status,
            asset=asset,
            expected=expected,
            owner=owner,
            registered_at=now,
            expires_at=now + seconds if observation.block is None else None,
        )
        await commit(
            self.redis, k, None, Changes(puts={record.tx_hash: (None, record)}), now + self.config.recheck_seconds
        )
        await self.redis.sadd(STREAMS, k.events)
        return True

    async def watched(self, chain: str, tx_hash: str) -> Watch | None:
        raw = await self.redis.hget(ChainKeys(chain).watches, tx_hash)
        return Watch.from_json(raw) if raw else None
