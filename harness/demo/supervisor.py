"""The demo's processes: each started with its log in a file, watched, and all stopped together.

Why our own and not honcho (a Procfile runner): the demo's processes cannot be listed up front.
Their configs name ports, keys and a token contract that exist only once the chains have made the
sample deposits, the helpdesk's webhooks name ticket_link's port, and the sample tickets are filed
once everything answers. The nodes are started by the launchers the tests use
(`deposit_check.devnet`, `ticket_link.devdesk`, `harness.redis_server`), which already know how to
wait for them and stop them. What is left to do is small: poll every child, say at once which one
died with its log's last lines, and stop them all, in reverse order, on Ctrl-C, SIGTERM or SIGHUP.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType


class Stopped(Exception):
    """A signal asked the demo to stop (Ctrl-C, SIGTERM, SIGHUP)."""


class ChildDied(Exception):
    """A process of the demo exited while it should be running."""


@dataclass
class Child:
    """One process of the demo, as the supervisor sees it."""

    name: str
    exit_code: Callable[[], int | None]  # None while it runs
    log: Path | None
    tail: Callable[[], str]
    stop: Callable[[], None]


def tail_of(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) or "(empty)"
    except OSError:
        return "(no log)"


class Supervisor:
    """Children in start order; `check()` raises ChildDied for the first that exited, `stop_all()` stops them."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.children: list[Child] = []
        self._lock = threading.Lock()

    def add(self, child: Child) -> None:
        with self._lock:
            self.children.append(child)

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start a process writing stdout and stderr to logs/NAME.log, and watch it."""
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                args, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

        def stop() -> None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

        self.add(Child(name, proc.poll, log, lambda: tail_of(log), stop))
        return proc

    def check(self) -> None:
        """ChildDied naming the first child that is no longer running, with its log's last lines."""
        with self._lock:
            children = list(self.children)
        for child in children:
            code = child.exit_code()
            if code is not None:
                where = f" ({child.log})" if child.log else ""
                how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
                raise ChildDied(f"{child.name} {how}; its log's last lines{where}:\n{child.tail()}")

    def stop_all(self) -> None:
        """Stop every child, the last started first (services before the nodes and Redis they use)."""
        with self._lock:
            children = list(reversed(self.children))
        for child in children:
            try:
                child.stop()
            except Exception as exc:  # one child's trouble must not leave the others running
                print(f"demo: stopping {child.name}: {exc}", file=sys.stderr)


def raise_on_signals() -> None:
    """SIGINT, SIGTERM and SIGHUP raise Stopped in the main thread (whatever it is doing), once."""

    def handler(signum: int, frame: FrameType | None) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            # A second Ctrl-C must not cut the clean-up short. Not SIG_IGN: an ignored signal stays
            # ignored in children started after it, and they could then not be stopped.
            signal.signal(sig, _ignore)
        raise Stopped(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def _ignore(signum: int, frame: FrameType | None) -> None:
    pass


def follow_logs(logs: Path, extra: Callable[[], list[Path]]) -> threading.Thread:
    """--verbose: print what every log file gains, each line prefixed with the file's name (a daemon thread)."""

    def run() -> None:
        offsets: dict[Path, int] = {}
        while True:
            time.sleep(0.3)
            for path in sorted(logs.glob("*.log")) + extra():
                try:
                    with path.open("rb") as handle:
                        handle.seek(offsets.get(path, 0))
                        data = handle.read()
                except OSError:
                    continue
                cut = data.rfind(b"\n") + 1  # whole lines only; the rest next time
                if cut:
                    offsets[path] = offsets.get(path, 0) + cut
                    for line in data[:cut].decode(errors="replace").splitlines():
                        print(f"{path.stem:>12} | {line}", flush=True)

    thread = threading.Thread(target=run, name="demo-logs", daemon=True)
    thread.start()
    return thread


def elapsed(since: float) -> str:
    return f"{time.monotonic() - since:.1f} s"
