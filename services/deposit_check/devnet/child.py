"""What every dev-chain launcher does with its child process: read the end of its log, stop it."""

import os
import subprocess
from typing import IO


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
