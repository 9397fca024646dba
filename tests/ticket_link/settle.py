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

from deposit_check.devnet.litecoind import Litecoind
from deposit_check.keys import ChainKeys
from desk_common.redis_connect import connect, connect_sync
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
        client = connect(config.redis_url)
        try:
            return await Links(client, Pseudonymizer(config.file.secret.get_secret_value())).outbox_size()
        finally:
            await client.aclose()

    # In a thread of its own: the caller's thread may be running a loop already (Playwright's sync API does).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(size())).result()


def events_handled(client: redis.Redis, chain: str, since_ms: int) -> bool:
    """ticket_link's consumer group has read every event of the chain's stream and acknowledged
    those written since `since_ms` (older ones may sit with a consumer an earlier test stopped)."""
    stream = ChainKeys(chain).events
    if not client.exists(stream):
        return True
    groups = {text(g["name"]): g for g in client.xinfo_groups(stream)}
    group = groups.get(GROUP)
    if group is None:
        return False
    if group["lag"] is not None:
        read_all = group["lag"] == 0
    else:  # Redis cannot tell the lag once entries were trimmed: compare the ids instead.
        read_all = text(group["last-delivered-id"]) == text(client.xinfo_stream(stream)["last-generated-id"])
    return read_all and not client.xpending_range(stream, GROUP, min=f"{since_ms}-0", max="+", count=1)


def watcher_at_tip(client: redis.Redis, node: Litecoind, chain: str = "litecoin") -> bool:
    """deposit_check's follower of `chain` has processed the node's best block."""
    cursor = client.get(ChainKeys(chain).cursor)
    return cursor is not None and text(cursor).split(":", 1)[1] == node.cli("getbestblockhash")


def wait_until_settled(
    config: AppConfig, node: Litecoind | None = None, since: float = 0.0, timeout: float = 60.0
) -> None:
    """Until nothing more is on its way: with `node`, its blocks' events too (a watcher is running),
    those written since `since` (a time.time() taken when the caller's stack started)."""
    assert config.redis_url is not None
    with connect_sync(config.redis_url) as client:
        state: dict[str, object] = {}

        def settled() -> bool:
            if node is not None:
                state["watcher at the tip"] = watcher_at_tip(client, node)
                state["events handled"] = events_handled(client, "litecoin", int(since * 1000))
                if not state["events handled"]:  # what the group holds, to tell a slow consumer from a dead one
                    stream = ChainKeys("litecoin").events
                    state["groups"] = groups = client.xinfo_groups(stream)
                    if any(text(g["name"]) == GROUP for g in groups):
                        state["pending"] = client.xpending_range(stream, GROUP, min="-", max="+", count=3)
            state["notes in the outbox"] = outbox_size(config)
            return (
                state.get("watcher at the tip", True) is True
                and state.get("events handled", True) is True
                and state["notes in the outbox"] == 0
            )

        try:
            wait_until(settled, timeout, "ticket_link did not settle")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {state}") from None
