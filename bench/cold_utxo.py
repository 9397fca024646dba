"""Cold UTXO checks: our `UtxoChain.observe` against bitcoinlib's `Service.gettransaction`, same node.

"Cold" means no result cache of ours in front (the node's own caches are warm for both sides).
bitcoinlib has no litecoin regtest network: we add one (its litecoin_testnet with the bech32 prefix
`rltc`) and a `litecoind` provider pointing at the node, with `cache_uri=""` (its sqlite cache
would answer stale confirmation counts).
"""

import json
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bitcoinlib.config.config import BCL_DATA_DIR
from bitcoinlib.networks import NETWORK_DEFINITIONS
from bitcoinlib.services.services import Service

from bench.nodes import LTC_CONFIRMATIONS, Deposit
from bench.report import Ratio, Series
from bench.timing import rate_async, rate_sync
from deposit_check.chains.utxo import UtxoChain
from deposit_check.config import UtxoChainConfig

SECTION = "cold UTXO"
TARGET = 2.0  # issue 2: at least twice the naive baseline
NETWORK = "litecoin_regtest"
PROVIDER = "litecoind.regtest.bench"


def register_litecoin_regtest(rpc_url: str) -> None:
    """Teach bitcoinlib a litecoin regtest network and a provider for our node (in its BCL_DATA_DIR)."""
    network = dict(NETWORK_DEFINITIONS["litecoin_testnet"])
    network.update(description="Litecoin regtest", prefix_bech32="rltc")
    NETWORK_DEFINITIONS[NETWORK] = network
    providers_file = Path(BCL_DATA_DIR, "providers.json")
    providers = json.loads(providers_file.read_text())
    providers[PROVIDER] = {
        "provider": "litecoind",
        "network": NETWORK,
        "client_class": "LitecoindClient",
        "url": rpc_url.rstrip("/"),
        "api_key": "",
        "priority": 10,
        "denominator": 100_000_000,
        "network_overrides": None,
    }
    providers_file.write_text(json.dumps(providers))


class BitcoinlibCheck:
    """The baseline check: `Service.gettransaction` then the outputs paying the address (one Service per thread)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _service(self) -> Service:
        service = getattr(self._local, "service", None)
        if service is None:  # Service() asks the node for its height once: not counted per check
            service = self._local.service = Service(network=NETWORK, provider_name=PROVIDER, cache_uri="")
        return service

    def __call__(self, deposit: Deposit) -> tuple[int, int]:
        """(confirmations, base units paid to the deposit address)."""
        tx = self._service().gettransaction(deposit.tx_hash)
        if not tx:
            raise RuntimeError(f"bitcoinlib did not find {deposit.tx_hash}")
        paid = sum(out.value for out in tx.outputs if out.address == deposit.address)
        return int(tx.confirmations or 0), paid


def our_chain(rpc_url: str) -> UtxoChain:
    config = UtxoChainConfig(family="utxo", network="regtest", rpc_urls=[rpc_url], confirmations=LTC_CONFIRMATIONS)
    return UtxoChain("litecoin", config)


def our_check(chain: UtxoChain) -> Callable[[Deposit], Awaitable[tuple[int, int]]]:
    async def check(deposit: Deposit) -> tuple[int, int]:
        """(confirmations, base units paid to the deposit address)."""
        obs = await chain.observe(deposit.tx_hash, deposit.address)
        return obs.confirmations, sum(p.amount for p in obs.payments)

    return check


def expect_paid(side: str, deposit: Deposit, seen: tuple[int, int], required: int) -> None:
    """Raise unless `seen` is (at least `required` confirmations, exactly the amount sent)."""
    confirmations, paid = seen
    if confirmations < required or paid != deposit.amount:
        raise RuntimeError(
            f"{side} saw {deposit.tx_hash}: {confirmations} confirmations, {paid} paid (sent {deposit.amount})"
        )


async def verify(chain: UtxoChain, baseline: BitcoinlibCheck, deposits: Sequence[Deposit]) -> None:
    """Both sides must see each deposit confirmed and paying its amount, else the numbers mean nothing."""
    ours = our_check(chain)
    for d in deposits:
        expect_paid("ours", d, await ours(d), LTC_CONFIRMATIONS)
        expect_paid("bitcoinlib", d, baseline(d), LTC_CONFIRMATIONS)


async def run(rpc_url: str, deposits: Sequence[Deposit], rounds: int) -> tuple[list[Series], list[Ratio]]:
    """Measure every mode `rounds` times, interleaved, over all deposits; return the series and ratios."""
    register_litecoin_regtest(rpc_url)
    chain = our_chain(rpc_url)
    baseline = BitcoinlibCheck()
    try:
        await verify(chain, baseline, deposits[:20])
        ours = our_check(chain)
        modes: dict[str, Callable[[], Awaitable[float]]] = {
            "ours, sequential": lambda: rate_async(ours, deposits, 1),
            "ours, gather c=4": lambda: rate_async(ours, deposits, 4),
            "ours, gather c=16": lambda: rate_async(ours, deposits, 16),
            "bitcoinlib, sequential": lambda: _sync(baseline, deposits, 1),
            "bitcoinlib, 4 threads": lambda: _sync(baseline, deposits, 4),
        }
        series = {name: Series(SECTION, name, "checks/s") for name in modes}
        for _ in range(rounds):
            for name, measure in modes.items():
                series[name].values.append(await measure())
    finally:
        await chain.aclose()
    ours_seq, ours_c4, ours_c16 = (series[f"ours, {m}"] for m in ("sequential", "gather c=4", "gather c=16"))
    bcl_seq, bcl_t4 = series["bitcoinlib, sequential"], series["bitcoinlib, 4 threads"]
    ratios = [
        Ratio("cold UTXO: ours sequential / bitcoinlib sequential", ours_seq, bcl_seq, TARGET),
        Ratio("cold UTXO: ours c=4 / bitcoinlib 4 threads", ours_c4, bcl_t4, TARGET),
        Ratio("cold UTXO: ours c=16 / bitcoinlib 4 threads", ours_c16, bcl_t4),
        Ratio("cold UTXO: ours c=4 / bitcoinlib sequential", ours_c4, bcl_seq),
    ]
    return list(series.values()), ratios


async def _sync(check: BitcoinlibCheck, deposits: Sequence[Deposit], threads: int) -> float:
    # Blocking on purpose: nothing else runs on the loop while the baseline is measured.
    return rate_sync(check, deposits, threads)
