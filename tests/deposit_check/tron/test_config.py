"""`family = "tron"` in the chain config: confirmations, tokens, the API key, URLs."""

import pytest
from pydantic import ValidationError

from deposit_check.chains import build_chain
from deposit_check.chains.tron import TronChain
from deposit_check.config import TRON_SOLIDIFIED_DEPTH, TronChainConfig, parse_config

BASE = """
[chains.tron]
family = "tron"
http_urls = ["https://api.trongrid.io"]
api_key = "${TRONGRID_API_KEY}"
[[chains.tron.tokens]]
symbol = "USDT"
contract = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
decimals = 6
"""


def test_defaults_solidified_trx_and_the_key_from_the_environment() -> None:
    config = parse_config(BASE, env={"TRONGRID_API_KEY": "k3y-from-env"}).chains["tron"]
    assert isinstance(config, TronChainConfig)
    assert config.confirmations == "solidified" and config.required_confirmations == TRON_SOLIDIFIED_DEPTH == 19
    assert (config.symbol, config.decimals, config.api_key_header) == ("TRX", 6, "TRON-PRO-API-KEY")
    assert config.api_key is not None and config.api_key.get_secret_value() == "k3y-from-env"
    assert "k3y-from-env" not in repr(config) and "k3y-from-env" not in str(config.model_dump())  # never shown
    chain = build_chain("tron", config)
    assert isinstance(chain, TronChain) and chain.family == "tron" and chain.required_confirmations == 19
    assert set(chain.assets()) == {"TRX", "USDT"}
    assert chain.assets()["USDT"].contract == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def test_a_number_of_confirmations_at_or_above_solidification() -> None:
    text = BASE.replace('family = "tron"', 'family = "tron"\nconfirmations = 30')
    config = parse_config(text, env={"TRONGRID_API_KEY": "k"}).chains["tron"]
    assert isinstance(config, TronChainConfig) and config.required_confirmations == 30


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('family = "tron"', 'family = "tron"\nconfirmations = 1'), "solidified"),
        (('family = "tron"', 'family = "tron"\nconfirmations = "final"'), "solidified"),
        (('http_urls = ["https://api.trongrid.io"]', "http_urls = []"), "http_urls needs at least one URL"),
        (('http_urls = ["https://api.trongrid.io"]', 'rpc_urls = ["https://api.trongrid.io"]'), "set http_urls"),
        (('family = "tron"', 'family = "tron"\nquorum = 2'), "quorum 2 needs at least 2 http_urls"),
        (('family = "tron"', 'family = "tron"\napi_key_header = "X: y"'), "api_key_header"),
    ],
)
def test_bad_tron_config_is_refused_with_a_reason(change: tuple[str, str], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        parse_config(BASE.replace(*change), env={"TRONGRID_API_KEY": "k"})


@pytest.mark.parametrize(
    ("contract", "complaint"),
    [
        ("0xa614f803b6fd780986a42c78ec9c7f77e6ded13c", "EVM address"),  # the USDT contract's key, as 0x
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "bad checksum"),
    ],
)
def test_a_token_contract_must_be_a_tron_address(contract: str, complaint: str) -> None:
    config = parse_config(BASE.replace("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", contract), env={"TRONGRID_API_KEY": "k"})
    with pytest.raises(ValueError, match=complaint):
        build_chain("tron", config.chains["tron"])


def test_xpubs_are_taken_for_tron_and_the_network_defaults_to_mainnet() -> None:
    """A TRON chain's account key is derived like an EVM chain's (ownership/derive.py); start-up takes it."""
    key = "xpub6D1AabNHCupeiLM65ZR9UStMhJ1vCpyV4XbZdyhMZBiJXALQtmn9p42VTQckoHVn8WNqS7dqnJokZHAHcHGoaQgmv8D45oNUKx6DZMNZBCd"
    text = BASE + f'[ownership]\nsecret = "0123456789abcdef0123"\n[[ownership.xpubs.tron]]\nkey = "{key}"\n'
    config = parse_config(text, env={"TRONGRID_API_KEY": "k"})
    assert [k.key for k in config.ownership.xpubs["tron"]] == [key]
    tron = config.chains["tron"]
    assert isinstance(tron, TronChainConfig) and tron.network == "mainnet"


@pytest.mark.parametrize("network", ["nile", "shasta"])
def test_a_testnet_is_named(network: str) -> None:
    config = parse_config(
        BASE.replace("\nfamily", f'\nnetwork = "{network}"\nfamily'), env={"TRONGRID_API_KEY": "k"}
    ).chains["tron"]
    assert isinstance(config, TronChainConfig) and config.network == network


def test_an_unknown_network_is_refused() -> None:
    with pytest.raises(ValidationError, match="network"):
        parse_config(BASE.replace("\nfamily", '\nnetwork = "testnet"\nfamily'), env={"TRONGRID_API_KEY": "k"})
