"""What every dev-chain launcher does with its child process: check its port is free, start it with its output in
a file, wait until it answers, read the end of its log, stop it."""

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import httpx

from deposit_check.devnet.litecoind import DevnetError


def log_tail(output: IO[bytes] | None, lines: int, silent: str) -> str:
    """The last `lines` lines the child wrote to `output` (`silent` when it wrote nothing)."""
    if output is None:
        return "(no log)"
    fd = output.fileno()  # pread: the offset is shared with the child's own writes, leave it be
    said = os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")
    return "\n".join(said.splitlines()[-lines:]) or silent


def terminate(process: "subprocess.Popen[bytes] | None", timeout: float) -> None:
    """SIGTERM the child if it still runs, SIGKILL it after `timeout` s, and reap it."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Child:
    """One dev-chain process on a loopback port. Its output goes to `log` (default: a temporary file, gone with
    it), never to a pipe nobody reads, which could fill up and stall it; it is read when the process fails."""

    def __init__(self, name: str, port: int, log: Path | None, silent: str) -> None:
        """`name`: how errors call it; `silent`: what `log_tail` says when it wrote nothing."""
        self.name = name
        self.port = port
        self.log = log
        self.silent = silent
        self.process: subprocess.Popen[bytes] | None = None
        self.output: IO[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, args: Sequence[str], answers: Callable[[], bool], timeout: float, **popen: Any) -> None:
        """Start `args` and wait until `answers()` is true; DevnetError with its output if it exits or does not
        answer within `timeout` s (an httpx error from `answers` means "not yet")."""
        with socket.socket() as probe:  # else another server on the port would answer for it
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT after a stop is fine
            try:
                probe.bind(("127.0.0.1", self.port))
            except OSError:
                raise DevnetError(f"port {self.port} is in use: cannot start {self.name} there") from None
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
        self.output = self.log.open("a+b") if self.log else tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(args, stdout=self.output, stderr=subprocess.STDOUT, **popen)
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if (code := self.process.poll()) is not None:
                said = self.log_tail()
                self.stop()
                raise DevnetError(f"{self.name} exited with {code}:\n{said}")
            try:
                if answers():
                    return
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.05)
        self.stop()
        raise DevnetError(f"{self.name} did not answer on port {self.port} within {timeout} s ({last})")

    def exit_code(self) -> int | None:
        """The code it exited with; None while it runs (or when it was not started, or stopped by us)."""
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 20) -> str:
        return log_tail(self.output, lines, self.silent)

    def stop(self, timeout: float = 10) -> None:
        """Terminate it (kill it after `timeout` s) and close its log."""
        terminate(self.process, timeout)
        if self.output is not None:
            self.output.close()
            self.output = None
        self.process = None
