"""Issue 3: time from "webhook received" to "note visible in the helpdesk", p50/p95 over 50 tickets.

`python -m bench.note_latency` (repo root, under a minute). The real stack (bench/stack.py) on
127.0.0.1; each ticket is created in django-helpdesk through its REST API with a confirmed deposit's
tx hash and address in its description, and django-helpdesk sends its new-ticket webhook to ticket_link.

- webhook received: a tiny ASGI middleware around ticket_link's app (served in this process) notes
  when a POST to /v1/webhooks/... reaches the app, and the ticket id in its body;
- note committed / visible: an observer, a process of its own (this one hosts ticket_link and its
  threads would delay the observer's by 10-20 ms), reads the desk's sqlite database read-only every
  5 ms: a new internal follow-up row is "committed" (any reader of the desk can see it from then on);
  it then reads the note through django-helpdesk's REST API, every 20 ms until an answer shows it:
  "visible". Reading once the row is there costs the desk about one GET per note, so polling does
  not load the desk, and a burst's notes do not queue behind each other's polls;
- in between, from saq's jobs (each state read as saq publishes it, payloads unsealed with
  ticket_link's secret): enrich job queued, started; note job queued, started, completed; and the
  follow-up's own `date` (django-helpdesk sets it when it builds the follow-up, before saving it).

Two runs: sequential (one ticket at a time, the next once the note is seen) and a burst (50 tickets
created back to back from 4 threads). Prints a table (and writes its figures with `--json PATH`);
method and results: docs/benchmarks.md.
"""

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import redis

from bench.report import add_output_options, machine, write_json
from bench.stack import LtcDeposit, NoteStack, note_stack
from harness.serving import Asgi
from ticket_link.keys import QUEUE as QUEUE_NAME
from ticket_link.privacy import Pseudonymizer

REPO = Path(__file__).resolve().parent.parent
GOAL_S = 1.0
WARMUP = 3  # tickets through the whole path before measuring: connections, imports, caches
DB_POLL_S = 0.005
PACKAGES = ("django-helpdesk", "saq")


@dataclass(frozen=True)
class Options:
    tickets: int = 50
    gap_s: float = 0.02  # between an observer thread's REST reads
    pollers: int = 4  # observer threads reading notes through the REST API
    threads: int = 4  # creating tickets in the burst
    rest: str = "followup"  # or "ticket": what the observer reads


@dataclass
class Arrival:
    ticket: int
    kind: str  # "new" (new-ticket webhook) or "followup"
    received: float  # time.time() when the request reached ticket_link's app
    answered: float
    status: int


class WebhookClock:
    """ASGI middleware: notes every webhook POST that reaches the wrapped app (read by bench threads)."""

    def __init__(self, app: Asgi) -> None:
        self.app = app
        self.arrivals: list[Arrival] = []

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/v1/webhooks/"):
            return await self.app(scope, receive, send)
        received, chunks, status = time.time(), [], 0

        async def receive_copy() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive_copy, send_status)
        try:
            data = json.loads(b"".join(chunks))
            ticket, kind = int(data["ticket"]["id"]), "followup" if "followup_id" in data else "new"
        except (ValueError, KeyError, TypeError):
            return
        self.arrivals.append(Arrival(ticket, kind, received, time.time(), status))

    def first_new(self) -> dict[int, Arrival]:
        """Each ticket's new-ticket webhook (the first one if it was sent twice)."""
        found: dict[int, Arrival] = {}
        for a in list(self.arrivals):
            if a.kind == "new":
                found.setdefault(a.ticket, a)
        return found


class Watcher(threading.Thread):
    """A daemon thread running `step` until closed."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.step()

    def step(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stop.set()
        self.join(timeout=10)


class JobWatcher(Watcher):
    """Every state of every saq job, read as saq announces it (it publishes each status change).

    Reading the jobs from Redis afterwards is not enough: saq lets a new job with the key of a
    finished one replace it, and each note's follow-up webhook does just that to the enrich job.
    """

    def __init__(self, stack: NoteStack) -> None:
        super().__init__("job-watcher")
        self.privacy = Pseudonymizer(stack.secret)
        self.client = redis.Redis.from_url(stack.redis_url)
        self.pubsub = self.client.pubsub()
        self.pubsub.psubscribe(f"saq:job:{QUEUE_NAME}:*")
        self.versions: list[tuple[int, dict[str, Any]]] = []  # (ticket id, job)

    def step(self) -> None:
        message = self.pubsub.get_message(timeout=0.2)
        if message and message["type"] == "pmessage":
            raw = self.client.get(message["channel"])
            if raw is not None:
                job = json.loads(raw)
                self.versions.append((int(self.privacy.unseal(job["kwargs"]["payload"])["ticket_id"]), job))

    def close(self) -> None:
        super().close()
        self.pubsub.close()
        self.client.close()

    def runs(self) -> dict[tuple[int, str, int], dict[str, Any]]:
        """(ticket id, function, queued) -> the job, its fields merged over the states seen."""
        runs: dict[tuple[int, str, int], dict[str, Any]] = {}
        for ticket, job in list(self.versions):
            runs.setdefault((ticket, job["function"], job["queued"]), {}).update(job)
        return runs

    def first_jobs(self) -> dict[int, dict[str, dict[str, Any]]]:
        """ticket id -> {"enrich": job, "deliver_note": job}: each ticket's first job of each kind."""
        first: dict[int, dict[str, dict[str, Any]]] = {}
        for (ticket, function, _), job in sorted(self.runs().items(), key=lambda kv: kv[0][2], reverse=True):
            first.setdefault(ticket, {})[function] = job  # the earliest is written last
        return first


def internal_note(answer: dict[str, Any]) -> dict[str, Any] | None:
    """The first internal follow-up in a ticket or a follow-up as the REST API answers them."""
    followups = answer.get("followup_set", [answer] if "comment" in answer else [])
    return next((f for f in followups if f.get("public") is False), None)


def observe(db_path: str, base_url: str, rest: str, gap: float, readers: int) -> None:
    """The observer process: prints one JSON line per ticket's first internal note, forever.

    `rest` "followup" reads GET /helpdesk/api/followups/{id}/ (~6 ms, whatever the desk holds);
    "ticket" reads GET /helpdesk/api/tickets/{id}/ as DevDesk.followups does: django-helpdesk 2.6
    runs set_custom_field_values() on every ticket of the desk for it (TicketViewSet.get_queryset).
    """
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    # A new connection per request: on a kept-alive one `runserver` answers ~40 ms late (it writes
    # headers and body apart, without TCP_NODELAY, and meets the client's delayed ACK).
    client = httpx.Client(
        base_url=base_url,
        auth=(os.environ["DESK_USER"], os.environ["DESK_PASSWORD"]),
        timeout=10,
        limits=httpx.Limits(max_keepalive_connections=0),
    )
    out = threading.Lock()

    def report(line: dict[str, Any]) -> None:
        with out:
            print(json.dumps(line), flush=True)

    def read(ticket: int, followup: int, committed: float) -> None:
        path = f"/helpdesk/api/followups/{followup}/" if rest == "followup" else f"/helpdesk/api/tickets/{ticket}/"
        reads = []
        try:
            while True:
                start = time.time()
                response = client.get(path)
                now = time.time()
                reads.append(now - start)
                note = internal_note(response.json()) if response.status_code == 200 else None
                if note is not None:
                    created = datetime.fromisoformat(note["date"]).timestamp()
                    return report(
                        {
                            "ticket": ticket,
                            "followup": followup,
                            "committed": committed,
                            "visible": now,
                            "created": created,
                            "reads": reads,
                        }
                    )
                time.sleep(gap)
        except Exception as exc:
            report({"ticket": ticket, "error": repr(exc)})

    noted: set[int] = set()
    last = db.execute("SELECT COALESCE(MAX(id), 0) FROM helpdesk_followup").fetchone()[0]
    report({"ready": True})
    with ThreadPoolExecutor(readers) as pool:
        while True:
            rows = db.execute(
                "SELECT id, ticket_id FROM helpdesk_followup WHERE id > ? AND public = 0 ORDER BY id", (last,)
            ).fetchall()
            now = time.time()
            for followup, ticket in rows:
                if ticket not in noted:
                    noted.add(ticket)
                    pool.submit(read, ticket, followup, now)
                last = followup
            time.sleep(DB_POLL_S)


@dataclass
class Seen:
    committed: float  # the observer saw the follow-up row (time.time())
    visible: float  # the REST answer that showed the note came back
    created: float  # the follow-up's `date`, set by django-helpdesk
    followup: int
    reads: list[float]  # seconds of each REST read it took


class Observer:
    """Runs `observe` in a process of its own and collects what it reports."""

    def __init__(self, stack: NoteStack, opts: Options) -> None:
        desk = stack.desk
        args = [
            sys.executable,
            "-m",
            "bench.note_latency",
            "--observe",
            str(desk.base_dir / "devdesk.sqlite3"),
            desk.base_url,
            "--rest",
            opts.rest,
            "--poll-gap-ms",
            str(opts.gap_s * 1000),
            "--pollers",
            str(opts.pollers),
        ]
        env = {**os.environ, "DESK_USER": desk.username, "DESK_PASSWORD": desk.password}
        self.log = stack.workdir / "observer.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        self.seen: dict[int, Seen] = {}
        self.errors: list[str] = []
        self.ready = False
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._collect, name="observer", daemon=True)
        self.thread.start()
        try:
            self._wait(lambda: self.ready, 30, "the observer did not start")
        except BaseException:
            self.close()
            raise

    def _collect(self) -> None:
        assert self.proc.stdout is not None
        for text in self.proc.stdout:
            line = json.loads(text)
            with self.changed:
                if line.get("ready"):
                    self.ready = True
                elif "error" in line:
                    self.errors.append(f"ticket {line['ticket']}: {line['error']}")
                else:
                    self.seen[line["ticket"]] = Seen(
                        line["committed"], line["visible"], line["created"], line["followup"], line["reads"]
                    )
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not done():
                if self.errors or self.proc.poll() is not None or time.monotonic() > deadline:
                    log = self.log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{what}; {self.errors[:3]}\n{log}")
                self.changed.wait(0.1)

    def wait_for(self, tickets: Sequence[int], timeout: float) -> None:
        self._wait(lambda: all(t in self.seen for t in tickets), timeout, f"not all {len(tickets)} notes seen")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.thread.join(timeout=10)


def create(stack: NoteStack, deposit: LtcDeposit, i: int) -> int:
    return stack.desk.create_ticket(
        f"Deposit not credited #{i}",
        f"Hi, I sent {deposit.amount} LTC.\nTx: {deposit.tx_hash}\nTo: {deposit.address}\nPlease help!",
        f"player{i}@mail.example",
    )


def run_sequential(stack: NoteStack, observer: Observer, deposits: Sequence[LtcDeposit]) -> list[int]:
    tickets = []
    for i, deposit in enumerate(deposits):
        ticket = create(stack, deposit, i)
        observer.wait_for([ticket], timeout=20)
        tickets.append(ticket)
    return tickets


def run_burst(stack: NoteStack, observer: Observer, deposits: Sequence[LtcDeposit], threads: int) -> list[int]:
    with ThreadPoolExecutor(threads) as pool:
        tickets = list(pool.map(lambda item: create(stack, item[1], 1000 + item[0]), enumerate(deposits)))
    observer.wait_for(tickets, timeout=60)
    return tickets


# (label, from, to): points of a ticket's timeline, in seconds since the epoch.
TOTALS = [
    ("**webhook received → note visible (REST API)**", "received", "visible"),
    ("webhook received → note committed (desk DB)", "received", "committed"),
    ("webhook received → note job start (ticket_link, saq, deposit_check)", "received", "note_started"),
    ("note job start → note visible (the desk)", "note_started", "visible"),
]
STAGES = [
    ("webhook received → enrich job queued", "received", "enrich_queued"),
    ("enrich queued → picked by worker", "enrich_queued", "enrich_started"),
    ("enrich run (deposit_check call) → note job queued", "enrich_started", "note_queued"),
    ("note queued → picked by worker", "note_queued", "note_started"),
    ("note job start → follow-up created in desk (its date)", "note_started", "created"),
    ("follow-up created → committed", "created", "committed"),
    ("committed → REST answer with the note back", "committed", "visible"),
    ("(note job start → desk answered the POST, job done)", "note_started", "note_completed"),
    ("(webhook received → answered 202 by ticket_link)", "received", "answered"),
]


def timelines(
    tickets: Sequence[int], clock: WebhookClock, observer: Observer, jobs: dict[int, dict[str, dict[str, Any]]]
) -> list[dict[str, float]]:
    arrivals = clock.first_new()
    result = []
    for t in tickets:
        enrich, note = jobs[t]["enrich"], jobs[t]["deliver_note"]
        result.append(
            {
                "received": arrivals[t].received,
                "answered": arrivals[t].answered,
                "enrich_queued": enrich["queued"] / 1000,
                "enrich_started": enrich["started"] / 1000,
                "note_queued": note["queued"] / 1000,
                "note_started": note["started"] / 1000,
                "note_completed": note["completed"] / 1000,
                "created": observer.seen[t].created,
                "committed": observer.seen[t].committed,
                "visible": observer.seen[t].visible,
            }
        )
    return result


@dataclass
class Summary:
    p50: float
    p95: float
    max: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> "Summary":
        ms = sorted(s * 1000 for s in seconds)
        return cls(statistics.median(ms), statistics.quantiles(ms, n=100, method="inclusive")[94], ms[-1])


@dataclass
class Run:
    name: str
    lines: list[dict[str, float]]
    wall_s: float
    polls: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self, start: str, end: str) -> Summary:
        return Summary.of([line[end] - line[start] for line in self.lines])


def table(runs: Sequence[Run]) -> str:
    head = "| ms | " + " | ".join(f"{r.name} p50 | p95 | max" for r in runs) + " |"
    rows = [head, "|---|" + "---:|---:|---:|" * len(runs)]
    for label, start, end in TOTALS + STAGES:
        cells = []
        for run in runs:
            s = run.summary(start, end)
            cells += [f"{s.p50:.0f}", f"{s.p95:.0f}", f"{s.max:.0f}"]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def verdict(run: Run) -> str:
    s = run.summary("received", "visible")
    met = "met" if s.p95 < GOAL_S * 1000 else "NOT met"
    return f"{run.name}: p50 {s.p50:.0f} ms, p95 {s.p95:.0f} ms, max {s.max:.0f} ms, goal {met}"


def read_costs(stack: NoteStack, ticket: int, followup: int) -> dict[str, float]:
    """Median ms of 10 reads of each REST path, the desk idle, at the end of the run."""
    desk = stack.desk
    costs = {}
    with httpx.Client(
        base_url=desk.base_url,
        auth=(desk.username, desk.password),
        timeout=10,
        limits=httpx.Limits(max_keepalive_connections=0),
    ) as client:
        for path in (f"/helpdesk/api/tickets/{ticket}/", f"/helpdesk/api/followups/{followup}/"):
            seconds = []
            for _ in range(10):
                start = time.perf_counter()
                client.get(path).raise_for_status()
                seconds.append(time.perf_counter() - start)
            costs[path.rsplit("/", 2)[0] + "/{id}/"] = statistics.median(seconds) * 1000
    return costs


def figures(runs: Sequence[Run], costs: dict[str, float], desk_tickets: int, load: str) -> dict[str, Any]:
    """What the table shows, as numbers (for --json): ms p50 / p95 / max of every span of each run."""
    return {
        "goal_s": GOAL_S,
        "runs": [
            {
                "name": run.name,
                "wall_s": run.wall_s,
                "counts": run.counts,
                "ms": {label.strip("*"): vars(run.summary(start, end)) for label, start, end in TOTALS + STAGES},
            }
            for run in runs
        ],
        "idle_read_ms": costs,  # one read of each REST path at the end, the desk holding `desk_tickets`
        "desk_tickets": desk_tickets,
        "load_average": load,
    }


def measure(opts: Options, out: Path | None, about: dict[str, str], smoke: bool) -> list[Run]:
    clock: WebhookClock | None = None

    def wrap(app: Asgi) -> Asgi:
        nonlocal clock
        clock = WebhookClock(app)
        return clock

    n = opts.tickets
    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="bench-notes-") as tmp,
        note_stack(Path(tmp), WARMUP + 2 * n, wrap) as stack,
    ):
        assert clock is not None
        print(f"stack up; {len(stack.deposits)} confirmed deposits", flush=True)
        jobs = JobWatcher(stack)
        jobs.start()
        observer = Observer(stack, opts)
        try:
            deposits = stack.deposits
            run_sequential(stack, observer, deposits[:WARMUP])
            runs = []
            for name, go, batch in (
                ("sequential", lambda d: run_sequential(stack, observer, d), deposits[WARMUP : WARMUP + n]),
                ("burst", lambda d: run_burst(stack, observer, d, opts.threads), deposits[WARMUP + n :]),
            ):
                start = time.monotonic()
                tickets = go(batch)
                wall = time.monotonic() - start
                time.sleep(0.5)  # let the last note jobs record "completed"
                lines = timelines(tickets, clock, observer, jobs.first_jobs())
                kinds = [f for (t, f, _) in jobs.runs() if t in tickets]
                counts = {
                    "tickets": len(tickets),
                    "follow-up webhooks": sum(a.ticket in tickets and a.kind == "followup" for a in clock.arrivals),
                    "enrich jobs run": kinds.count("enrich"),
                    "deliver_note jobs run": kinds.count("deliver_note"),
                }
                reads = [r for t in tickets for r in observer.seen[t].reads]
                runs.append(Run(name, lines, wall, reads, counts))
                print(f"{name}: {wall:.1f} s; " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
            bad = [a for a in clock.arrivals if a.status != 202]
            if bad:
                raise RuntimeError(f"{len(bad)} webhooks not accepted: {bad[:3]}")
            last = tickets[-1]
            costs = read_costs(stack, last, observer.seen[last].followup)
            desk_tickets = len(clock.first_new())
        finally:
            observer.close()
            jobs.close()
    print()
    print(table(runs))
    print("\nidle reads, ms: " + ", ".join(f"{p} {ms:.0f}" for p, ms in costs.items()))
    print("\n".join(verdict(r) for r in runs))
    load = f"{load_before:.1f} before the stack started, {os.getloadavg()[0]:.1f} at the end"
    print(f"load average {load}")
    write_json(out, "note_latency", about, smoke, figures(runs, costs, desk_tickets, load))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.note_latency", description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--poll-gap-ms", type=float, default=20)
    parser.add_argument("--pollers", type=int, default=4, help="observer threads reading notes through the REST API")
    parser.add_argument("--threads", type=int, default=4, help="threads creating tickets in the burst")
    parser.add_argument(
        "--rest",
        choices=["followup", "ticket"],
        default="followup",
        help="read the note (followups/{id}) or the ticket (tickets/{id}, as DevDesk.followups)",
    )
    add_output_options(parser)
    parser.add_argument("--observe", nargs=2, metavar=("DB", "URL"), help=argparse.SUPPRESS)  # the observer process
    args = parser.parse_args(argv)
    if args.observe:
        db, url = args.observe
        observe(db, url, args.rest, args.poll_gap_ms / 1000, args.pollers)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind as on Ctrl-C: every process is stopped
    tickets = 3 if args.smoke else args.tickets  # the fewest that give a p95
    opts = Options(tickets, args.poll_gap_ms / 1000, args.pollers, args.threads, args.rest)
    measure(opts, args.json, machine(PACKAGES), args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
