"""Our apps run for real: uvicorn on a loopback port in a thread of this process; the worker as a process."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from subprocess import Popen
from typing import Any

import uvicorn

from deposit_check.devnet.litecoind import free_port
from harness.processes import BIN, process

Asgi = Callable[..., Any]


@contextmanager
def serve(app: Asgi, port: int | None = None) -> Iterator[str]:
    """Yield the base URL while `app` is served (its lifespan run); stop it after."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def run_worker(
    config_path: Path,
    redis_url: str,
    log_path: Path,
    concurrency: int = 10,
    metrics_port: int | None = None,
    log_level: str = "debug",
) -> Iterator[Popen[bytes]]:
    """`ticket-link worker` as its own process (as in production); its log goes to `log_path`."""
    metrics = ["--metrics-port", str(metrics_port)] if metrics_port else []
    args = [str(BIN / "ticket-link"), "worker", "--concurrency", str(concurrency), "--log-level", log_level, *metrics]
    env = {"TICKET_LINK_CONFIG": str(config_path), "REDIS_URL": redis_url}
    with process(args, env, log_path, stop_timeout=30) as proc:
        yield proc
