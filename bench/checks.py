"""The benchmark of issue 2, in one run on the same local nodes; prints ratios against baselines.

    python -m bench.checks [--txs 400] [--rounds 3] [--duration 10] [--pairs 3] [--gc-freeze] [--json PATH]

1. cold UTXO checks/s: `UtxoChain.observe` vs bitcoinlib 0.7.10 `Service.gettransaction`
2. cold EVM checks/s: `EvmChain.observe` vs naive web3.py (three awaited calls per check)
3. warm API: our app under wrk vs a bare FastAPI endpoint doing one Redis GET

It starts its own litecoind (regtest), anvil and redis-server on free ports of 127.0.0.1 and stops
them (and the uvicorn processes) on the way out, also on errors, Ctrl-C and SIGTERM.
"""

import os
import shutil
import tempfile

# bitcoinlib writes config, logs, a sqlite cache and its network/provider files under BCL_DATA_DIR
# when first imported: a throw-away directory, set before anything imports it.
BCL_DIR = tempfile.mkdtemp(prefix="bench-bitcoinlib-")
os.environ["BCL_DATA_DIR"] = BCL_DIR

import argparse  # noqa: E402
import asyncio  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from contextlib import ExitStack  # noqa: E402
from types import FrameType  # noqa: E402
from typing import TypeVar  # noqa: E402

from bench import cold_evm, cold_utxo, warm  # noqa: E402
from bench.nodes import make_evm_deposits, make_utxo_deposits  # noqa: E402
from bench.report import (  # noqa: E402
    Limit,
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
from deposit_check.devnet.anvil import Anvil  # noqa: E402
from deposit_check.devnet.litecoind import Litecoind  # noqa: E402
from harness.redis_server import RedisServer  # noqa: E402

WARM_REQUESTS = 50
PACKAGES = ("bitcoinlib", "web3", "fastapi", "uvicorn", "uvloop", "httptools", "httpx", "redis")

T = TypeVar("T")


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStack: every process we started is stopped


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.checks", description=__doc__.split("\n")[0])
    parser.add_argument("--txs", type=int, default=400, help="distinct txs per chain for the cold checks")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each cold mode (median)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--pairs", type=int, default=3, help="(baseline, ours) wrk runs (median)")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="also load both apps with gc.freeze() after start-up (a diagnostic, see docs/benchmarks.md)",
    )
    parser.add_argument(
        "--no-limiter",
        action="store_true",
        help="also load ours with the API key's rate limiter skipped (a diagnostic: what the limiter costs)",
    )
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:  # a few txs, one round, 1-second wrk runs (skipped without wrk), few in-process requests
        args.txs, args.rounds, args.duration, args.pairs = 24, 1, 1, 1
    return args


def bench(args: argparse.Namespace, stack: ExitStack) -> tuple[list[Series], list[Ratio], list[Limit]]:
    """Start the back-ends (registered on `stack` for clean-up), make the txs, run the three parts."""
    litecoind = Litecoind()
    stack.callback(litecoind.close)
    anvil = Anvil()
    stack.callback(anvil.close)
    redis_server = RedisServer()
    stack.callback(redis_server.close)
    litecoind.start()
    anvil.start()
    redis_server.start()

    ltc = _timed("litecoin txs", lambda: make_utxo_deposits(litecoind, args.txs))
    token, evm = _timed("EVM txs", lambda: make_evm_deposits(anvil, args.txs))
    utxo_series, utxo_ratios = _timed(
        "cold UTXO", lambda: asyncio.run(cold_utxo.run(litecoind.rpc_url, ltc, args.rounds))
    )
    evm_series, evm_ratios = _timed(
        "cold EVM", lambda: asyncio.run(cold_evm.run(anvil.rpc_url, anvil.chain_id, token, evm, args.rounds))
    )
    half = min(WARM_REQUESTS, args.txs) // 2
    config = warm.app_config(litecoind.rpc_url, anvil.rpc_url, anvil.chain_id, token)
    settings = warm.WrkSettings(duration_s=args.duration, pairs=args.pairs, warmup_s=min(2, args.duration))
    warm_series, warm_ratios, limits = _timed(
        "warm API",
        lambda: warm.run(
            ltc[:half] + evm[:half],
            redis_server.url,
            config,
            settings,
            args.gc_freeze,
            args.no_limiter,
            smoke=args.smoke,
        ),
    )
    return utxo_series + evm_series + warm_series, utxo_ratios + evm_ratios + warm_ratios, limits


def _timed(label: str, step: Callable[[], T]) -> T:
    """Run `step`, say how long it took (the bench should stay within a few minutes)."""
    start = time.monotonic()
    result = step()
    print(f"{label}: {time.monotonic() - start:.1f} s", flush=True)
    return result


def report(series: list[Series], ratios: list[Ratio], limits: list[Limit], about: str, elapsed: float) -> str:
    return "\n\n".join(
        [
            f"Machine: {about}",
            series_table(series),
            ratio_table(ratios, limits),
            f"Total run time: {elapsed:.0f} s",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    start = time.monotonic()
    about = machine(PACKAGES)
    try:
        with ExitStack() as stack:
            series, ratios, limits = bench(args, stack)
    finally:
        shutil.rmtree(BCL_DIR, ignore_errors=True)
    elapsed = time.monotonic() - start
    print("\n" + report(series, ratios, limits, machine_line(about), elapsed))
    figures = {"series": series_json(series), "ratios": ratios_json(ratios, limits), "elapsed_s": elapsed}
    write_json(args.json, "checks", about, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
