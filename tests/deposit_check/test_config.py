from pathlib import Path

import pytest
from pydantic import ValidationError

from deposit_check.config import EvmChainConfig, Settings, UtxoChainConfig, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["http://user:${LTC_PASS}@127.0.0.1:19443"]
confirmations = 6
[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["http://127.0.0.1:8545"]
confirmations = 12
[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
decimals = 6
"""


def test_issue_example_parses_and_env_is_substituted() -> None:
    cfg = parse_config(SAMPLE, env={"LTC_PASS": "s3cret"})
    ltc, eth = cfg.chains["litecoin"], cfg.chains["ethereum"]
    assert isinstance(ltc, UtxoChainConfig) and isinstance(eth, EvmChainConfig)
    assert ltc.rpc_urls == ["http://user:s3cret@127.0.0.1:19443"]
    assert eth.tokens[0].decimals == 6 and eth.confirmations == 12


def test_missing_env_variable_is_named() -> None:
    with pytest.raises(ValueError, match=r"\$\{LTC_PASS\}"):
        parse_config(SAMPLE, env={})


@pytest.mark.parametrize(
    ("snippet", "complaint"),
    [
        ('[chains.x]\nfamily = "utxo"\nrpc_urls = ["http://a"]\nconfirmations = 0\n', "greater than or equal to 1"),
        ('[chains.x]\nfamily = "cosmos"\nrpc_urls = ["http://a"]\nconfirmations = 1\n', "family"),
        ('[chains.x]\nfamily = "evm"\nrpc_urls = []\nconfirmations = 1\nchain_id = 1\n', "rpc_urls"),
        ('[chains.Bad]\nfamily = "evm"\nrpc_urls = ["http://a"]\nconfirmations = 1\nchain_id = 1\n', "chain name"),
        ('[chains.x]\nfamily = "evm"\nrpc_urls = ["http://a"]\nconfirmations = 1\nchain_id = 1\ntypo = 3\n', "typo"),
    ],
)
def test_bad_config_is_refused_with_a_reason(snippet: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        parse_config(snippet, env={})


def test_file_named_by_env_and_builtin_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(SAMPLE.replace("${LTC_PASS}", "p"))
    from_file = load_config(Settings(deposit_check_config=path, redis_url="redis://127.0.0.1:6379/0"))
    assert from_file.source == str(path) and from_file.redis_url == "redis://127.0.0.1:6379/0"
    defaults = load_config(Settings(deposit_check_config=None, redis_url=None))
    assert set(defaults.file.chains) == {"litecoin", "ethereum"} and defaults.redis_url is None


def test_example_config_in_repo_is_valid() -> None:
    text = (ROOT / "config" / "deposit-check.example.toml").read_text()
    cfg = parse_config(text, env={"LTC_RPC_PASSWORD": "x", "BTC_RPC_PASSWORD": "y", "ETH_RPC_URL": "http://e"})
    assert {"litecoin", "bitcoin", "ethereum"} <= set(cfg.chains)


def test_display_names_default_to_the_chain_names() -> None:
    text = SAMPLE.replace('family = "evm"\n', 'family = "evm"\ndisplay_name = "Ethereum (ERC-20)"\n').replace(
        "${LTC_PASS}", "p"
    )
    cfg = parse_config(text, env={})
    assert cfg.display_names() == {"litecoin": "litecoin", "ethereum": "Ethereum (ERC-20)"}
    assert cfg.chains["litecoin"].display_name is None


def _two_chains(first: str, second: str) -> str:
    """Two EVM chains, `a` and `b`, with these display names ("" for none)."""
    text = ""
    for name, shown, chain_id in (("a", first, 1), ("b", second, 2)):
        text += f'[chains.{name}]\nfamily = "evm"\nchain_id = {chain_id}\nrpc_urls = ["http://n{name}"]\nconfirmations = 1\n'
        text += f'display_name = "{shown}"\n' if shown else ""
    return text


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("USDT", "usdt"),  # two display names that read the same
        ("B", ""),  # a display name that is another chain's name (in another case)
    ],
)
def test_two_chains_shown_by_the_same_name_are_refused(first: str, second: str) -> None:
    # A player told "sent on X, not on X" learns nothing.
    with pytest.raises(ValidationError, match="chains 'a' and 'b' would be shown to people by the same name"):
        parse_config(_two_chains(first, second), env={})
    assert parse_config(_two_chains(first, second + "2" if second else "Bee"), env={})
