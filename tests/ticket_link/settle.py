"""Waiting for ticket_link to have nothing more on its way to a helpdesk, instead of a fixed sleep.

"Nothing more on its way" is read where it is kept: deposit_check's watcher has processed the
node's tip (its events are written with its cursor, in one transaction), ticket_link's consumer
group has read and acknowledged every event, and ticket_link's outbox, which holds every accepted
note until it is posted, is empty.
"""

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import redis
import redis.asyncio

from deposit_check.devnet.litecoind import Litecoind
from deposit_check.keys import ChainKeys
from desk_common.redis_text import text
from ticket_link.config import AppConfig
from ticket_link.events import GROUP
from ticket_link.links import Links
from ticket_link.privacy import Pseudonymizer


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll `predicate` until it holds; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(interval)


def outbox_size(config: AppConfig) -> int:
    """Notes ticket_link has accepted and not yet posted (or refused for good)."""

    async def size() -> int:
        assert config.redis_url is not None
        client = redis.asyncio.Redis.from_url(config.redis_url)
        try:
            return await Links(client, Pseudonymizer(config.file.secret.get_secret_value())).outbox_size()
        finally:
            await client.aclose()

    # In a thread of its own: the caller's thread may be running a loop already (Playwright's sync API does).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(size())).result()


def events_handled(client: redis.Redis, chain: str) -> bool:
    """ticket_link's consumer group has read and acknowledged every event of the chain's stream."""
    stream = ChainKeys(chain).events
    if not client.exists(stream):
        return True
    groups = {text(g["name"]): g for g in client.xinfo_groups(stream)}
    group = groups.get(GROUP)
    if group is None or group["pending"] != 0:
        return False
    if group["lag"] is not None:
        return bool(group["lag"] == 0)
    # Redis cannot tell the lag once entries were trimmed: compare the ids instead.
    return text(group["last-delivered-id"]) == text(client.xinfo_stream(stream)["last-generated-id"])


def watcher_at_tip(client: redis.Redis, node: Litecoind, chain: str = "litecoin") -> bool:
    """deposit_check's follower of `chain` has processed the node's best block."""
    cursor = client.get(ChainKeys(chain).cursor)
    return cursor is not None and text(cursor).split(":", 1)[1] == node.cli("getbestblockhash")


def wait_until_settled(config: AppConfig, node: Litecoind | None = None, timeout: float = 20.0) -> None:
    """Until nothing more is on its way: with `node`, its blocks' events too (a watcher is running)."""
    assert config.redis_url is not None
    with redis.Redis.from_url(config.redis_url) as client:

        def settled() -> bool:
            if node is not None and not (watcher_at_tip(client, node) and events_handled(client, "litecoin")):
                return False
            return outbox_size(config) == 0

        wait_until(settled, timeout, "ticket_link did not settle (watcher, events, outbox)")
