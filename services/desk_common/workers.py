"""`serve --workers N`: N uvicorn worker processes sharing one port, their metrics counted together.

uvicorn runs several workers only from an import string: each worker, a process of its own (spawned, not
forked), imports the service's factory (`deposit_check.app:create_from_env`, `ticket_link.app:create_from_env`),
which reads the environment as the CLI does and sets up the masking logging itself. The parent binds the port,
starts the workers, starts a new one when one dies, and stops them all on SIGTERM.

Metrics: left alone, each worker counts only what it answered, and a scrape of the shared port reaches one
worker at random: counters would jump between workers' values. So the workers run in prometheus_client's
multiprocess mode: each writes its values to files in one directory, made fresh here and removed on exit,
and any worker's `/metrics` sums them all (desk_common.metrics). A dead worker's files stay: its counts
remain in the totals, which never go back.
"""

import argparse
import os
import tempfile

import uvicorn

# prometheus_client's own switch, read when it is imported: set before the workers start.
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
# A spawned worker answers the parent's health check only once it has imported the service (web3, pydantic
# models: seconds on a busy 2-core host). uvicorn's 5 s took starting workers for hung ones and killed them
# (seen here); a worker that dies is still replaced at once, this bounds only how long a hung one serves nothing.
HEALTHCHECK_SECONDS = 30


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{value}: between 1 and 64 worker processes")
    return value


def add_workers_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="uvicorn worker processes sharing the port, started again if one dies (default 1: one process)",
    )


def run_workers(factory: str, workers: int, *, host: str, port: int, log_level: str, access_log: bool = True) -> None:
    """uvicorn with `workers` processes on `host:port`, each building its app with `factory` ("module:function",
    no argument: it reads the environment). Returns when uvicorn has stopped them (SIGTERM, SIGINT)."""
    with tempfile.TemporaryDirectory(prefix="desk-metrics-") as directory:
        os.environ[METRICS_DIR_ENV] = directory  # the workers inherit the environment
        os.environ["LOG_LEVEL"] = log_level  # the factory's (Settings.log_level)
        uvicorn.run(
            factory,
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_config=None,
            log_level=log_level,
            access_log=access_log,
            timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
        )
