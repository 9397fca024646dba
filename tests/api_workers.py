"""`serve --workers N` as a process, and what can be seen of its workers from outside: their pids (the parent's
spawned children) and, from the metrics directory they share, how many requests each one answered."""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from deposit_check.devnet.litecoind import free_port
from harness.processes import BIN, process, wait_for_port
from tests.ticket_link.settle import wait_until


def worker_pids(parent: int) -> set[int]:
    """The parent's uvicorn workers: its children started by multiprocessing's spawn (not its resource tracker)."""
    found = set()
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:  # gone meanwhile
            continue
        if b"spawn_main" in cmdline:
            found.add(int(child))
    return found


def metrics_dir(worker: int) -> Path:
    """The directory the workers write their metrics to (desk_common.workers sets it in their environment)."""
    environ = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
    (value,) = [v.split(b"=", 1)[1] for v in environ if v.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
    return Path(value.decode())


def answered(directory: Path, pid: int, app: str, route: str) -> float:
    """Responses 200 to `route` counted by the worker `pid` alone (its own counter file, read by the library)."""
    own = directory / f"counter_{pid}.db"
    # Not there yet, or just made: prometheus_client creates the file empty, then sizes it (a read between fails).
    if not own.exists() or own.stat().st_size == 0:
        return 0.0
    with tempfile.TemporaryDirectory() as alone:
        shutil.copy(own, alone)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=alone)  # type: ignore[no-untyped-call]  # untyped in prometheus_client
        labels = {"app": app, "route": route, "status": "200"}
        return registry.get_sample_value("desk_http_responses_total", labels) or 0.0


@contextmanager
def serving_workers(
    program: str, workers: int, env: dict[str, str], log: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str, set[int]]]:
    """`program serve --workers N` on a free port, once its N workers have started: (parent, url, worker pids)."""
    port = free_port()
    args = [str(BIN / program), "serve", "--port", str(port), "--workers", str(workers), "--log-level", "info"]
    with process(args, env, log) as proc:
        wait_for_port(port, 120, proc)
        wait_until(lambda: len(worker_pids(proc.pid)) == workers, 120, f"{workers} workers started")
        wait_until(
            lambda: proc.poll() is None and log.read_text().count("Application startup complete") >= workers,
            120,
            f"{workers} workers serving",
        )
        try:
            yield proc, f"http://127.0.0.1:{port}", worker_pids(proc.pid)
        except BaseException:
            print(f"--- {log} (the end)\n{log.read_text()[-4000:]}")  # shown with the failure
            raise
