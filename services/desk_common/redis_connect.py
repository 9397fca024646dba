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
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, TypeVar, cast
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

import redis as redis_sync
import redis.asyncio as redis
from limits.aio.storage import Storage
from limits.storage import storage_from_string
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.asyncio.connection import ConnectionPool
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelManagedConnection, SentinelManagedSSLConnection
from redis.backoff import ExponentialBackoff
from redis.exceptions import (
    AskError,
    ClusterDownError,
    ClusterError,
    ConnectionError,
    CrossSlotTransactionError,
    MovedError,
    RedisClusterException,
    RedisError,
    SlotNotCoveredError,
    TimeoutError,
    TryAgainError,
    WatchError,
)

# 0.05 + 0.1 + 0.2 + 0.4 + 0.8 + 7 x 1.0 s = ~8.5 s of retrying before a command gives up.
RETRIES = 12
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0
SENTINEL_WAIT_MS = 500
OWN_OPTIONS = ("wait_replicas", "wait_ms")  # query options this module reads (redis-py does not know them)

Kind = Literal["single", "sentinel", "cluster"]
_T = TypeVar("_T")
# Refused before it ran because the slot moved (MOVED) or is moving (ASK, TRYAGAIN): a MULTI is sent again.
_MOVING: tuple[type[RedisError], ...] = (MovedError, AskError, TryAgainError)
_ANY_NODE = frozenset({"PUBLISH"})  # no key: any master runs it (a channel's message reaches the whole cluster)


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
    """A RedisCluster that rides out a slot being resharded, for as long as the other clients ride out a failover,
    and runs its transactions on a plain client of the slot's master (`_SlotTransaction`).

    While a slot moves (`redis-cli --cluster reshard`), some of its keys are on each node: a command over keys on
    both sides gets TRYAGAIN until the last key has moved. redis-py 8.1 retries a command 16 times (sleeping 50 ms
    from the 8th), about 0.4 s, then raises "TTL exhausted": a slot with many keys takes longer than that. Every
    attempt was refused before it ran (MOVED, ASK, TRYAGAIN), so trying again is safe: with the same backoff and
    RETRIES as a failover (~8.5 s). Pipelines without MULTI stay redis-py's (they queue without threads)."""

    def __init__(self, masters: "_Masters", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.masters = masters

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

    def pipeline(  # type: ignore[override]  # a transaction is a plain Pipeline: same commands, see the class
        self, transaction: Any | None = None, shard_hint: Any | None = None
    ) -> "ClusterPipeline | _SlotTransaction":
        if transaction:
            return _SlotTransaction(self)
        return super().pipeline(transaction, shard_hint)

    async def slot_of(self, commands: Iterable[tuple[Any, ...]]) -> int:
        """The slot of a transaction: its first command's with a key (the server refuses a transaction whose other
        keys are in another slot, CROSSSLOT, or on another node, MOVED: see `_SlotTransaction`)."""
        if self._initialize:
            await self.initialize()
        for args in commands:
            if str(args[0]).upper() not in _ANY_NODE:
                return await self._determine_slot(*args)
        raise RedisClusterException("a transaction on a cluster needs a command with a key, to find its node")

    async def master_pool(self, slot: int) -> ConnectionPool:
        """The connection pool of the master serving `slot`, as the slot map has it."""
        if self._initialize:
            await self.initialize()
        node = self.nodes_manager.get_node_from_slot(slot)
        return self.masters.pool(node.host, int(node.port))

    async def follow(self, error: Exception) -> None:
        """Learn from an error what the slot map needs: a MOVED slot's new master, or a refresh before the next
        command (a node gone, the cluster down). ASK and TRYAGAIN need nothing: the slot is still moving."""
        if isinstance(error, MovedError):
            await self.nodes_manager.move_slot(error)
        elif not isinstance(error, (AskError, TryAgainError)):
            self._initialize = True

    async def aclose(self) -> None:
        await self.masters.disconnect_idle()  # redis-py calls this on CLUSTERDOWN too: only idle connections
        await super().aclose()


class _Masters:
    """A plain `redis.asyncio.Redis` client per master, made on first use and kept: the cluster's credentials,
    TLS and timeouts, each with its connection pool. Its connections do not retry: `_SlotTransaction` does, across
    nodes (a retry must go where the slot is now)."""

    def __init__(self, options: dict[str, Any], retried: tuple[type[Exception], ...]) -> None:
        self.options = options
        self.retried = retried  # what a transaction that WATCHed nothing is sent again after
        self.clients: dict[tuple[str, int], redis.Redis] = {}

    def pool(self, host: str, port: int) -> ConnectionPool:
        client = self.clients.get((host, port))
        if client is None:
            retry = Retry(_backoff(), 0, supported_errors=(ConnectionError, TimeoutError))
            client = self.clients[host, port] = redis.Redis(host=host, port=port, retry=retry, **self.options)
        return client.connection_pool

    async def disconnect_idle(self) -> None:
        for client in self.clients.values():
            await client.connection_pool.disconnect(inuse_connections=False)


class _SlotTransaction(redis.client.Pipeline):
    """`pipeline(transaction=True)` on a cluster: redis-py's own Pipeline (as on one Redis), on the connection
    pool of the master serving the transaction's slot (every key of a transaction shares one, keys.py).

    redis-py 8.1's cluster transaction (`TransactionStrategy`) ran every queued command in a new thread with an
    event loop of its own, holding the caller's loop for each (1,000 commands: 0.4-0.7 s, docs/benchmarks.md) and
    touching the client's connections from those loops. Here nothing leaves the caller's loop.

    Errors, as before: a MULTI refused before it ran (MOVED: the slot map updated; ASK, TRYAGAIN: the slot is on
    the move; CLUSTERDOWN; a connection lost: the map refreshed) is sent again, to wherever the slot is then, with
    the client's backoff and RETRIES. One that WATCHed keys is not (the WATCH was on the old connection): a slot
    moving or a connection lost while watching is a WatchError, and the caller reads and decides again."""

    def __init__(self, cluster: _Cluster) -> None:
        # No pool until the first key names the master: WATCH, or execute().
        super().__init__(cast(ConnectionPool, None), cluster.response_callbacks, True, None)
        self.cluster_client = cluster
        self.slot: int | None = None  # the slot it was sent for

    async def immediate_execute_command(self, *args: Any, **options: Any) -> Any:
        if args[0] != "WATCH" or self.connection is not None:  # on the connection holding the WATCH
            try:
                return await super().immediate_execute_command(*args, **options)  # type: ignore[no-untyped-call]
            except _MOVING as exc:
                if self.watching:
                    await self._after(exc, watching=True)
                raise
        run = partial(super().immediate_execute_command, *args, **options)
        return await self._on_master([args], run, watching=True)

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        if self.watching:  # bound to the WATCH's connection; a connection lost is WatchError (redis-py's)
            try:
                return await super().execute(raise_on_error)
            except _MOVING as exc:
                await self._after(exc, watching=True)
                raise
        stack, scripts = self.command_stack, self.scripts
        if not stack:
            return []

        async def run() -> list[Any]:
            self.command_stack, self.scripts = list(stack), set(scripts)  # redis-py's execute() resets them
            return await super(_SlotTransaction, self).execute(raise_on_error)

        return await self._on_master([args for args, _ in stack], run, watching=False)

    async def _on_master(self, commands: list[tuple[Any, ...]], run: Callable[[], Awaitable[_T]], watching: bool) -> _T:
        """`run` on the master serving `commands`' slot; sent again (to wherever the slot is then) while the cluster
        refuses it before it runs or a connection is lost, as long as nothing is watched."""
        backoff = _backoff()
        for attempt in range(RETRIES + 1):
            await self._release()  # to the pool it came from (one held after an UNWATCH, or a failed attempt's)
            try:
                self.slot = await self.cluster_client.slot_of(commands)
                self.connection_pool = await self.cluster_client.master_pool(self.slot)
                return await run()
            except (*_MOVING, *self.cluster_client.masters.retried) as exc:
                await self._release()  # before the pool changes
                await self._after(exc, watching)
                if attempt == RETRIES:
                    raise
                await asyncio.sleep(backoff.compute(attempt + 1))
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _after(self, error: Exception, watching: bool) -> None:
        """Update the slot map from `error`; raise what the caller is told instead of a try again, if anything."""
        await self.cluster_client.follow(error)
        if isinstance(error, AskError) and error.slot_id != self.slot:  # a command of another slot, on another node
            raise CrossSlotTransactionError(f"a transaction's keys must share one slot: {error}") from error
        if watching and isinstance(error, _MOVING):
            raise WatchError("a slot moved while watching keys") from error

    async def _release(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            await self.connection_pool.release(connection)


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=BACKOFF_CAP_SECONDS, base=BACKOFF_BASE_SECONDS)


def _retrying(retry_timeouts: bool) -> dict[str, Any]:
    errors: tuple[type[RedisError], ...] = (ConnectionError, TimeoutError) if retry_timeouts else (ConnectionError,)
    return {"retry": Retry(_backoff(), RETRIES, supported_errors=errors), "retry_on_error": list(errors)}


def connect(url: str, retry_timeouts: bool = True, **options: Any) -> redis.Redis:
    """An asyncio client for REDIS_URL; `options` (socket timeouts...) go to every data connection.

    `retry_timeouts` False: a command that times out fails at once (a rate limiter that must not hold a request
    up for longer than its own timeout); a dropped or refused connection is still retried.

    A Cluster client is a RedisCluster: it answers the same commands, and its `pipeline(transaction=True)` is
    redis-py's plain Pipeline on the slot's master (`_SlotTransaction`); which keys may share a transaction or a
    script is keys.py's business (the hash tags)."""
    target = parse(url)
    options = {**_retrying(retry_timeouts), **options}
    if target.kind == "single":
        return redis.Redis.from_url(target.url, **options)
    auth: dict[str, Any] = {"username": target.username, "password": target.password}
    if target.kind == "cluster":
        nodes = [ClusterNode(host, port) for host, port in target.hosts]
        retried = (ConnectionError, ClusterDownError, SlotNotCoveredError, *((TimeoutError,) if retry_timeouts else ()))
        plain = {k: v for k, v in options.items() if k not in ("retry", "retry_on_error")}
        masters = _Masters({"ssl": target.ssl, **auth, **plain}, retried)
        options.pop("retry_on_error")  # RedisCluster retries on connection errors itself, and refreshes its map
        # No socket timeout unless asked, as redis.Redis: RedisCluster's default is 5 s. With it the job queue's
        # BLMOVE (blocking until a job comes) timed out every 5 s; redis-py then marked every connection of that
        # node for reconnect and closed its idle ones while other tasks were taking them (an enqueue failed with
        # "'NoneType' object has no attribute 'writelines'"), and a job the server handed to a BLMOVE the client
        # had just given up on sat in the active list, run by no one, until saq's sweep (up to a minute).
        options.setdefault("socket_timeout", None)
        # reinitialize_steps=0: each MOVED updates its own slot in the map. redis-py's default rebuilds the map on
        # every 5th MOVED by closing every connection of the client, the commands other tasks have in flight on
        # them included (measured mid-reshard: "Connection closed by server" and an AttributeError in the worker's
        # enqueue, a note left to the outbox's reconcile).
        client = _Cluster(masters, startup_nodes=nodes, ssl=target.ssl, reinitialize_steps=0, **auth, **options)
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
        options.setdefault("socket_timeout", None)  # as redis.Redis (RedisCluster's default is 5 s): see connect()
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
