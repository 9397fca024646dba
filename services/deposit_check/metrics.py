"""deposit_check's Prometheus metrics, in one place so names and labels stay consistent.

Labels are bounded: configured chain names, endpoint labels (scheme://host:port, never
credentials), verdict statuses, event types. Never a tx hash or an address.
"""

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from desk_common.metrics import labelled, register_live

if TYPE_CHECKING:
    from deposit_check.chains.endpoints import EndpointPool

CHECKS = Counter(
    "deposit_check_checks_total",
    "Checks answered, by chain, verdict status and cache use",
    ["chain", "status", "cache"],
)
CHECK_SECONDS = Histogram(
    "deposit_check_check_seconds",
    "Time to answer a check (cache hits included)",
    ["cache"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def checked(chain: str, status: str, cache: str, seconds: float | None = None) -> None:
    """Count one answered check; `seconds` (the time to answer it) when it was answered."""
    labelled(CHECKS, chain, status, cache).inc()
    if seconds is not None:
        labelled(CHECK_SECONDS, cache).observe(seconds)


NODE_SECONDS = Histogram(
    "deposit_check_node_request_seconds",
    "One call to one node endpoint, by outcome",
    ["chain", "endpoint", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
NODE_ERRORS = Counter(
    "deposit_check_node_errors_total",
    "Node calls that failed (timeout, transport, unusable answer)",
    ["chain", "endpoint"],
)
BLOCKS = Counter("deposit_check_watch_blocks_total", "Blocks the watcher processed", ["chain"])
BLOCK_SECONDS = Histogram(
    "deposit_check_watch_block_seconds",
    "Processing one block (node calls, Redis, commit)",
    ["chain"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EVENTS = Counter("deposit_check_watch_events_total", "Events written to the chain's stream, by type", ["chain", "type"])
REORGS = Counter("deposit_check_watch_reorgs_total", "Reorgs the watcher walked back", ["chain"])
LEASE_HELD = Gauge(
    "deposit_check_watch_lease_held", "1 while this process follows the chain (holds its lease)", ["chain"]
)
WATCHED = Gauge(
    "deposit_check_watch_deposits", "Deposits watched on the chain (as seen by the lease holder)", ["chain"]
)
TIP = Gauge(
    "deposit_check_watch_tip_height", "The chain's tip as its node answered the lease holder's last round", ["chain"]
)
HEIGHT = Gauge(
    "deposit_check_watch_height", "Height of the last block the lease holder processed (tip minus this: lag)", ["chain"]
)

_BREAKER_CODES = {"closed": 0, "half_open": 1, "open": 2}


class _BreakerCollector(Collector):
    """Circuit state per endpoint, read from the live pools at scrape time (0 closed, 1 half-open, 2 open).

    Read at scrape time because open -> half-open happens by the clock, with no call to hook.
    Several pools of a chain in one process (`serve --watch`): the worst state is reported.
    """

    def __init__(self) -> None:
        self.pools: weakref.WeakSet[Any] = weakref.WeakSet()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "deposit_check_endpoint_circuit_state",
            "Circuit breaker per endpoint: 0 closed, 1 half-open, 2 open",
            labels=["chain", "endpoint"],
        )
        worst: dict[tuple[str, str], int] = {}
        for pool in list(self.pools):
            for endpoint in pool.endpoints:
                key = (pool.chain, endpoint.label)
                worst[key] = max(worst.get(key, 0), _BREAKER_CODES[endpoint.breaker.state])
        for (chain, label), code in sorted(worst.items()):
            family.add_metric([chain, label], code)
        yield family


_BREAKERS = _BreakerCollector()
register_live(_BREAKERS)  # with `serve --workers N`: the answering worker's breakers (docs/operations.md)


def track_pool(pool: "EndpointPool[Any]") -> None:
    """Report this pool's breakers at /metrics for as long as it lives."""
    _BREAKERS.pools.add(pool)
