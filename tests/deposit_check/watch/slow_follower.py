"""A follower that stalls before each commit, for the kill -9 test in test_leases.py.

    python slow_follower.py RPC_URL REDIS_URL CHAIN [--owner O] [--lease-seconds S] [--commit-delay S]

It follows a litecoind (regtest) chain like `deposit-check watch` does, except that right before
each commit it prints one line to stdout and sleeps:

    COMMITTING cursor=<height>:<hash> events=<n>

so that a test can SIGKILL it while a block's changes are computed but not yet written.
"""

import argparse
import asyncio
import sys
from typing import Any

import redis.asyncio as redis

from deposit_check.chains.utxo import UtxoChain
from deposit_check.config import UtxoChainConfig, WatchConfig
from deposit_check.watch.changes import Changes
from deposit_check.watch.follower import Follower

MARKER = "COMMITTING"


class SlowFollower(Follower):
    def __init__(self, *args: Any, commit_delay: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commit_delay = commit_delay

    async def _commit(self, changes: Changes) -> None:
        cursor = f"{changes.cursor.height}:{changes.cursor.hash}" if changes.cursor else "-"
        print(f"{MARKER} cursor={cursor} events={len(changes.events)}", flush=True)
        await asyncio.sleep(self.commit_delay)
        await super()._commit(changes)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rpc_url")
    parser.add_argument("redis_url")
    parser.add_argument("chain", help="the chain's name (its Redis keys)")
    parser.add_argument("--owner", default="slow-follower")
    parser.add_argument("--confirmations", type=int, default=6)
    parser.add_argument("--lease-seconds", type=float, default=3.0)
    parser.add_argument("--commit-delay", type=float, default=60.0)
    return parser.parse_args(argv)


async def main(argv: list[str]) -> None:
    args = parse_args(argv)
    config = UtxoChainConfig(
        family="utxo", coin="litecoin", network="regtest", rpc_urls=[args.rpc_url], confirmations=args.confirmations
    )
    chain = UtxoChain(args.chain, config)
    client = redis.Redis.from_url(args.redis_url)
    watch = WatchConfig(poll_seconds=0.1, recheck_seconds=0.5, lease_seconds=args.lease_seconds)
    follower = SlowFollower(chain, client, watch, args.owner, commit_delay=args.commit_delay)
    try:
        await follower.run(asyncio.Event())  # until killed
    finally:
        await chain.aclose()
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
