"""Cold EVM checks: our `EvmChain.observe` (one batch) against naive web3.py (three awaited calls).

The naive check is what one writes first with web3.py's AsyncWeb3 and its default provider:
`get_transaction`, `get_transaction_receipt`, `block_number`, one after another, then the same
payment arithmetic as ours (native value to the address, allow-listed Transfer logs to it).
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from web3 import AsyncHTTPProvider, AsyncWeb3

from bench.cold_utxo import expect_paid
from bench.nodes import ETH_CONFIRMATIONS, TOKEN_DECIMALS, TOKEN_SYMBOL, Deposit
from bench.report import Ratio, Series
from bench.timing import rate_async
from deposit_check.chains.evm import TRANSFER_TOPIC, EvmChain
from deposit_check.config import EvmChainConfig, TokenConfig

SECTION = "cold EVM"
TARGET = 2.0  # issue 2: at least twice the naive baseline
CONCURRENCY = 32

Check = Callable[[Deposit], Awaitable[tuple[int, int]]]


def our_chain(rpc_url: str, chain_id: int, token: str) -> EvmChain:
    config = EvmChainConfig(
        family="evm",
        chain_id=chain_id,
        rpc_urls=[rpc_url],
        confirmations=ETH_CONFIRMATIONS,
        tokens=[TokenConfig(symbol=TOKEN_SYMBOL, contract=token, decimals=TOKEN_DECIMALS)],
    )
    return EvmChain("ethereum", config)


def our_check(chain: EvmChain) -> Check:
    async def check(deposit: Deposit) -> tuple[int, int]:
        """(confirmations, base units of the deposit's asset paid to its address)."""
        obs = await chain.observe(deposit.tx_hash, deposit.address)
        return obs.confirmations, sum(p.amount for p in obs.payments if p.asset.symbol == deposit.asset)

    return check


def naive_check(w3: AsyncWeb3[Any], token: str) -> Check:
    topic = bytes.fromhex(TRANSFER_TOPIC[2:])
    contract = token.lower()

    async def check(deposit: Deposit) -> tuple[int, int]:
        tx = await w3.eth.get_transaction(deposit.tx_hash)  # type: ignore[arg-type]
        receipt = await w3.eth.get_transaction_receipt(deposit.tx_hash)  # type: ignore[arg-type]
        tip = await w3.eth.block_number
        to = deposit.address.lower()
        paid = tx["value"] if (tx.get("to") or "").lower() == to else 0
        if deposit.contract is not None:
            paid = 0
            if receipt["status"] == 1:
                for log in receipt["logs"]:
                    topics = log["topics"]
                    if (
                        log["address"].lower() == contract
                        and len(topics) == 3
                        and topics[0] == topic
                        and topics[2][-20:].hex() == to[2:]
                    ):
                        paid += int.from_bytes(log["data"], "big")
        return tip - receipt["blockNumber"] + 1, paid

    return check


async def verify(ours: Check, naive: Check, deposits: Sequence[Deposit]) -> None:
    for d in deposits:
        expect_paid("ours", d, await ours(d), ETH_CONFIRMATIONS)
        expect_paid("naive web3", d, await naive(d), ETH_CONFIRMATIONS)


async def run(
    rpc_url: str, chain_id: int, token: str, deposits: Sequence[Deposit], rounds: int
) -> tuple[list[Series], list[Ratio]]:
    """Measure each mode `rounds` times, interleaved, over all deposits; return the series and ratios."""
    chain = our_chain(rpc_url, chain_id, token)
    w3 = AsyncWeb3(AsyncHTTPProvider(rpc_url))
    ours, naive = our_check(chain), naive_check(w3, token)
    try:
        await verify(ours, naive, deposits[:20])
        modes: dict[str, Callable[[], Awaitable[float]]] = {
            "ours, sequential": lambda: rate_async(ours, deposits, 1),
            f"ours, gather c={CONCURRENCY}": lambda: rate_async(ours, deposits, CONCURRENCY),
            "naive web3, sequential": lambda: rate_async(naive, deposits, 1),
            f"naive web3, gather c={CONCURRENCY}": lambda: rate_async(naive, deposits, CONCURRENCY),
        }
        series = {name: Series(SECTION, name, "checks/s") for name in modes}
        for _ in range(rounds):
            for name, measure in modes.items():
                series[name].values.append(await measure())
    finally:
        await chain.aclose()
        await w3.provider.disconnect()
    c = f"c={CONCURRENCY}"
    ratios = [
        Ratio(
            "cold EVM: ours sequential / naive web3 sequential",
            series["ours, sequential"],
            series["naive web3, sequential"],
            TARGET,
        ),
        Ratio(
            f"cold EVM: ours {c} / naive web3 {c}",
            series[f"ours, gather {c}"],
            series[f"naive web3, gather {c}"],
            TARGET,
        ),
    ]
    return list(series.values()), ratios
