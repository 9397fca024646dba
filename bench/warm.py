"""Warm (cached) checks through the HTTP API under wrk, against a bare FastAPI + Redis app.

Each app runs in its own uvicorn process with one worker, on the same Redis; runs alternate
(baseline, ours, baseline, ours, ...) so that machine noise hits both alike; medians are reported.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from bench import warm_cpu
from bench.apps import bare_key
from bench.nodes import ETH_CONFIRMATIONS, LTC_CONFIRMATIONS, TOKEN_DECIMALS, TOKEN_SYMBOL, Deposit
from bench.report import Limit, Ratio, Series
from deposit_check.devnet.litecoind import free_port
from harness.processes import stop, wait_for_port

SECTION = "warm API"
REPO = Path(__file__).resolve().parent.parent
API_KEY = "bench-key-0123456789abcdef"
THROUGHPUT_TARGET = 0.75
P99_BOUND_MS = 20.0


@dataclass(frozen=True)
class WrkSettings:
    connections: int = 32
    threads: int = 2
    duration_s: int = 10
    pairs: int = 3  # (baseline, ours) runs
    warmup_s: int = 2


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers plus socket errors


def app_config(ltc_url: str, evm_url: str, chain_id: int, token: str) -> str:
    """Our config: both chains, one API key (so the auth path runs), final verdicts kept an hour."""
    digest = hashlib.sha256(API_KEY.encode()).hexdigest()
    return f"""
[[api.keys]]
name = "bench"
sha256 = "{digest}"
rate_limit = "100000000/minute"

[cache]
final_ttl_seconds = 3600

[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{ltc_url}"]
confirmations = {LTC_CONFIRMATIONS}

[chains.ethereum]
family = "evm"
chain_id = {chain_id}
rpc_urls = ["{evm_url}"]
confirmations = {ETH_CONFIRMATIONS}

[[chains.ethereum.tokens]]
symbol = "{TOKEN_SYMBOL}"
contract = "{token}"
decimals = {TOKEN_DECIMALS}
"""


def request_bodies(deposits: Sequence[Deposit]) -> list[bytes]:
    """One body per deposit, as a support bot sends them: some name the chain, some an expected amount."""
    bodies = []
    for i, d in enumerate(deposits):
        body: dict[str, str] = {"tx_hash": d.tx_hash, "address": d.address}
        if i % 2 == 0:
            body["chain"] = d.chain
        if i % 3 != 2:
            body["asset"] = d.asset
            body["expected_amount"] = format(d.decimal_amount.normalize(), "f")
        bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return bodies


def lua_script(bodies: Sequence[bytes]) -> str:
    """wrk script: POST /v1/checks with the bodies in turn, with our API key (the baseline ignores it)."""
    items = ",\n".join(f"  [==[{b.decode()}]==]" for b in bodies)
    return f"""local bodies = {{
{items}
}}
local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {API_KEY}"}}
local n = 0
request = function()
  n = n % #bodies + 1
  return wrk.format("POST", "/v1/checks", headers, bodies[n])
end
"""


@contextmanager
def serving(factory: str, env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """Run `bench.apps:<factory>` under uvicorn (`workers` processes, no access log); yield its base URL."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        f"bench.apps:{factory}",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(args, cwd=REPO, env={**os.environ, **env})
    try:
        wait_for_port(port, 30, proc)
        url = f"http://127.0.0.1:{port}"
        httpx.get(f"{url}/healthz", timeout=10).raise_for_status()
        yield url
    finally:
        stop(proc, 10)


def prewarm(url: str, bodies: Sequence[bytes], redis_url: str) -> None:
    """Ask ours once per body (a final verdict each, cached), check the cache answers, copy for the baseline."""
    headers = {"content-type": "application/json", "authorization": f"Bearer {API_KEY}"}
    store = redis.Redis.from_url(redis_url)
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            for body in bodies:
                first = client.post("/v1/checks", content=body)
                if first.status_code != 200 or not first.json()["final"]:
                    raise RuntimeError(f"pre-warm: {body!r} -> {first.status_code} {first.text[:300]}")
                again = client.post("/v1/checks", content=body)
                if again.headers.get("x-cache") != "hit" or again.content != first.content:
                    raise RuntimeError(f"pre-warm: {body!r} is not answered from the cache")
                store.set(bare_key(body), first.content, ex=3600)
    finally:
        store.close()


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNIT_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    """Requests/sec, the 50% and 99% latencies, and errors from `wrk --latency` output."""
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (rps and p50 and p99):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    return WrkResult(float(rps.group(1)), _ms(p50.group(1)), _ms(p99.group(1)), errors)


def run_wrk(url: str, script: Path, settings: WrkSettings, duration_s: int, allow_errors: bool = False) -> WrkResult:
    """One wrk run; RuntimeError if any answer was not a 2xx or a socket failed, unless `allow_errors` (counted)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk not found (Debian: apt-get install -y wrk; scripts/bench.sh does it)")
    args = [
        wrk,
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{duration_s}s",
        "--latency",
        "-s",
        str(script),
        f"{url}/v1/checks",
    ]
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=duration_s + 30)
    result = parse_wrk(done.stdout)
    if result.errors and not allow_errors:
        raise RuntimeError(f"wrk against {url}: {result.errors} errors\n{done.stdout}")
    return result


BASELINE = "baseline"
OURS = "ours"
OURS_FROZEN = "ours_gc_frozen"  # diagnostic variants, see bench/apps.py
BASELINE_FROZEN = "baseline_gc_frozen"
OURS_UNTHROTTLED = "ours_unthrottled"


def run(
    deposits: Sequence[Deposit],
    redis_url: str,
    config_text: str,
    settings: WrkSettings,
    gc_frozen: bool = False,
    no_limiter: bool = False,
    smoke: bool = False,
) -> tuple[list[Series], list[Ratio], list[Limit]]:
    """Serve the apps, pre-warm, alternate wrk runs; return req/s, p50 and p99 series, ratios and bounds.

    `smoke`: the in-process part runs one short round, and without wrk the served runs are skipped
    (the apps are still served and pre-warmed), so that CI checks the bench without installing wrk."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-warm-"))
    try:
        config = workdir / "deposit-check.toml"
        config.write_text(config_text)
        script = workdir / "bodies.lua"
        bodies = request_bodies(deposits)
        script.write_text(lua_script(bodies))
        env = {"DEPOSIT_CHECK_CONFIG": str(config), "REDIS_URL": redis_url}
        names = (
            [BASELINE, OURS]
            + ([BASELINE_FROZEN, OURS_FROZEN] if gc_frozen else [])
            + ([OURS_UNTHROTTLED] if no_limiter else [])
        )
        with ExitStack() as stack:
            urls = {name: stack.enter_context(serving(name, env)) for name in names}
            prewarm(urls[OURS], bodies, redis_url)
            if smoke and shutil.which("wrk") is None:
                print("warm API: wrk not installed, served runs skipped (--smoke)", flush=True)
                series, ratios, limits = list[Series](), list[Ratio](), list[Limit]()
            else:
                series, ratios, limits = _alternate(urls, script, settings)
        # the servers are gone: this process alone
        cpu_series, cpu_ratios = warm_cpu.run(bodies, env, API_KEY, *((1, 20) if smoke else ()))
        return series + cpu_series, ratios + cpu_ratios, limits
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _alternate(
    urls: dict[str, str], script: Path, settings: WrkSettings
) -> tuple[list[Series], list[Ratio], list[Limit]]:
    series = {
        (app, metric): Series(SECTION, f"{app}: {metric}", unit)
        for app in urls
        for metric, unit in (("throughput", "req/s"), ("p50", "ms"), ("p99", "ms"))
    }
    for url in urls.values():  # not recorded: first connections, first use of the hot path
        run_wrk(url, script, settings, settings.warmup_s)
    for _ in range(settings.pairs):
        for app, url in urls.items():
            result = run_wrk(url, script, settings, settings.duration_s)
            series[app, "throughput"].values.append(result.requests_per_s)
            series[app, "p50"].values.append(result.p50_ms)
            series[app, "p99"].values.append(result.p99_ms)
            time.sleep(0.5)

    def ratio(ours: str, baseline: str, label: str) -> Ratio:
        return Ratio(label, series[ours, "throughput"], series[baseline, "throughput"], THROUGHPUT_TARGET)

    ratios = [ratio(OURS, BASELINE, "warm API: ours / bare FastAPI+Redis, req/s")]
    if OURS_FROZEN in urls:
        ratios.append(ratio(OURS_FROZEN, BASELINE_FROZEN, "warm API, diagnostic: both with gc.freeze(), req/s"))
    if OURS_UNTHROTTLED in urls:
        ratios.append(ratio(OURS_UNTHROTTLED, BASELINE, "warm API, diagnostic: ours without the rate limiter, req/s"))
    # Every app's p99 against the bound: whether a bare FastAPI app on this machine can meet it at all.
    limits = [Limit(series[app, "p99"], P99_BOUND_MS) for app in urls]
    return list(series.values()), ratios, limits
