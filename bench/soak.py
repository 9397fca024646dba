"""A sustained, bounded load on loopback: mixed checks, bot claims and webhooks against the real
stack, every service in its own process; no error allowed, and memory must stay flat.

    python -m bench.soak --minutes 10 [--json PATH]

deposit_check (`serve --watch`), ticket_link (`serve`) and its worker run as processes; their RSS is
sampled from /proc every few seconds. The load: `--clients` async clients, each in a loop, picking
70 % checks (known deposits, unknown hashes, and malformed input that must get 422), 20 % bot
claims on a pool of tickets, 10 % django-helpdesk-shaped webhooks. Any 5xx, transport error or
unexpected status counts as an error. Memory is judged on the average RSS of the last fifth of
the run against that of the second fifth (the first is warm-up).
"""

import argparse
import asyncio
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.report import add_output_options, machine, write_json
from bench.stack import HELPDESK, confirmed_deposits, deposit_check_config, ticket_link_config
from deposit_check.devnet.litecoind import Litecoind, free_port
from harness.processes import BIN, process, wait_for_port
from harness.redis_server import RedisServer
from harness.serving import run_worker
from ticket_link.devdesk.launcher import DevDesk


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Load:
    def __init__(self, dc: str, tl: str, webhook: str, deposits: list, tickets: list[int]) -> None:
        self.dc, self.tl, self.webhook = dc, tl, webhook
        self.deposits, self.tickets = deposits, tickets
        self.counts: dict[str, int] = {}
        self.errors: list[str] = []

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    async def one(self, client: httpx.AsyncClient) -> None:
        roll, d = random.random(), random.choice(self.deposits)
        if roll < 0.55:
            kind, url, body, ok = "check", f"{self.dc}/v1/checks", {"tx_hash": d.tx_hash, "address": d.address}, {200}
        elif roll < 0.65:
            kind, url, body, ok = (
                "check unknown",
                f"{self.dc}/v1/checks",
                {"tx_hash": secrets.token_hex(32), "address": d.address},
                {200},
            )
        elif roll < 0.70:
            kind, url, body, ok = (
                "check malformed",
                f"{self.dc}/v1/checks",
                {"tx_hash": "nope", "address": d.address},
                {422},
            )
        elif roll < 0.90:
            ticket = random.choice(self.tickets)
            kind, url, ok = "claim", f"{self.tl}/v1/tickets/{ticket}/deposits", {200}
            body = {"tx_hash": d.tx_hash, "address": d.address, "lang": random.choice(["en", "fr", "pl", "ru"])}
        else:
            ticket = random.choice(self.tickets)
            kind, url, ok = "webhook", self.webhook, {202}
            body = {
                "ticket": {
                    "id": ticket,
                    "title": "deposit",
                    "description": f"tx {d.tx_hash} to {d.address}",
                    "followup_set": [],
                }
            }
        try:
            response = await client.post(url, json=body)
            if response.status_code not in ok:
                self.errors.append(f"{kind}: HTTP {response.status_code} {response.text[:200]}")
        except httpx.HTTPError as exc:
            self.errors.append(f"{kind}: {type(exc).__name__}")
        self._count(kind)


async def drive(
    load: Load, clients: int, seconds: float, sample: Callable[[], dict[str, int]], every: float
) -> list[tuple[float, dict[str, int]]]:
    samples: list[tuple[float, dict[str, int]]] = []
    end = time.monotonic() + seconds

    async def client_loop() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            while time.monotonic() < end:
                await load.one(client)

    async def sampler() -> None:
        start = time.monotonic()
        while time.monotonic() < end:
            samples.append((time.monotonic() - start, sample()))
            await asyncio.sleep(every)

    await asyncio.gather(sampler(), *(client_loop() for _ in range(clients)))
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--deposits", type=int, default=40)
    parser.add_argument("--tickets", type=int, default=30)
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:  # a few seconds of load on a small pool
        args.minutes, args.clients, args.deposits, args.tickets = 0.05, 2, 3, 2
    about = machine()
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    with ExitStack() as stack:
        redis = RedisServer().start()
        stack.callback(redis.close)
        node = Litecoind(base_dir=work / "litecoind").start()
        stack.callback(node.close)
        deposits = confirmed_deposits(node, args.deposits)
        dc_port, tl_port = free_port(), free_port()
        (work / "dc.toml").write_text(deposit_check_config(node.rpc_url) + "\n[watch]\npoll_seconds = 1\n")
        dc = stack.enter_context(
            process(
                [str(BIN / "deposit-check"), "serve", "--watch", "--port", str(dc_port), "--log-level", "warning"],
                {"DEPOSIT_CHECK_CONFIG": str(work / "dc.toml"), "REDIS_URL": redis.url},
                work / "dc.log",
            )
        )
        wait_for_port(dc_port, 30, dc)
        webhook_secret, secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        desk = DevDesk(base_dir=work / "desk")  # no webhooks from the desk: the load sends its own
        stack.callback(desk.close)
        desk.start()
        tickets = [desk.create_ticket(f"soak {i}", "deposit?", f"soak{i}@mail.example") for i in range(args.tickets)]
        (work / "tl.toml").write_text(ticket_link_config(secret, f"http://127.0.0.1:{dc_port}", desk, webhook_secret))
        env = {"TICKET_LINK_CONFIG": str(work / "tl.toml"), "REDIS_URL": redis.url}
        tl = stack.enter_context(
            process(
                [str(BIN / "ticket-link"), "serve", "--port", str(tl_port), "--log-level", "warning"],
                env,
                work / "tl.log",
            )
        )
        wait_for_port(tl_port, 30, tl)
        worker = stack.enter_context(run_worker(work / "tl.toml", redis.url, work / "worker.log", log_level="warning"))
        procs = {"deposit_check": dc.pid, "ticket_link": tl.pid, "worker": worker.pid}

        load = Load(
            f"http://127.0.0.1:{dc_port}",
            f"http://127.0.0.1:{tl_port}",
            f"http://127.0.0.1:{tl_port}/v1/webhooks/{HELPDESK}/{webhook_secret}",
            deposits,
            tickets,
        )
        seconds = args.minutes * 60
        started = time.monotonic()
        samples = asyncio.run(
            drive(
                load, args.clients, seconds, lambda: {n: rss_kib(p) for n, p in procs.items()}, max(2.0, seconds / 100)
            )
        )
        elapsed = time.monotonic() - started

    total = sum(load.counts.values())
    print(
        f"\nsoak: {elapsed:.0f} s, {args.clients} clients, {total} requests ({total / elapsed:.0f}/s): {dict(sorted(load.counts.items()))}"
    )
    print(f"errors: {len(load.errors)}" + (f"; first: {load.errors[:5]}" if load.errors else ""))
    fifth = max(1, len(samples) // 5)
    flat = True
    memory: dict[str, dict[str, float]] = {}
    print("| process | RSS MiB, 2nd fifth (avg) | last fifth (avg) | growth | max |")
    print("|---|---:|---:|---:|---:|")
    for name in procs:
        early = statistics.mean(s[name] for _, s in samples[fifth : 2 * fifth]) / 1024
        late = statistics.mean(s[name] for _, s in samples[-fifth:]) / 1024
        peak = max(s[name] for _, s in samples) / 1024
        growth = (late - early) / early * 100
        flat &= growth < 10
        memory[name] = {"second_fifth_mib": early, "last_fifth_mib": late, "growth_pct": growth, "max_mib": peak}
        print(f"| {name} | {early:.1f} | {late:.1f} | {growth:+.1f} % | {peak:.1f} |")
    print(f"memory flat (< 10 % growth after warm-up): {'yes' if flat else 'NO'}")
    figures = {
        "seconds": elapsed,
        "clients": args.clients,
        "requests": total,
        "counts": load.counts,
        "errors": len(load.errors),
        "first_errors": load.errors[:5],
        "memory": memory,
        "memory_flat": flat,
    }
    write_json(args.json, "soak", about, args.smoke, figures)
    return 0 if not load.errors and (flat or args.smoke) else 1  # a smoke run is too short to judge memory


if __name__ == "__main__":
    sys.exit(main())
