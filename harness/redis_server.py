"""A redis-server of our own on a free port, so a test may flush, stop and restart it."""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import redis

from deposit_check.devnet.litecoind import free_port
from harness.processes import wait_for_port


class RedisServer:
    """redis-server on 127.0.0.1, keeping nothing on disk unless `appendonly`."""

    def __init__(self, appendonly: bool = False, dir: str | None = None, logfile: str = "") -> None:
        self.appendonly = appendonly  # with "yes", what was written survives a stop and start (same dir, same port)
        self.port = free_port()
        self.dir = dir or tempfile.mkdtemp(prefix="redis-")  # `dir` given: made and removed by the caller
        self.logfile = logfile  # "": no log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def url_for(self, db: int) -> str:
        """Database `db`'s URL: tests keep apart by database (a cluster stand-in has only one, tests/on_cluster.py)."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: run scripts/setup.sh --test")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--dir",
                self.dir,
                "--logfile",
                self.logfile,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout, self.proc)
        return self

    def stop(self) -> None:
        """Stop the server; its files stay (start() again serves what an appendonly server wrote)."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def close(self) -> None:
        """Stop the server and remove its files."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url_for(db))


def running_redis() -> Iterator[RedisServer]:
    """A redis-server of its own for as long as the fixture built on this lasts, then gone with its files."""
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()
