"""A running Redis Cluster where tests take a RedisServer: chosen existing tests run again on a cluster by
overriding their `redis_server` fixture with this (tests/deposit_check/on_cluster/)."""

import redis

from desk_common.redis_connect import connect_sync
from harness.redis_cluster import RedisCluster


class ClusterAsServer:
    """`url` is the cluster's REDIS_URL (redis+cluster://...), as the services take it. A cluster has one keyspace:
    every `url_for(db)` is that URL, and tests keep apart by their own keys (fresh txs, addresses, chain names).
    No `port`: a test that would reach one node directly fails at once instead of meeting MOVED."""

    def __init__(self, cluster: RedisCluster) -> None:
        self.cluster = cluster

    @property
    def url(self) -> str:
        return self.cluster.cluster_url

    def url_for(self, db: int) -> str:
        return self.cluster.cluster_url

    def client(self, db: int = 0) -> redis.Redis:
        return connect_sync(self.cluster.cluster_url)
