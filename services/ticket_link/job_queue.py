"""saq's RedisQueue on any REDIS_URL: one Redis, a Sentinel set or a Redis Cluster.

Its keys share the `{ticket_link}` tag (keys.QUEUE), so each of its scripts and transactions touches one slot.
saq 0.26.4 (read from saq/queue/redis.py) still assumes a plain client in three places, which fail on redis-py's
RedisCluster client:

- `abort` (what the sweep does to a dead worker's job) sends PUBLISH inside its MULTI: the cluster pipeline
  refuses PUBLISH ("blocked when running redis in cluster mode"). Here the transaction runs without it and the
  status is published right after, as saq's own `_retry` and `_update` do: a listener hears it a moment later.
- the pub/sub multiplexer's first PSUBSCRIBE picks a node from the client's slot map, empty until the client's
  first command (KeyError): `connect` fills it first.
- `disconnect` ends with `redis.connection_pool.disconnect()`: a cluster client has no pool (AttributeError).
  Closing the client closes every node's connections.
"""

from typing import Any

from redis.asyncio.cluster import RedisCluster
from saq.job import Job, Status
from saq.queue.redis import RedisQueue

from desk_common.redis_connect import connect
from ticket_link import keys


def open_queue(redis_url: str) -> "JobQueue":
    # saq's own from_url reads only redis://; a client from our factory follows a Sentinel failover or a
    # cluster's MOVED/ASK as well. No socket timeout: saq blocks on BLMOVE for a job as long as it likes.
    return JobQueue(connect(redis_url), name=keys.QUEUE)


class JobQueue(RedisQueue):
    """saq's queue with the three cluster fixes above; the same behaviour on one Redis."""

    @property
    def _cluster(self) -> bool:
        return isinstance(self.redis, RedisCluster)

    async def connect(self) -> None:
        if self._cluster:
            await self.redis.initialize()
        await super().connect()

    async def abort(self, job: Job, error: str, ttl: float = 5) -> None:
        job.status = Status.ABORTING
        job.error = error
        queued, incomplete = self.namespace("queued"), self.namespace("incomplete")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrem(queued, 0, job.id)
            pipe.zrem(incomplete, job.id)
            pipe.set(job.id, self.serialize(job))
            pipe.set(job.abort_id, error, ex=max(1, int(ttl)))
            dequeued, *_ = await pipe.execute()
        await self.notify(job)
        if dequeued:  # it was still waiting: it ends here
            await self.finish(job, Status.ABORTED, error=error)
            await self.redis.delete(job.abort_id)
        else:  # a worker holds it: that worker sees the abort mark and stops it
            await self.redis.lrem(self.namespace("active"), 0, job.id)

    async def disconnect(self) -> None:
        if not self._cluster:
            await super().disconnect()
            return
        pubsub: Any = self._pubsub  # saq's multiplexer: the one listener of the queue's job statuses
        await pubsub.close()
        await self.redis.aclose()
