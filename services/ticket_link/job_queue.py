"""saq's RedisQueue on any REDIS_URL: one Redis, a Sentinel set or a Redis Cluster.

Its keys share the `{ticket_link}` tag (keys.QUEUE), so each of its scripts and transactions touches one slot.
Its transactions run on the master of that slot (desk_common/redis_connect.py), as on one Redis: `abort`'s PUBLISH
inside its MULTI too (a message published on any master reaches the whole cluster). saq 0.26.4 (read from
saq/queue/redis.py) still assumes a plain client in two places, which fail on redis-py's RedisCluster client:

- the pub/sub multiplexer's first PSUBSCRIBE picks a node from the client's slot map, empty until the client's
  first command (KeyError): `connect` fills it first.
- `disconnect` ends with `redis.connection_pool.disconnect()`: a cluster client has no pool (AttributeError).
  Closing the client closes every node's connections.
"""

from typing import Any

from redis.asyncio.cluster import RedisCluster
from saq.queue.redis import RedisQueue

from desk_common.redis_connect import connect
from ticket_link import keys


def open_queue(redis_url: str) -> "JobQueue":
    # saq's own from_url reads only redis://; a client from our factory follows a Sentinel failover or a
    # cluster's MOVED/ASK as well. No socket timeout: saq blocks on BLMOVE for a job as long as it likes.
    return JobQueue(connect(redis_url), name=keys.QUEUE)


class JobQueue(RedisQueue):
    """saq's queue with the two cluster fixes above; the same behaviour on one Redis."""

    @property
    def _cluster(self) -> bool:
        return isinstance(self.redis, RedisCluster)

    async def connect(self) -> None:
        if self._cluster:
            await self.redis.initialize()
        await super().connect()

    async def disconnect(self) -> None:
        if not self._cluster:
            await super().disconnect()
            return
        pubsub: Any = self._pubsub  # saq's multiplexer: the one listener of the queue's job statuses
        await pubsub.close()
        await self.redis.aclose()
