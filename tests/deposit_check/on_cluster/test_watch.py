"""The watcher on a Redis Cluster: its MULTI per block under the chain's tag, events, reorgs, replacements, expiry,
and the lookup index it writes (tests/deposit_check/watch/, tests/deposit_check/lookups/test_watcher_index.py)."""

import pytest

from tests.deposit_check.lookups.test_watcher_index import (  # noqa: F401  # fixtures and tests, here on the cluster
    ltc,
    test_a_deposit_nobody_claimed_is_announced_and_found_with_no_node_call,
    test_a_reorg_removes_the_entry_and_the_new_block_brings_it_back,
)
from tests.deposit_check.watch.conftest import evm_rig, own_anvil, redis_client, utxo_rig  # noqa: F401
from tests.deposit_check.watch.test_follower_evm import test_token_deposit_followed_to_confirmed  # noqa: F401
from tests.deposit_check.watch.test_follower_utxo import (  # noqa: F401
    test_pending_to_confirming_to_confirmed_with_two_node_calls_per_block,
    test_rbf_replacement_is_announced_and_the_api_says_replaced,
    test_reorg_takes_the_confirmation_back_and_a_new_generation_confirms_again,
    test_watches_expire,
)

pytestmark = pytest.mark.slow  # on a cluster of their own, this package: 23 tests, ~25 s
