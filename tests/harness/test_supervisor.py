"""The demo's supervisor: a child that exits is named at once with its log's last lines; stop_all stops
every child, the last started first, even when one of them fails to stop."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.demo.supervisor import Child, ChildDied, Stopped, Supervisor, raise_on_signals


def test_a_child_that_exits_is_reported_with_its_code_and_log_tail(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    steady = supervisor.spawn("steady", [sys.executable, "-c", "import time; time.sleep(60)"], {})
    supervisor.spawn(
        "flaky", [sys.executable, "-c", "import sys; print('line one'); print('cannot bind: in use'); sys.exit(3)"], {}
    )
    deadline = time.monotonic() + 20
    with pytest.raises(ChildDied) as died:
        while time.monotonic() < deadline:
            supervisor.check()
            time.sleep(0.05)
    message = str(died.value)
    assert message.startswith("flaky exited with code 3")
    assert "cannot bind: in use" in message and str(tmp_path / "flaky.log") in message
    steady.kill()
    with pytest.raises(ChildDied, match="steady was killed by SIGKILL"):
        steady.wait(10)
        supervisor.check()
    supervisor.stop_all()


def test_stop_all_stops_the_last_started_first_and_goes_on_past_a_failure(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    order: list[str] = []

    def stopper(name: str, fail: bool = False) -> Child:
        def stop() -> None:
            order.append(name)
            if fail:
                raise RuntimeError("refused")

        return Child(name, lambda: None, None, lambda: "", stop)

    supervisor.add(stopper("redis"))
    supervisor.add(stopper("node", fail=True))
    supervisor.add(stopper("api"))
    supervisor.stop_all()
    assert order == ["api", "node", "redis"]


def test_sigterm_becomes_stopped_once_and_children_started_after_it_can_still_be_stopped(tmp_path: Path) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        raise_on_signals()
        with pytest.raises(Stopped, match="SIGTERM"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)  # a second signal during the clean-up: no exception
        # Not ignored (SIG_IGN would be inherited): a child started now still stops on SIGTERM.
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        time.sleep(0.5)
        child.terminate()
        assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
