"""The ownership index (its Lua scripts, entries and versions under the chain's tag) in a Redis Cluster, and the
API's verdicts with an owner (tests/deposit_check/ownership/test_index.py, tests/deposit_check/test_api_ownership.py)."""

import pytest

from tests.deposit_check.ownership.conftest import admin, index  # noqa: F401  # fixtures, here on the cluster
from tests.deposit_check.ownership.test_index import (  # noqa: F401
    test_declared_addresses_are_ours_others_not,
    test_delete,
    test_reimport_is_idempotent_and_counts,
)
from tests.deposit_check.test_api_ownership import (  # noqa: F401
    api,
    ownership,
    test_a_deposit_to_the_casinos_address_is_confirmed_with_its_account,
    test_an_ownership_change_makes_cached_verdicts_unreachable,
)

pytestmark = pytest.mark.slow  # on a cluster of their own, this package: 23 tests, ~25 s
