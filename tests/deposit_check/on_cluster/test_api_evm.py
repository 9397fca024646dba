"""POST /v1/checks on anvil (native and ERC-20) with the answers cache in a Redis Cluster
(tests/deposit_check/test_api_evm.py)."""

import pytest

from tests.deposit_check.test_api_evm import (  # noqa: F401  # fixtures and tests, run here on the cluster
    api,
    test_evm_address_without_chain_is_looked_up_on_every_evm_chain,
    test_native_transfer_confirming_then_confirmed,
    test_pending_tx_then_mined,
    test_usdt_transfer_with_six_decimals_and_shortfall,
)

pytestmark = pytest.mark.slow  # on a cluster of their own, this package: 23 tests, ~25 s
