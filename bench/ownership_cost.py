"""What the ownership lookup adds to a check: the same app without ownership and with an index of
100,000 imported addresses (Redis, the deposit addresses among them), on the same bodies. Each deposit
goes to an address of its own, so nothing remembered of one address serves another check.

    python -m bench.ownership_cost [--txs 200] [--index 100000] [--rounds 9] [--requests 1000] [--smoke] [--json PATH]

Both apps are called as ASGI in this process (bench/warm_cpu.py's method), rounds alternating
(without, with, without, with, ...) so that the machine's noise hits both alike; medians reported.
- warm: every body answered from the cache; requests per CPU-second of this process (a neighbour's
  steal time does not enter CPU time);
- cold: the cached answers, and what each app remembers of requests (plans, answers it knows cached),
  dropped before each round (not timed), as for requests never seen: every check is planned afresh and
  asks litecoind (regtest) and, with the index, the index; checks per wall-clock second, one after another.
Starts its own litecoind and redis-server on free ports and stops them on the way out.
"""

import argparse
import asyncio
import hashlib
import os
import signal
import sys
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack, ExitStack
from types import FrameType
from typing import Any

import redis.asyncio as aredis
from fastapi import FastAPI

from bench.nodes import LTC_CONFIRMATIONS, Deposit, make_utxo_deposits
from bench.report import (
    Ratio,
    Series,
    add_output_options,
    machine,
    machine_line,
    ratio_table,
    ratios_json,
    series_json,
    series_table,
    write_json,
)
from bench.warm import API_KEY, request_bodies
from bench.warm_cpu import _request
from deposit_check.app import create_app
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.keys import PREFIX
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.entries import read_lines
from harness.redis_server import RedisServer

# isort: split
from bitcoinlib.encoding import pubkeyhash_to_addr_bech32  # after deposit_check: its data dir is set there

PACKAGES = ("fastapi", "redis", "bitcoinlib")
TARGET = 1 / 1.05  # issue 11: the lookup adds < 5% to a check's time, i.e. keeps > 1/1.05 of its rate
WITHOUT, WITH = "without ownership", "with the index"
SECRET = "bench-ownership-secret-0123456789"


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStack: every process we started is stopped


def app_config(rpc_url: str, redis_url: str, ownership: bool) -> AppConfig:
    """litecoin only, one API key (the auth path runs), final answers cached an hour; `[ownership]` or not."""
    text = f"""
[[api.keys]]
name = "bench"
sha256 = "{hashlib.sha256(API_KEY.encode()).hexdigest()}"
rate_limit = "100000000/minute"

[cache]
final_ttl_seconds = 3600

[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{rpc_url}"]
confirmations = {LTC_CONFIRMATIONS}
"""
    if ownership:
        text += f'\n[ownership]\nsecret = "{SECRET}"\n'
    return AppConfig(file=parse_config(text, env={}), redis_url=redis_url, source="bench")


async def fill_index(config: AppConfig, deposits: Sequence[Deposit], size: int) -> int:
    """`size` addresses in the index: the deposits' addresses (with an account) and random others."""
    client = aredis.Redis.from_url(config.redis_url or "")
    try:
        admin = OwnershipAdmin(build_ownership(config, client), dict(config.file.chains))
        own = sorted({d.address for d in deposits})
        if len(own) != len(deposits):
            raise RuntimeError(f"{len(deposits)} deposits to {len(own)} addresses: each should have its own")
        lines = ["address,account", *(f"{a},p-{i}" for i, a in enumerate(own))]
        for _ in range(size - len(own)):
            lines.append(pubkeyhash_to_addr_bech32(os.urandom(20), prefix="rltc", witver=0))
        counts = await admin.put("litecoin", read_lines("\n".join(lines) + "\n"))
        return counts.added
    finally:
        await client.aclose()


async def forget_answers(redis_url: str) -> None:
    """Delete every cached answer (both apps'): the next round's checks are cold."""
    client = aredis.Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{PREFIX}:*:answer:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def _call(app: FastAPI, body: bytes, cached: bool) -> None:
    status, headers = await _request(app, body, API_KEY)
    if status != 200 or (headers.get(b"x-cache") == b"hit") != cached:
        raise RuntimeError(f"{body!r} -> {status} {headers}, expected a cache {'hit' if cached else 'miss'}")


async def measure(args: argparse.Namespace, rpc_url: str, redis_url: str, bodies: Sequence[bytes]) -> list[Series]:
    names = {WITHOUT: False, WITH: True}
    warm = {n: Series("warm in-process", f"{n}: requests per CPU-second", "req/CPU-s") for n in names}
    cold = {n: Series("cold UTXO in-process", f"{n}: checks per second, sequential", "checks/s") for n in names}
    cold_cpu = {n: Series("cold UTXO in-process", f"{n}: checks per CPU-second", "checks/CPU-s") for n in names}
    async with AsyncExitStack() as stack:
        built: dict[str, FastAPI] = {}
        for name, ownership in names.items():
            app = create_app(app_config(rpc_url, redis_url, ownership))
            await stack.enter_async_context(app.router.lifespan_context(app))
            built[name] = app
        for app in built.values():  # the paths warm, then every answer cached
            for body in bodies:
                await _call(app, body, cached=False)
        for _ in range(args.rounds):
            for name, app in built.items():
                started = time.process_time()
                for i in range(args.requests):
                    await _call(app, bodies[i % len(bodies)], cached=True)
                warm[name].values.append(args.requests / (time.process_time() - started))
        for _ in range(args.rounds):
            for name, app in built.items():
                await forget_answers(redis_url)
                app.state.service.forget()  # requests never seen: planned anew, not known to be cached
                wall, cpu = time.perf_counter(), time.process_time()
                for body in bodies:
                    await _call(app, body, cached=False)
                cold[name].values.append(len(bodies) / (time.perf_counter() - wall))
                cold_cpu[name].values.append(len(bodies) / (time.process_time() - cpu))
    return [*warm.values(), *cold.values(), *cold_cpu.values()]


def ratios(series: list[Series]) -> list[Ratio]:
    by = {s.name: s for s in series}

    def ratio(label: str, what: str, target: float | None) -> Ratio:
        return Ratio(label, by[f"{WITH}: {what}"], by[f"{WITHOUT}: {what}"], target)

    return [
        ratio("ownership, warm: with / without, requests per CPU-second", "requests per CPU-second", TARGET),
        ratio("ownership, cold UTXO: with / without, checks per second", "checks per second, sequential", TARGET),
        ratio("ownership, cold UTXO: with / without, checks per CPU-second", "checks per CPU-second", None),
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ownership_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--txs", type=int, default=200, help="distinct litecoin deposits (request bodies)")
    parser.add_argument("--index", type=int, default=100_000, help="addresses in the index")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of each app, alternating (median)")
    parser.add_argument("--requests", type=int, default=1_000, help="warm requests per round")
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.txs, args.index, args.rounds, args.requests = 12, 1_000, 1, 50
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    about = machine(PACKAGES)
    started = time.monotonic()
    with ExitStack() as stack:
        litecoind = Litecoind()
        stack.callback(litecoind.close)
        redis_server = RedisServer()
        stack.callback(redis_server.close)
        litecoind.start()
        redis_server.start()
        deposits = make_utxo_deposits(litecoind, args.txs, addresses_per_type=None)
        indexed = asyncio.run(fill_index(app_config(litecoind.rpc_url, redis_server.url, True), deposits, args.index))
        series = asyncio.run(measure(args, litecoind.rpc_url, redis_server.url, request_bodies(deposits)))
    found = ratios(series)
    elapsed = time.monotonic() - started
    print(f"Machine: {machine_line(about)}")
    print(f"index: {indexed:,} addresses; {args.txs} bodies; {args.rounds} rounds of each, alternating\n")
    print(series_table(series) + "\n\n" + ratio_table(found, []))
    figures: dict[str, Any] = {
        "index_addresses": indexed,
        "series": series_json(series),
        "ratios": ratios_json(found),
        "elapsed_s": elapsed,
    }
    write_json(args.json, "ownership_cost", about, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
