"""REDIS_URL forms (desk_common/redis_connect.py): what each names, what a bad one says, and a client of each
kind that talks to a real redis-server (Sentinel and failover: tests/ticket_link/test_sentinel_failover.py)."""

import pytest
from redis.asyncio.cluster import RedisCluster

from desk_common.redis_connect import RedisUrlError, connect, limits_storage, parse
from tests.conftest import RedisServer


def test_one_redis_is_read_by_redis_py_as_before() -> None:
    for url in ("redis://127.0.0.1:6379/2", "rediss://u:p@cache.example:6380/0", "unix:///run/redis.sock?db=1"):
        target = parse(url)
        assert (target.kind, target.url, target.wait_replicas) == ("single", url, 0)
    waiting = parse("redis://h:1/0?wait_replicas=1&wait_ms=200&health_check_interval=3")
    assert (waiting.wait_replicas, waiting.wait_ms) == (1, 200)
    assert waiting.url == "redis://h:1/0?health_check_interval=3"  # what redis-py is handed: its options only


def test_a_sentinel_set_names_its_sentinels_service_database_and_passwords() -> None:
    target = parse("redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/desk/3?sentinel_password=other")
    assert target.kind == "sentinel"
    assert target.hosts == (("10.0.0.1", 26379), ("10.0.0.2", 26380))
    assert (target.service, target.db, target.password, target.username) == ("desk", 3, "s3cret", None)
    assert target.sentinel_auth == {"password": "other"}
    assert (target.wait_replicas, target.wait_ms) == (1, 500)  # WAIT for one replica by default
    assert parse("redis+sentinel://h:1/desk?wait_replicas=0").wait_replicas == 0
    assert parse("rediss+sentinel://h:1/desk").ssl is True


def test_a_cluster_names_its_start_up_nodes() -> None:
    target = parse("redis+cluster://a:7000,b:7001")
    assert (target.kind, target.hosts) == ("cluster", (("a", 7000), ("b", 7001)))


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://h:1/0", "unknown scheme"),
        ("redis+sentinel://h:1", "service_name/db"),
        ("redis+sentinel://h:1/desk/x", "service_name/db"),
        ("redis+sentinel://h/desk", "not host:port"),
        ("redis+cluster://h:1/2", "database 0"),
        ("redis+cluster://", "at least one host"),
        ("redis+sentinel://h:1/desk?wait_ms=soon", "whole numbers"),
    ],
)
def test_a_bad_url_says_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(RedisUrlError, match=says):
        parse(url)


async def test_a_client_and_a_limits_storage_of_one_redis_talk_to_it(redis_server: RedisServer) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/5?wait_replicas=0"
    client = connect(url, socket_timeout=2.0)
    try:
        assert await client.set("redis-connect-test", 1, ex=5) is True
        storage = limits_storage(client, "redis-connect-test", url)
        assert await storage.incr("hits", 5) == 1 and await storage.get("hits") == 1
    finally:
        await client.aclose()


def test_a_cluster_url_gives_a_cluster_client() -> None:
    client = connect("redis+cluster://127.0.0.1:7000")
    assert isinstance(client, RedisCluster)
