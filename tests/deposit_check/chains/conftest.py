"""Fixtures for the chain adapters (the session's litecoind comes from tests/conftest.py)."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest

from deposit_check.chains import Chain
from deposit_check.chains.electrum.chain import ElectrumChain
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


@dataclass
class Backend:
    """A UTXO chain adapter on one backend, and how to wait until that backend has seen the node's tip."""

    kind: str  # "node" | "electrum"
    chain: Chain
    settle: Callable[[], object]


@pytest.fixture(params=["node", "electrum"])
async def either(request: pytest.FixtureRequest, litecoind: Litecoind) -> AsyncIterator[Backend]:
    """The same scenarios on both backends: litecoind's RPC, and a real ElectrumX over the same node."""
    fields: dict[str, object] = {"family": "utxo", "network": "regtest", "confirmations": 6, "timeout_seconds": 5}
    if request.param == "node":
        chain: Chain = UtxoChain(
            "litecoin", UtxoChainConfig.model_validate({**fields, "rpc_urls": [litecoind.rpc_url]})
        )
        backend = Backend("node", chain, lambda: None)
    else:
        server = request.getfixturevalue("electrumx")
        config = {**fields, "backend": "electrum", "electrum_urls": [server.url]}
        chain = ElectrumChain("litecoin", UtxoChainConfig.model_validate(config))
        backend = Backend("electrum", chain, server.wait_synced)
    backend.settle()
    yield backend
    await chain.aclose()
