"""TRON over the java-tron HTTP API: addresses (address.py), answers (parse.py), transport (http.py), which
network a node serves (network.py), the adapter (chain.py)."""

from deposit_check.chains.tron.chain import TronChain

__all__ = ["TronChain"]
