"""The Electrum backend's config: which URLs checks need, and the watcher's need of a node."""

import asyncio

import pytest

from deposit_check.chains import build_chain
from deposit_check.chains.electrum.chain import ElectrumChain
from deposit_check.chains.electrum.rawtx import scripthash
from deposit_check.config import AppConfig, UtxoChainConfig, parse_config
from deposit_check.errors import NodeUnavailable
from deposit_check.watch.runner import run_followers

BASE = {"family": "utxo", "network": "regtest", "confirmations": 6}


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"backend": "electrum"}, "electrum_urls needs at least one URL"),
        ({"backend": "electrum", "electrum_urls": ["http://a:1"]}, "must start with tcp:// or ssl://"),
        (
            {"backend": "electrum", "electrum_urls": ["tcp://a:1"], "quorum": 2},
            "quorum 2 needs at least 2 electrum_urls",
        ),
        ({}, "rpc_urls needs at least one URL"),
    ],
)
def test_config_refuses(fields: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        UtxoChainConfig.model_validate({**BASE, **fields})


def test_electrum_backend_builds_an_electrum_chain_without_a_node() -> None:
    config = UtxoChainConfig.model_validate({**BASE, "backend": "electrum", "electrum_urls": ["ssl://e.example:50002"]})
    chain = build_chain("litecoin", config)
    assert isinstance(chain, ElectrumChain)
    assert [s["endpoint"] for s in chain.endpoint_states()] == ["ssl://e.example:50002"]
    with pytest.raises(NodeUnavailable, match="the watcher needs rpc_urls"):
        asyncio.run(chain.block("00" * 32))


def test_the_watcher_refuses_an_electrum_only_chain_at_start_up() -> None:
    text = '[chains.litecoin]\nfamily = "utxo"\nnetwork = "regtest"\nbackend = "electrum"\n'
    text += 'electrum_urls = ["tcp://127.0.0.1:1"]\nconfirmations = 6\n'
    config = AppConfig(file=parse_config(text, env={}), redis_url="redis://127.0.0.1:1/0", source="test")
    with pytest.raises(SystemExit, match="set rpc_urls \\(a node\\) on litecoin"):
        asyncio.run(run_followers(config, asyncio.Event()))


def test_scripthash_is_the_reversed_sha256_of_the_script() -> None:
    # The Electrum protocol documentation's example: P2PKH of 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa (the genesis output).
    script = "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"
    assert scripthash(script) == "8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161"
