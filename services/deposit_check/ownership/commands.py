"""`deposit-check addresses ...`: import, delete, look up and derive the casino's addresses (needs REDIS_URL)."""

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import redis.asyncio as redis

from deposit_check.config import AppConfig, load_config
from deposit_check.errors import DepositCheckError
from deposit_check.keys import ChainKeys
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.ahead import derive_held, run_derivation
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.derive import derivers
from deposit_check.ownership.entries import read_lines
from deposit_check.ownership.errors import InvalidEntries
from deposit_check.ownership.index import Counts
from deposit_check.verdict import account_of, address_owner
from deposit_check.watch.lease import Lease
from deposit_check.watch.runner import owner_id
from desk_common.redis_connect import connect

MAX_FILE_BYTES = 256 << 20  # ~5 million addresses; read whole: every line is checked before anything is written


def add_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    addresses = sub.add_parser("addresses", help="declare which addresses are the casino's (needs REDIS_URL)")
    what = addresses.add_subparsers(dest="action", required=True)
    for name, text in (
        ("import", "declare the addresses of FILE (CSV address[,account] or JSON lines); idempotent"),
        ("delete", "remove the addresses of FILE (same formats; accounts ignored)"),
    ):
        action = what.add_parser(name, help=text)
        action.add_argument("file", type=Path)
        action.add_argument("--chain", required=True)
        action.set_defaults(func=_run, action=name)
    lookup = what.add_parser("lookup", help="is ADDRESS the casino's, and whose account")
    lookup.add_argument("address")
    lookup.add_argument("--chain", required=True)
    lookup.set_defaults(func=_run, action="lookup")
    derive = what.add_parser("derive", help="derive the configured extended keys' addresses ahead of use (a loop)")
    derive.add_argument("--once", action="store_true", help="one pass, then exit")
    derive.add_argument("--poll-seconds", type=float, default=10.0)
    derive.set_defaults(func=_run, action="derive")


def _run(args: argparse.Namespace) -> int:
    config = load_config()
    if not config.redis_url:
        print("deposit-check addresses: needs REDIS_URL (the index lives in Redis)", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_with_admin(config, lambda admin, client: _act(admin, client, args, config)))
    except InvalidEntries as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        print(f"{len(exc.errors)} bad line(s): nothing was written", file=sys.stderr)
        return 1
    except DepositCheckError as exc:
        print(f"deposit-check addresses: {exc.message}", file=sys.stderr)
        return 1


async def _with_admin(config: AppConfig, act: Callable[[OwnershipAdmin, redis.Redis], Awaitable[int]]) -> int:
    client = connect(config.redis_url or "", socket_timeout=10.0)
    try:
        return await act(OwnershipAdmin(build_ownership(config, client), dict(config.file.chains)), client)
    finally:
        await client.aclose()


async def _act(admin: OwnershipAdmin, client: redis.Redis, args: argparse.Namespace, config: AppConfig) -> int:
    if args.action == "derive":
        index = admin.index()
        keys = list(derivers(dict(config.file.chains), config.file.ownership.xpubs))
        batch = config.file.ownership.derive_batch
        holder, ttl = owner_id(), config.file.watch.lease_seconds  # as the watcher's followers
        leases = {c: Lease(client, ChainKeys(c).owned_lease, holder, ttl) for c in {k.chain for k in keys}}
        if args.once:
            try:
                print(f"derived {await derive_held(index, keys, batch, leases)} addresses")
            finally:
                for lease in leases.values():
                    await lease.release()
            return 0
        if not keys:  # the compose service runs in every deployment: without keys it stops, and stays stopped
            print(
                "deposit-check addresses derive: no [[ownership.xpubs]] configured, nothing to derive", file=sys.stderr
            )
            return 0
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await run_derivation(index, keys, batch, stop, args.poll_seconds, leases)
        return 0
    if args.action == "lookup":
        address, owner = await admin.lookup(args.chain, args.address)
        owned = address_owner(owner).value
        print(
            json.dumps({"chain": args.chain, "address": address, "address_owner": owned, "account": account_of(owner)})
        )
        return 0
    if args.file.stat().st_size > MAX_FILE_BYTES:
        print(f"{args.file}: larger than {MAX_FILE_BYTES >> 20} MiB; split it", file=sys.stderr)
        return 1
    # utf-8-sig: a spreadsheet's byte-order mark is not part of line 1.
    items = read_lines(args.file.read_text(encoding="utf-8-sig"))
    counts = await (admin.put if args.action == "import" else admin.delete)(args.chain, items)
    print(_summary(args.chain, args.action, counts))
    return 0


def _summary(chain: str, action: str, counts: Counts) -> str:
    if action == "import":
        return f"{chain}: added {counts.added}, updated {counts.updated}, unchanged {counts.unchanged}"
    return f"{chain}: deleted {counts.deleted}, absent {counts.absent}"
