"""One-off upgrade steps on ticket_link's Redis data (run with the API and the worker stopped)."""

import redis.asyncio as redis

from ticket_link import keys


async def tag_keys(client: redis.Redis) -> tuple[int, int]:
    """Rename the keys written before 2026-11-30 without hash tags to their tagged names (RENAMENX: each keeps
    its value and TTL; a tagged key already there is kept and the old one left for the operator). Returns
    (renamed, left). On one Redis only: a Redis Cluster cannot rename a key into another slot."""
    renamed = left = 0
    for pattern in keys.UNTAGGED:
        async for raw in client.scan_iter(match=pattern, count=1000):
            old = raw.decode() if isinstance(raw, bytes) else str(raw)
            new = keys.tagged(old)
            if new is None:
                continue
            if await client.renamenx(old, new):
                renamed += 1
            else:
                left += 1
    return renamed, left
