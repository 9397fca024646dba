"""Source `evm_logs`: allow-listed tokens' `Transfer` events to the address, by `eth_getLogs` over a bounded range.

One filter per chunk: the chain's token contracts, topic0 `Transfer(address,address,uint256)`, topic2
the address. Only the allow-listed contracts are asked (anyone can emit a Transfer from their own
contract). A reverted tx logs nothing, so every log is money that arrived. The native coin is not
searched here (see `evm_trace`). Chunks the provider refuses as too large are halved (evm_range.py).

Configured per chain (TOML, read by lookups/sources.py and given to `build`; docs/configuration.md):

    [lookups.chains.ethereum.options.evm_logs]
    max_blocks_back = 100000   # blocks searched back from the tip
    chunk_blocks = 10000       # blocks per eth_getLogs at first; halved while the provider refuses it
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from deposit_check.chains import Chain
from deposit_check.chains.evm_parse import TRANSFER_TOPIC, hex_int
from deposit_check.lookups import Coverage, Found, SourceAnswer
from deposit_check.lookups.evm_range import EvmRangeSource, RangeConfig, block_times, scan, since_filter, timed
from deposit_check.models import Asset, BlockRef, Payment

NAME = "evm_logs"


class EvmLogsSource(EvmRangeSource):
    """Token transfers to an address found by `eth_getLogs`."""

    name = NAME

    async def find(self, chain: Chain, address: str, since: datetime | None, limit: int) -> SourceAnswer:
        chain = self.evm(chain)
        tokens = {a.contract.lower(): a for a in chain.assets().values() if a.contract is not None}
        if not tokens:
            tip = await chain.tip()
            note = "no tokens are allow-listed on this chain: none searched"
            return SourceAnswer((), Coverage(NAME, chain.name, from_block=tip + 1, to_block=tip, note=note))
        topic = "0x" + "0" * 24 + address.lower()[2:]

        def query(low: int, high: int) -> dict[str, Any]:
            return {
                "fromBlock": hex(low),
                "toBlock": hex(high),
                "address": list(tokens),
                "topics": [TRANSFER_TOPIC, None, topic],
            }

        done = await scan(chain, "eth_getLogs", query, self.config, lambda logs: _tx_count(logs) >= limit)
        finds = _finds(chain.name, done.results, tokens)
        times = await block_times(chain, {f.block.height for f in finds[:limit] if f.block is not None})
        finds = since_filter([timed(f, times) for f in finds], since)
        coverage = Coverage(
            NAME,
            chain.name,
            from_block=done.low,
            to_block=done.high,
            assets=tuple(sorted(a.symbol for a in tokens.values())),
            complete=done.complete and not done.missing,
            note="the node has no eth_getLogs: tokens not searched" if done.missing else done.note,
        )
        return SourceAnswer(tuple(finds[:limit]), coverage, truncated=len(finds) > limit or done.capped)


def _tx_count(logs: list[dict[str, Any]]) -> int:
    return len({log.get("transactionHash") for log in logs})


def _finds(chain: str, logs: list[dict[str, Any]], tokens: dict[str, Asset]) -> list[Found]:
    """One find per tx (its Transfers to the address summed per token), newest first."""
    by_tx: dict[str, tuple[BlockRef, dict[Asset, int]]] = {}
    for log in logs:
        token = tokens.get(str(log.get("address", "")).lower())
        data = log.get("data") or ""
        if token is None or log.get("removed") or len(data) != 66:
            continue  # a 0x-prefixed uint256, else no ERC-20 Transfer
        block = BlockRef(height=hex_int(log["blockNumber"]), hash=log["blockHash"])
        _, amounts = by_tx.setdefault(log["transactionHash"].lower(), (block, {}))
        amounts[token] = amounts.get(token, 0) + int(data, 16)
    finds = [
        Found(chain, tx_hash, block, None, tuple(Payment(a, n) for a, n in amounts.items() if n > 0))
        for tx_hash, (block, amounts) in by_tx.items()
    ]
    finds = [f for f in finds if f.payments]  # a 0-value Transfer (address poisoning) paid nothing
    return sorted(finds, key=lambda f: f.block.height if f.block else 0, reverse=True)


def build(options: Mapping[str, Any] | None = None) -> EvmLogsSource:
    """The source from its per-chain options (`max_blocks_back`, `chunk_blocks`); ValidationError when bad."""
    return EvmLogsSource(RangeConfig.model_validate(dict(options or {})))
