"""Lookups by address on the `electrum` source (issue 14): latency and server calls for an address with 1, 100
and 10,000 past payments, against a real ElectrumX over litecoind regtest.

    python -m bench.electrum_lookups [--history-max 10000] [--history-kind sends|coinbase] [--lookups 50]
        [--smoke] [--json PATH]

Each payment is its own tx (an Electrum history lists txs: one tx paying an address twice is one entry).
`--history-kind sends` (the default): the wallet is first split into `SPLIT` confirmed coins, so that each
`sendtoaddress` spends a confirmed coin (no long chains of unconfirmed change); a block is mined after every
`PER_BLOCK` payments. The regtest wallet sends 3-13 txs a second, too slow for 10,000. `--history-kind
coinbase`: each payment is a block's coinbase (`generatetoaddress N ADDRESS`), smallest history first;
regtest halves the subsidy every 150 blocks, so past the first ~5,000 blocks a coinbase pays the address
0 LTC: still one tx in its history, and one find (the same work for the server and the source). Timed, median of
`--lookups` calls each, in-process (no HTTP):
- the source alone (`ElectrumSource.find`, limit `[lookups] max_finds`, 500): one round trip for the tip and
  the history, one for the newest txs (raw) and their blocks' headers;
- the whole lookup (`LookupService.lookup`, sources `["electrum"]`): the above, then the newest `max_results`
  (20) judged with one `observe_many` batch to the node.
Server requests and round trips per lookup are counted at the Electrum client. Starts its own litecoind and
ElectrumX on free ports and stops them on the way out.
"""

import argparse
import asyncio
import signal
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from decimal import Decimal
from types import FrameType
from typing import Any, TypeVar

from bench.report import Series, add_output_options, machine, machine_line, series_json, series_table, write_json
from deposit_check.chains.electrum.client import ElectrumClient, Reply
from deposit_check.chains.utxo import UtxoChain
from deposit_check.chains.utxo_address import params_for_chain
from deposit_check.config import CacheConfig, LookupChainConfig, LookupsConfig, UtxoChainConfig
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.lookups.electrum import ElectrumSource
from deposit_check.lookups.schemas import LookupRequest
from deposit_check.lookups.service import LookupService
from deposit_check.service import CheckService
from deposit_check.store import MemoryStore
from harness.electrumx import ElectrumX

PACKAGES = ("e-x", "aiorpcx")
HISTORIES = (1, 100, 10_000)
SPLIT = 400  # confirmed coins the wallet spends from
PER_BLOCK = 300  # payments per block
T = TypeVar("T")


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


class CountingClient(ElectrumClient):
    """The chain's Electrum client, counting requests and round trips."""

    requests = 0
    round_trips = 0

    async def ask(self, calls: Sequence[tuple[str, Sequence[Any]]], interpret: Callable[[list[Reply]], T]) -> T:
        self.requests += len(calls)
        self.round_trips += 1
        return await super().ask(calls, interpret)


def make_histories(litecoind: Litecoind, sizes: list[int]) -> dict[int, str]:
    """An address per size, paid that many times (one tx each), spread over blocks; address by size."""
    litecoind.fund("bench", blocks=101 + SPLIT // 10)
    for _ in range(SPLIT // 100):  # SPLIT confirmed coins of 1 LTC
        litecoind.send_many({litecoind.new_address("bech32"): Decimal("1") for _ in range(100)})
    litecoind.mine(1)
    addresses = {size: litecoind.new_address("bech32") for size in sizes}
    todo = [addresses[size] for size in sizes for _ in range(size)]
    for start in range(0, len(todo), PER_BLOCK):
        for address in todo[start : start + PER_BLOCK]:
            litecoind.send(address, Decimal("0.0001"))
        litecoind.mine(1)
    return addresses


def make_coinbase_histories(litecoind: Litecoind, sizes: list[int]) -> dict[int, str]:
    """An address per size, paid by that many blocks' coinbases (one tx each), smallest first."""
    litecoind.create_wallet("bench")
    addresses = {size: litecoind.new_address("bech32") for size in sizes}
    for size, address in addresses.items():
        for start in range(0, size, 1000):
            litecoind.mine(min(1000, size - start), address)
    litecoind.mine(6)  # the newest coinbase confirmed like the rest
    return addresses


async def measure(
    args: argparse.Namespace, litecoind: Litecoind, server: ElectrumX, addresses: dict[int, str]
) -> tuple[list[Series], dict[str, Any]]:
    config = UtxoChainConfig(
        family="utxo",
        coin="litecoin",
        network="regtest",
        rpc_urls=[litecoind.rpc_url],
        electrum_urls=[server.url],
        confirmations=6,
        timeout_seconds=30,
    )
    client = CountingClient("litecoin", config.electrum_urls, config.timeout_seconds)
    source = ElectrumSource({"litecoin": (client, params_for_chain("litecoin", config))})
    chain = UtxoChain("litecoin", config)
    lookups = LookupsConfig(chains={"litecoin": LookupChainConfig(sources=["electrum"])})
    service = LookupService(
        CheckService({"litecoin": chain}, MemoryStore(), CacheConfig()), {"electrum": source}, lookups
    )
    series: list[Series] = []
    calls: dict[str, Any] = {}
    try:
        for size, address in addresses.items():
            found = await source.find(chain, address, None, lookups.max_finds)  # warm, and checked
            if len(found.found) != min(size, lookups.max_finds) or not found.coverage.complete:
                raise RuntimeError(f"{size}: {len(found.found)} found, coverage {found.coverage}")
            alone = Series("electrum source", f"{size:,} past payments: source alone (find)", "ms")
            whole = Series("electrum source", f"{size:,} past payments: whole lookup (20 judged)", "ms")
            before = (client.requests, client.round_trips)
            for _ in range(args.lookups):
                started = time.perf_counter()
                await source.find(chain, address, None, lookups.max_finds)
                alone.values.append((time.perf_counter() - started) * 1000)
            calls[f"{size}"] = {
                "requests_per_lookup": (client.requests - before[0]) / args.lookups,
                "round_trips_per_lookup": (client.round_trips - before[1]) / args.lookups,
            }
            request = LookupRequest(address=address, chain="litecoin")
            for _ in range(args.lookups):
                started = time.perf_counter()
                answer = await service.lookup(request)
                whole.values.append((time.perf_counter() - started) * 1000)
            if len(answer.deposits) != min(size, lookups.max_results):
                raise RuntimeError(f"{size}: {len(answer.deposits)} deposits answered")
            series += [alone, whole]
    finally:
        await source.aclose()
        await chain.aclose()
    return series, calls


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.electrum_lookups", description=__doc__.split("\n")[0])
    parser.add_argument("--lookups", type=int, default=50, help="lookups timed per history size")
    parser.add_argument(
        "--history-max", type=int, default=10_000, help="largest history measured (the sizes below it: 1, 100)"
    )
    parser.add_argument(
        "--history-kind",
        choices=("sends", "coinbase"),
        default="sends",
        help="payments as wallet sends (one tx each), or as blocks' coinbases (fast: for 10,000)",
    )
    parser.add_argument(
        "--server-defaults", action="store_true", help="ElectrumX with its default cost limits (throttling on)"
    )
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.lookups, args.history_max = 3, 100
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    about = machine(PACKAGES)
    started = time.monotonic()
    with ExitStack() as stack:
        litecoind = Litecoind()
        stack.callback(litecoind.close)
        litecoind.start()
        built = time.monotonic()
        sizes = [h for h in HISTORIES if h < args.history_max] + [args.history_max]
        build = make_coinbase_histories if args.history_kind == "coinbase" else make_histories
        addresses = build(litecoind, sizes)
        built = time.monotonic() - built
        # ElectrumX throttles a session (and its IP's group) past COST_SOFT_LIMIT: each request then sleeps up to
        # REQUEST_SLEEP (2.5 s). The casino's own server serves one client, the service: limits off (0, 0), as
        # docs/configuration.md recommends; `--server-defaults` measures with ElectrumX's defaults.
        limits = {} if args.server_defaults else {"COST_SOFT_LIMIT": "0", "COST_HARD_LIMIT": "0"}
        server = ElectrumX(litecoind, env=limits)
        stack.callback(server.close)
        server.start(timeout=600)
        series, calls = asyncio.run(measure(args, litecoind, server, addresses))
    print(f"Machine: {machine_line(about)}")
    setting = "ElectrumX default cost limits" if args.server_defaults else "ElectrumX cost limits off (0, 0)"
    histories = ", ".join(f"{h:,}" for h in addresses)
    print(f"histories {histories} ({args.history_kind}) built in {built:.0f} s; {setting}\n")
    print(series_table(series))
    for size, counted in calls.items():
        print(
            f"{int(size):,} past payments: {counted['requests_per_lookup']:.0f} server requests in "
            f"{counted['round_trips_per_lookup']:.0f} round trips per lookup (source alone)"
        )
    figures: dict[str, Any] = {
        "series": series_json(series),
        "server_calls": calls,
        "lookup_ms_median": {s.name: statistics.median(s.values) for s in series},
        "history_build_s": built,
        "history_kind": args.history_kind,
        "server_cost_limits": "default" if args.server_defaults else "off",
        "elapsed_s": time.monotonic() - started,
    }
    write_json(args.json, "electrum_lookups", about, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
