"""The benchmark of issue 16's failover: a Redis Sentinel set's master SIGKILLed under a steady stream of writes.

    python -m bench.failover [--rounds 3] [--smoke] [--json PATH]

A writer appends numbered entries to two lists through the services' own client factory
(desk_common.redis_connect, `redis+sentinel://`, its retries and backoff): one plain, one whose every write is
followed by `durable` (`WAIT 1 500`, as the writes a failover must not undo are). Each round SIGKILLs the master
(harness/redis_sentinel.py: 1 master, 1 replica, 3 sentinels, `down-after-milliseconds 1000`) and measures the
time from the kill to every sentinel naming the promoted replica and to the writer's first acknowledged write
after it; then reads what the new master holds: entries acknowledged and gone (lost with asynchronous
replication), entries there twice (a write the old master applied whose answer was lost, sent again by the
retry). The killed node comes back as a replica before the next round.
"""

import argparse
import asyncio
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.report import Series, add_output_options, machine, machine_line, series_json, series_table, write_json
from desk_common.redis_connect import connect, durable, parse
from harness.redis_sentinel import SentinelSet

PACKAGES = ("redis", "hiredis")
SECTION = "Sentinel failover"
PLAIN, WAITED, MARK = "bench:failover:plain", "bench:failover:waited", "bench:failover:mark"
STEADY_SECONDS = 1.0  # writes before each kill


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.failover", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="failovers (the master killed each time)")
    add_output_options(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds = 1
    return args


@dataclass
class Writer:
    """Writes until stopped; when each entry was acknowledged (time.monotonic())."""

    url: str
    acked: dict[tuple[str, int], float] = field(default_factory=dict)
    errors: int = 0  # writes that failed after every retry
    unreplicated: int = 0  # WAITed writes no replica confirmed within wait_ms (not counted as acknowledged)
    stop: threading.Event = field(default_factory=threading.Event)

    async def run(self) -> None:
        client = connect(self.url, socket_timeout=2.0, socket_connect_timeout=1.0)
        target = parse(self.url)
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                try:
                    await client.rpush(PLAIN, n)
                    self.acked[PLAIN, n] = time.monotonic()
                    await client.rpush(WAITED, n)
                    if await durable(client, target, MARK):
                        self.acked[WAITED, n] = time.monotonic()  # a replica has it: counted as kept
                    else:
                        self.unreplicated += 1
                except Exception:  # the retries ran out: counted, and on to the next
                    self.errors += 1
        finally:
            await client.aclose()


@dataclass
class Round:
    promotion_s: float
    first_write_s: float
    lost: dict[str, int]  # acknowledged before the kill, not on the new master
    twice: dict[str, int]  # on the new master more than once
    writes: int
    errors: int
    unreplicated: int


def one_round(sentinels: SentinelSet) -> Round:
    writer = Writer(sentinels.url(0))
    thread = threading.Thread(target=lambda: asyncio.run(writer.run()), name="writer")
    thread.start()
    try:
        time.sleep(STEADY_SECONDS)
        old = sentinels.master()
        killed = time.monotonic()
        old.kill()
        dead = time.monotonic()  # reaped: every answer after this came from elsewhere
        new = sentinels.wait_for_promotion(old)
        promoted = time.monotonic() - killed
        deadline = time.monotonic() + 20
        while not any(t > dead for t in list(writer.acked.values())):
            if time.monotonic() > deadline:
                raise RuntimeError("no write acknowledged within 20 s of the kill")
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        writer.stop.set()
        thread.join(30)
    first = min(t for t in writer.acked.values() if t > dead) - killed
    client = new.client()
    lost, twice = {}, {}
    for key in (PLAIN, WAITED):
        held = Counter(int(v) for v in client.lrange(key, 0, -1))
        before = [n for (k, n), t in writer.acked.items() if k == key and t < dead]
        lost[key] = sum(1 for n in before if held[n] == 0)
        twice[key] = sum(1 for count in held.values() if count > 1)
        client.delete(key)
    sentinels.restart(old)  # back as a replica of the new master, before the next round
    sentinels.wait_ready(60)
    return Round(promoted, first, lost, twice, len(writer.acked), writer.errors, writer.unreplicated)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    about = machine(PACKAGES)
    start = time.monotonic()
    sentinels = SentinelSet()
    rounds: list[Round] = []
    try:
        sentinels.start()
        for i in range(args.rounds):
            rounds.append(one_round(sentinels))
            r = rounds[-1]
            print(f"round {i + 1}/{args.rounds}: first write {r.first_write_s:.2f} s after the kill", flush=True)
    finally:
        sentinels.close()
    elapsed = time.monotonic() - start
    series = [
        Series(SECTION, "kill -> every sentinel names the promoted replica", "s", [r.promotion_s for r in rounds]),
        Series(SECTION, "kill -> first acknowledged write", "s", [r.first_write_s for r in rounds]),
    ]
    figures: dict[str, Any] = {
        "series": series_json(series),
        "rounds": [r.__dict__ for r in rounds],
        "lost": {k: sum(r.lost[k] for r in rounds) for k in (PLAIN, WAITED)},
        "twice": {k: sum(r.twice[k] for r in rounds) for k in (PLAIN, WAITED)},
        "elapsed_s": elapsed,
    }
    print(
        "\n".join(
            [
                "",
                f"Machine: {machine_line(about)}",
                series_table(series),
                f"acknowledged writes lost at failover: plain {figures['lost'][PLAIN]}, "
                f"with WAIT {figures['lost'][WAITED]}; entries written twice by a retry: plain "
                f"{figures['twice'][PLAIN]}, with WAIT {figures['twice'][WAITED]} "
                f"(of {sum(r.writes for r in rounds):,} writes, {sum(r.errors for r in rounds)} failed after every retry)",
                f"Total run time: {elapsed:.0f} s",
            ]
        )
    )
    write_json(args.json, "failover", about, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
