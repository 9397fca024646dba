"""Fixtures for the chain adapters (the session's litecoind comes from tests/conftest.py)."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from deposit_check.chains.utxo import UtxoChain
from deposit_check.config import UtxoChainConfig
from deposit_check.devnet.litecoind import Litecoind

MakeUtxoChain = Callable[..., UtxoChain]


@pytest.fixture
async def make_utxo_chain() -> AsyncIterator[MakeUtxoChain]:
    """Build litecoin-regtest UtxoChains on given RPC URLs (config fields overridable); closed after the test."""
    made: list[UtxoChain] = []

    def make(*rpc_urls: str, transport: httpx.AsyncBaseTransport | None = None, **fields: object) -> UtxoChain:
        config = UtxoChainConfig.model_validate(
            {
                "family": "utxo",
                "network": "regtest",
                "rpc_urls": list(rpc_urls),
                "confirmations": 6,
                "timeout_seconds": 5,
                **fields,
            }
        )
        made.append(UtxoChain("litecoin", config, transport=transport))
        return made[-1]

    yield make
    for chain in made:
        await chain.aclose()


@pytest.fixture
def chain(litecoind: Litecoind, make_utxo_chain: MakeUtxoChain) -> UtxoChain:
    """The adapter on the shared node."""
    return make_utxo_chain(litecoind.rpc_url)
