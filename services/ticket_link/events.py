"""Consume deposit_check's status-change events (Redis Streams) as the consumer group `ticket_link`.

deposit_check lists its streams in a set (one stream per chain; the names are in keys.py, the
contract in docs/api.md "Events"), in its Redis: ticket_link's own, or the one set by
DEPOSIT_EVENTS_REDIS_URL (docs/operations.md). Each event is
acknowledged only after its notes are queued (idempotently), so a worker that dies mid-event
leaves it pending, and another worker claims it once it has been idle `claim_idle_ms`
(`[delivery] claim_idle_seconds`).
"""

import asyncio
import logging
from typing import Any, cast

import redis.asyncio as redis

from desk_common.redis_text import text
from ticket_link import keys, metrics
from ticket_link.service import TicketService

log = logging.getLogger(__name__)

GROUP = "ticket_link"
BATCH = 100
# With several chains' streams, how long to wait before reading them again when none had anything new.
SEVERAL_STREAMS_POLL_MS = 100


class EventConsumer:
    def __init__(
        self, client: redis.Redis, service: TicketService, name: str, claim_idle_ms: int, block_ms: int = 1000
    ) -> None:
        """`claim_idle_ms`: an event read by a consumer and not acknowledged for this long is taken for its
        dead consumer's and claimed (a live consumer's claimed too early is handled twice: harmless, each
        note's key is posted once)."""
        self.redis = client
        self.service = service
        self.name = name
        self.claim_idle_ms = claim_idle_ms
        self.block_ms = block_ms
        self._groups: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: the consumer outlives any error (a task that died would stop every later note)."""
        while not stop.is_set():
            try:
                await self.step()
            except (redis.RedisError, OSError) as exc:
                log.warning("event consumer: %s", exc)
                metrics.EVENTS_FAILED.labels("unknown", "consumer").inc()  # Redis unreachable: an alert's signal
                await asyncio.sleep(1.0)
            except Exception as exc:  # logged and counted; the loop must go on
                log.error("event consumer: %s: %s", type(exc).__name__, exc)
                metrics.EVENTS_FAILED.labels("unknown", "consumer").inc()
                await asyncio.sleep(1.0)

    async def step(self) -> int:
        """Claim stale events of dead consumers, then read new ones; returns how many were handled."""
        streams = sorted(text(s) for s in await self.redis.smembers(keys.DEPOSIT_CHECK_STREAMS))
        if not streams:
            await asyncio.sleep(self.block_ms / 1000)
            return 0
        await self._ensure_groups(streams)
        handled = 0
        for stream in streams:
            claim: list[Any] = await self.redis.xautoclaim(
                stream, GROUP, self.name, self.claim_idle_ms, "0-0", count=BATCH
            )
            handled += await self._handle(stream, claim[1])
        replies = await self._read_new(streams)
        for name, entries in replies:
            handled += await self._handle(text(name), entries)
        return handled

    async def _read_new(self, streams: list[str]) -> list[tuple[bytes, list[Any]]]:
        """New entries of the streams: one blocking read when there is one stream (a chain); with several, one
        read per stream (streams of several chains are in several Redis Cluster slots: one XREADGROUP over them
        is refused there), sent in one pipeline and none blocking, then a short wait when none had anything."""
        if len(streams) == 1:
            one = await self.redis.xreadgroup(GROUP, self.name, {streams[0]: ">"}, count=BATCH, block=self.block_ms)
            return cast(list[tuple[bytes, list[Any]]], one or [])
        async with self.redis.pipeline(transaction=False) as pipe:
            for stream in streams:
                pipe.xreadgroup(GROUP, self.name, {stream: ">"}, count=BATCH)
            replies = [reply for each in await pipe.execute() for reply in (each or [])]
        if not replies:
            await asyncio.sleep(min(self.block_ms, SEVERAL_STREAMS_POLL_MS) / 1000)
        return cast(list[tuple[bytes, list[Any]]], replies)

    async def _ensure_groups(self, streams: list[str]) -> None:
        for stream in streams:
            if stream in self._groups:
                continue
            try:
                await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            self._groups.add(stream)

    async def _handle(self, stream: str, entries: list[Any]) -> int:
        """Each event on its own: one that cannot be handled is logged, counted and left pending (claimed
        again once idle `claim_idle_ms`), and the events after it go on. A Redis error stops the batch: it is
        the connection, not the event, and every unacknowledged event is read again."""
        handled = 0
        for entry_id, fields in entries:
            event = {text(k): text(v) for k, v in fields.items()}
            # A stream id starts with the ms it was written: lets the service drop news older than a link.
            event["written_ms"] = text(entry_id).split("-")[0]
            chain, kind = event.get("chain", "unknown"), event.get("type", "unknown")
            try:
                await self.service.on_event(event)
            except (redis.RedisError, OSError):
                raise
            except Exception as exc:  # one bad event must not stop the others
                log.error(
                    "event %s of %s (%s) not handled: %s: %s", text(entry_id), chain, kind, type(exc).__name__, exc
                )
                metrics.EVENTS_FAILED.labels(chain, kind).inc()
                continue
            await self.redis.xack(stream, GROUP, entry_id)
            metrics.EVENTS.labels(chain, kind).inc()
            handled += 1
        return handled
