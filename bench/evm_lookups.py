"""Lookups by address on the EVM sources `evm_logs` and `evm_trace` (issue 14): latency and node calls for an
address with 1, 100 and 10,000 past payments, against a real anvil.

    python -m bench.evm_lookups [--history-max 10000] [--lookups 20] [--smoke] [--json PATH]

Per history size, three fresh addresses, each payment its own tx: one paid that many times in the test token
(`transfer(address,uint256)`: one Transfer log, one find of `evm_logs`); one paid that many times in native
coin directly (a plain value transfer: one top-level `trace_filter` entry, `evm_trace`'s cheap case); one
paid that many times in native coin through `Payouts.forward` (an internal call: one `trace_filter` entry
and a `trace_transaction` re-read of the tx, `evm_trace`'s costly case). The txs are sent in JSON-RPC batches
with automine off, then mined `PER_BLOCK` to a block (anvil executes them in order); the blocks are packed,
which a real chain's history is not: the node searches few blocks, the finds are the same.

Timed, median of `--lookups` calls each, in-process (no HTTP): each source's `find` with the service's limit
(`[lookups] max_finds`, 500) and its default range (`max_blocks_back` 100,000 in `chunk_blocks` of 10,000:
the whole devnet chain in one request). Node requests per lookup are counted at a JSON-RPC proxy
(harness/rpc_limits.py, no limits set) between the sources and anvil; each method of a batch counts.
"""

import argparse
import asyncio
import signal
import statistics
import sys
import time
from collections import Counter
from contextlib import ExitStack
from types import FrameType
from typing import Any

import httpx
from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from bench.report import Series, add_output_options, machine, machine_line, series_json, series_table, write_json
from deposit_check.chains.evm import EvmChain
from deposit_check.config import EvmChainConfig, LookupsConfig
from deposit_check.devnet.anvil import Anvil
from deposit_check.lookups.evm_logs import EvmLogsSource
from deposit_check.lookups.evm_range import RangeConfig
from deposit_check.lookups.evm_trace import EvmTraceSource
from harness.rpc_limits import RpcLimits

PACKAGES = ("httpx",)
HISTORIES = (1, 100, 10_000)
PER_BLOCK = 300  # txs per block (80,000 gas each, under anvil's 30M block gas limit)
GAS = 80_000
SEND_BATCH = 500  # eth_sendTransaction per JSON-RPC batch


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def new_address(n: int) -> str:
    return to_checksum_address(keccak(text=f"evm_lookups {n} {time.time_ns()}")[:20])


def send_many(anvil: Anvil, txs: list[dict[str, Any]]) -> None:
    """Send `txs` (from unlocked accounts, with gas and nonces set) in batches; automine is off."""
    with httpx.Client(timeout=120) as http:
        for start in range(0, len(txs), SEND_BATCH):
            body = [
                {"jsonrpc": "2.0", "id": i, "method": "eth_sendTransaction", "params": [tx]}
                for i, tx in enumerate(txs[start : start + SEND_BATCH])
            ]
            errors = [r["error"] for r in http.post(anvil.rpc_url, json=body).json() if r.get("error")]
            if errors:
                raise RuntimeError(f"eth_sendTransaction: {errors[0]}")


KINDS = ("token", "direct", "forwarded")  # the addresses of a size, in this order


def make_histories(anvil: Anvil, token: str, payouts: str, sizes: list[int]) -> dict[int, tuple[str, ...]]:
    """Per size: addresses paid `size` times in the token, in native coin directly, through Payouts.forward."""
    holder, payer = anvil.accounts[0], anvil.accounts[1]
    transfer = keccak(text="transfer(address,uint256)")[:4]
    forward = keccak(text="forward(address)")[:4]
    direct = anvil.accounts[2]
    nonces = {holder: anvil.nonce(holder), payer: anvil.nonce(payer), direct: anvil.nonce(direct)}
    addresses: dict[int, tuple[str, ...]] = {}
    txs: list[dict[str, Any]] = []

    def tx(sender: str, to: str, data: bytes, value: int) -> dict[str, Any]:
        nonce = nonces[sender]
        nonces[sender] += 1
        return {
            "from": sender,
            "to": to,
            "data": "0x" + data.hex(),
            "value": hex(value),
            "gas": hex(GAS),
            "nonce": hex(nonce),
        }

    for n, size in enumerate(sizes):
        tokens_to, direct_to, forwarded_to = (new_address(3 * n + k) for k in range(3))
        addresses[size] = (tokens_to, direct_to, forwarded_to)
        for _ in range(size):
            txs.append(tx(holder, token, transfer + encode(["address", "uint256"], [tokens_to, 1_000_000]), 0))
            txs.append(tx(direct, direct_to, b"", 10**15))
            txs.append(tx(payer, payouts, forward + encode(["address"], [forwarded_to]), 10**15))
    anvil.set_automine(False)
    for start in range(0, len(txs), PER_BLOCK):
        send_many(anvil, txs[start : start + PER_BLOCK])
        anvil.mine(1)
    anvil.set_automine(True)
    anvil.mine(3)
    return addresses


async def measure(
    args: argparse.Namespace, proxy: RpcLimits, token: str, addresses: dict[int, tuple[str, ...]]
) -> tuple[list[Series], dict[str, Any]]:
    tokens = [{"symbol": "USDT", "contract": token, "decimals": 6}]
    config = EvmChainConfig(
        family="evm", chain_id=31337, rpc_urls=[proxy.url], confirmations=3, tokens=tokens, timeout_seconds=120
    )
    chain = EvmChain("ethereum", config)
    limit = LookupsConfig().max_finds
    logs, trace = EvmLogsSource(RangeConfig()), EvmTraceSource(RangeConfig())
    sources: list[tuple[EvmLogsSource | EvmTraceSource, str]] = [
        (logs, "token"),
        (trace, "direct"),
        (trace, "forwarded"),
    ]
    series: list[Series] = []
    calls: dict[str, Any] = {}
    try:
        for size, paid in addresses.items():
            for source, kind in sources:
                address, name = paid[KINDS.index(kind)], f"{source.name} {kind}"
                found = await source.find(chain, address, None, limit)  # warm, and checked
                if len(found.found) != min(size, limit) or not found.coverage.complete:
                    raise RuntimeError(f"{name} {size}: {len(found.found)} found, {found.coverage}")
                timed = Series(f"{name}", f"{size:,} past payments: find", "ms")
                before = len(proxy.calls)
                for _ in range(args.lookups):
                    started = time.perf_counter()
                    await source.find(chain, address, None, limit)
                    timed.values.append((time.perf_counter() - started) * 1000)
                asked = Counter(proxy.calls[before:])
                calls[f"{name} {size}"] = {
                    "requests_per_lookup": sum(asked.values()) / args.lookups,
                    "by_method": {m: c / args.lookups for m, c in sorted(asked.items())},
                }
                series.append(timed)
    finally:
        await chain.aclose()
    return series, calls


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.evm_lookups", description=__doc__.split("\n")[0])
    parser.add_argument("--lookups", type=int, default=20, help="lookups timed per source and history size")
    parser.add_argument(
        "--history-max", type=int, default=10_000, help="largest history measured (the sizes below it: 1, 100)"
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
        anvil = stack.enter_context(Anvil(chain_id=31337))
        token = anvil.deploy_token("Tether USD (test)", "USDT", 6, anvil.accounts[0])
        payouts, _ = anvil.deploy_payouts(anvil.accounts[0])
        built = time.monotonic()
        sizes = [h for h in HISTORIES if h < args.history_max] + [args.history_max]
        addresses = make_histories(anvil, token, payouts, sizes)
        built = time.monotonic() - built
        proxy = RpcLimits(anvil.rpc_url)
        stack.callback(proxy.close)
        blocks = anvil.block_number()
        series, calls = asyncio.run(measure(args, proxy, token, addresses))
    print(f"Machine: {machine_line(about)}")
    histories = ", ".join(f"{h:,}" for h in addresses)
    print(f"histories {histories} (token transfers, direct and forwarded native payments) built in {built:.0f} s")
    print(f"chain of {blocks} blocks\n")
    print(series_table(series))
    for name, counted in calls.items():
        methods = ", ".join(f"{m} {c:g}" for m, c in counted["by_method"].items())
        print(f"{name} past payments: {counted['requests_per_lookup']:g} node requests per lookup ({methods})")
    figures: dict[str, Any] = {
        "series": series_json(series),
        "node_calls": calls,
        "lookup_ms_median": {f"{s.section} {s.name}": statistics.median(s.values) for s in series},
        "history_build_s": built,
        "blocks": blocks,
        "elapsed_s": time.monotonic() - started,
    }
    write_json(args.json, "evm_lookups", about, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
