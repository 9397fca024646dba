"""Run our apps for real in tests: uvicorn on a loopback port in a thread; the worker as a process."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from deposit_check.devnet.litecoind import free_port


@contextmanager
def serve(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Yield the base URL while the app is served; stop it after."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def run_worker(
    config_path: Path, redis_url: str, log_path: Path, concurrency: int = 10, metrics_port: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`ticket-link worker` as its own process (as in production); its log goes to `log_path`."""
    metrics = ["--metrics-port", str(metrics_port)] if metrics_port else []
    env = {**os.environ, "TICKET_LINK_CONFIG": str(config_path), "REDIS_URL": redis_url}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "ticket-link"),
                "worker",
                "--concurrency",
                str(concurrency),
                "--log-level",
                "debug",
                *metrics,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
