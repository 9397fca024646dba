"""One follower per chain: a Redis key with a TTL, held by its owner and renewed while it works.

A follower that dies stops renewing; after `ttl` another process takes the chain over. Writes of
a block's results are fenced by the lease (see changes.py), so a follower that lost its lease
while stalled can never write over its successor's work.
"""

import redis.asyncio as redis


class LostLease(Exception):
    """Another process holds this chain's lease now: drop the work, write nothing."""


_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease:
    def __init__(self, client: redis.Redis, key: str, owner: str, ttl_seconds: float) -> None:
        self.redis = client
        self.key = key
        self.owner = owner
        self.ttl_ms = int(ttl_seconds * 1000)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    async def hold(self) -> bool:
        """Take the lease if free, or renew it if ours; True while we hold it."""
        if await self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]):
            return True
        return bool(await self.redis.set(self.key, self.owner, nx=True, px=self.ttl_ms))

    async def renew(self) -> bool:
        """Extend the lease if we still hold it; never take a free one (mid-round, our view may be stale)."""
        return bool(await self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]))

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.owner])
