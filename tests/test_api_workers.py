"""`deposit-check serve --workers 2` and `ticket-link serve --workers 2`, run as processes (issue 16).

Two worker processes answer on one port; one SIGKILLed is replaced by uvicorn while the other answers every
request; `/metrics`, whichever worker answers it, counts the responses of all of them, the dead one's included
(prometheus_client's multiprocess mode); the directory holding those counts is gone after a SIGTERM. What a
single process cannot share with workers is refused: `--watch`/`--demo` with `--workers`, and deposit_check's
workers without REDIS_URL (each would keep its own cache and rate limits).
"""

import argparse
import os
import signal
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from deposit_check.cli import build_parser
from deposit_check.devnet.litecoind import free_port
from tests.api_workers import answered, metrics_dir, serving_workers, worker_pids
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.metrics_scrape import scrape, value
from tests.ticket_link.settle import wait_until
from ticket_link.cli import build_parser as build_ticket_link_parser

DC_CONFIG = dev_mode(
    """
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["http://u:p@127.0.0.1:9"]
confirmations = 6
"""
)
TL_CONFIG = dev_mode(
    f"""
secret = "{"s" * 40}"
[deposit_check]
url = "http://127.0.0.1:9"
"""
)
# (program, app label in the metrics, config variable, config, Redis database of its own)
SERVICES = [
    ("deposit-check", "deposit_check", "DEPOSIT_CHECK_CONFIG", DC_CONFIG, 7),
    ("ticket-link", "ticket_link", "TICKET_LINK_CONFIG", TL_CONFIG, 8),
]


def get_ok(url: str) -> None:
    """One request on a connection of its own (so that either worker may accept it), answered 200."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("program", "app", "env_name", "config", "db"), SERVICES, ids=[s[0] for s in SERVICES])
def test_two_workers_answer_a_killed_one_is_replaced_and_metrics_count_them_all(
    program: str, app: str, env_name: str, config: str, db: int, redis_server: RedisServer, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config)
    env = {env_name: str(path), "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/{db}"}
    log = tmp_path / "serve.log"
    with serving_workers(program, 2, env, log) as (proc, url, pids):
        directory = metrics_dir(next(iter(pids)))
        sent = 0

        def healthz() -> None:
            nonlocal sent
            get_ok(f"{url}/healthz")
            sent += 1

        def counted() -> float:
            return value(scrape(f"{url}/metrics"), "desk_http_responses_total", app=app, route="/healthz", status="200")

        def answering(workers: set[int]) -> bool:
            healthz()
            return all(answered(directory, pid, app, "/healthz") > 0 for pid in workers)

        wait_until(lambda: answering(pids), 60, "both workers answering", interval=0)
        # Each scrape reaches one worker; every one counts every worker's responses.
        for _ in range(4):
            wait_until(lambda: counted() == sent, 10, f"{sent} responses counted at /metrics")
        if app == "deposit_check":  # the answering worker's live collector is there too: its endpoint's breaker
            samples = scrape(f"{url}/metrics")
            labels = (("chain", "litecoin"), ("endpoint", "http://127.0.0.1:9"))
            assert samples[("deposit_check_endpoint_circuit_state", labels)] == 0  # closed: nothing asked yet

        victim, survivor = sorted(pids)
        os.kill(victim, signal.SIGKILL)
        for _ in range(30):  # the other worker answers every request meanwhile
            healthz()
        wait_until(
            lambda: worker_pids(proc.pid) - {survivor, victim} != set(), 60, "uvicorn starts a worker in its place"
        )
        (replacement,) = worker_pids(proc.pid) - {survivor, victim}
        assert worker_pids(proc.pid) == {survivor, replacement}  # the dead one gone, two workers again
        wait_until(lambda: answering({replacement, survivor}), 120, "the new worker answering", interval=0)
        # The dead worker's responses stay counted: the total never goes back.
        assert answered(directory, victim, app, "/healthz") > 0
        wait_until(lambda: counted() == sent, 10, f"{sent} responses counted at /metrics after the kill")
        print(
            f"\n{program} --workers 2: {sent} requests, worker {victim} killed and replaced by {replacement}; "
            f"per worker {[answered(directory, p, app, '/healthz') for p in (victim, survivor, replacement)]}"
        )
    assert proc.returncode == 0, log.read_text()[-3000:]  # SIGTERM: a clean stop
    assert not directory.exists()
    assert "Child process" in log.read_text() and f"[{victim}] died" in log.read_text()


def serve_args(*args: str) -> int:
    """`deposit-check serve ARGS` in this process, up to where it would start uvicorn (without the CLI's logging set-up)."""
    parsed = build_parser().parse_args(["serve", "--port", str(free_port()), *args])
    return int(parsed.func(parsed))


@pytest.mark.parametrize("flag", ["--watch", "--demo"])
def test_watch_or_demo_with_workers_is_refused_saying_what_to_run(
    flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "dc.toml"
    path.write_text(DC_CONFIG)
    monkeypatch.setenv("DEPOSIT_CHECK_CONFIG", str(path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")
    with pytest.raises(SystemExit, match=r"with --workers N, run `deposit-check watch` as a process of its own"):
        serve_args("--workers", "2", flag)


def test_deposit_check_workers_without_redis_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "dc.toml"
    path.write_text(DC_CONFIG)
    monkeypatch.setenv("DEPOSIT_CHECK_CONFIG", str(path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(SystemExit, match="--workers N needs REDIS_URL"):
        serve_args("--workers", "2")


@pytest.mark.parametrize(
    ("parser", "workers", "said"),
    [
        (build_parser, "0", "between 1 and 64 worker processes"),
        (build_parser, "65", "between 1 and 64 worker processes"),
        (build_ticket_link_parser, "two", "'two' is not a whole number"),
    ],
)
def test_a_workers_count_out_of_bounds_is_refused_by_name(
    parser: Callable[[], argparse.ArgumentParser], workers: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["serve", "--workers", workers])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "--workers" in error and said in error, error
