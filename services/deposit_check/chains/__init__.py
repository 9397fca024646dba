"""Chain adapters: one module per chain family behind the `Chain` protocol."""

from deposit_check.chains.base import Chain
from deposit_check.config import ChainConfig, EvmChainConfig, TronChainConfig, UtxoChainConfig


def build_chain(name: str, config: ChainConfig) -> Chain:
    if isinstance(config, UtxoChainConfig) and config.backend == "electrum":
        from deposit_check.chains.electrum.chain import ElectrumChain

        return ElectrumChain(name, config)
    if isinstance(config, UtxoChainConfig):
        from deposit_check.chains.utxo import UtxoChain

        return UtxoChain(name, config)
    if isinstance(config, EvmChainConfig):
        from deposit_check.chains.evm import EvmChain

        return EvmChain(name, config)
    if isinstance(config, TronChainConfig):
        from deposit_check.chains.tron import TronChain

        return TronChain(name, config)
    raise TypeError(f"no adapter for {type(config).__name__}")


__all__ = ["Chain", "build_chain"]
