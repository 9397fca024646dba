"""deposit_check: chain truth for casino support desks.

Given a transaction hash and a deposit address, ask the chain and return a verdict.
"""
