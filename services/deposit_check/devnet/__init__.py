"""Local dev chains (litecoind regtest, anvil, the TRON replay node) for the demo and the tests."""
