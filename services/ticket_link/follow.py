"""Follow one deposit until its verdict is final: deposit_check's events, and a re-ask as a fallback.

The watcher announces status changes on its chain's stream (`keys.deposit_check_events`); we read
it from the current id with XREAD BLOCK and keep the events of our tx. Confirmations k/N grow
without a status event, so deposit_check is also asked again every `refresh_seconds`.
"""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as redis

from desk_common.redis_text import text
from ticket_link import keys
from ticket_link.errors import DepositCheckUnavailable, InvalidRequest

log = logging.getLogger(__name__)

MAX_FOLLOW_SECONDS = 30 * 60  # an open tab does not hold a connection for ever; the agent checks again
# Below the Redis client's socket timeout (5 s in bootstrap), so a quiet stream is not an error.
MAX_BLOCK_MS = 4_000
SEVERAL_STREAMS_POLL_MS = 100  # several chains' streams: how long to wait between reads when none had news

Ask = Callable[[bool], Awaitable[dict[str, Any]]]  # ask(fresh) -> the verdict; fresh bypasses the cache


@dataclass(frozen=True)
class Deposit:
    tx_hash: str  # as deposit_check normalized it
    chain: str | None


async def follow(
    client: redis.Redis,
    deposit: Deposit,
    ask: Ask,
    *,
    refresh_seconds: float,
    max_seconds: float = MAX_FOLLOW_SECONDS,
) -> AsyncIterator[dict[str, Any]]:
    """Yield the verdict now, then each time it changes, until it is final (or `max_seconds`)."""
    cursors = await _cursors(client, deposit)  # before the first ask: no event after it is missed
    verdict: dict[str, Any] = {}
    shown: str | None = None
    started = next_ask = time.monotonic()
    heard = False
    while not verdict.get("final") and time.monotonic() - started < max_seconds:
        if not heard and time.monotonic() < next_ask:
            heard = await _read(client, cursors, deposit.tx_hash, next_ask - time.monotonic())
            continue
        # Time to ask again, or an event of this tx: that asks afresh, as the cache may lag behind it.
        fresh, heard = heard, False
        next_ask = time.monotonic() + refresh_seconds
        try:
            newer = await ask(fresh)
        except DepositCheckUnavailable as exc:
            log.info("follow: deposit_check unavailable: %s", exc.message)
            continue
        except InvalidRequest:
            return
        if _later_or_same(newer, verdict):
            verdict = newer
            if _shape(verdict) != shown:
                shown = _shape(verdict)
                yield verdict


async def _cursors(client: redis.Redis, deposit: Deposit) -> dict[str, str]:
    """The last id of each stream to read: the chain's, or every chain's when none is known yet."""
    try:
        if deposit.chain:
            streams = [keys.deposit_check_events(deposit.chain)]
        else:
            members: Any = await client.smembers(keys.DEPOSIT_CHECK_STREAMS)
            streams = sorted(text(s) for s in members)
        cursors = {}
        for stream in streams:
            last: Any = await client.xrevrange(stream, count=1)
            cursors[stream] = text(last[0][0]) if last else "0-0"
        return cursors
    except (redis.RedisError, OSError) as exc:
        log.warning("follow: Redis unavailable, polling deposit_check only: %s", exc)
        return {}


async def _read(client: redis.Redis, cursors: dict[str, str], tx_hash: str, wait: float) -> bool:
    """Wait up to `wait` seconds for an event of `tx_hash`; True if one came."""
    if not cursors:
        await asyncio.sleep(wait)
        return False
    block = max(1, min(int(wait * 1000), MAX_BLOCK_MS))  # BLOCK 0 would wait for ever
    try:
        replies: Any = await _xread(client, cursors, block)
    except (redis.RedisError, OSError) as exc:
        log.warning("follow: reading events failed, polling deposit_check only: %s", exc)
        cursors.clear()
        return False
    heard = False
    for stream, entries in replies or []:
        for entry_id, fields in entries:
            cursors[text(stream)] = text(entry_id)
            heard = heard or text(fields.get(b"tx_hash", b"")) == tx_hash
    return heard


async def _xread(client: redis.Redis, cursors: dict[str, str], block: int) -> Any:
    """New entries after the cursors: one blocking XREAD for one stream; for several chains' streams (several
    Redis Cluster slots, which one XREAD may not span) one read per stream in a pipeline, then a short wait
    when none had anything."""
    if len(cursors) == 1:
        ids: dict[Any, Any] = dict(cursors)
        return await client.xread(ids, count=100, block=block)
    async with client.pipeline(transaction=False) as pipe:
        for stream, cursor in cursors.items():
            pipe.xread({stream: cursor}, count=100)
        replies = [reply for each in await pipe.execute() for reply in (each or [])]
    if not replies:
        await asyncio.sleep(min(block, SEVERAL_STREAMS_POLL_MS) / 1000)
    return replies


def _shape(verdict: dict[str, Any]) -> str:
    """What the card shows that can change: a changed shape is a new card."""
    keys = (
        "status",
        "confirmations",
        "required_confirmations",
        "block_hash",
        "block_time",
        "payments",
        "amount_status",
        "final",
        "found_on",
        "replaced_by",
    )
    return json.dumps([verdict.get(k) for k in keys], default=str)


def _later_or_same(newer: dict[str, Any], older: dict[str, Any]) -> bool:
    """A cached answer may be older than what an event already showed: never step back to it."""
    try:
        return datetime.fromisoformat(newer["checked_at"]) >= datetime.fromisoformat(older["checked_at"])
    except (KeyError, TypeError, ValueError):
        return True
