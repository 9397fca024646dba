"""`deposit-check watch`: run a follower for every configured chain; each holds its chain's lease.

Run several of these processes (on several machines): each chain is followed by exactly one of
them at a time, and another takes over within `lease_seconds` when that one dies.
"""

import asyncio
import gc
import logging
import os
import signal
import socket
import uuid

from deposit_check.chains import build_chain
from deposit_check.config import AppConfig
from deposit_check.ownership import Ownership
from deposit_check.ownership.build import build_ownership
from deposit_check.watch.follower import Follower
from desk_common.redis_connect import connect

log = logging.getLogger(__name__)


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_followers(config: AppConfig, stop: asyncio.Event, ownership: Ownership | None = None) -> None:
    """Follow every chain until `stop`; verdicts' owners from `ownership` (by default the configured index)."""
    if not config.redis_url:
        raise SystemExit("the watcher needs REDIS_URL (state, leases and events live in Redis)")
    blockless = [
        n for n, c in config.file.chains.items() if getattr(c, "backend", "node") == "electrum" and not c.rpc_urls
    ]
    if blockless:
        raise SystemExit(
            f"the watcher reads whole blocks, which Electrum servers do not serve: set rpc_urls (a node) "
            f"on {', '.join(blockless)} besides electrum_urls"
        )
    client = connect(config.redis_url, socket_timeout=10.0, socket_connect_timeout=5.0)
    chains = {name: build_chain(name, c) for name, c in config.file.chains.items()}
    owner = owner_id()
    index = ownership or build_ownership(config, client)
    lookups = config.file.lookups if config.file.lookups.watcher_index else None
    followers = [
        Follower(
            chain, client, config.file.watch, owner, ownership=index, lookups=lookups, names=config.file.display_names()
        )
        for chain in chains.values()
    ]
    # Long-lived start-up objects out of the collector's way: full collections took ~70 ms (bench).
    gc.collect()
    gc.freeze()
    log.info("watcher %s following %s", owner, ", ".join(chains))
    try:
        await asyncio.gather(*(f.run(stop) for f in followers))
    finally:
        for chain in chains.values():
            await chain.aclose()
        await client.aclose()


def main(config: AppConfig) -> None:
    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_followers(config, stop)

    asyncio.run(run())
