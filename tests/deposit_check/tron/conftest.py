"""The TRON adapter against `harness/tron_replay.py`: published java-tron answers replayed on loopback.

The transactions below are those the fixtures hold (tests/fixtures/tron/README.md names each source)."""

from collections.abc import AsyncIterator, Iterator

import pytest

from deposit_check.chains.tron import TronChain
from deposit_check.chains.tron.address import from_hex
from deposit_check.config import TokenConfig, TronChainConfig
from harness.tron_replay import TronReplay, load_fixtures

USDT_CONTRACT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
# Mainnet, block 66861993: USDT's Transfer of 3.5 USDT (0x3567e0) from 60e6e9... to cdae4e9a... (info only).
USDT_TX = "b69c51db8f9d974e6a38c76852c8ce1adcb682dbacb25ad8ad4f6876121fe9dc"
USDT_BLOCK = 66861993
USDT_PAYEE = from_hex("cdae4e9a6287333a3f7df432b050af7b17e79e63")
USDT_PAYER = from_hex("60e6e92e57d61a9d68b5d95275cc9667d9e6c7c9")
# Mainnet, block 66860010: a USDT call that ran out of energy (info only).
OUT_OF_ENERGY_TX = "e63a324a43aebfe41273db4f7fdfe325b2257b4f5711595a5fc0f8a75cf1b481"
# Mainnet, block 66862205: a TRX transfer's info; its body was never published.
TRX_INFO_ONLY_TX = "2389719608ed69f7ec3e72c1abb92acaa43b7175f3062f4ebc6e2e02cc82d0d2"
# Mainnet: a USDT transfer(a33564d0..., 0x465000 = 4.608 USDT) whose info was never published (body only).
USDT_BODY_ONLY_TX = "2a985f0c5fd37aaffca2f9c29bd1eaa50ccaae6adef7585b73ad89ae67b745a4"
USDT_BODY_ONLY_PAYEE = from_hex("a33564d0de15b3c7c4d6c50ab72b32c59ef5bd94")
# A TRC-20 contract that is not USDT (testnet block 13232131's third tx calls it): the look-alike.
OTHER_TOKEN = from_hex("4135cf7d6a20a1f7149e5f99442334257a95e8f28e")


def tron_config(*urls: str, token: str = USDT_CONTRACT, **kw: object) -> TronChainConfig:
    return TronChainConfig(
        family="tron",
        http_urls=list(urls),
        tokens=[TokenConfig(symbol="USDT", contract=token, decimals=6)],
        timeout_seconds=2,
        **kw,
    )


@pytest.fixture
def replay() -> Iterator[TronReplay]:
    node = TronReplay(load_fixtures("mainnet"))
    yield node
    node.close()


@pytest.fixture
async def chain(replay: TronReplay) -> AsyncIterator[TronChain]:
    tron = TronChain("tron", tron_config(replay.url))
    yield tron
    await tron.aclose()
