"""The benchmark of issue 4: the watcher's cost per block with 1,000, 10,000 and 100,000 watched
deposits on one chain, against a naive poller that asks the node about every watched tx, in one run.

    python -m bench.watcher [--blocks 20] [--warmup 2] [--sample 2000] [--sizes 1000,10000,100000]
                            [--txs-per-block 12] [--no-quickack-diagnostic] [--smoke] [--json PATH]

It starts its own litecoind (regtest) and redis-server on free ports of 127.0.0.1 and stops them on
the way out, also on errors, Ctrl-C, SIGTERM and SIGHUP.

Per size, a chain name of its own (its own Redis keys) holds that many watches: synthetic ones
written in bulk through the watcher's own `commit(Changes)` (mostly unmined, with spent outpoints;
some confirming and confirmed at heights chosen so that each block ripens and retires a steady
number), plus real deposits registered through `CheckService.check_json(watch=True)`. Each block
carries real txs (some watched, one RBF replacement of a watched tx every 5th block, the rest not
watched); after mining it, each size's `Follower.step()` is timed and its node HTTP requests counted.
The naive poller (one `getrawtransaction` per watched tx per block, or `observe_many` batches of
200) is timed on a random sample of the 100,000 watched txs and extrapolated linearly.
"""

import argparse
import asyncio
import gc
import json
import math
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import FrameType
from typing import Any

import httpcore
import httpx
import redis.asyncio as redis

from bench.nodes import LTC_CONFIRMATIONS, make_utxo_deposits
from bench.report import add_output_options, machine, machine_line, write_json
from deposit_check.chains.jsonrpc import Endpoint
from deposit_check.chains.utxo import UtxoChain
from deposit_check.config import CacheConfig, UtxoChainConfig, WatchConfig
from deposit_check.devnet.litecoind import Litecoind, find_litecoind
from deposit_check.keys import ChainKeys
from deposit_check.models import Asset, BlockRef, Observation, Payment, Status
from deposit_check.schemas import CheckRequest
from deposit_check.service import CheckService
from deposit_check.store import RedisStore
from deposit_check.watch.changes import Changes, commit
from deposit_check.watch.follower import Follower
from deposit_check.watch.registry import Registry
from deposit_check.watch.state import Watch
from harness.redis_server import RedisServer

TARGET_CALLS = 3  # issue 4: node calls per block constant, at most 3
TARGET_MS = 100.0  # issue 4: processing under 100 ms per block at 100,000 watched
REAL_DEPOSITS = 200  # mined wallet sends: the naive poller's "every watched tx is on chain" case
WRITE_CHUNK = 2_000  # watches per commit() pipeline while populating
RBF_EVERY = 5  # every 5th block: a watched replaceable tx, replaced by a fee bump that gets mined
WATCHED_PER_BLOCK = 2  # real watched sends per block (plus the RBF one every RBF_EVERY blocks)
NAIVE_ROUNDS = 3
# The bench's watcher config: rechecks of unmined txs a day away, so that a step is block processing
# only (its _recheck finds nothing due: one Redis round trip). Everything else is the default.
CONFIG = WatchConfig(recheck_seconds=86_400)
PACKAGES = ("httpx", "redis", "hiredis")
LTC = Asset("LTC", 8)


class QuickAckStream(httpcore.AsyncNetworkStream):
    """A connection that asks Linux to ACK what the node sends at once (TCP_QUICKACK, re-armed around
    every read and write: the kernel drops it by itself).

    Why: litecoind writes an answer over ~16 KB (a `getblock` verbosity 2, a big batch) in two parts;
    Nagle holds the second until the client ACKs the first, and the client's delayed ACK waits
    ~40 ms for it. On a kept-alive connection every such answer costs ~40 ms of pure waiting.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    def _quickack(self) -> None:
        sock = self._inner.get_extra_info("socket")
        if sock is not None and hasattr(socket, "TCP_QUICKACK"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._quickack()
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)
        self._quickack()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return await self._inner.start_tls(*args, **kwargs)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class QuickAckBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return QuickAckStream(await self._inner.connect_tcp(*args, **kwargs))

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(*args, **kwargs)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class TimedTransport(httpx.AsyncBaseTransport):
    """Counts the HTTP requests that reach the node and the seconds spent waiting for them
    (as tests/helpers.CountingTransport, plus the time). `quickack`: see QuickAckStream."""

    def __init__(self, quickack: bool = False) -> None:
        self.requests = 0
        self.seconds = 0.0
        self._inner = httpx.AsyncHTTPTransport()
        if quickack:  # httpx has no public way to pass httpcore a network backend
            pool = self._inner._pool
            pool._network_backend = QuickAckBackend(pool._network_backend)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        start = time.perf_counter()
        response = await self._inner.handle_async_request(request)
        await response.aread()  # the body is part of the node's answer
        self.seconds += time.perf_counter() - start
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class FullCollections:
    """Counts Python's full (generation 2) garbage collections and how long they took."""

    def __init__(self) -> None:
        self.count = 0
        self.ms: list[float] = []
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.count += 1
            self.ms.append((time.perf_counter() - self._start) * 1000)


FULL_GCS = FullCollections()


def chain_config(rpc_url: str) -> UtxoChainConfig:
    return UtxoChainConfig(
        family="utxo", coin="litecoin", network="regtest", rpc_urls=[rpc_url], confirmations=LTC_CONFIRMATIONS
    )


# -- the watched set -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mix:
    """What the synthetic watches of one size are, by status; `per_height` of them ripen (confirming ->
    confirmed) and as many retire (confirmed, past the reorg window) at each new block."""

    size: int
    per_height: int
    confirming_heights: range
    settled_heights: range
    not_found: int
    pending: int

    @property
    def confirming(self) -> int:
        return self.per_height * len(self.confirming_heights)

    @property
    def settled(self) -> int:
        return self.per_height * len(self.settled_heights)

    @property
    def synthetic(self) -> int:
        return self.confirming + self.settled + self.not_found + self.pending


def plan_mix(size: int, real: int, tip: int, blocks_ahead: int) -> Mix:
    """0.08% of the watches per height (80 at 100,000): confirming at every height a block still needs
    (up to the last block the bench will mine), confirmed over the reorg window; the rest unmined,
    one third not found, two thirds pending. `real` is left for the real watches the run registers."""
    per_height = max(1, round(size / 1250))
    required, window = LTC_CONFIRMATIONS, CONFIG.reorg_window_blocks
    # Ripe at block h: confirming height <= h - required + 1; retired: settled height <= that - window.
    confirming_heights = range(tip - required + 2, tip + blocks_ahead + 1)
    settled_heights = range(tip - required + 2 - window, tip - required + 2)
    unmined = size - real - per_height * (len(confirming_heights) + len(settled_heights))
    if unmined < 0:
        raise SystemExit(f"size {size} is too small for the mix (needs > {size - unmined})")
    return Mix(size, per_height, confirming_heights, settled_heights, unmined // 3, unmined - unmined // 3)


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def synthetic_watches(chain: str, mix: Mix, addresses: list[str], tip: int, rng: random.Random) -> Iterator[Watch]:
    """Random txids the node does not have, with observations as the adapter would have made them."""
    now = time.time()
    block_time = datetime.now(UTC).replace(microsecond=0)

    def watch(obs: Observation, status: Status, expires_at: float | None) -> Watch:
        amount = obs.payments[0].amount if obs.payments else rng.randrange(100_000, 50_000_000)
        with_amount = rng.random() < 0.6
        return Watch(
            chain=chain,
            tx_hash=obs.tx_hash,
            address=rng.choice(addresses),
            observation=obs,
            status=status,
            asset="LTC" if with_amount else None,
            expected=str(LTC.to_decimal(amount)) if with_amount else None,
            registered_at=now - rng.uniform(0, 3600),
            expires_at=expires_at,
        )

    def paid() -> tuple[Payment, ...]:
        return (Payment(LTC, rng.randrange(100_000, 50_000_000)),)

    def spends() -> tuple[str, ...]:
        return tuple(f"{_hex(rng)}:{rng.randrange(4)}" for _ in range(rng.choice((1, 1, 2, 3))))

    for _ in range(mix.not_found):
        obs = Observation(chain=chain, tx_hash=_hex(rng), found=False, tip=tip)
        yield watch(obs, Status.NOT_FOUND, now + CONFIG.not_found_minutes * 60)
    for _ in range(mix.pending):
        obs = Observation(chain=chain, tx_hash=_hex(rng), found=True, tip=tip, payments=paid(), spends=spends())
        yield watch(obs, Status.PENDING, now + CONFIG.pending_hours * 3600)
    for heights, status in ((mix.confirming_heights, Status.CONFIRMING), (mix.settled_heights, Status.CONFIRMED)):
        for height in heights:
            for _ in range(mix.per_height):
                obs = Observation(
                    chain=chain,
                    tx_hash=_hex(rng),
                    found=True,
                    tip=max(tip, height),
                    payments=paid(),
                    block=BlockRef(height, _hex(rng)),
                    block_time=block_time,
                    spends=spends(),
                )
                yield watch(obs, status, None)


async def populate(client: redis.Redis, chain: str, watches: Iterator[Watch]) -> int:
    """Write the watches through the watcher's own commit(), WRITE_CHUNK per MULTI pipeline."""
    keys, written = ChainKeys(chain), 0
    recheck_at = time.time() + CONFIG.recheck_seconds  # unmined: next look-up a day away
    while True:
        chunk: dict[str, tuple[Watch | None, Watch]] = {
            w.tx_hash: (None, w) for _, w in zip(range(WRITE_CHUNK), watches, strict=False)
        }
        if not chunk:
            return written
        await commit(client, keys, None, Changes(puts=chunk), recheck_at)
        written += len(chunk)


async def used_memory(client: redis.Redis) -> int:
    return int((await client.info("memory"))["used_memory"])


# -- one size: a follower and the service that registers real watches ---------------------------------


@dataclass
class Size:
    size: int
    chain: UtxoChain
    transport: TimedTransport
    follower: Follower
    service: CheckService
    quickack: bool = False  # the diagnostic: the same follower, its node connection with TCP_QUICKACK
    mix: Mix | None = None
    memory_bytes: int = 0
    populate_seconds: float = 0.0
    watches_at_start: int = 0
    watches_at_end: int = 0
    ms: list[float] = field(default_factory=list)
    node_ms: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    full_gcs: list[int] = field(default_factory=list)  # full (generation 2) collections during the step

    @property
    def keys(self) -> ChainKeys:
        return self.follower.k

    @property
    def label(self) -> str:
        return f"{self.size:,}" + (" (quick-ACK client, diagnostic)" if self.quickack else "")

    async def register(self, tx_hash: str, address: str, expected: Decimal) -> None:
        body, _ = await self.service.check_json(
            CheckRequest(
                tx_hash=tx_hash,
                address=address,
                chain=self.chain.name,
                expected_amount=str(expected),
                watch=True,
            )
        )
        answer = json.loads(body)
        if not answer["watching"]:
            raise RuntimeError(f"{self.chain.name}: {tx_hash} not watched: {answer['status']}")

    async def step(self, client: redis.Redis, record: bool) -> None:
        requests, node_s = self.transport.requests, self.transport.seconds
        events = await client.xlen(self.keys.events)
        full_gcs = FULL_GCS.count
        start = time.perf_counter()
        await self.follower.step()
        elapsed = time.perf_counter() - start
        if record:
            self.full_gcs.append(FULL_GCS.count - full_gcs)
            self.ms.append(elapsed * 1000)
            self.calls.append(self.transport.requests - requests)
            self.node_ms.append((self.transport.seconds - node_s) * 1000)
            self.events.append(await client.xlen(self.keys.events) - events)


def make_size(size: int, rpc_url: str, client: redis.Redis, redis_url: str, quickack: bool = False) -> Size:
    transport = TimedTransport(quickack)
    chain = UtxoChain(f"ltc{size}{'q' if quickack else ''}", chain_config(rpc_url), transport=transport)
    follower = Follower(chain, client, CONFIG, owner="bench")
    service = CheckService({chain.name: chain}, RedisStore(redis_url), CacheConfig(), Registry(client, CONFIG))
    return Size(size, chain, transport, follower, service, quickack)


# -- the naive poller --------------------------------------------------------------------------------


@dataclass
class Naive:
    """Seconds per tx asked, per round, of each way of asking the node about every watched tx."""

    individual: list[float] = field(default_factory=list)  # one getrawtransaction request per tx
    batched: list[float] = field(default_factory=list)  # observe_many: one batch of 200 per request
    individual_real: list[float] = field(default_factory=list)  # the same on mined txs only
    batched_real: list[float] = field(default_factory=list)
    batched_quickack: list[float] = field(default_factory=list)  # diagnostic: TCP_QUICKACK on its connection
    batched_real_quickack: list[float] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)


class NaivePoller:
    def __init__(self, rpc_url: str, sample: list[tuple[str, str]], real: list[tuple[str, str]], found: int) -> None:
        self.endpoint = Endpoint.parse(rpc_url)
        self.sample, self.real, self.found = sample, real, found
        self.transport = TimedTransport()
        self.http = httpx.AsyncClient(transport=self.transport, timeout=60)  # one keep-alive connection
        self.chain = UtxoChain("ltcnaive", chain_config(rpc_url), transport=self.transport)
        self.quick_transport = TimedTransport(quickack=True)
        self.quick_chain = UtxoChain("ltcnaiveq", chain_config(rpc_url), transport=self.quick_transport)
        self.result = Naive()

    async def individual(self, items: list[tuple[str, str]]) -> tuple[float, int, int]:
        """(seconds, requests, txs found): getrawtransaction per tx, then getblockcount once."""
        requests, found = self.transport.requests, 0
        auth = self.endpoint.auth or httpx.USE_CLIENT_DEFAULT
        start = time.perf_counter()
        for method, params in [*(("getrawtransaction", [tx, True]) for tx, _ in items), ("getblockcount", [])]:
            body = json.dumps({"jsonrpc": "1.0", "id": 0, "method": method, "params": params})
            response = await self.http.post(self.endpoint.url, content=body, auth=auth)
            reply = json.loads(response.content, parse_float=Decimal)
            if method == "getrawtransaction":
                if reply.get("error") is None:
                    found += reply["result"]["txid"] == params[0]
                elif reply["error"]["code"] != -5:
                    raise RuntimeError(f"getrawtransaction: {reply['error']}")
        return time.perf_counter() - start, self.transport.requests - requests, found

    async def batched(self, items: list[tuple[str, str]]) -> tuple[float, int, int]:
        return await self._observe_many(self.chain, self.transport, items)

    async def batched_quickack(self, items: list[tuple[str, str]]) -> tuple[float, int, int]:
        return await self._observe_many(self.quick_chain, self.quick_transport, items)

    @staticmethod
    async def _observe_many(
        chain: UtxoChain, transport: TimedTransport, items: list[tuple[str, str]]
    ) -> tuple[float, int, int]:
        requests = transport.requests
        start = time.perf_counter()
        seen = await chain.observe_many(items)
        return time.perf_counter() - start, transport.requests - requests, sum(o.found for o in seen)

    async def round(self) -> None:
        r = self.result
        for name, way, items, found in (
            ("individual", self.individual, self.sample, self.found),
            ("batched", self.batched, self.sample, self.found),
            ("individual_real", self.individual, self.real, len(self.real)),
            ("batched_real", self.batched, self.real, len(self.real)),
            ("batched_quickack", self.batched_quickack, self.sample, self.found),
            ("batched_real_quickack", self.batched_quickack, self.real, len(self.real)),
        ):
            seconds, requests, got = await way(items)
            if got != found:
                raise RuntimeError(f"naive {name}: found {got} of {len(items)} txs, expected {found}")
            getattr(r, name).append(seconds / len(items))
            r.requests[name] = requests

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.chain.aclose()
        await self.quick_chain.aclose()


# -- the run ------------------------------------------------------------------------------------------


@dataclass
class Results:
    about: dict[str, str]
    args: argparse.Namespace
    sizes: list[Size]
    naive: Naive
    sample_size: int
    sample_found: int
    real_count: int
    block_txs: list[int]
    heap_objects: int
    elapsed: float = 0.0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


async def run(args: argparse.Namespace, node: Litecoind, redis_url: str, about: dict[str, str]) -> Results:
    rng = random.Random(4)
    client = redis.Redis.from_url(redis_url, socket_timeout=10.0, socket_connect_timeout=5.0)
    sizes = [make_size(n, node.rpc_url, client, redis_url) for n in args.sizes]
    if args.quickack_diagnostic:
        sizes.append(make_size(max(args.sizes), node.rpc_url, client, redis_url, quickack=True))
    naive: NaivePoller | None = None
    try:
        started = time.monotonic()
        real_deposits = make_utxo_deposits(node, args.real_deposits)  # also funds the wallet
        deposit_addresses = [node.new_address(t) for t in ("bech32", "legacy", "p2sh-segwit") for _ in range(4)]
        print(f"node ready, {args.real_deposits} real deposits mined: {time.monotonic() - started:.1f} s", flush=True)

        tip = int(node.cli("getblockcount"))
        total_blocks = args.warmup + args.blocks
        real_planned = WATCHED_PER_BLOCK * total_blocks + math.ceil(total_blocks / RBF_EVERY)
        for s in sizes:
            s.mix = plan_mix(s.size, real_planned, tip, total_blocks)
            before = await used_memory(client)
            start = time.monotonic()
            synthetic = synthetic_watches(s.chain.name, s.mix, deposit_addresses, tip, rng)
            written = await populate(client, s.chain.name, synthetic)
            s.populate_seconds = time.monotonic() - start
            s.memory_bytes = await used_memory(client) - before
            assert written == s.mix.synthetic
            print(
                f"{s.chain.name}: {written:,} synthetic watches written in {s.populate_seconds:.1f} s, "
                f"{s.memory_bytes / 2**20:.1f} MiB",
                flush=True,
            )
            await s.follower.step()  # the cursor starts at the current tip
        gc.collect()
        heap_objects = len(gc.get_objects())

        # The naive poller's sample: drawn from the largest watched set before any real watch is
        # registered, so synthetic txids only: unknown to the node, as most of the set is.
        largest = max((s for s in sizes if not s.quickack), key=lambda s: s.size)
        all_ids = await client.hkeys(largest.keys.watches)
        sample_ids = rng.sample(all_ids, min(args.sample, len(all_ids)))
        del all_ids
        watches = [Watch.from_json(raw) for raw in await client.hmget(largest.keys.watches, sample_ids) if raw]
        sample = [(w.tx_hash, w.address) for w in watches]
        found = 0
        naive = NaivePoller(node.rpc_url, sample, [(d.tx_hash, d.address) for d in real_deposits], found)
        naive_at = {args.warmup + round(i * args.blocks / NAIVE_ROUNDS) for i in range(NAIVE_ROUNDS)}

        block_txs: list[int] = []
        real_count = 0
        for i in range(total_blocks):
            record = i >= args.warmup
            watched: list[tuple[str, str, Decimal]] = []
            for _ in range(WATCHED_PER_BLOCK):
                address = rng.choice(deposit_addresses)
                amount = Decimal(rng.randrange(1_000_000, 9_000_000)).scaleb(-8)
                watched.append((node.send(address, amount), address, amount))
            replaceable = None
            if i % RBF_EVERY == 0:
                address = rng.choice(deposit_addresses)
                amount = Decimal(rng.randrange(1_000_000, 9_000_000)).scaleb(-8)
                replaceable = (node.send(address, amount, replaceable=True), address, amount)
                watched.append(replaceable)
            for tx_hash, address, amount in watched:
                for s in sizes:
                    await s.register(tx_hash, address, amount)
            real_count += len(watched)
            if replaceable is not None:
                node.bump_fee(replaceable[0])  # the replacement is mined, the watched original is not
            for _ in range(args.txs_per_block - len(watched)):
                node.send(node.new_address("bech32"), Decimal(rng.randrange(1_000_000, 9_000_000)).scaleb(-8))
            [block_hash] = node.mine(1)
            block_txs.append(len(node.cli("getblock", block_hash, 1)["tx"]))
            if i == args.warmup:
                for s in sizes:
                    s.watches_at_start = await client.hlen(s.keys.watches)
            shift = i % len(sizes)
            for s in sizes[shift:] + sizes[:shift]:  # each size goes first in turn
                await s.step(client, record)
            if i in naive_at:
                await naive.round()
                print(f"naive round {len(naive.result.individual)}/{NAIVE_ROUNDS} done", flush=True)
            if record and (i - args.warmup + 1) % 5 == 0:
                print(
                    f"{i - args.warmup + 1}/{args.blocks} blocks: "
                    + ", ".join(f"{s.chain.name}: {statistics.median(s.ms):.1f} ms" for s in sizes),
                    flush=True,
                )
        for s in sizes:
            s.watches_at_end = await client.hlen(s.keys.watches)
        return Results(
            about, args, sizes, naive.result, len(sample), found, real_count, block_txs[args.warmup :], heap_objects
        )
    finally:
        if naive is not None:
            await naive.aclose()
        for s in sizes:
            await s.chain.aclose()
            await s.service.store.aclose()
        await client.aclose()


# -- the report ---------------------------------------------------------------------------------------


def _ms(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def _s(v: float) -> str:
    return f"{v:,.1f} s" if v >= 10 else (f"{v:,.2f} s" if v >= 0.1 else f"{v * 1000:,.1f} ms")


NAIVE_WAYS = {
    # key: (how, measured on, node calls per block at N)
    "individual": ("one `getrawtransaction` per tx, one keep-alive connection", "sample", "N + 1"),
    "batched": (f"`observe_many`: one batch per {UtxoChain.observe_chunk} txs", "sample", "ceil(N / 200)"),
    "individual_real": ("one `getrawtransaction` per tx", "real", "N + 1"),
    "batched_real": ("`observe_many`", "real", "ceil(N / 200)"),
    "batched_quickack": ("`observe_many`, quick-ACK client (diagnostic)", "sample", "ceil(N / 200)"),
    "batched_real_quickack": ("`observe_many`, quick-ACK client (diagnostic)", "real", "ceil(N / 200)"),
}


@dataclass(frozen=True)
class Report:
    ours: str
    naive: str
    ratios: str
    targets: str
    verdicts: list[tuple[str, bool, str]]  # (target, met, measured)

    @property
    def met(self) -> bool:
        return all(met for _, met, _ in self.verdicts)


def own_ms(s: Size) -> list[float]:
    """Per block: the step's time minus its node wait (Redis round trips and Python)."""
    return [total - node for total, node in zip(s.ms, s.node_ms, strict=True)]


def tables(r: Results) -> Report:
    per_tx = {k: statistics.median(getattr(r.naive, k)) for k in NAIVE_WAYS}
    main = [s for s in r.sizes if not s.quickack]
    largest = max(main, key=lambda s: s.size)

    ours = [
        (
            "| watched | mix: not found / pending / confirming / confirmed (ripen per block) | Redis memory | "
            "step ms: median | p95 | max | of it node wait, median | rest (Redis + Python), median | "
            "node calls per block | events per block, median | steps with a full GC |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for s in r.sizes:
        m = s.mix
        assert m is not None
        seen = "/".join(map(str, sorted(set(s.calls))))
        ours.append(
            f"| {s.label} | {m.not_found:,} / {m.pending:,} / {m.confirming:,} / {m.settled:,} ({m.per_height}) | "
            f"{s.memory_bytes / 2**20:,.1f} MiB | {_ms(statistics.median(s.ms))} | {_ms(p95(s.ms))} | "
            f"{_ms(max(s.ms))} | {_ms(statistics.median(s.node_ms))} | {_ms(statistics.median(own_ms(s)))} | "
            f"{seen} (max {max(s.calls)}) | {statistics.median(s.events):g} | {sum(map(bool, s.full_gcs))} |"
        )

    at_sizes = " / ".join(f"{s.size:,}" for s in main)
    naive = [
        (
            f"| naive poller | timed on | per tx: median | rounds | node calls per block | "
            f"s per block at {at_sizes} (extrapolated) |"
        ),
        "|---|---|---:|---|---|---|",
    ]
    for k, (how, on, calls) in NAIVE_WAYS.items():
        on_text = f"{r.sample_size:,} sampled watched txs" if on == "sample" else f"{r.args.real_deposits} mined txs"
        rounds = ", ".join(f"{v * 1e6:,.0f} µs" for v in getattr(r.naive, k))
        at = " / ".join(_s(per_tx[k] * s.size) for s in main)
        naive.append(f"| {how} | {on_text} | {per_tx[k] * 1e6:,.0f} µs | {rounds} | {calls} | {at} |")

    ratios = [
        (
            "| watched | node calls per block: ours (max) / naive individual / naive batched | "
            "ms per block: ours (median) | "
            "s per block: naive individual / naive batched | naive / ours: individual / batched |"
        ),
        "|---|---|---:|---|---|",
    ]
    for s in r.sizes:
        med = statistics.median(s.ms) / 1000
        if s.quickack:  # against the baseline with the same client fix
            ind, bat = per_tx["individual"] * s.size, per_tx["batched_quickack"] * s.size
        else:
            ind, bat = per_tx["individual"] * s.size, per_tx["batched"] * s.size
        ratios.append(
            f"| {s.label} | {max(s.calls)} / {s.size + 1:,} / {math.ceil(s.size / UtxoChain.observe_chunk):,} | "
            f"{_ms(med * 1000)} | {_s(ind)} / {_s(bat)} | {ind / med:,.0f}x / {bat / med:,.0f}x |"
        )

    med, top = statistics.median(largest.ms), p95(largest.ms)
    verdicts = [
        (
            f"node calls per block constant, <= {TARGET_CALLS}",
            all(max(s.calls) <= TARGET_CALLS for s in main),
            "max " + ", ".join(f"{max(s.calls)} at {s.size:,}" for s in main),
        ),
        (
            f"processing under {TARGET_MS:g} ms per block at {largest.size:,}",
            top < TARGET_MS,
            f"median {_ms(med)} ms, p95 {_ms(top)} ms, max {_ms(max(largest.ms))} ms (p95 is what is judged)",
        ),
    ]
    targets = ["| target (issue 4) | status | measured |", "|---|---|---|"]
    for what, met, measured in verdicts:
        targets.append(f"| {what} | **{'met' if met else 'NOT met'}** | {measured} |")
    return Report("\n".join(ours), "\n".join(naive), "\n".join(ratios), "\n".join(targets), verdicts)


def figures(r: Results, t: Report) -> dict[str, Any]:
    """What the tables show, as numbers (for --json)."""
    sizes = []
    for s in r.sizes:
        m = s.mix
        assert m is not None
        sizes.append(
            {
                "label": s.label,
                "watched": s.size,
                "quickack_diagnostic": s.quickack,
                "mix": {
                    "not_found": m.not_found,
                    "pending": m.pending,
                    "confirming": m.confirming,
                    "confirmed": m.settled,
                    "ripen_per_block": m.per_height,
                },
                "redis_memory_bytes": s.memory_bytes,
                "populate_s": s.populate_seconds,
                "watches_at_start": s.watches_at_start,
                "watches_at_end": s.watches_at_end,
                "step_ms": {"median": statistics.median(s.ms), "p95": p95(s.ms), "max": max(s.ms), "values": s.ms},
                "node_wait_ms_median": statistics.median(s.node_ms),
                "rest_ms_median": statistics.median(own_ms(s)),
                "node_calls_per_block_max": max(s.calls),
                "events_per_block_median": statistics.median(s.events),
                "steps_with_full_gc": sum(map(bool, s.full_gcs)),
            }
        )
    naive = {
        k: {
            "per_tx_us_median": statistics.median(getattr(r.naive, k)) * 1e6,
            "rounds_us": [v * 1e6 for v in getattr(r.naive, k)],
        }
        for k in NAIVE_WAYS
    }
    return {
        "sizes": sizes,
        "naive": naive,
        "naive_sample": r.sample_size,
        "block_txs_median": statistics.median(r.block_txs),
        "full_gc_ms_median": statistics.median(FULL_GCS.ms) if FULL_GCS.ms else None,
        "targets": [{"target": what, "met": met, "measured": measured} for what, met, measured in t.verdicts],
        "elapsed_s": r.elapsed,
    }


def litecoind_version() -> str:
    out = subprocess.run([find_litecoind(), "-version"], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0].strip() if out else "litecoind"


def redis_version() -> str:
    binary = shutil.which("redis-server") or "redis-server"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    return out.split(" sha=")[0].strip() if out else "redis-server"


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStack: every process we started is stopped


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.watcher", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--blocks", type=int, default=20, help="measured blocks")
    parser.add_argument("--warmup", type=int, default=2, help="blocks stepped before measuring")
    parser.add_argument("--sample", type=int, default=2000, help="watched txs the naive poller is timed on")
    parser.add_argument(
        "--sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[1000, 10_000, 100_000],
        help="watched deposits per chain, comma-separated",
    )
    parser.add_argument("--txs-per-block", type=int, default=12, help="real txs per block (watched ones included)")
    parser.add_argument(
        "--no-quickack-diagnostic",
        dest="quickack_diagnostic",
        action="store_false",
        help="skip the diagnostic follower (largest size again, node connection with TCP_QUICKACK)",
    )
    parser.add_argument(
        "--real-deposits", type=int, default=REAL_DEPOSITS, help="mined txs the naive poller is also timed on"
    )
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:  # one small size, two blocks, a small sample
        args.sizes, args.blocks, args.warmup, args.sample, args.real_deposits = [1000], 2, 1, 50, 20
        args.txs_per_block, args.quickack_diagnostic = WATCHED_PER_BLOCK + 1, False
    if args.txs_per_block < WATCHED_PER_BLOCK + 1:
        parser.error(f"--txs-per-block must be at least {WATCHED_PER_BLOCK + 1}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    gc.callbacks.append(FULL_GCS)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    start = time.monotonic()
    about = {**machine(PACKAGES), "litecoind": litecoind_version(), "redis-server": redis_version()}
    with ExitStack() as stack:
        node = Litecoind()
        stack.callback(node.close)
        redis_server = RedisServer()
        stack.callback(redis_server.close)
        node.start()
        redis_server.start()
        results = asyncio.run(run(args, node, redis_server.url, about))
    results.elapsed = time.monotonic() - start
    t = tables(results)
    print(
        "\n".join(
            [
                "",
                f"Machine: {machine_line(about)}",
                "",
                t.ours,
                "",
                t.naive,
                "",
                t.ratios,
                "",
                t.targets,
                "",
                f"Total run time: {results.elapsed:.0f} s",
            ]
        )
    )
    write_json(args.json, "watcher", about, args.smoke, figures(results, t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
