"""The watcher's rigs (a chain, a follower, a check service on one Redis), shared with tests/deposit_check/watch/."""

from tests.deposit_check.watch.conftest import evm_rig, own_anvil, redis_client, utxo_rig

__all__ = ["evm_rig", "own_anvil", "redis_client", "utxo_rig"]
