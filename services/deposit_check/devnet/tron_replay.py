"""Run the TRON replay node (harness/tron_replay.py) as a process, for the demos: no TRON node can run here.

java-tron ships only as Docker images, so the demos' TRON chain is the loopback server the tests use: it
answers the java-tron HTTP API with node answers published on public pages (tests/fixtures/tron/, each
naming its source), at heights the demo sets. It is not a live node: nothing is mined, and only the
published transactions exist. The replay is a test harness, not part of this package: it is run from the
repository (`python -m harness.tron_replay`), found from the working directory or above this file.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Self

import httpx

from deposit_check.devnet import child
from deposit_check.devnet.litecoind import DevnetError, free_port

_MODULE = Path("harness") / "tron_replay.py"
_FIXTURES = Path("tests") / "fixtures" / "tron"


def find_replay_root() -> Path:
    """The folder holding harness/tron_replay.py and tests/fixtures/tron/: the working directory (the demo's
    image runs there), else the repository this file is in."""
    for root in (Path.cwd(), *Path(__file__).resolve().parents):
        if (root / _MODULE).is_file() and (root / _FIXTURES).is_dir():
            return root
    raise DevnetError(
        f"the TRON replay node was not found: run from the repository's root ({_MODULE} and {_FIXTURES}/)"
    )


class TronReplayNode:
    """One `python -m harness.tron_replay` process serving a network's published answers on a port."""

    def __init__(
        self,
        network: str = "mainnet",
        *,
        tip: int | None = None,
        solidified: int | None = None,
        port: int | None = None,
        log: Path | None = None,
    ) -> None:
        """`tip` and `solidified`: the heights the full node and the solidity node see (default: the newest
        block a fixture names, for both). `log`: where its output goes (default: a temporary file)."""
        self.network = network
        self.tip = tip
        self.solidified = solidified
        self.port = port or free_port()
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Self:
        """Start it and wait until `/wallet/getnodeinfo` answers; DevnetError with its output if it does not."""
        if self._process is not None and self._process.poll() is None:
            return self
        root = find_replay_root()
        with socket.socket() as probe:  # else another server on the port would answer for us
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", self.port))
            except OSError:
                raise DevnetError(f"port {self.port} is in use: cannot start the TRON replay node there") from None
        args = [sys.executable, "-m", "harness.tron_replay", "--network", self.network, "--port", str(self.port)]
        for flag, height in (("--tip", self.tip), ("--solidified", self.solidified)):
            if height is not None:
                args += [flag, str(height)]
        output = self.log.open("a+b") if self.log else tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self._output = output
        # The harness imports the standard library only: its own folder on the path is enough.
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONUNBUFFERED": "1"}
        self._process = subprocess.Popen(args, cwd=root, env=env, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if (code := self._process.poll()) is not None:
                said = self.log_tail()
                self.stop()
                raise DevnetError(f"the TRON replay node exited with {code}:\n{said}")
            try:
                if httpx.post(f"{self.url}/wallet/getnodeinfo", json={}, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.05)
        self.stop()
        raise DevnetError(f"the TRON replay node did not answer on {self.url} within {timeout} s ({last})")

    def exit_code(self) -> int | None:
        """The code it exited with; None while it runs (or when it was not started, or stopped by us)."""
        return None if self._process is None else self._process.poll()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines it wrote (its URL, then nothing unless it failed)."""
        return child.log_tail(self._output, lines, "(it wrote nothing)")

    def stop(self, timeout: float = 10) -> None:
        child.terminate(self._process, timeout)
        if self._output is not None:
            self._output.close()
            self._output = None
        self._process = None

    def close(self) -> None:
        self.stop()
