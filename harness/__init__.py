"""The real back-ends that tests and benches run against, started on free ports of 127.0.0.1 and
stopped on the way out: a private redis-server, our apps served by uvicorn, the ticket_link worker.

One home for both: `tests/conftest.py` wraps these in session fixtures, `bench/` uses them as plain
context managers. The nodes themselves (litecoind, anvil) are `deposit_check.devnet`.
"""
