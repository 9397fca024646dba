"""Session-wide real back-ends, started on free ports and torn down at the end: litecoind (regtest),
anvil (two chains) with a test token, and a private redis-server: thin fixtures over harness/."""

import os
from collections.abc import Iterator

import pytest

from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.models import Asset
from harness.electrumx import ElectrumX
from harness.redis_server import RedisServer, running_redis

__all__ = ["RedisServer", "running_redis"]  # test modules import them from here (the code is in harness/)


def require_tool(found: bool, missing: str) -> None:
    """A test needing a tool that is not here: skipped with `missing` as the reason, except under
    CI=true, where it fails: CI must run every test, not pass by skipping what it could not run."""
    if found:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{missing} (CI=true: a missing tool fails instead of skipping)", pytrace=False)
    pytest.skip(missing)


@pytest.fixture(scope="session")
def litecoind() -> Iterator[Litecoind]:
    """A running litecoind -regtest -txindex with a wallet holding mature coins (101 blocks)."""
    node = Litecoind().start()
    try:
        node.fund("dev", blocks=101)
        yield node
    finally:
        node.close()


@pytest.fixture(scope="session")
def electrumx(litecoind: Litecoind) -> Iterator[ElectrumX]:
    """A real ElectrumX (`e-x`) indexing the shared litecoind, synced to its tip."""
    with ElectrumX(litecoind) as server:
        yield server


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    """The shared node, chain id 31337, automine on."""
    with Anvil(chain_id=31337) as node:
        yield node


@pytest.fixture(scope="session")
def anvil_other() -> Iterator[Anvil]:
    """Another chain (id 31338): a wrongly configured endpoint."""
    with Anvil(chain_id=31338) as node:
        yield node


@pytest.fixture(scope="session")
def usdt(anvil: Anvil) -> Asset:
    """A 6-decimal token on the allow-list; accounts[0] holds the supply."""
    contract = anvil.deploy_token("Tether USD (test)", "USDT", 6, anvil.accounts[0])
    return Asset("USDT", 6, contract)


@pytest.fixture(scope="session")
def fake_usdt(anvil: Anvil) -> str:
    """The same contract deployed again, NOT on the allow-list: its Transfer events are worthless."""
    return anvil.deploy_token("Tether USD", "USDT", 6, anvil.accounts[0])


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    yield from running_redis()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: schemathesis against a running service (runs in CI; bounded to minutes)")


# The slow tier, left out by `pytest -m "not slow"` (README, "Two commands"): what takes seconds each
# (times from a full run on a 2-core machine). What stays covers every module's basic path, the flow
# from a helpdesk webhook to a note included; CI runs both tiers.
SLOW_MODULES = {
    "tests/ticket_link/web/test_browser.py": "a real Chromium over the whole stack, ~35 s",
    "tests/ticket_link/web/test_browser_lookups.py": "a real Chromium over the whole stack, ownership declared, ~20 s",
    "tests/ticket_link/test_worker_crash.py": "a worker killed mid-post and a successor, ~18 s",
    "tests/ticket_link/test_redis_outage.py": "a Redis of its own stopped and restarted, ~5 s",
    "tests/deposit_check/test_demo.py": "the demo served as a process, ~6 s",
    "tests/harness/test_demo.py": "the whole desk's demo three times, as a user runs it, and Chromium, 45-80 s",
    "tests/security/test_sign_in.py": "three ticket-link processes, 120-attempt bursts, ~13 s",
    "tests/deploy/test_dashboard_metrics.py": "the whole desk (django-helpdesk included) for one scrape, ~18 s",
    "tests/security/test_amplification.py": "1,000 webhooks through the whole stack and hashes given up on, ~60 s",
    "tests/ticket_link/test_sentinel_failover.py": "a Sentinel set of its own, its master killed mid-flow, ~40 s",
    "tests/security/test_worker_logs.py": "both APIs started with --workers 2, ~25 s each",
}
SLOW_TESTS = {
    "tests/deposit_check/watch/test_leases.py::test_one_follower_holds_a_chain_and_a_successor_takes_over_from_the_shared_cursor": "~5 s",
    "tests/deposit_check/watch/test_leases.py::test_a_follower_killed_mid_block_leaves_the_block_to_its_successor": "~5 s",
    "tests/deposit_check/watch/test_leases.py::test_deposit_check_watch_follows_the_chain_and_stops_cleanly_on_sigterm": "~1 s, a process",
    "tests/ticket_link/test_flow.py::test_the_watcher_tells_the_ticket_of_each_change_and_of_an_undone_confirmation": "~2 s, a reorg",
    "tests/ticket_link/test_flow.py::test_helpdesk_down_three_tickets_each_get_exactly_one_note": "~2 s, retries",
    "tests/deposit_check/lookups/test_electrum.py::test_a_server_stopped_mid_life_then_back": "~8 s, an ElectrumX of its own started twice",
    "tests/test_api_workers.py::test_two_workers_answer_a_killed_one_is_replaced_and_metrics_count_them_all": "~40 s each, --workers 2 processes",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module, _, rest = item.nodeid.partition("::")
        test = f"{module}::{rest.split('[')[0]}"
        if module in SLOW_MODULES or test in SLOW_TESTS or item.get_closest_marker("fuzz"):  # fuzzing: ~27 s
            item.add_marker(pytest.mark.slow)
