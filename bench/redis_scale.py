"""The benchmark of issue 16: one Redis against a 3-master Redis Cluster, in one run on the same nodes.

    python -m bench.redis_scale [--duration 5] [--pairs 3] [--watched 100000] [--blocks 10] [--multi-rounds 15]
        [--skip-warm] [--smoke] [--json PATH]

1. warm checks/s: deposit_check served by 1 and by 2 uvicorn processes (`--workers`), on one redis-server and on
   the cluster (`REDIS_URL=redis+cluster://...`), cached answers asked under wrk; the four runs alternate, medians
   of `--pairs` rounds. Ratios: cluster / one Redis at each process count, 2 / 1 processes on each.
2. the watcher: a follower of one chain with `--watched` watches on each (written as bench.watcher writes them),
   both stepped after each mined block (taking turns going first); ms and node calls per block.
3. one transaction: 1,000 `HSET`s in one `MULTI` on each (and in a pipeline without `MULTI` on the cluster), taking
   turns; ms, and the longest the event loop ran no other task meanwhile (a 1 ms ticker's largest gap).

It starts litecoind (regtest), anvil, a redis-server and a cluster (harness/redis_cluster.py) on free ports of
127.0.0.1 and stops them on any exit (errors, Ctrl-C, SIGTERM).
"""

import argparse
import asyncio
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from bench import warm, watcher
from bench.nodes import make_evm_deposits, make_utxo_deposits
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
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from desk_common.redis_connect import connect
from harness.redis_cluster import RedisCluster
from harness.redis_server import RedisServer

PACKAGES = ("redis", "hiredis", "uvicorn", "fastapi")
SINGLE, CLUSTER = "one Redis", "cluster"
PROCESSES = (1, 2)
WARM_SECTION, WATCH_SECTION, MULTI_SECTION = "warm checks", "watcher", "one MULTI"
MULTI_COMMANDS = 1_000


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStack: every process we started is stopped


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.redis_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--bodies", type=int, default=50, help="distinct cached checks asked in turn (half each chain)")
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--pairs", type=int, default=3, help="rounds of the four alternating wrk runs (median)")
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections")
    parser.add_argument("--watched", type=int, default=100_000, help="watches the follower holds on each")
    parser.add_argument("--blocks", type=int, default=10, help="measured blocks (after 2 warm-up blocks)")
    parser.add_argument("--txs-per-block", type=int, default=12, help="txs a block carries, 2 of them watched")
    parser.add_argument("--multi-rounds", type=int, default=15, help="rounds of the 1,000-HSET MULTI on each")
    parser.add_argument("--skip-warm", action="store_true", help="only the watcher and the MULTI (no wrk, no API)")
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:  # a few bodies, one 1-second round (skipped without wrk), 1,000 watched, 2 blocks
        args.bodies, args.duration, args.pairs, args.watched, args.blocks, args.multi_rounds = 8, 1, 1, 1000, 2, 2
    return args


# -- 1. warm checks ------------------------------------------------------------------------------------


def prewarm(url: str, bodies: Sequence[bytes]) -> None:
    """Ask once per body (a final verdict each, cached); the second answer must come from the cache."""
    headers = {"content-type": "application/json", "authorization": f"Bearer {warm.API_KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for body in bodies:
            first = client.post("/v1/checks", content=body)
            if first.status_code != 200 or not first.json()["final"]:
                raise RuntimeError(f"pre-warm: {body!r} -> {first.status_code} {first.text[:300]}")
            again = client.post("/v1/checks", content=body)
            if again.headers.get("x-cache") != "hit" or again.content != first.content:
                raise RuntimeError(f"pre-warm: {body!r} is not answered from the cache")


def warm_checks(
    args: argparse.Namespace, urls: dict[str, str], config_text: str, bodies: list[bytes], stack: ExitStack
) -> tuple[list[Series], list[Ratio]]:
    """Serve deposit_check with 1 and 2 processes on each Redis; alternate wrk runs; req/s and p99 series."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-redis-scale-"))
    stack.callback(shutil.rmtree, workdir, True)
    config = workdir / "deposit-check.toml"
    config.write_text(config_text)
    script = workdir / "bodies.lua"
    script.write_text(warm.lua_script(bodies))
    served: dict[tuple[str, int], str] = {}
    for backend, redis_url in urls.items():
        env = {"DEPOSIT_CHECK_CONFIG": str(config), "REDIS_URL": redis_url}
        for n in PROCESSES:
            served[backend, n] = stack.enter_context(warm.serving("ours", env, workers=n))
        prewarm(served[backend, 1], bodies)  # the cache is the Redis's: both servers of it find it warm
    if args.smoke and shutil.which("wrk") is None:
        print("warm checks: wrk not installed, served runs skipped (--smoke)", flush=True)
        return [], []
    settings = warm.WrkSettings(connections=args.connections, duration_s=args.duration, pairs=args.pairs)
    series = {
        (key, metric): Series(WARM_SECTION, f"{key[0]}, {key[1]} process{'es' if key[1] > 1 else ''}: {metric}", unit)
        for key in served
        for metric, unit in (("throughput", "req/s"), ("p99", "ms"), ("errors", "answers"))
    }
    # Errors are counted, not fatal: on the cluster a few answers failed under load (docs/benchmarks.md).
    for url in served.values():  # not recorded: first connections, first use of the hot path
        warm.run_wrk(url, script, settings, min(2, args.duration), allow_errors=True)
    for _ in range(args.pairs):
        for key, url in served.items():
            result = warm.run_wrk(url, script, settings, args.duration, allow_errors=True)
            series[key, "throughput"].values.append(result.requests_per_s)
            series[key, "p99"].values.append(result.p99_ms)
            series[key, "errors"].values.append(result.errors)
            time.sleep(0.5)

    def rps(backend: str, n: int) -> Series:
        return series[(backend, n), "throughput"]

    ratios = [
        Ratio(f"warm checks, {n} process(es): cluster / one Redis, req/s", rps(CLUSTER, n), rps(SINGLE, n))
        for n in PROCESSES
    ]
    ratios += [Ratio(f"warm checks, {b}: 2 / 1 processes, req/s", rps(b, 2), rps(b, 1)) for b in urls]
    return list(series.values()), ratios


# -- 2. the watcher ------------------------------------------------------------------------------------


async def watcher_steps(
    args: argparse.Namespace, node: Litecoind, urls: dict[str, str]
) -> tuple[list[Series], list[Ratio], dict[str, Any]]:
    """A follower with `args.watched` watches on each Redis, stepped after each block; ms and node calls."""
    clients = {b: connect(url, socket_timeout=10.0, socket_connect_timeout=5.0) for b, url in urls.items()}
    sizes = {b: watcher.make_size(args.watched, node.rpc_url, clients[b], url) for b, url in urls.items()}
    ms = {b: Series(WATCH_SECTION, f"{b}: step at {args.watched:,} watched", "ms") for b in urls}
    calls: dict[str, list[int]] = {b: [] for b in urls}
    populate_s: dict[str, float] = {}
    try:
        addresses = [node.new_address(t) for t in ("bech32", "legacy", "p2sh-segwit") for _ in range(4)]
        tip = int(node.cli("getblockcount"))
        total = 2 + args.blocks
        planned = watcher.WATCHED_PER_BLOCK * total
        for b, s in sizes.items():
            s.mix = watcher.plan_mix(s.size, planned, tip, total)
            start = time.monotonic()
            # The same watches on each: a generator of the same seed.
            synthetic = watcher.synthetic_watches(s.chain.name, s.mix, addresses, tip, random.Random(16))
            written = await watcher.populate(clients[b], s.chain.name, synthetic)
            populate_s[b] = time.monotonic() - start
            print(f"{b}: {written:,} watches written in {populate_s[b]:.1f} s", flush=True)
            await s.follower.step()  # the cursor starts at the current tip
        rng = random.Random(4)
        order = list(sizes)
        for i in range(total):
            for _ in range(watcher.WATCHED_PER_BLOCK):
                address = rng.choice(addresses)
                amount = Decimal(rng.randrange(1_000_000, 9_000_000)).scaleb(-8)
                tx_hash = node.send(address, amount)
                for s in sizes.values():
                    await s.register(tx_hash, address, amount)
            for _ in range(args.txs_per_block - watcher.WATCHED_PER_BLOCK):
                node.send(node.new_address("bech32"), Decimal(rng.randrange(1_000_000, 9_000_000)).scaleb(-8))
            node.mine(1)
            for b in order[i % 2 :] + order[: i % 2]:  # each goes first in turn
                await sizes[b].step(clients[b], record=i >= 2)
        for b, s in sizes.items():
            ms[b].values, calls[b] = s.ms, s.calls
    finally:
        for b, s in sizes.items():
            await s.chain.aclose()
            await s.service.store.aclose()
            await clients[b].aclose()
    ratio = Ratio(
        f"watcher at {args.watched:,} watched: cluster / one Redis, ms per block (lower is better)",
        ms[CLUSTER],
        ms[SINGLE],
    )
    extra = {
        "watched": args.watched,
        "node_calls_per_block_max": {b: max(c) for b, c in calls.items()},
        "populate_s": populate_s,
        "step_ms_p95": {b: watcher.p95(s.values) for b, s in ms.items()},
    }
    return list(ms.values()), [ratio], extra


# -- 3. one MULTI --------------------------------------------------------------------------------------


async def _ticking(gaps: list[float], stop: asyncio.Event) -> None:
    """Sleep 1 ms at a time until `stop`; record each gap between wake-ups (how long the loop was held)."""
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def _timed(client: Any, key: str, transaction: bool) -> tuple[float, float]:
    """Queue the HSETs and run them; the ms, and the largest ms the event loop went without running a ticker
    meanwhile (queueing included: redis-py 8.1's cluster MULTI did its work as each command was queued)."""
    gaps: list[float] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticking(gaps, stop))
    await asyncio.sleep(0.005)  # the ticker is running
    start = time.perf_counter()
    async with client.pipeline(transaction=transaction) as pipe:
        for n in range(MULTI_COMMANDS):
            pipe.hset(key, str(n), n)
        replies = await pipe.execute()
    elapsed = time.perf_counter() - start
    stop.set()
    await ticker
    if len(replies) != MULTI_COMMANDS:
        raise RuntimeError(f"one MULTI: {len(replies)} replies to {MULTI_COMMANDS} commands")
    return elapsed * 1000, max(gaps) * 1000


async def multi_rounds(args: argparse.Namespace, urls: dict[str, str]) -> tuple[list[Series], list[Ratio]]:
    """1,000 HSETs of one key in one MULTI on each Redis, and in a plain pipeline on the cluster; rounds alternate."""
    clients = {b: connect(url, socket_timeout=10.0, socket_connect_timeout=5.0) for b, url in urls.items()}
    runs = {(b, True): b for b in urls} | {(CLUSTER, False): f"{CLUSTER}, no MULTI"}
    ms = {run: Series(MULTI_SECTION, f"{name}: {MULTI_COMMANDS:,} HSETs", "ms") for run, name in runs.items()}
    held = {run: Series(MULTI_SECTION, f"{name}: event loop held, longest", "ms") for run, name in runs.items()}
    try:
        order = list(runs)
        for i in range(1 + args.multi_rounds):  # the first round warms connections up, not recorded
            for backend, transaction in order[i % 3 :] + order[: i % 3]:
                key = f"bench:{{multi}}:{i}:{int(transaction)}"
                elapsed, longest = await _timed(clients[backend], key, transaction)
                await clients[backend].delete(key)
                if i:
                    ms[backend, transaction].values.append(elapsed)
                    held[backend, transaction].values.append(longest)
    finally:
        for client in clients.values():
            await client.aclose()
    ratio = Ratio(
        f"one MULTI of {MULTI_COMMANDS:,} HSETs: cluster / one Redis, ms (lower is better)",
        ms[CLUSTER, True],
        ms[SINGLE, True],
    )
    return [*ms.values(), *held.values()], [ratio]


# -- the run ------------------------------------------------------------------------------------------


def bench(args: argparse.Namespace, stack: ExitStack) -> tuple[list[Series], list[Ratio], dict[str, Any]]:
    litecoind, anvil, single, cluster = Litecoind(), Anvil(), RedisServer(), RedisCluster(3)
    for closer in (litecoind.close, anvil.close, single.close, cluster.close):
        stack.callback(closer)
    litecoind.start()
    anvil.start()
    single.start()
    cluster.start()
    urls = {SINGLE: single.url, CLUSTER: "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in cluster.ports)}
    half = args.bodies // 2
    ltc = make_utxo_deposits(litecoind, half)
    token, evm = make_evm_deposits(anvil, half)
    config = warm.app_config(litecoind.rpc_url, anvil.rpc_url, anvil.chain_id, token)
    series: list[Series] = []
    ratios: list[Ratio] = []
    if not args.skip_warm:
        start = time.monotonic()
        series, ratios = warm_checks(args, urls, config, warm.request_bodies(ltc + evm), stack)
        print(f"warm checks: {time.monotonic() - start:.1f} s", flush=True)
    start = time.monotonic()
    w_series, w_ratios, extra = asyncio.run(watcher_steps(args, litecoind, urls))
    print(f"watcher: {time.monotonic() - start:.1f} s", flush=True)
    start = time.monotonic()
    m_series, m_ratios = asyncio.run(multi_rounds(args, urls))
    print(f"one MULTI: {time.monotonic() - start:.1f} s", flush=True)
    return series + w_series + m_series, ratios + w_ratios + m_ratios, extra


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    start = time.monotonic()
    about = machine(PACKAGES)
    with ExitStack() as stack:
        series, ratios, extra = bench(args, stack)
    elapsed = time.monotonic() - start
    calls = ", ".join(f"{b} {n}" for b, n in extra["node_calls_per_block_max"].items())
    p95 = ", ".join(f"{b} {v:.1f} ms" for b, v in extra["step_ms_p95"].items())
    print(
        "\n".join(
            [
                "",
                f"Machine: {machine_line(about)}; load average at the end {os.getloadavg()[0]:.2f}",
                series_table(series),
                ratio_table(ratios, []),
                f"watcher: node calls per block (max): {calls}; step p95: {p95}",
                f"Total run time: {elapsed:.0f} s",
            ]
        )
    )
    figures = {"series": series_json(series), "ratios": ratios_json(ratios), **extra, "elapsed_s": elapsed}
    write_json(args.json, "redis_scale", about, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
