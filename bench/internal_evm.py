"""What tracing internal transfers adds to a cold EVM check (issue 14), against a local anvil.

Three kinds of tx, `N` of each, checked one after another by `EvmChain.observe` (cold: a new adapter,
no cache): plain coin transfers and allow-listed token transfers (never traced: one batch, as before),
and calls of a forwarding contract (traced: one more batch). The first traced check of an endpoint
also asks which trace method it has (once). Run: `python -m bench.internal_evm`.
"""

import asyncio
import os
from collections.abc import Awaitable, Callable

from eth_utils.address import to_checksum_address

from bench.timing import rate_async
from deposit_check.chains.evm import EvmChain
from deposit_check.config import EvmChainConfig, TokenConfig
from deposit_check.devnet.anvil import Anvil
from deposit_check.models import InternalTransfers

N = 300
ROUNDS = 3


async def measure(anvil: Anvil) -> None:
    sender = anvil.accounts[0]
    token = anvil.deploy_token("Tether USD (test)", "USDT", 6, sender)
    payouts, _ = anvil.deploy_payouts(sender)
    kinds: dict[str, list[tuple[str, str]]] = {"coin": [], "token": [], "forwarded": []}
    for _ in range(N):
        for kind in kinds:
            to = to_checksum_address("0x" + os.urandom(20).hex())
            if kind == "coin":
                tx = anvil.send_eth(sender, to, 1)
            elif kind == "token":
                tx = anvil.token_transfer(token, sender, to, 1)
            else:
                tx = anvil.call(sender, payouts, "forward(address)", to, value=1)
            kinds[kind].append((tx, to))
    config = EvmChainConfig(
        family="evm",
        chain_id=31337,
        rpc_urls=[anvil.rpc_url],
        confirmations=1,
        tokens=[TokenConfig(symbol="USDT", contract=token, decimals=6)],
    )
    results: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(ROUNDS):
        for kind, items in kinds.items():
            chain = EvmChain("ethereum", config)
            try:
                seen = await chain.observe(*items[0])
                want = InternalTransfers.COUNTED if kind == "forwarded" else InternalTransfers.NONE
                assert seen.internal_transfers is want and seen.payments, seen
                results[kind].append(await rate_async(_observer(chain), items))
            finally:
                await chain.aclose()
    for kind, rates in results.items():
        print(
            f"{kind:10s} checks/s sequential: median {sorted(rates)[len(rates) // 2]:.0f} ({', '.join(f'{r:.0f}' for r in rates)})"
        )


def _observer(chain: EvmChain) -> Callable[[tuple[str, str]], Awaitable[object]]:
    async def observe(item: tuple[str, str]) -> object:
        return await chain.observe(*item)

    return observe


def main() -> None:
    with Anvil(chain_id=31337) as anvil:
        asyncio.run(measure(anvil))


if __name__ == "__main__":
    main()
