"""Electrum servers (ElectrumX, Fulcrum) as a UTXO backend: the protocol client (client.py), raw
transactions and script hashes (rawtx.py) and the `Chain` adapter served by them (chain.py)."""
