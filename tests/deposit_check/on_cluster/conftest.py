"""deposit_check's Redis-bound scenarios again, on a real 3-master Redis Cluster (issue 16).

Every test module here imports chosen tests, with their module's fixtures, from where they live; this package's
`redis_server` (and `own_redis`, the ownership tests' own) is a cluster, so they run with
REDIS_URL=redis+cluster://... through the services' own client factory (desk_common/redis_connect.py). Chosen: the
ones that read and write Redis (the answers cache and its TTLs, ownership's scripts and versions, the watcher's
MULTI per block, leases and events, the watcher's lookup index), one or two per scenario, not the input checks.
"""

from collections.abc import Iterator

import pytest

from harness.redis_cluster import RedisCluster, running_cluster
from tests.on_cluster import ClusterAsServer


@pytest.fixture(scope="package")
def cluster() -> Iterator[RedisCluster]:
    yield from running_cluster(3)


@pytest.fixture(scope="package")
def redis_server(cluster: RedisCluster) -> ClusterAsServer:
    return ClusterAsServer(cluster)


@pytest.fixture(scope="package")
def own_redis(cluster: RedisCluster) -> ClusterAsServer:
    return ClusterAsServer(cluster)
