"""Local dev chains (litecoind regtest, anvil) for the demo and the tests."""
