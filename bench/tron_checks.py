"""Cold TRON checks: our `TronChain.observe` (three concurrent calls) against a naive tronpy sequence (four
awaited calls: the tx, its info, the latest and the solidified block numbers), against the replay node.

    python -m bench.tron_checks [--checks 600] [--rounds 3] [--concurrency 32] [--smoke] [--json PATH]

tronpy 0.6.2 requires eth-abi < 6 and web3 8 requires >= 6, so the baseline runs in a venv of its own
(`.venv-tronpy`, made on first run: `python -m venv` + `pip install tronpy==0.6.2`) as a subprocess,
`bench/tron_naive.py`. Where it cannot be made (no package index), the baseline is the same four calls in
tronpy's order with a plain httpx client, and the figures say so (`baseline`). The replay node runs as a
process of its own (`python -m harness.tron_replay`), so neither client shares its interpreter with it.
Checks are of the fixtures' USDT transfer, its OUT_OF_ENERGY call, a tx without its result, and unknown
hashes, in turn: each one cold (the adapter caches nothing; the service's answer cache is not in the way).
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
from bench.timing import rate_async
from deposit_check.chains.tron import TronChain
from deposit_check.chains.tron.address import from_hex, key_hash
from deposit_check.config import TokenConfig, TronChainConfig

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv-tronpy"
NAIVE = REPO / "bench" / "tron_naive.py"
SECTION = "cold TRON"
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
USDT_BLOCK = 66861993
# From tests/fixtures/tron (mainnet): the USDT transfer (info), the OUT_OF_ENERGY call (info), a USDT call
# whose info was never published (body): see tests/deposit_check/tron/conftest.py.
KNOWN = [
    (
        "b69c51db8f9d974e6a38c76852c8ce1adcb682dbacb25ad8ad4f6876121fe9dc",
        from_hex("cdae4e9a6287333a3f7df432b050af7b17e79e63"),
    ),
    (
        "e63a324a43aebfe41273db4f7fdfe325b2257b4f5711595a5fc0f8a75cf1b481",
        from_hex("cdae4e9a6287333a3f7df432b050af7b17e79e63"),
    ),
    (
        "2a985f0c5fd37aaffca2f9c29bd1eaa50ccaae6adef7585b73ad89ae67b745a4",
        from_hex("a33564d0de15b3c7c4d6c50ab72b32c59ef5bd94"),
    ),
]


def items(count: int) -> list[tuple[str, str]]:
    """`count` checks: the known txs and unknown hashes, in turn (each unknown one distinct)."""
    out: list[tuple[str, str]] = []
    for i in range(count):
        out.append(KNOWN[i % 4] if i % 4 < 3 else (os.urandom(32).hex(), KNOWN[0][1]))
    return out


def baseline_python() -> tuple[list[str], str]:
    """The command that runs the naive check, and what the baseline is."""
    python = VENV / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=120)
            subprocess.run(
                [str(VENV / "bin" / "pip"), "install", "-q", "tronpy==0.6.2"],
                check=True,
                capture_output=True,
                timeout=600,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"no tronpy venv ({type(exc).__name__}): the baseline is httpx in tronpy's call order")
    ok = python.exists() and subprocess.run([str(python), "-c", "import tronpy"], capture_output=True).returncode == 0
    if ok:
        return [str(python), str(NAIVE)], "tronpy 0.6.2 (AsyncTron)"
    return [sys.executable, str(NAIVE), "--httpx"], "httpx in tronpy's call order (tronpy could not be installed)"


def start_replay() -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "services"), str(REPO)])}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.tron_replay",
            "--tip",
            str(USDT_BLOCK + 30),
            "--solidified",
            str(USDT_BLOCK + 12),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


async def ours(url: str, checks: list[tuple[str, str]], concurrency: int) -> tuple[float, float, float, list[Any]]:
    """(sequential checks/s, gathered checks/s, node calls per check, the first results)."""
    config = TronChainConfig(
        family="tron", http_urls=[url], tokens=[TokenConfig(symbol="USDT", contract=USDT, decimals=6)]
    )
    chain = TronChain("tron", config)

    async def check(item: tuple[str, str]) -> list[Any]:
        obs = await chain.observe(*item)
        if obs.block is None:
            return [obs.found, None, 0]
        confirmed = obs.solidified is not None and obs.block.height <= obs.solidified and obs.confirmations >= 19
        return [True, confirmed, sum(p.amount for p in obs.payments if p.asset.symbol == "USDT")]

    try:
        results = [await check(item) for item in checks[:4]]
        chain.http.calls = 0
        sequential = await rate_async(check, checks, 1)
        calls = chain.http.calls / len(checks)
        gathered = await rate_async(check, checks, concurrency)
    finally:
        await chain.aclose()
    return sequential, gathered, calls, results


def naive(command: list[str], url: str, checks: list[tuple[str, str]], concurrency: int) -> dict[str, Any]:
    spec = {
        "token": key_hash(USDT),
        "verify": 4,
        "items": [{"tx": tx, "payee": key_hash(address)} for tx, address in checks],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(spec, f)
        f.flush()
        done = subprocess.run([*command, url, f.name, str(concurrency)], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"the naive check failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tron_checks", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--checks", type=int, default=600, help="checks per mode and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each mode (median)")
    parser.add_argument("--concurrency", type=int, default=32)
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.checks, args.rounds = 24, 1
    started = time.monotonic()
    command, baseline = baseline_python()
    about = machine(["httpx"]) | {"baseline": baseline}
    process, url = start_replay()
    c = f"c={args.concurrency}"
    series = {
        name: Series(SECTION, name, "checks/s")
        for name in ("ours, sequential", f"ours, gather {c}", "naive, sequential", f"naive, gather {c}")
    }
    calls: dict[str, float] = {}
    try:
        for _ in range(args.rounds):
            checks = items(args.checks)
            seq, gathered, calls["ours"], ours_results = asyncio.run(ours(url, checks, args.concurrency))
            series["ours, sequential"].values.append(seq)
            series[f"ours, gather {c}"].values.append(gathered)
            theirs = naive(command, url, checks, args.concurrency)
            series["naive, sequential"].values.append(theirs["sequential"])
            series[f"naive, gather {c}"].values.append(theirs["gather"])
            calls["naive"] = theirs["calls_per_check"]
            if theirs["results"] != ours_results:  # the same facts, or the comparison means nothing
                raise RuntimeError(f"ours {ours_results} and naive {theirs['results']} disagree")
    finally:
        process.terminate()
        process.wait(10)
    ratios = [
        Ratio(
            f"{SECTION}: ours sequential / naive sequential", series["ours, sequential"], series["naive, sequential"]
        ),
        Ratio(f"{SECTION}: ours {c} / naive {c}", series[f"ours, gather {c}"], series[f"naive, gather {c}"]),
    ]
    elapsed = time.monotonic() - started
    print(f"\n## {SECTION} checks against the replay node\n\nbaseline: {baseline}\n")
    print(series_table(list(series.values())) + "\n\n" + ratio_table(ratios, []))
    print(f"\nnode calls per check: ours {calls['ours']:.2f} (one round trip), naive {calls['naive']:.2f} (in turn)")
    print(f"\n{machine_line(about)}\nTotal run time: {elapsed:.0f} s")
    figures = {
        "series": series_json(list(series.values())),
        "ratios": ratios_json(ratios),
        "node_calls_per_check": calls,
        "baseline": baseline,
        "elapsed_s": elapsed,
    }
    write_json(args.json, "tron_checks", about, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
