"""`REDIS_URL` into clients: one Redis, a Sentinel set or a Cluster, each reconnecting by itself.

The URL forms (docs/configuration.md):

- `redis://[user:password@]host:port/db`, `rediss://...`, `unix:///path?db=N`: one Redis, as redis-py reads it.
- `redis+sentinel://[user:password@]host:port,host:port/service_name/db`: the master of `service_name`, as
  the sentinels at these addresses name it; `?sentinel_password=...` (and `sentinel_username`) when the
  sentinels ask for one of their own. `rediss+sentinel://` speaks TLS to the data nodes.
- `redis+cluster://[user:password@]host:port,host:port`: a Redis Cluster from these start-up nodes.

Query options for the first two: `wait_replicas` and `wait_ms`, how many replicas `durable` waits for and how
long (Sentinel: 1 replica, 500 ms by default; one Redis: none).

Reconnection: every client retries a command that met a dropped connection or a timeout, with an exponential
backoff (50 ms doubling, capped at 1 s) for `RETRIES` attempts, about 8.5 s in all: longer than a Sentinel
failover with `down-after-milliseconds 1000` takes (docs/operations.md). A Sentinel client asks the sentinels
for the master on each new connection, so after a failover it finds the promoted replica by itself.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

import redis as redis_sync
import redis.asyncio as redis
from limits.aio.storage import Storage
from limits.storage import storage_from_string
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster, TransactionStrategy
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelManagedConnection, SentinelManagedSSLConnection
from redis.backoff import ExponentialBackoff
from redis.exceptions import ClusterError, ConnectionError, RedisError, TimeoutError, TryAgainError, WatchError

# 0.05 + 0.1 + 0.2 + 0.4 + 0.8 + 7 x 1.0 s = ~8.5 s of retrying before a command gives up.
RETRIES = 12
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0
SENTINEL_WAIT_MS = 500
OWN_OPTIONS = ("wait_replicas", "wait_ms")  # query options this module reads (redis-py does not know them)

Kind = Literal["single", "sentinel", "cluster"]


class RedisUrlError(ValueError):
    """A REDIS_URL this module cannot read; the message says what is wrong."""


@dataclass(frozen=True)
class RedisTarget:
    """What a REDIS_URL names."""

    kind: Kind
    url: str  # as given (for "single": what redis-py is handed, without OWN_OPTIONS)
    hosts: tuple[tuple[str, int], ...] = ()  # sentinels, or the cluster's start-up nodes
    service: str = ""  # Sentinel: the master's name
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    sentinel_auth: dict[str, str] = field(default_factory=dict)  # the sentinels' own username/password
    wait_replicas: int = 0  # `durable`: replicas a write must reach (0: do not wait)
    wait_ms: int = SENTINEL_WAIT_MS


def parse(url: str) -> RedisTarget:
    """Read a REDIS_URL; RedisUrlError when it is not one of the forms above."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    waits = _waits(query, default=0)
    if scheme in ("redis", "rediss", "unix"):
        if any(k in query for k in OWN_OPTIONS):  # ours out of what redis-py reads (it would hand them on)
            rest = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k not in OWN_OPTIONS])
            url = url.split("?", 1)[0] + (f"?{rest}" if rest else "")
        return RedisTarget("single", url, wait_replicas=waits[0], wait_ms=waits[1])
    if scheme not in ("redis+sentinel", "rediss+sentinel", "redis+cluster", "rediss+cluster"):
        raise RedisUrlError(
            f"REDIS_URL: unknown scheme {parts.scheme!r}: use redis://, rediss://, unix://, redis+sentinel:// "
            "or redis+cluster:// (docs/configuration.md)"
        )
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":") if userinfo else ("", "", "")
    hosts = tuple(_host(h) for h in hostlist.split(",") if h)
    if not hosts:
        raise RedisUrlError("REDIS_URL: name at least one host:port")
    common: dict[str, Any] = {
        "hosts": hosts,
        "username": unquote(username) or None,
        "password": unquote(password) or None,
        "ssl": scheme.startswith("rediss"),
    }
    if scheme.endswith("cluster"):
        if parts.path.strip("/"):
            raise RedisUrlError("REDIS_URL: a cluster has only database 0: no path after the hosts")
        return RedisTarget("cluster", url, **common)
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise RedisUrlError("REDIS_URL: a Sentinel set reads redis+sentinel://host:port,host:port/service_name/db")
    sentinel_auth = {k: query[f"sentinel_{k}"] for k in ("username", "password") if f"sentinel_{k}" in query}
    waits = _waits(query, default=1)
    return RedisTarget(
        "sentinel",
        url,
        service=unquote(path[0]),
        db=int(path[1]) if len(path) == 2 else 0,
        sentinel_auth=sentinel_auth,
        wait_replicas=waits[0],
        wait_ms=waits[1],
        **common,
    )


def _host(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise RedisUrlError(f"REDIS_URL: {text!r} is not host:port")
    return host.strip("[]"), int(port)


def _waits(query: dict[str, str], default: int) -> tuple[int, int]:
    try:
        return int(query.get("wait_replicas", default)), int(query.get("wait_ms", SENTINEL_WAIT_MS))
    except ValueError as exc:
        raise RedisUrlError("REDIS_URL: wait_replicas and wait_ms are whole numbers") from exc


class _MasterConnection(SentinelManagedConnection):
    """A connection to the master the sentinels name at each (re)connection.

    redis-py 8.1's asyncio connection, when a command's retry reconnects it, goes back to the address it had
    (`connect_check_health` skips the sentinels): after a failover every retry met the dead master until they
    ran out (measured: 9.5 s, then an error). Asking first costs a round trip to a sentinel per new connection.
    """

    async def connect_check_health(self, check_health: bool = True, retry_socket_connect: bool = True) -> None:
        if not self.is_connected and self.connection_pool.is_master:
            self.host, self.port = await self.connection_pool.get_master_address()
        # One attempt: the command's own retry (with its backoff) asks the sentinels again.
        await super().connect_check_health(check_health, retry_socket_connect=False)


class _MasterSSLConnection(_MasterConnection, SentinelManagedSSLConnection):
    pass


class _Cluster(RedisCluster):
    """A RedisCluster that rides out a slot being resharded, for as long as the other clients ride out a failover.

    While a slot moves (`redis-cli --cluster reshard`), some of its keys are on each node: a command over keys on
    both sides gets TRYAGAIN until the last key has moved. redis-py 8.1 retries a command 16 times (sleeping 50 ms
    from the 8th), about 0.4 s, then raises "TTL exhausted": a slot with many keys takes longer than that. Every
    attempt was refused before it ran (MOVED, ASK, TRYAGAIN), so trying again is safe: with the same backoff and
    RETRIES as a failover (~8.5 s). Transactions: see `_Transaction`."""

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        backoff = _backoff()
        for attempt in range(RETRIES + 1):
            try:
                return await super().execute_command(*args, **kwargs)
            except (ClusterError, TryAgainError) as exc:
                if type(exc) not in (ClusterError, TryAgainError) or attempt == RETRIES:  # not ClusterDownError
                    raise
                await asyncio.sleep(backoff.compute(attempt + 1))
        raise AssertionError("unreachable")  # the loop returns or raises

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> ClusterPipeline:
        pipe = super().pipeline(transaction, shard_hint)
        if transaction:
            pipe._execution_strategy = _Transaction(pipe)  # redis-py 8.1 picks its strategy in __init__
        return pipe


class _Transaction(TransactionStrategy):
    """A MULTI..EXEC refused by a slot on the move (TRYAGAIN, like ASK and MOVED, abort it whole) is sent again,
    with the client's backoff; one that WATCHed keys is not (the abort dropped the watch): WatchError, as redis-py
    raises for ASK and MOVED, and the caller reads and decides again (the watcher's next round)."""

    def __init__(self, pipe: ClusterPipeline) -> None:
        super().__init__(pipe)
        self._retry.update_supported_errors([TryAgainError])

    async def _reinitialize_on_error(self, error: Exception, failure_count: int) -> None:
        if self._watching and isinstance(error, TryAgainError):
            raise WatchError("a slot moved while watching keys")
        await super()._reinitialize_on_error(error, failure_count)  # type: ignore[no-untyped-call]


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=BACKOFF_CAP_SECONDS, base=BACKOFF_BASE_SECONDS)


def _retrying(retry_timeouts: bool) -> dict[str, Any]:
    errors: tuple[type[RedisError], ...] = (ConnectionError, TimeoutError) if retry_timeouts else (ConnectionError,)
    return {"retry": Retry(_backoff(), RETRIES, supported_errors=errors), "retry_on_error": list(errors)}


def connect(url: str, retry_timeouts: bool = True, **options: Any) -> redis.Redis:
    """An asyncio client for REDIS_URL; `options` (socket timeouts...) go to every data connection.

    `retry_timeouts` False: a command that times out fails at once (a rate limiter that must not hold a request
    up for longer than its own timeout); a dropped or refused connection is still retried.

    A Cluster client is a RedisCluster: it answers the same commands; which keys may share a
    transaction or a script is keys.py's business (the hash tags)."""
    target = parse(url)
    options = {**_retrying(retry_timeouts), **options}
    if target.kind == "single":
        return redis.Redis.from_url(target.url, **options)
    auth: dict[str, Any] = {"username": target.username, "password": target.password}
    if target.kind == "cluster":
        nodes = [ClusterNode(host, port) for host, port in target.hosts]
        options.pop("retry_on_error")  # RedisCluster retries on connection errors itself, and refreshes its map
        # reinitialize_steps=0: each MOVED updates its own slot in the map. redis-py's default rebuilds the map on
        # every 5th MOVED by closing every connection of the client, the commands other tasks have in flight on
        # them included (measured mid-reshard: "Connection closed by server" and an AttributeError in the worker's
        # enqueue, a note left to the outbox's reconcile).
        client = _Cluster(startup_nodes=nodes, ssl=target.ssl, reinitialize_steps=0, **auth, **options)
        return cast(redis.Redis, client)  # same commands; see the docstring
    sentinel = Sentinel(  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        list(target.hosts),
        sentinel_kwargs={
            "socket_timeout": options.get("socket_connect_timeout") or 2.0,
            "socket_connect_timeout": options.get("socket_connect_timeout") or 2.0,
            **target.sentinel_auth,
        },
        **options,
    )
    connection_class = _MasterSSLConnection if target.ssl else _MasterConnection
    master = sentinel.master_for(target.service, db=target.db, connection_class=connection_class, **auth)
    return cast(redis.Redis, master)


def connect_sync(url: str, **options: Any) -> redis_sync.Redis:
    """A blocking client for REDIS_URL (command-line tools and tests)."""
    target = parse(url)
    options = {
        "retry": redis_sync.retry.Retry(
            ExponentialBackoff(cap=BACKOFF_CAP_SECONDS, base=BACKOFF_BASE_SECONDS), RETRIES
        ),
        "retry_on_error": [ConnectionError, TimeoutError],
        **options,
    }
    if target.kind == "single":
        return redis_sync.Redis.from_url(target.url, **options)
    auth: dict[str, Any] = {"username": target.username, "password": target.password}
    if target.kind == "cluster":
        options.pop("retry_on_error")
        nodes = [redis_sync.cluster.ClusterNode(host, port) for host, port in target.hosts]  # type: ignore[no-untyped-call]
        return cast(redis_sync.Redis, redis_sync.RedisCluster(startup_nodes=nodes, ssl=target.ssl, **auth, **options))
    sentinel = redis_sync.sentinel.Sentinel(  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        list(target.hosts), sentinel_kwargs=dict(target.sentinel_auth), **options
    )
    master = sentinel.master_for(target.service, db=target.db, ssl=target.ssl, **auth)  # type: ignore[no-untyped-call]
    return cast(redis_sync.Redis, master)


def decodes_responses(client: redis.Redis) -> bool:
    """Whether `client` turns replies into str (`decode_responses`); a cluster client keeps its options itself."""
    kwargs = client.get_connection_kwargs()  # type: ignore[no-untyped-call]  # RedisCluster has it too, and no pool
    return bool(kwargs.get("decode_responses"))


def limits_storage(client: redis.Redis, prefix: str, url: str, wrap_exceptions: bool = False) -> Storage:
    """The `limits` library's storage on `client` (its pool, so a Sentinel failover is followed the same way)."""
    target = parse(url)
    if target.kind == "cluster":  # no pool to share: limits opens its own RedisCluster from the same nodes
        nodes = ",".join(f"{host}:{port}" for host, port in target.hosts)
        scheme = "async+rediss+cluster" if target.ssl else "async+redis+cluster"
        storage = storage_from_string(
            f"{scheme}://{nodes}", implementation="redispy", key_prefix=prefix, wrap_exceptions=wrap_exceptions
        )
    else:
        storage = storage_from_string(
            "async+redis://",
            implementation="redispy",
            key_prefix=prefix,
            wrap_exceptions=wrap_exceptions,
            connection_pool=client.connection_pool,  # type: ignore[arg-type]  # typed narrowly; redis-py's bridge takes a pool
        )
    return cast(Storage, storage)  # an async+ scheme always gives the asyncio storage


async def durable(client: redis.Redis, target: RedisTarget, key: str) -> int | None:
    """Wait until this client's writes so far reached the replicas `target` asks for (`WAIT`); how many did.

    None when it asks for none (one Redis). WAIT counts the writes of the connection it is sent on, and a pool
    hands out any connection: so a write of its own (to `key`, whose value means nothing) goes first on the same
    connection; a replica that has it has everything written before it (replication is one ordered stream)."""
    if target.wait_replicas <= 0:
        return None
    async with client.pipeline(transaction=False) as pipe:
        pipe.incr(key)
        pipe.execute_command("WAIT", target.wait_replicas, target.wait_ms)
        _, reached = await pipe.execute()
    return int(reached)
