"""`bash scripts/serve.sh --demo` run as a user runs it, for the tests and scripts/screenshots.sh: its
printed block read back, its processes found through /proc, and what it leaves behind checked."""

import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 150.0  # a 2-core machine shared with other test runs; ~20-35 s when it is quiet


@dataclass
class Ticket:
    id: int
    lang: str
    chain: str
    status: str  # the sample's status when the demo started


@dataclass
class Block:
    """What the demo printed."""

    form_url: str
    agent: str
    agent_password: str
    desk_url: str
    desk_user: str
    desk_password: str
    tickets: list[Ticket]
    key: str
    bot_url: str
    checks_url: str
    pending_claim: dict[str, str]
    ready_seconds: float
    workdir: Path

    @classmethod
    def parse(cls, text: str) -> "Block":
        def find(pattern: str) -> re.Match[str]:
            match = re.search(pattern, text)
            assert match, f"{pattern!r} not in the demo's output:\n{text}"
            return match

        form = find(r"Agent form\s+(\S+)\s+sign in as (\S+) / (\S+)")
        desk = find(r"Helpdesk\s+(\S+)\s+sign in as (\S+) / (\S+)")
        tickets = [
            Ticket(int(m[1]), m[2], m[3], m[4])
            for m in re.finditer(r"^\s+#(\d+)\s+(en|fr|pl|ru)\s+(\w+)\s+(\w+)\s", text, re.MULTILINE)
        ]
        bot = find(r"curl -s (\S+/v1/tickets/\d+/deposits) -H 'authorization: Bearer (\S+)'")
        checks = find(r"curl -s (\S+/v1/checks) ")
        claim = json.loads(find(r"-d '(\{[^']*\})'")[1])
        return cls(
            form[1].rstrip("/"),
            form[2],
            form[3],
            desk[1].rstrip("/").removesuffix("/helpdesk"),
            desk[2],
            desk[3],
            tickets,
            bot[2],
            bot[1],
            checks[1],
            claim,
            float(find(r"ready in ([0-9.]+) s")[1]),
            Path(find(r"Logs: (\S+)/logs/")[1]),
        )


@dataclass
class DemoRun:
    """One run of the demo in a process group of its own (as a shell gives a foreground job)."""

    tmpdir: Path  # the demo's $TMPDIR: whatever it makes there must be gone once it stops
    block_seconds: float = 2.0
    proc: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    seen: dict[int, str] = field(default_factory=dict)  # every process of the demo ever found, and its name

    def start(self) -> "DemoRun":
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        drop = ("DEPOSIT_CHECK_CONFIG", "TICKET_LINK_CONFIG", "REDIS_URL")
        env = {k: v for k, v in os.environ.items() if k not in drop}
        # Installed already (the test suite's set-up did it): skip scripts/setup.sh's pip and apt.
        env |= {"TMPDIR": str(self.tmpdir), "DESK_SKIP_SETUP": "1"}
        self.proc = subprocess.Popen(
            ["bash", "scripts/serve.sh", "--demo", "--block-seconds", str(self.block_seconds)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        out = self.proc.stdout
        assert out is not None
        threading.Thread(target=lambda: self.lines.extend(iter(out.readline, "")), daemon=True).start()
        return self

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self) -> Block:
        assert self.proc is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while not any(line.lstrip().startswith("Logs: ") for line in self.lines):
            assert self.proc.poll() is None, f"the demo exited with {self.proc.returncode}:\n{self.output}"
            assert time.monotonic() < deadline, f"the demo was not ready in {READY_TIMEOUT:.0f} s:\n{self.output}"
            time.sleep(0.2)
            self.look()
        self.look()
        return Block.parse(self.output)

    def wait_for_process(self, *names: str, timeout: float = 60) -> None:
        """Until processes of these names run (the demo is starting up)."""
        deadline = time.monotonic() + timeout
        while not set(names) <= set(self.seen.values()):
            assert self.proc is not None and self.proc.poll() is None, self.output
            assert time.monotonic() < deadline, f"no {names} after {timeout} s: {self.seen}"
            time.sleep(0.1)
            self.look()

    def look(self) -> None:
        self.seen |= {pid: _name(pid) for pid in self.processes()}

    def signal(self, sig: signal.Signals, group: bool) -> int:
        """Send `sig` to the main process, or to its whole process group (a terminal's Ctrl-C); its exit code."""
        assert self.proc is not None
        self.look()
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        return self.proc.wait(60)

    def processes(self) -> set[int]:
        """Processes of the demo now: its process group, and anything whose environment has its TMPDIR."""
        assert self.proc is not None
        marker = f"TMPDIR={self.tmpdir}".encode()
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                if os.getpgid(pid) == self.proc.pid or marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(pid)
            except (OSError, ProcessLookupError):
                continue
        return found

    def kill(self) -> None:
        """After a failed test: nothing of the demo may outlive it."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def assert_nothing_left(self, expected: frozenset[str] = frozenset({"litecoind", "anvil", "redis-server"})) -> None:
        names = self.seen
        assert expected <= set(names.values()), names  # we did see them run
        alive = {pid: n for pid, n in names.items() if _alive(pid)}
        assert not alive, f"still running after the demo stopped: {alive}"
        assert not self.processes(), "a process of the demo is still running"
        assert list(self.tmpdir.iterdir()) == [], f"left in TMPDIR: {list(self.tmpdir.iterdir())}"


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited (its parent, not us, has yet to reap it)
