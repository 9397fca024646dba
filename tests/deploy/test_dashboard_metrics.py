"""Every metric the Grafana dashboard and the alert rules query is one the services export: scraped from the
running desk (deposit_check with its watcher, ticket_link, its worker; real litecoind, Redis and django-helpdesk)
after a webhook, a check, a claim with its note, and a block that confirms it."""

import json
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import yaml

from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.stacks import litecoin_toml
from tests.ticket_link.flow_stack import Stack, flow_stack, wait_for_notes

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "deposit-desk.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"

# Not ours: Prometheus's own scrape health, and redis_exporter's.
EXTERNAL = {"up", "redis_up"}
# Ours, declared in every scrape, but with samples only once something goes wrong (a failing node, a reorg, an
# event that cannot be handled) or on a route this stack does not use (the web form's sign-in).
ONLY_WHEN_IT_HAPPENS = {
    "deposit_check_node_errors_total",
    "deposit_check_watch_reorgs_total",
    "ticket_link_events_failed_total",
    "ticket_link_web_sign_ins_total",
}
# PromQL's own words; the rest of an expression, once strings, label matchers, ranges and grouping clauses are
# taken out, are metric names.
PROMQL = {
    "sum", "max", "min", "avg", "count", "rate", "increase", "deriv", "delta", "absent", "histogram_quantile",
    "label_values", "and", "or", "unless", "by", "without", "on", "ignoring", "bool", "offset",
}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"label_values\(([a-z_:][a-z0-9_:]*)\s*,\s*\w+\)", r"\1", expr)
    return {name for name in re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr) if name not in PROMQL}


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(variable["query"]["query"])
    return queries


def alert_queries() -> list[str]:
    return [rule["expr"] for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def test_metric_names_are_read_from_promql() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, helpdesk) (rate(ticket_link_x_bucket{a=~"b|c"}[5m]))) > 300'
    assert metric_names(expr) == {"ticket_link_x_bucket"}
    assert metric_names("label_values(deposit_check_checks_total, chain)") == {"deposit_check_checks_total"}
    assert metric_names("a - b unless on (x) c") == {"a", "b", "c"}


def exported(text: str) -> tuple[set[str], set[str]]:
    """(names a query may use, by the TYPE lines: counters' _total, histograms' _bucket/_sum/_count; names with samples)."""
    declared: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        declared |= {
            "counter": {name, f"{name}_total"},
            "histogram": {f"{name}_bucket", f"{name}_sum", f"{name}_count"},
        }.get(kind, {name})
    sampled = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", text, re.M))
    return declared, sampled


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer, tmp_path_factory) -> Iterator[Stack]:
    with flow_stack(litecoin_toml(litecoind), litecoind, redis_server, tmp_path_factory.mktemp("dashboard")) as built:
        yield built


def scrape_text(url: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:  # the worker's metrics port may still be opening
        try:
            response = httpx.get(url, timeout=10)
            assert response.status_code == 200, response.text
            return response.text
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} did not answer"
            time.sleep(0.2)


def test_every_metric_queried_is_exported_by_the_running_services(stack: Stack) -> None:
    node = stack.litecoind
    ticket = stack.desk.create_ticket("dashboard", "hello", "d@mail.example")  # its webhook
    address = node.new_address("bech32")
    txid = node.send(address, Decimal("0.3"))
    claim = f"{stack.url}/v1/tickets/{ticket}/deposits"
    checked = httpx.post(claim, json={"tx_hash": txid, "address": address, "post_note": False}, timeout=30)
    noted = httpx.post(claim, json={"tx_hash": txid, "address": address}, timeout=30)
    assert checked.status_code == noted.status_code == 200, noted.text
    wait_for_notes(stack, ticket, 1)
    node.mine(1)  # the watcher's event, consumed by the worker: a second note
    wait_for_notes(stack, ticket, 2)

    pages = [f"{stack.deposit_check_url}/metrics", f"{stack.url}/metrics", stack.worker_metrics]
    declared: set[str] = set()
    sampled: set[str] = set()
    deadline = time.monotonic() + 20
    wanted = (metric_names(" ".join(dashboard_queries() + alert_queries())) - EXTERNAL) - ONLY_WHEN_IT_HAPPENS
    while True:  # gauges of the worker's reconcile round and the watcher's round come with their next round
        for page in pages:
            d, s = exported(scrape_text(page))
            declared |= d
            sampled |= s
        if wanted <= sampled or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    for source, queries in (("dashboard", dashboard_queries()), ("alerts", alert_queries())):
        names = metric_names(" ".join(queries))
        assert names, source
        unknown = names - declared - EXTERNAL
        assert not unknown, f"{source} queries metrics no service exports: {sorted(unknown)}"
        silent = (names & declared) - sampled - ONLY_WHEN_IT_HAPPENS
        assert not silent, f"{source}: no sample of {sorted(silent)} after a check, a claim, a note and a block"
    assert declared >= ONLY_WHEN_IT_HAPPENS
