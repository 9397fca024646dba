"""Address checks and scriptPubKeys for Bitcoin-Core-like chains.

The litecoin vectors were checked with litecoind 0.21 `validateaddress` (mainnet node offline,
and regtest); the bitcoin ones are the BIP-173/BIP-350 and well-known mainnet examples.
"""

import pytest

from deposit_check.chains.utxo_address import BUILTIN, AddressParams, params_for_chain, parse_address
from deposit_check.config import UtxoChainConfig
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.errors import InvalidAddress

H20 = "1e4fa160e4d0511ec10c296a5e263dbdc0909f25"
H32 = "788cef67ec8be7d0ec10c38164fcdf107b2ec2d7700ac3cdf771f8c5b23b6c4a"
LTC_MAIN = BUILTIN["litecoin", "mainnet"]
LTC_REGTEST = BUILTIN["litecoin", "regtest"]
BTC_MAIN = BUILTIN["bitcoin", "mainnet"]

VALID = [
    # litecoin mainnet
    (LTC_MAIN, "LMzDvnRowremT7E5gcFiD2muX8NCCFDpxs", f"76a914{H20}88ac"),
    (LTC_MAIN, "MAfRu12PNDaX5yWFjSvMBHKUn8t5i8WyiC", f"a914{H20}87"),
    (LTC_MAIN, "34THb7cRR6j6HUEMdZw1Me55TSHddGX7wo", f"a914{H20}87"),  # legacy 0x05 p2sh
    (LTC_MAIN, "ltc1qre86zc8y6pg3asgv9949uf3ahhqfp8e9xhyclf", f"0014{H20}"),
    (LTC_MAIN, "ltc1q0zxw7elv30napmqscwqkflxlzpajaskhwq9v8n0hw8uvtv3md39q42z6zx", f"0020{H32}"),
    (LTC_MAIN, "ltc1p0zxw7elv30napmqscwqkflxlzpajaskhwq9v8n0hw8uvtv3md39qlazn66", f"5120{H32}"),
    # litecoin regtest
    (LTC_REGTEST, "miHDxdCxgDqxyR1YE3EnkvvUAubd54cvYw", f"76a914{H20}88ac"),
    (LTC_REGTEST, "QPNFmsQh3fHXdScwvoau4HVmpAwdQ5mGWz", f"a914{H20}87"),
    (LTC_REGTEST, "2Mv1VerYT2ZESVFruJhYsyb4LfnVoUJ6L3k", f"a914{H20}87"),
    (LTC_REGTEST, "rltc1qre86zc8y6pg3asgv9949uf3ahhqfp8e95fxtua", f"0014{H20}"),
    (LTC_REGTEST, "rltc1q0zxw7elv30napmqscwqkflxlzpajaskhwq9v8n0hw8uvtv3md39qyu6ucm", f"0020{H32}"),
    (LTC_REGTEST, "rltc1p0zxw7elv30napmqscwqkflxlzpajaskhwq9v8n0hw8uvtv3md39qwt64q8", f"5120{H32}"),
    # bitcoin mainnet
    (BTC_MAIN, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac"),
    (BTC_MAIN, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87"),
    (BTC_MAIN, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    (
        BTC_MAIN,
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
]


@pytest.mark.parametrize(("params", "address", "script"), VALID, ids=[v[1][:14] for v in VALID])
def test_valid(params: AddressParams, address: str, script: str) -> None:
    parsed = parse_address(address, params)
    assert parsed.address == address and parsed.script_pubkey == script


def test_bech32_is_lower_cased_base58_kept() -> None:
    upper = "LTC1QRE86ZC8Y6PG3ASGV9949UF3AHHQFP8E9XHYCLF"
    assert parse_address(f" {upper} ", LTC_MAIN).address == upper.lower()
    legacy = "LMzDvnRowremT7E5gcFiD2muX8NCCFDpxs"
    assert parse_address(f" {legacy}\n", LTC_MAIN).address == legacy


@pytest.mark.parametrize(
    ("params", "address", "message"),
    [
        (
            LTC_REGTEST,
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "is a bitcoin mainnet address, this chain is litecoin regtest",
        ),
        (
            LTC_REGTEST,
            "ltc1qre86zc8y6pg3asgv9949uf3ahhqfp8e9xhyclf",
            "is a litecoin mainnet address, this chain is litecoin regtest",
        ),
        (
            LTC_MAIN,
            "rltc1qre86zc8y6pg3asgv9949uf3ahhqfp8e95fxtua",
            "is a litecoin regtest address, this chain is litecoin mainnet",
        ),
        (
            LTC_MAIN,
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "is a bitcoin mainnet address, this chain is litecoin mainnet",
        ),
        (
            BTC_MAIN,
            "LMzDvnRowremT7E5gcFiD2muX8NCCFDpxs",
            "is a litecoin mainnet address, this chain is bitcoin mainnet",
        ),
        (LTC_MAIN, "miHDxdCxgDqxyR1YE3EnkvvUAubd54cvYw", "litecoin regtest address, this chain is litecoin mainnet"),
        (LTC_REGTEST, "LMzDvnRowremT7E5gcFiD2muX8NCCFDpxs", "is a litecoin mainnet address"),
    ],
)
def test_wrong_network(params: AddressParams, address: str, message: str) -> None:
    with pytest.raises(InvalidAddress, match=message):
        parse_address(address, params)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("LMzDvnRowremT7E5gcFiD2muX8NCCFDpxt", "bad checksum"),  # last char changed
        ("ltc1qre86zc8y6pg3asgv9949uf3ahhqfp8e9xhyclg", "bad bech32 checksum"),
        ("ltc1qRE86zc8y6pg3asgv9949uf3ahhqfp8e9xhyclf", "mixed case"),
        ("hello", "not base58 or bech32"),
        ("", "empty"),
        ("1" * 500, "too long"),
        ("LMzDvnRowremT7E5gcFiD2muX8NCC", "wrong length"),
    ],
)
def test_malformed(address: str, reason: str) -> None:
    with pytest.raises(InvalidAddress, match=reason) as caught:
        parse_address(address, LTC_MAIN)
    assert "litecoin mainnet" in caught.value.message


def _bech32_encode(hrp: str, version: int, program: bytes, const: int) -> str:
    """BIP-173/350 reference encoder, to build a v1 address with the wrong (bech32) checksum."""
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

    def polymod(values: list[int]) -> int:
        chk = 1
        for v in values:
            top = chk >> 25
            chk = (chk & 0x1FFFFFF) << 5 ^ v
            for i, g in enumerate([0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]):
                chk ^= g if (top >> i) & 1 else 0
        return chk

    acc, bits, data = 0, 0, [version]
    for byte in program:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod(expanded + data + [0] * 6) ^ const
    return hrp + "1" + "".join(charset[d] for d in data + [(mod >> 5 * (5 - i)) & 31 for i in range(6)])


def test_checksum_variant_must_match_the_witness_version() -> None:
    bech32, bech32m = 1, 0x2BC830A3
    assert _bech32_encode("ltc", 1, bytes.fromhex(H32), bech32m) == VALID[5][1]  # the encoder is right
    for version, const in [(1, bech32), (0, bech32m)]:
        with pytest.raises(InvalidAddress):
            parse_address(_bech32_encode("ltc", version, bytes.fromhex(H20 if version == 0 else H32), const), LTC_MAIN)


def _config(**fields: object) -> UtxoChainConfig:
    return UtxoChainConfig.model_validate({"family": "utxo", "rpc_urls": ["http://x"], "confirmations": 1, **fields})


def test_params_defaults_and_overrides() -> None:
    assert params_for_chain("litecoin", _config(network="regtest")) == LTC_REGTEST
    assert params_for_chain("ltc-main", _config(coin="Litecoin")).label == "litecoin mainnet"
    doge = params_for_chain("dogecoin", _config(p2pkh_versions=[0x1E], p2sh_versions=[0x16], symbol="DOGE"))
    assert doge.hrp is None and doge.symbol == "DOGE"
    assert parse_address("DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L", doge).script_pubkey.startswith("76a914")
    custom = params_for_chain("litecoin", _config(bech32_hrp="XLTC"))
    assert custom.hrp == "xltc" and custom.p2pkh_versions == LTC_MAIN.p2pkh_versions


@pytest.mark.parametrize(
    "fields",
    [{"coin": "dogecoin"}, {"coin": "dogecoin", "p2pkh_versions": [0x1E]}, {"p2pkh_versions": [256]}],
)
def test_params_config_errors(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        params_for_chain("litecoin", _config(**fields))


@pytest.mark.litecoind
@pytest.mark.parametrize("kind", ["bech32", "legacy", "p2sh-segwit"])
def test_scripts_match_the_node(litecoind: Litecoind, kind: str) -> None:
    address = litecoind.new_address(kind)  # type: ignore[arg-type]
    info = litecoind.cli("getaddressinfo", address, wallet=litecoind.wallet)
    assert parse_address(address, LTC_REGTEST).script_pubkey == info["scriptPubKey"]
