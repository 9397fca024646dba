"""Run the TRON replay node (harness/tron_replay.py) as a process, for the demos: no TRON node can run here.

java-tron ships only as Docker images, so the demos' TRON chain is the loopback server the tests use: it
answers the java-tron HTTP API with node answers published on public pages (tests/fixtures/tron/, each
naming its source), at heights the demo sets. It is not a live node: nothing is mined, and only the
published transactions exist. The replay is a test harness, not part of this package: it is run from the
repository (`python -m harness.tron_replay`), found from the working directory or above this file.
"""

import os
import sys
from pathlib import Path
from typing import Self

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
        self._child = child.Child("the TRON replay node", self.port, log, "(it wrote nothing)")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._child.running

    def start(self, timeout: float = 30) -> Self:
        """Start it and wait until `/wallet/getnodeinfo` answers; DevnetError with its output if it does not."""
        if self.running:
            return self
        root = find_replay_root()
        args = [sys.executable, "-m", "harness.tron_replay", "--network", self.network, "--port", str(self.port)]
        for flag, height in (("--tip", self.tip), ("--solidified", self.solidified)):
            if height is not None:
                args += [flag, str(height)]
        # The harness imports the standard library only: its own folder on the path is enough.
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONUNBUFFERED": "1"}
        self._child.start(args, self._answers, timeout, cwd=root, env=env)
        return self

    def _answers(self) -> bool:
        return httpx.post(f"{self.url}/wallet/getnodeinfo", json={}, timeout=2).status_code == 200

    def exit_code(self) -> int | None:
        """The code it exited with; None while it runs (or when it was not started, or stopped by us)."""
        return self._child.exit_code()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines it wrote (its URL, then nothing unless it failed)."""
        return self._child.log_tail(lines)

    def stop(self, timeout: float = 10) -> None:
        self._child.stop(timeout)

    def close(self) -> None:
        self.stop()
