"""Addresses of extended public keys, derived ahead of use into the index.

UTXO: bitcoinlib's `HDKey` reads the key (xpub/ypub/zpub/tpub/upub/vpub, Litecoin's Ltub/Mtub) and
derives `branch/i` below it; the script follows the key's version (zpub/vpub p2wpkh, ypub/upub
p2sh-p2wpkh, xpub/tpub p2pkh) unless the config names one. The address is encoded with the
chain's own parameters (chains/utxo_address.py), whatever network bitcoinlib guesses from the
version bytes (regtest keys are tpubs). EVM: the account key of m/44'/60'/0', `0/i` below it, the
address the last 20 bytes of keccak(uncompressed public key). TRON: the account key of m/44'/195'/0' (SLIP-44
coin type 195), the same 20 bytes behind 0x41 in base58check (`T...`).

A key derives for the chain it is configured on, and only there: the index is per chain, so a TRON key's
addresses are never found as owned on an EVM chain, though the same 20 bytes spell an EVM address.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

# First: it points bitcoinlib's data dir away from ~ before bitcoinlib is imported.
from deposit_check.chains.utxo_address import AddressParams, params_for_chain

# isort: split
from bitcoinlib.encoding import hash160, pubkeyhash_to_addr_base58, pubkeyhash_to_addr_bech32
from bitcoinlib.keys import BKeyError, HDKey

from deposit_check.chains.tron import address as tron_address
from deposit_check.config import ChainConfig, ExtendedKeyConfig, TronChainConfig, UtxoChainConfig
from deposit_check.ownership.codec import key_fingerprint

Script = Literal["p2pkh", "p2sh-p2wpkh", "p2wpkh"]
_BY_PREFIX: dict[str, Script] = {
    "zpub": "p2wpkh",
    "vpub": "p2wpkh",
    "ypub": "p2sh-p2wpkh",
    "upub": "p2sh-p2wpkh",
    "Mtub": "p2sh-p2wpkh",
}
_BITCOIN_P2SH = (0x05, 0xC4)


@dataclass(frozen=True)
class DerivedAddress:
    index: int
    address: str  # the chain's canonical form
    identity: str  # what the index keys on: the scriptPubKey (UTXO) or the address (EVM, TRON)


class KeyDeriver:
    """One configured extended key of one chain: `derive(branch, start, count)`."""

    def __init__(self, chain: str, chain_config: ChainConfig, key: ExtendedKeyConfig) -> None:
        """ValueError when the key cannot be read."""
        try:
            self._root = HDKey(key.key.strip())
        except (BKeyError, ValueError, TypeError) as exc:
            raise ValueError(f"chain {chain!r}: extended key {key.key[:12]}... cannot be read ({exc})") from None
        if self._root.is_private:
            raise ValueError(f"chain {chain!r}: that is a PRIVATE extended key; give the public one (xpub...)")
        self.chain = chain
        self.config = key
        self.fingerprint = key_fingerprint(key.key.strip())
        self._params: AddressParams | None = None
        self._tron = isinstance(chain_config, TronChainConfig)
        self._script: Script = key.script or _BY_PREFIX.get(key.key.strip()[:4], "p2pkh")
        if isinstance(chain_config, UtxoChainConfig):
            self._params = params_for_chain(chain, chain_config)
            if self._script == "p2wpkh" and self._params.hrp is None:
                raise ValueError(f"chain {chain!r} has no segwit addresses for {key.key[:4]} keys")
        self._branches: dict[int, HDKey] = {}

    def member(self, branch: int) -> str:
        """The name of one branch's progress and highest-used marks."""
        return f"{self.fingerprint}:{branch}"

    def derive(self, branch: int, start: int, count: int) -> list[DerivedAddress]:
        parent = self._branches.get(branch)
        if parent is None:
            parent = self._branches[branch] = self._root.child_public(branch)
        return [self._address(i, parent.child_public(i)) for i in range(start, start + count)]

    def _address(self, index: int, key: HDKey) -> DerivedAddress:
        if self._params is None:
            key_hash = keccak(key.public_uncompressed_byte[1:])[-20:]
            if self._tron:
                address = tron_address.from_bytes(bytes([tron_address.PREFIX]) + key_hash)
            else:
                address = to_checksum_address(key_hash)
            return DerivedAddress(index, address, address)
        pubkey_hash = hash160(key.public_byte)
        if self._script == "p2wpkh":
            script = "0014" + pubkey_hash.hex()
            address = pubkeyhash_to_addr_bech32(pubkey_hash, prefix=self._params.hrp or "", witver=0)
            return DerivedAddress(index, address, script)
        if self._script == "p2pkh":
            version = min(self._params.p2pkh_versions)
            address = pubkeyhash_to_addr_base58(pubkey_hash, prefix=bytes([version]))
            return DerivedAddress(index, address, f"76a914{pubkey_hash.hex()}88ac")
        script_hash = hash160(bytes.fromhex("0014" + pubkey_hash.hex()))
        # The coin's own P2SH version where it has two (Litecoin's M/Q besides Bitcoin's 3/2).
        version = sorted(self._params.p2sh_versions, key=lambda v: (v in _BITCOIN_P2SH, v))[0]
        address = pubkeyhash_to_addr_base58(script_hash, prefix=bytes([version]))
        return DerivedAddress(index, address, f"a914{script_hash.hex()}87")


def derivers(chains: dict[str, ChainConfig], keys: dict[str, list[ExtendedKeyConfig]]) -> Iterable[KeyDeriver]:
    for chain, configured in keys.items():
        for key in configured:
            yield KeyDeriver(chain, chains[chain], key)
