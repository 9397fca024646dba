"""The lookup sources named in the config are built at start-up, or start-up stops saying which chain and source
is wrong: a source named but never asked would make lookups cover less than the config says."""

import pytest

from deposit_check.chains import build_chain
from deposit_check.config import AppConfig, parse_config
from deposit_check.lookups.evm_logs import EvmLogsSource
from deposit_check.lookups.sources import PerChain, SourceContext, build_sources, close_sources
from deposit_check.lookups.trongrid import TronGridSource
from tests.deposit_check.owners import DictOwnership

CHAINS = """
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["http://u:p@127.0.0.1:1"]
electrum_urls = ["tcp://127.0.0.1:2"]
confirmations = 6

[chains.dogecoin]
family = "utxo"
coin = "litecoin"
network = "regtest"
rpc_urls = ["http://u:p@127.0.0.1:1"]
confirmations = 6

[chains.ethereum]
family = "evm"
chain_id = 1
rpc_urls = ["http://127.0.0.1:3"]
confirmations = 12

[chains.tron]
family = "tron"
http_urls = ["http://127.0.0.1:4"]
"""


def context(lookups: str) -> SourceContext:
    config = AppConfig(file=parse_config(lookups + CHAINS, env={}), redis_url=None, source="test")
    chains = {name: build_chain(name, c) for name, c in config.file.chains.items()}
    return SourceContext(config, None, DictOwnership(), chains)


async def test_every_family_built_with_its_options() -> None:
    made = context("""
[lookups.chains.litecoin]
sources = ["electrum"]
[lookups.chains.ethereum]
sources = ["evm_logs", "evm_trace"]
[lookups.chains.ethereum.options.evm_logs]
max_blocks_back = 2000
chunk_blocks = 500
""")
    sources = build_sources(made)
    try:
        assert set(sources) == {"electrum", "evm_logs", "evm_trace"}
        assert sources["electrum"].serves(made.chains["litecoin"]) and not sources["electrum"].serves(
            made.chains["dogecoin"]
        )
        logs = sources["evm_logs"]
        assert isinstance(logs, PerChain) and logs.serves(made.chains["ethereum"])
        built = logs._by_chain["ethereum"]
        assert isinstance(built, EvmLogsSource)
        assert (built.config.max_blocks_back, built.config.chunk_blocks) == (2000, 500)
    finally:
        await close_sources(sources)
        for chain in made.chains.values():
            await chain.aclose()


async def test_trongrid_is_built_per_tron_chain_with_its_options() -> None:
    made = context(
        '[lookups.chains.tron]\nsources = ["trongrid"]\n[lookups.chains.tron.options.trongrid]\n'
        'urls = ["https://api.trongrid.io"]\npage_size = 50\ntrx = false'
    )
    sources = build_sources(made)
    try:
        source = sources["trongrid"]
        assert isinstance(source, TronGridSource) and source.serves(made.chains["tron"])
        assert not source.serves(made.chains["ethereum"])
        options, http = source._chains["tron"]
        assert (options.page_size, options.trx) == (50, False)
        assert [state["endpoint"] for state in http.pool.states()] == ["https://api.trongrid.io"]
    finally:
        await close_sources(sources)
        for chain in made.chains.values():
            await chain.aclose()


@pytest.mark.parametrize(
    ("lookups", "says"),
    [
        ('[lookups.chains.ethereum]\nsources = ["elektrum"]', "unknown source 'elektrum'; known: electrum, evm_logs"),
        (
            '[lookups.chains.litecoin]\nsources = ["evm_logs"]',
            "lookups.chains.litecoin: source 'evm_logs' cannot look on it: it needs an EVM chain",
        ),
        (
            '[lookups.chains.dogecoin]\nsources = ["electrum"]',
            "lookups.chains.dogecoin: source 'electrum' cannot look on it: it needs a UTXO chain with `electrum_urls`",
        ),
        (
            '[lookups.chains.ethereum]\nsources = ["electrum"]',
            "lookups.chains.ethereum: source 'electrum' cannot look on it",
        ),
        (
            '[lookups.chains.ethereum]\nsources = ["evm_trace"]\n[lookups.chains.ethereum.options.evm_trace]\n'
            "chunk_blocks = 0",
            "lookups.chains.ethereum.options.evm_trace: chunk_blocks: Input should be greater than or equal to 1",
        ),
        (
            '[lookups.chains.ethereum]\nsources = ["evm_logs"]\n[lookups.chains.ethereum.options.evm_logs]\n'
            "max_blocks = 10",
            "lookups.chains.ethereum.options.evm_logs: max_blocks: Extra inputs are not permitted",
        ),
        (
            '[lookups.chains.ethereum]\nsources = ["evm_logs"]\n[lookups.chains.ethereum.options.evm_trace]\n'
            "chunk_blocks = 10",
            "lookups.chains.ethereum.options.evm_trace: the chain does not name 'evm_trace' in `sources`",
        ),
        (
            '[lookups.chains.litecoin]\nsources = ["electrum"]\n[lookups.chains.litecoin.options.electrum]\n'
            "timeout = 10",
            "lookups.chains.litecoin.options.electrum: 'electrum' takes no options",
        ),
        (
            '[lookups.chains.litecoin]\nsources = ["watcher"]',
            "lookup source 'watcher' needs REDIS_URL",
        ),
        (
            '[lookups.chains.ethereum]\nsources = ["trongrid"]',
            "lookups.chains.ethereum: source 'trongrid' cannot look on it: it needs a TRON chain",
        ),
        (
            '[lookups.chains.tron]\nsources = ["trongrid"]\n[lookups.chains.tron.options.trongrid]\npage_size = 500',
            "lookups.chains.tron.options.trongrid: page_size: Input should be less than or equal to 200",
        ),
    ],
    ids=[
        "unknown",
        "evm-on-utxo",
        "electrum-without-urls",
        "electrum-on-evm",
        "bad-option",
        "misspelt-option",
        "options-unnamed",
        "options-none-taken",
        "watcher-without-redis",
        "trongrid-on-evm",
        "trongrid-page-too-big",
    ],
)
async def test_a_wrong_source_stops_start_up_saying_where(lookups: str, says: str) -> None:
    made = context(lookups)
    try:
        with pytest.raises(ValueError) as raised:
            build_sources(made)
        assert says in str(raised.value)
    finally:
        for chain in made.chains.values():
            await chain.aclose()
