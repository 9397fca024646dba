"""POST /v1/checks on litecoind with the answers cache in a Redis Cluster (tests/deposit_check/test_api_utxo.py)."""

import pytest

from tests.deposit_check.test_api_utxo import (  # noqa: F401  # fixtures and tests, run here on the cluster
    api,
    mine,
    test_answers_are_cached_in_redis,
    test_bech32_deposit_from_mempool_to_confirmed,
    test_cache_never_says_confirmed_before_the_chain_does,
    test_two_outputs_to_the_address_are_summed,
)

pytestmark = pytest.mark.slow  # on a cluster of their own, this package: 23 tests, ~25 s


@pytest.fixture(scope="module")
def backend() -> str:
    """The node only: the cache is the same for ElectrumX, and that backend's own tests run on one Redis."""
    return "node"
