"""Source `evm_trace`: native coin that reached the address, internal transfers included, by `trace_filter`.

`trace_filter` with `toAddress` (anvil, Erigon, Reth, Nethermind; geth has none) lists every call that
sent to the address, the tx itself (top level) and inner calls. Only successful calls with value count.
A call inside a frame that reverted shows in `trace_filter` without an error of its own, so a tx with
an inner call to the address is read again whole (`trace_transaction`, one batch for all of them) and
judged by the same rule as a check (`evm_parse.traced_value_parity`). A node without `trace_filter` is
said in the coverage (`complete=False`), never taken for "no payments".

Configured per chain (TOML, read by lookups/sources.py and given to `build`; docs/configuration.md):

    [lookups.chains.ethereum.options.evm_trace]
    max_blocks_back = 100000   # blocks searched back from the tip
    chunk_blocks = 10000       # blocks per trace_filter at first; halved while the node refuses it
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from deposit_check.chains import Chain
from deposit_check.chains.evm import EvmChain
from deposit_check.chains.evm_parse import hex_int, traced_value_parity
from deposit_check.errors import NodeUnavailable
from deposit_check.lookups import Coverage, Found, SourceAnswer
from deposit_check.lookups.evm_range import EvmRangeSource, RangeConfig, block_times, scan, since_filter, timed
from deposit_check.models import BlockRef, Payment

NAME = "evm_trace"
NO_TRACE_FILTER = "node has no trace_filter: native payments not searched"


class EvmTraceSource(EvmRangeSource):
    """Native payments (direct and internal) to an address found by `trace_filter`."""

    name = NAME

    async def find(self, chain: Chain, address: str, since: datetime | None, limit: int) -> SourceAnswer:
        chain = self.evm(chain)
        to = address.lower()

        def query(low: int, high: int) -> dict[str, Any]:
            return {"fromBlock": hex(low), "toBlock": hex(high), "toAddress": [to]}

        done = await scan(chain, "trace_filter", query, self.config, lambda traces: _tx_count(traces, to) >= limit)
        native = chain.native
        coverage = Coverage(
            NAME,
            chain.name,
            from_block=done.low,
            to_block=done.high,
            assets=(native.symbol,),
            complete=done.complete and not done.missing,
            note=NO_TRACE_FILTER if done.missing else done.note,
        )
        if done.missing:
            return SourceAnswer((), coverage)
        direct, inner, blocks = _paying(done.results, to)
        # Newest first; a tx with an inner payment is read whole (a frame that reverted pays nothing), but only
        # as many as it takes to fill `limit` (+1, to know whether more are left): never the whole history.
        candidates = sorted(blocks, key=lambda h: blocks[h].height, reverse=True)
        finds: list[Found] = []
        read = 0
        while read < len(candidates) and len(finds) <= limit:
            batch = candidates[read : read + limit + 1 - len(finds)]
            read += len(batch)
            internal = await _internal_values(chain, [h for h in batch if h in inner], to)
            for tx_hash in batch:
                amount = direct.get(tx_hash, 0) + internal.get(tx_hash, 0)
                if amount > 0:
                    payment = (Payment(native, amount),)
                    finds.append(
                        Found(
                            chain.name, tx_hash, blocks[tx_hash], None, payment, internal=internal.get(tx_hash, 0) > 0
                        )
                    )
        times = await block_times(chain, {f.block.height for f in finds[:limit] if f.block is not None})
        finds = since_filter([timed(f, times) for f in finds], since)
        return SourceAnswer(tuple(finds[:limit]), coverage, truncated=len(finds) > limit or done.capped)


def _is_payment(trace: dict[str, Any], to: str) -> bool:
    action = trace.get("action") or {}
    return (
        trace.get("type") == "call"
        and action.get("callType") == "call"  # delegatecall/staticcall move no value to the callee
        and str(action.get("to", "")).lower() == to
        and hex_int(action.get("value") or "0x0") > 0
        and not trace.get("error")
    )


def _tx_count(traces: list[dict[str, Any]], to: str) -> int:
    return len({t.get("transactionHash") for t in traces if _is_payment(t, to)})


def _paying(traces: list[dict[str, Any]], to: str) -> tuple[dict[str, int], set[str], dict[str, BlockRef]]:
    """Top-level value per tx, the txs with an inner call paying `to` (to read whole), and each tx's block."""
    direct: dict[str, int] = {}
    inner: set[str] = set()
    blocks: dict[str, BlockRef] = {}
    for trace in traces:
        if not _is_payment(trace, to):
            continue
        tx_hash = str(trace["transactionHash"]).lower()
        blocks[tx_hash] = BlockRef(height=hex_int(trace["blockNumber"]), hash=trace["blockHash"])
        if trace.get("traceAddress"):
            inner.add(tx_hash)
        else:
            direct[tx_hash] = direct.get(tx_hash, 0) + hex_int(trace["action"]["value"])
    return direct, inner, blocks


async def _internal_values(chain: EvmChain, tx_hashes: list[str], to: str) -> dict[str, int]:
    """What the successful inner calls of each tx paid `to`, from the whole tx's traces (one batch)."""
    if not tx_hashes:
        return {}
    replies = await chain.rpc([("trace_transaction", [h]) for h in tx_hashes])
    values: dict[str, int] = {}
    for tx_hash, reply in zip(tx_hashes, replies, strict=True):
        if reply.get("error") is not None:
            raise NodeUnavailable(f"{chain.name}: trace_transaction: {reply['error']!r:.200}", chain=chain.name)
        values[tx_hash] = traced_value_parity(reply.get("result") or [], to)
    return values


def build(options: Mapping[str, Any] | None = None) -> EvmTraceSource:
    """The source from its per-chain options (`max_blocks_back`, `chunk_blocks`); ValidationError when bad."""
    return EvmTraceSource(RangeConfig.model_validate(dict(options or {})))
