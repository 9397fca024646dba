"""Ownership index: import of a generated address file into Redis (rate, bytes an address), an
idempotent re-import, lookup latency, and xpub derivation rates (UTXO and EVM).

    python -m bench.ownership [--addresses 1000000] [--derive 1000] [--smoke] [--json PATH]

A redis-server of its own (nothing else in it: INFO memory's growth is the index's).
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aredis

from bench.report import add_output_options, machine, machine_line, write_json
from deposit_check.config import DEFAULT_CONFIG, AppConfig, ExtendedKeyConfig, parse_config
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.derive import KeyDeriver
from deposit_check.ownership.entries import read_lines
from deposit_check.ownership.index import OwnershipIndex
from harness.redis_server import RedisServer

# isort: split
from bitcoinlib.encoding import pubkeyhash_to_addr_bech32  # after deposit_check: its data dir is set there
from bitcoinlib.keys import HDKey
from bitcoinlib.mnemonic import Mnemonic

PACKAGES = ["redis", "bitcoinlib", "cryptography"]
MNEMONIC = "test test test test test test test test test test test junk"


def config(redis_url: str) -> AppConfig:
    text = DEFAULT_CONFIG + '\n[ownership]\nsecret = "bench-ownership-secret-0123456789"\n'
    return AppConfig(file=parse_config(text, env={}), redis_url=redis_url, source="bench")


def write_file(path: Path, count: int) -> None:
    """`count` random litecoin regtest p2wpkh addresses as CSV; every other one with an account."""
    with path.open("w") as out:
        out.write("address,account\n")
        for i in range(count):
            address = pubkeyhash_to_addr_bech32(os.urandom(20), prefix="rltc", witver=0)
            out.write(f"{address},p-{i % 50_000}\n" if i % 2 else f"{address}\n")


async def measure(args: argparse.Namespace, server: RedisServer) -> dict[str, Any]:
    figures: dict[str, Any] = {"addresses": args.addresses}
    client = aredis.Redis.from_url(server.url)
    app_config = config(server.url)
    index = build_ownership(app_config, client)
    assert isinstance(index, OwnershipIndex)
    admin = OwnershipAdmin(index, dict(app_config.file.chains))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "addresses.csv"
        write_file(path, args.addresses)
        figures["file_mb"] = round(path.stat().st_size / 1e6, 1)
        before = int((await client.info("memory"))["used_memory"])
        for run in ("import", "re-import"):
            start = time.perf_counter()
            counts = await admin.put("litecoin", read_lines(path.read_text()))
            seconds = time.perf_counter() - start
            figures[run] = {
                "seconds": round(seconds, 2),
                "per_second": round(args.addresses / seconds),
                "added": counts.added,
                "unchanged": counts.unchanged,
            }
        used = int((await client.info("memory"))["used_memory"]) - before
        figures["redis_bytes_per_address"] = round(used / args.addresses, 1)
        sample = [line.split(",")[0] for line in path.read_text().splitlines()[1 : 1 + args.lookups]]
    encodings: dict[str, int] = {}
    async for key in client.scan_iter(match="dc:v1:{litecoin}:own:*", count=1000):
        kind = (await client.object("encoding", key)).decode()
        encodings[kind] = encodings.get(kind, 0) + 1
    figures["bucket_encodings"] = encodings
    figures["lookup_us"] = await lookups(index, sample)
    figures["derive_per_second"] = derivation(app_config, args.derive)
    figures["derive_100k_seconds"] = {k: round(100_000 / v) for k, v in figures["derive_per_second"].items()}
    await client.aclose()
    return figures


async def lookups(index: OwnershipIndex, sample: list[str]) -> dict[str, float]:
    times: list[float] = []
    for address in sample:
        start = time.perf_counter()
        owner = await index.owner_of("litecoin", address)
        times.append((time.perf_counter() - start) * 1e6)
        assert owner.ours
    return {"p50": round(statistics.median(times), 1), "max": round(max(times), 1)}


def derivation(app_config: AppConfig, count: int) -> dict[str, float]:
    root = HDKey.from_seed(Mnemonic().to_seed(MNEMONIC), network="testnet")
    rates: dict[str, float] = {}
    for chain, path in (("litecoin", "m/84'/1'/0'"), ("ethereum", "m/44'/60'/0'")):
        key = ExtendedKeyConfig(key=str(root.subkey_for_path(path).wif_public()))
        deriver = KeyDeriver(chain, app_config.file.chains[chain], key)
        start = time.perf_counter()
        deriver.derive(0, 0, count)
        rates["utxo" if chain == "litecoin" else "evm"] = round(count / (time.perf_counter() - start))
    return rates


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ownership", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--addresses", type=int, default=1_000_000, help="addresses in the generated file")
    parser.add_argument("--lookups", type=int, default=2_000, help="lookups timed")
    parser.add_argument("--derive", type=int, default=1_000, help="addresses derived per key kind")
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.addresses, args.lookups, args.derive = 2_000, 200, 20
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    about = machine(PACKAGES)
    server = RedisServer().start()
    try:
        started = time.monotonic()
        figures = asyncio.run(measure(args, server))
        figures["elapsed_s"] = round(time.monotonic() - started, 1)
    finally:
        server.close()
    imported, again = figures["import"], figures["re-import"]
    print(f"Machine: {machine_line(about)}")
    print(
        f"import of {args.addresses:,} addresses: {imported['seconds']} s ({imported['per_second']:,}/s); "
        f"re-import {again['seconds']} s, unchanged {again['unchanged']:,}"
    )
    print(f"Redis memory per address: {figures['redis_bytes_per_address']} bytes (goal <= 100)")
    print(f"bucket encodings: {figures['bucket_encodings']}")
    print(f"lookup: p50 {figures['lookup_us']['p50']} us, max {figures['lookup_us']['max']} us")
    rates = figures["derive_per_second"]
    print(
        f"derivation: UTXO {rates['utxo']}/s, EVM {rates['evm']}/s; to 100,000: "
        f"UTXO {figures['derive_100k_seconds']['utxo']} s, EVM {figures['derive_100k_seconds']['evm']} s"
    )
    write_json(args.json, "ownership", about, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
