"""Addresses of Bitcoin-Core-like coins: check the network, derive the scriptPubKey.

bitcoinlib decodes (base58check, bech32/bech32m); the network check is ours because bitcoinlib
ignores the network for bech32 and has wrong base58 prefixes for regtest.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from deposit_check.chains import bitcoinlib_home
from deposit_check.config import UtxoChainConfig
from deposit_check.errors import InvalidAddress

# bitcoinlib reads a config and writes logs in its data directory at import: a private one of ours.
bitcoinlib_home.set_data_dir()

from bitcoinlib.encoding import (  # noqa: E402  (after set_data_dir: bitcoinlib reads it at import)
    EncodingError,
    addr_bech32_to_pubkeyhash,
    change_base,
    double_sha256,
)


@dataclass(frozen=True)
class AddressParams:
    """Address encoding parameters of one coin on one network."""

    coin: str
    network: str
    hrp: str | None  # None: the coin has no segwit addresses
    p2pkh_versions: frozenset[int]
    p2sh_versions: frozenset[int]
    symbol: str | None = None

    @property
    def label(self) -> str:
        return f"{self.coin} {self.network}"


def _params(coin: str, network: str, hrp: str, p2pkh: set[int], p2sh: set[int], symbol: str) -> AddressParams:
    return AddressParams(coin, network, hrp, frozenset(p2pkh), frozenset(p2sh), symbol)


# Litecoin also accepts the Bitcoin-style p2sh versions (0x05 / 0xc4) it used before its own.
BUILTIN: dict[tuple[str, str], AddressParams] = {
    ("bitcoin", "mainnet"): _params("bitcoin", "mainnet", "bc", {0x00}, {0x05}, "BTC"),
    ("bitcoin", "testnet"): _params("bitcoin", "testnet", "tb", {0x6F}, {0xC4}, "BTC"),
    ("bitcoin", "regtest"): _params("bitcoin", "regtest", "bcrt", {0x6F}, {0xC4}, "BTC"),
    ("litecoin", "mainnet"): _params("litecoin", "mainnet", "ltc", {0x30}, {0x32, 0x05}, "LTC"),
    ("litecoin", "testnet"): _params("litecoin", "testnet", "tltc", {0x6F}, {0x3A, 0xC4}, "LTC"),
    ("litecoin", "regtest"): _params("litecoin", "regtest", "rltc", {0x6F}, {0x3A, 0xC4}, "LTC"),
}


def params_for_chain(name: str, config: UtxoChainConfig) -> AddressParams:
    """Built-in parameters of (coin, network) with the config's overrides; ValueError when unknown."""
    coin = (config.coin or name).lower()
    base = BUILTIN.get((coin, config.network))
    p2pkh = config.p2pkh_versions if config.p2pkh_versions is not None else base and base.p2pkh_versions
    p2sh = config.p2sh_versions if config.p2sh_versions is not None else base and base.p2sh_versions
    if not p2pkh or not p2sh:
        raise ValueError(
            f"chain {name!r}: no built-in address parameters for {coin} {config.network}; "
            "set p2pkh_versions and p2sh_versions (and bech32_hrp if it has segwit addresses)"
        )
    if any(not 0 <= v <= 255 for v in [*p2pkh, *p2sh]):
        raise ValueError(f"chain {name!r}: address versions must be single bytes (0-255)")
    hrp = config.bech32_hrp if config.bech32_hrp is not None else base and base.hrp
    return AddressParams(
        coin=coin,
        network=config.network,
        hrp=hrp.lower() if hrp else None,
        p2pkh_versions=frozenset(p2pkh),
        p2sh_versions=frozenset(p2sh),
        symbol=config.symbol or (base.symbol if base else None),
    )


@dataclass(frozen=True)
class Address:
    """A checked address: its canonical text and the scriptPubKey (hex) that pays it."""

    address: str
    script_pubkey: str
    kind: str  # p2pkh | p2sh | witness_v0_keyhash | witness_v0_scripthash | witness_v1_taproot | witness_vN


@functools.lru_cache(maxsize=4096)
def parse_address(address: str, params: AddressParams) -> Address:
    """Decode `address` for the network of `params`; raise InvalidAddress naming the reason.

    Remembered (a valid one; an invalid one raises each time): bitcoinlib's pure-Python base58 and
    bech32 cost a tenth of a cold check, and each check and watched deposit decodes its address."""
    text = address.strip()
    if not text:
        raise InvalidAddress(f"the address is empty; expected a {params.label} address")
    if len(text) > 90:  # the bech32 limit; base58 addresses are shorter still
        raise InvalidAddress(f"{text[:20]}... is not a valid {params.label} address: too long")
    bech = _decode_bech32(text)
    if bech is not None:
        hrp, program = bech
        if hrp != params.hrp:
            raise InvalidAddress(_wrong_network(text, _labels(lambda p: p.hrp == hrp), params))
        return Address(text.lower(), program.hex(), _witness_kind(program))
    raw, reason = _decode_base58(text)
    if raw is None:
        raise InvalidAddress(f"{text} is not a valid {params.label} address: {_reason(text, reason)}")
    version, payload = raw[0], raw[1:21].hex()
    if version in params.p2pkh_versions:
        return Address(text, f"76a914{payload}88ac", "p2pkh")
    if version in params.p2sh_versions:
        return Address(text, f"a914{payload}87", "p2sh")
    labels = _labels(lambda p: version in p.p2pkh_versions | p.p2sh_versions)
    raise InvalidAddress(_wrong_network(text, labels, params))


def _decode_bech32(text: str) -> tuple[str, bytes] | None:
    """(hrp, scriptPubKey) of a valid segwit address, None when `text` is not one.

    bitcoinlib checks the checksum variant too: bech32 for witness v0, bech32m (BIP-350) for v1+.
    """
    try:
        program = addr_bech32_to_pubkeyhash(text, include_witver=True)
    except (EncodingError, ValueError, KeyError, IndexError, TypeError):
        return None
    return text[: text.rfind("1")].lower(), bytes(program)


def _decode_base58(text: str) -> tuple[bytes | None, str]:
    """(version + 20-byte hash, "") of a valid base58check address, else (None, reason).

    The checksum is verified here: bitcoinlib's `addr_base58_to_pubkeyhash` does it with `assert`,
    which `python -O` removes.
    """
    try:
        raw = bytes(change_base(text, 58, 256))  # keeps one zero byte per leading '1'
    except (EncodingError, ValueError, KeyError, IndexError, TypeError):
        return None, "not base58 or bech32"
    if len(raw) != 25:
        return None, "wrong length"
    if double_sha256(raw[:21])[:4] != raw[21:]:
        return None, "bad checksum"
    return raw, ""


def _reason(text: str, base58_reason: str) -> str:
    """Name the likelier fault: a known segwit prefix means the bech32 checksum/data is wrong."""
    lower = text.lower()
    if any(p.hrp and lower.startswith(p.hrp + "1") for p in BUILTIN.values()):
        if "mweb" in lower:
            return "MWEB addresses are not supported"
        return "bad bech32 checksum, mixed case or bad data"
    return base58_reason


def _witness_kind(program: bytes) -> str:
    version = program[0] - 0x50 if program[0] else 0
    if version == 0:
        return "witness_v0_keyhash" if len(program) == 22 else "witness_v0_scripthash"
    if version == 1 and len(program) == 34:
        return "witness_v1_taproot"
    return f"witness_v{version}"


def _labels(match: Callable[[AddressParams], bool]) -> list[str]:
    return [p.label for p in BUILTIN.values() if match(p)]


def _wrong_network(text: str, labels: list[str], params: AddressParams) -> str:
    others = [label for label in labels if label != params.label]
    if not others:
        return f"{text} is not a valid {params.label} address"
    names = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} or {others[-1]}"
    return f"{text} is a {names} address, this chain is {params.label}"
