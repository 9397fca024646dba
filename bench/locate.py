"""Where a tx is from its hash alone (`POST /v1/locate`, the first step of a claim with no address): latency and
node calls per locate, on three chains at once: litecoind (regtest), anvil with a real ERC-20, and the TRON replay
node (published mainnet answers).

    python -m bench.locate [--locates 200] [--smoke] [--json PATH]

`LocateService.locate` in-process (no HTTP), as deposit_check's `/v1/locate` runs it: every configured chain the
hash's shape fits is asked at once, and the ownership index (a Redis of its own, one casino address declared per
chain) says which recipients are the casino's. Timed, one locate after another, `--locates` of each case:
- a Litecoin tx paying a casino address (known on one chain; asked on all three: a bare 64-hex hash fits each),
- an ERC-20 transfer on anvil paying one (its `0x` hash),
- the published USDT-TRC20 transfer on the replay (its payee declared),
- a hash no chain knows (asked on all three, found nowhere).
Node calls per locate are counted in a second pass over the same cases: JSON-RPC at a counting proxy
(harness/rpc_limits.py, no limits) in front of litecoind and anvil, each method of a batch counted; TRON by the
adapter's own request count. Starts its own nodes and redis-server on free ports and stops them on the way out.
"""

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
from collections import Counter
from contextlib import ExitStack
from decimal import Decimal
from types import FrameType
from typing import Any

import redis.asyncio as aredis

from bench.report import Series, add_output_options, machine, machine_line, series_json, series_table, write_json
from bench.tron_checks import KNOWN as TRON_KNOWN
from bench.tron_checks import USDT, start_replay
from deposit_check.chains import Chain, build_chain
from deposit_check.chains.tron import TronChain
from deposit_check.config import AppConfig, parse_config
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.locate.schemas import LocateRequest
from deposit_check.locate.service import LocateService
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.entries import read_lines
from harness.redis_server import RedisServer
from harness.rpc_limits import RpcLimits

PACKAGES = ("httpx", "web3", "redis")
SECRET = "bench-locate-ownership-secret-0123456789"
SECTION = "locate"
# (case, the chain expected to hold it, or None)
CASES = (
    ("litecoin tx, one casino address", "litecoin"),
    ("ERC-20 transfer on anvil, one casino address", "ethereum"),
    ("USDT-TRC20 on the TRON replay, one casino address", "tron"),
    ("unknown everywhere", None),
)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def app_config(litecoin: str, ethereum: str, token: str, tron: str, redis_url: str) -> AppConfig:
    text = f"""
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{litecoin}"]
confirmations = 6

[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{ethereum}"]
confirmations = 12
[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "{token}"
decimals = 6

[chains.tron]
family = "tron"
http_urls = ["{tron}"]
[[chains.tron.tokens]]
symbol = "USDT"
contract = "{USDT}"
decimals = 6

[ownership]
secret = "{SECRET}"
"""
    return AppConfig(file=parse_config(text, env={}), redis_url=redis_url, source="bench")


def make_txs(litecoind: Litecoind, anvil: Anvil) -> tuple[str, dict[str, tuple[str, str]]]:
    """(token contract, per chain: (a tx paying a casino address, that address))."""
    litecoind.fund("bench", blocks=101)
    ltc_casino = litecoind.new_address("bech32")
    ltc_tx = litecoind.send(ltc_casino, Decimal("0.25"))
    litecoind.mine(2)
    payer, evm_casino = anvil.accounts[0], anvil.accounts[9]
    token = anvil.deploy_token("Tether USD (bench)", "USDT", 6, payer)
    evm_tx = anvil.token_transfer(token, payer, evm_casino, 250_000_000)
    anvil.mine(3)
    tron_tx, tron_payee = TRON_KNOWN[0]
    return token, {"litecoin": (ltc_tx, ltc_casino), "ethereum": (evm_tx, evm_casino), "tron": (tron_tx, tron_payee)}


async def declare(config: AppConfig, txs: dict[str, tuple[str, str]]) -> None:
    client = aredis.Redis.from_url(config.redis_url or "")
    try:
        admin = OwnershipAdmin(build_ownership(config, client), dict(config.file.chains))
        for chain, (_, address) in txs.items():
            await admin.put(chain, read_lines(f"address\n{address}\n"))
    finally:
        await client.aclose()


def hashes(txs: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Per case, the hash asked (the unknown one: a fresh random hash)."""
    return {case: txs[chain][0] if chain else os.urandom(32).hex() for case, chain in CASES}


async def run(
    config: AppConfig, txs: dict[str, tuple[str, str]], locates: int, counted: tuple[RpcLimits, RpcLimits] | None
) -> tuple[list[Series], dict[str, Any]]:
    """Time `locates` of each case (or, with the counting proxies, count one pass's node calls)."""
    client = aredis.Redis.from_url(config.redis_url or "")
    chains: dict[str, Chain] = {name: build_chain(name, c) for name, c in config.file.chains.items()}
    service = LocateService(chains, build_ownership(config, client))
    series: list[Series] = []
    calls: dict[str, Any] = {}
    tron = chains["tron"]
    assert isinstance(tron, TronChain)
    try:
        for case, expected in CASES:
            tx_hash = hashes(txs)[case]
            answer = await service.locate(LocateRequest(tx_hash=tx_hash))  # warm, and checked
            found = [e.chain for e in answer.found_on]
            paid = [a.address for e in answer.found_on for a in e.casino_addresses]
            if found != ([expected] if expected else []) or answer.unavailable:
                raise RuntimeError(f"{case}: found on {found}, unavailable {answer.unavailable}")
            if expected and paid != [txs[expected][1]]:
                raise RuntimeError(f"{case}: paid {paid}, expected {txs[expected][1]}")
            if counted is None:
                timed = Series(SECTION, case, "ms")
                for _ in range(locates):
                    started = time.perf_counter()
                    await service.locate(LocateRequest(tx_hash=tx_hash))
                    timed.values.append((time.perf_counter() - started) * 1000)
                series.append(timed)
                continue
            before = [len(proxy.calls) for proxy in counted]
            tron.http.calls = 0
            for _ in range(locates):
                await service.locate(LocateRequest(tx_hash=tx_hash))
            by_chain = {
                name: Counter(proxy.calls[start:])
                for name, proxy, start in zip(("litecoin", "ethereum"), counted, before, strict=True)
            }
            per_chain = {name: sum(c.values()) / locates for name, c in by_chain.items()} | {
                "tron": tron.http.calls / locates
            }
            calls[case] = {
                "asked": sorted([*answer.not_found_on, *found]),
                "node_calls_per_locate": sum(per_chain.values()),
                "by_chain": per_chain,
                "by_method": {f"{name} {m}": n / locates for name, c in by_chain.items() for m, n in sorted(c.items())},
            }
    finally:
        for chain in chains.values():
            await chain.aclose()
        await client.aclose()
    return series, calls


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.locate", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--locates", type=int, default=200, help="locates timed per case")
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.locates = 5
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    about = machine(PACKAGES)
    started = time.monotonic()
    with ExitStack() as stack:
        litecoind = Litecoind()
        stack.callback(litecoind.close)
        anvil = stack.enter_context(Anvil(chain_id=31337))
        redis_server = RedisServer()
        stack.callback(redis_server.close)
        litecoind.start()
        redis_server.start()
        replay, tron_url = start_replay()
        stack.callback(replay.wait, 10)  # after terminate (callbacks run last-in, first-out)
        stack.callback(replay.terminate)
        token, txs = make_txs(litecoind, anvil)
        direct = app_config(litecoind.rpc_url, anvil.rpc_url, token, tron_url, redis_server.url)
        asyncio.run(declare(direct, txs))
        series, _ = asyncio.run(run(direct, txs, args.locates, None))
        proxies = (RpcLimits(litecoind.rpc_url), RpcLimits(anvil.rpc_url))
        for proxy in proxies:
            stack.callback(proxy.close)
        proxied = app_config(proxies[0].url, proxies[1].url, token, tron_url, redis_server.url)
        _, calls = asyncio.run(run(proxied, txs, max(args.locates // 10, 3), proxies))
    elapsed = time.monotonic() - started
    print(f"Machine: {machine_line(about)}")
    print(f"\n## {SECTION}: a hash alone, asked on litecoin, ethereum and tron at once ({args.locates} a case)\n")
    print(series_table(series))
    for s in series:
        p95 = statistics.quantiles(s.values, n=20)[-1] if len(s.values) > 1 else s.values[0]
        print(f"{s.name}: median {s.median:.2f} ms, p95 {p95:.2f} ms")
    print()
    for case, counted in calls.items():
        chains = ", ".join(f"{c} {n:g}" for c, n in counted["by_chain"].items())
        methods = ", ".join(f"{m} {n:g}" for m, n in counted["by_method"].items())
        print(f"{case}: {counted['node_calls_per_locate']:g} node calls per locate ({chains}; {methods})")
    print(f"\nTotal run time: {elapsed:.0f} s")
    figures: dict[str, Any] = {
        "series": series_json(series),
        "locate_ms_median": {s.name: s.median for s in series},
        "locate_ms_p95": {
            s.name: statistics.quantiles(s.values, n=20)[-1] if len(s.values) > 1 else s.values[0] for s in series
        },
        "node_calls": calls,
        "elapsed_s": elapsed,
    }
    write_json(args.json, "locate", about, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
