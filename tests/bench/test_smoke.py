"""Each bench still runs: `python -m bench.<name> --smoke --json PATH` (tiny counts, one round) exits 0,
prints its figures and writes JSON with the keys docs/benchmarks.md quotes from.

Each bench starts its own back-ends, as when measured: the cold UTXO bench teaches bitcoinlib a
regtest network in a data directory of its own, which it must set before bitcoinlib is first
imported, so it cannot share this process; the others mine and fill Redis as a run does.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def check_checks(figures: dict) -> None:
    """Ours and each baseline measured in the same run; a ratio with a target says whether it is met."""
    names = {s["name"] for s in figures["series"]}
    assert {"ours, sequential", "bitcoinlib, sequential", "naive web3, sequential"} <= names
    for ratio in figures["ratios"]:
        assert ratio["value"] > 0
        if ratio.get("target") is not None:
            assert ratio["met"] == (ratio["value"] >= ratio["target"])


def check_watcher(figures: dict) -> None:
    [size] = figures["sizes"]
    assert size["watched"] == 1000 and size["node_calls_per_block_max"] <= 3
    assert size["step_ms"]["median"] > 0


def check_note_latency(figures: dict) -> None:
    assert [r["name"] for r in figures["runs"]] == ["sequential", "burst"]
    for run in figures["runs"]:
        assert run["counts"]["tickets"] == 3
        assert run["ms"]["webhook received → note visible (REST API)"]["p50"] > 0


def check_soak(figures: dict) -> None:
    assert figures["errors"] == 0 and figures["requests"] > 0
    assert set(figures["memory"]) == {"deposit_check", "ticket_link", "worker"}


def check_ownership(figures: dict) -> None:
    assert figures["import"]["added"] == figures["addresses"] == figures["re-import"]["unchanged"]
    assert figures["redis_bytes_per_address"] > 0 and figures["lookup_us"]["p50"] > 0
    assert figures["derive_per_second"]["utxo"] > 0 and figures["derive_per_second"]["evm"] > 0


def check_ownership_cost(figures: dict) -> None:
    """Both apps measured warm and cold in the same run; the issue's two ratios with their target."""
    assert figures["index_addresses"] > 0
    ratios = {r["name"]: r for r in figures["ratios"]}
    for name in (
        "ownership, warm: with / without, requests per CPU-second",
        "ownership, cold UTXO: with / without, checks per second",
    ):
        assert ratios[name]["value"] > 0 and ratios[name]["target"] is not None


def check_lookups(figures: dict) -> None:
    """The follower measured with and without the index in the same run; lookups made no node call."""
    assert figures["lookup_node_calls"] == 0 and figures["index_addresses"] > 0
    ratios = {r["name"]: r for r in figures["ratios"]}
    assert ratios["watcher index: with / without, blocks per second"]["value"] > 0
    assert all(ms > 0 for ms in figures["lookup_ms_median"].values())


def check_electrum_lookups(figures: dict) -> None:
    """Each history timed alone and as a whole lookup; two round trips to the server per lookup."""
    assert figures["lookup_ms_median"] and all(ms > 0 for ms in figures["lookup_ms_median"].values())
    assert all(c["round_trips_per_lookup"] == 2 for c in figures["server_calls"].values())


def check_evm_lookups(figures: dict) -> None:
    """Each source timed per history; one range request per lookup; `evm_trace` re-reads forwarded payments only."""
    assert figures["lookup_ms_median"] and all(ms > 0 for ms in figures["lookup_ms_median"].values())
    calls = figures["node_calls"]
    kinds = ("evm_logs token", "evm_trace direct", "evm_trace forwarded")
    assert set(calls) == {f"{kind} {size}" for kind in kinds for size in (1, 100)}
    assert calls["evm_logs token 100"]["by_method"]["eth_getLogs"] == 1
    assert calls["evm_trace direct 100"]["by_method"]["trace_filter"] == 1
    assert "trace_transaction" not in calls["evm_trace direct 100"]["by_method"]
    assert calls["evm_trace forwarded 100"]["by_method"]["trace_transaction"] == 100


def check_redis_scale(figures: dict) -> None:
    """One Redis and the cluster in the same run: the watcher and one MULTI on each (the served runs need wrk)."""
    names = {s["name"] for s in figures["series"]}
    assert {"one Redis: step at 1,000 watched", "cluster: step at 1,000 watched"} <= names
    assert figures["node_calls_per_block_max"] == {"one Redis": 3, "cluster": 3}
    ratios = {r["name"]: r["value"] for r in figures["ratios"]}
    assert ratios["watcher at 1,000 watched: cluster / one Redis, ms per block (lower is better)"] > 0
    assert {"one Redis: 1,000 HSETs", "cluster: 1,000 HSETs", "cluster: event loop held, longest"} <= names
    assert ratios["one MULTI of 1,000 HSETs: cluster / one Redis, ms (lower is better)"] > 0


def check_failover(figures: dict) -> None:
    """A failover happened and a write came after it; nothing acknowledged with WAIT was lost."""
    [promotion, first_write] = figures["series"]
    assert 0 < promotion["median"] < 30 and 0 < first_write["median"] < 30
    assert figures["lost"]["bench:failover:waited"] == 0


def check_tron_checks(figures: dict) -> None:
    """Ours and the naive sequence measured in the same run, against the same replay node; calls counted."""
    names = {s["name"] for s in figures["series"]}
    assert {"ours, sequential", "naive, sequential"} <= names
    assert all(r["value"] > 0 for r in figures["ratios"])
    assert figures["node_calls_per_check"] == {"ours": 3.0, "naive": 4.0}
    assert figures["baseline"].startswith(("tronpy 0.6.2", "httpx in tronpy's call order"))


def check_locate(figures: dict) -> None:
    """Every case asked on the three chains at once, found where its tx is; node calls counted per chain."""
    cases = figures["node_calls"]
    assert set(cases) == set(figures["locate_ms_median"]) and len(cases) == 4
    assert all(ms > 0 for ms in figures["locate_ms_median"].values())
    for counted in cases.values():
        assert counted["asked"] == ["ethereum", "litecoin", "tron"]
        assert counted["by_chain"] == {"litecoin": 2.0, "ethereum": 4.0, "tron": 3.0}
        assert counted["by_method"]["ethereum eth_getTransactionReceipt"] == 1.0


EXPECTED = {
    # bench: (top-level JSON keys, a line its printed figures hold, what the figures must say)
    "checks": ({"series", "ratios", "elapsed_s"}, "cold UTXO: ours sequential / bitcoinlib sequential", check_checks),
    "watcher": ({"sizes", "naive", "targets", "elapsed_s"}, "node calls per block constant", check_watcher),
    "note_latency": ({"goal_s", "runs", "idle_read_ms"}, "webhook received → note visible", check_note_latency),
    "soak": ({"requests", "errors", "memory", "memory_flat"}, "memory flat", check_soak),
    "ownership": (
        {"import", "redis_bytes_per_address", "derive_per_second"},
        "Redis memory per address",
        check_ownership,
    ),
    "lookups": ({"series", "ratios", "lookup_node_calls"}, "watcher index: with / without", check_lookups),
    "electrum_lookups": ({"series", "server_calls"}, "server requests in 2 round trips", check_electrum_lookups),
    "evm_lookups": ({"series", "node_calls"}, "node requests per lookup (eth_blockNumber", check_evm_lookups),
    "redis_scale": ({"series", "ratios", "node_calls_per_block_max"}, "cluster / one Redis", check_redis_scale),
    "failover": ({"series", "rounds", "lost", "twice"}, "kill -> first acknowledged write", check_failover),
    "tron_checks": (
        {"series", "ratios", "node_calls_per_check", "baseline"},
        "node calls per check: ours 3.00 (one round trip), naive 4.00",
        check_tron_checks,
    ),
    "locate": ({"series", "locate_ms_median", "node_calls"}, "node calls per locate (", check_locate),
    "ownership_cost": (
        {"index_addresses", "series", "ratios"},
        "ownership, warm: with / without",
        check_ownership_cost,
    ),
}


@pytest.mark.parametrize("bench", sorted(EXPECTED))
def test_bench_runs_and_writes_its_figures(bench: str, tmp_path: Path) -> None:
    out = tmp_path / f"{bench}.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "services"), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{bench}", "--smoke", "--json", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, (
        f"bench.{bench} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    figures = json.loads(out.read_text())
    keys, line, check = EXPECTED[bench]
    assert figures["bench"] == bench and figures["smoke"] is True
    assert {"utc", "python", "cpus"} <= set(figures["machine"])
    assert keys <= set(figures), f"missing: {keys - set(figures)}"
    assert line in done.stdout
    check(figures)
