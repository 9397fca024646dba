"""A block range asked of an EVM node chunk by chunk, newest first, halving a chunk the node refuses as too large.

Shared by the `evm_logs` and `evm_trace` sources. Hosted providers cap `eth_getLogs` (and `trace_filter`)
by block range or by result count, each with its own words; the chunk is halved until the provider
accepts it (floor: one block) and kept at that size for the rest of the scan. What was scanned is said
exactly, so that "nothing found" is only ever said about it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deposit_check.chains import Chain
from deposit_check.chains.evm import EvmChain
from deposit_check.chains.evm_parse import missing_method, timestamp
from deposit_check.errors import NodeUnavailable
from deposit_check.lookups import Found

# Providers' words for "too much at once" (Infura -32005 "query returned more than 10000 results", Alchemy
# "Log response size exceeded ... up to a 2K block range", QuickNode "eth_getLogs is limited to a 10,000 range",
# geth/Erigon "block range is too wide", Ankr "block range is too large", BlastAPI "exceeds the limit").
_TOO_LARGE = (
    "more than",
    "block range",
    "too wide",
    "too large",
    "too big",
    "exceed",
    "response size",
    "limited to",
    "max results",
)
_RATE = ("rate limit", "request rate", "requests per", "daily request")  # -32005 is also Infura's rate limit


def too_large(error: Any) -> bool:
    """Whether a JSON-RPC error refuses a query as too large (a range or result cap), not the node failing."""
    if not isinstance(error, dict):
        return False
    text = str(error.get("message", "")).lower()
    if any(words in text for words in _RATE):
        return False
    return error.get("code") == -32005 or any(words in text for words in _TOO_LARGE)


class RangeConfig(BaseModel):
    """How far back a source searches and in what chunks (per chain, per source)."""

    model_config = ConfigDict(extra="forbid")

    max_blocks_back: int = Field(default=100_000, ge=1, description="blocks searched back from the tip")
    chunk_blocks: int = Field(default=10_000, ge=1, description="blocks per request at first (halved when refused)")


class EvmRangeSource:
    """What the EVM sources that walk a block range share: their range settings, the chains they serve."""

    name: str

    def __init__(self, config: RangeConfig | None = None) -> None:
        self.config = config or RangeConfig()

    def serves(self, chain: Chain) -> bool:
        return isinstance(chain, EvmChain)

    def evm(self, chain: Chain) -> EvmChain:
        if not isinstance(chain, EvmChain):
            raise TypeError(f"{self.name} serves EVM chains only, not {chain.name}")
        return chain


@dataclass
class Scan:
    """What a scan got and covered: `low`..`high` inclusive (`low` > `high`: nothing scanned)."""

    high: int
    low: int
    results: list[Any] = field(default_factory=list)
    complete: bool = True
    note: str | None = None
    missing: bool = False  # the node has no such method
    capped: bool = False  # stopped because `enough` said so: the caller's answer is truncated


async def scan(
    chain: EvmChain,
    method: str,
    query: Callable[[int, int], dict[str, Any]],
    config: RangeConfig,
    enough: Callable[[list[Any]], bool],
) -> Scan:
    """`method` with `query(from, to)` over the last `max_blocks_back` blocks, newest chunk first, until the
    range is done or `enough(results)`. NodeUnavailable when no node answers or one answers an error other
    than "too large" or "no such method"."""
    tip = await chain.tip()
    start = max(0, tip - config.max_blocks_back + 1)
    done = Scan(high=tip, low=tip + 1)
    size = config.chunk_blocks
    while done.low > start and not enough(done.results):
        high = done.low - 1
        low = max(start, high - size + 1)
        [reply] = await chain.rpc([(method, [query(low, high)])])
        error = reply.get("error")
        if error is None:
            done.results.extend(reply.get("result") or [])
            done.low = low
            continue
        if missing_method(error):
            done.missing = True
            return done
        if not too_large(error):
            raise NodeUnavailable(f"{chain.name}: {method} refused: {error!r:.200}", chain=chain.name)
        if high == low:
            done.complete = False
            done.note = f"the node refused {method} even for block {high}: blocks {start} to {high} not searched"
            return done
        size = max(1, (high - low + 1) // 2)
    if done.low > start:  # stopped at `enough`: the caller says truncated
        done.complete, done.capped = False, True
        done.note = f"stopped at the cap on finds: blocks {start} to {done.low - 1} not searched"
    return done


async def block_times(chain: EvmChain, heights: set[int]) -> dict[int, datetime]:
    """The time of each block height, in one batch (a block the node no longer has: left out)."""
    order = sorted(heights)
    if not order:
        return {}
    replies = await chain.rpc([("eth_getBlockByNumber", [hex(h), False]) for h in order])
    times: dict[int, datetime] = {}
    for height, reply in zip(order, replies, strict=True):
        block = reply.get("result")
        if reply.get("error") is not None:
            raise NodeUnavailable(f"{chain.name}: eth_getBlockByNumber: {reply['error']!r:.200}", chain=chain.name)
        if block is not None:
            times[height] = timestamp(block["timestamp"])
    return times


def since_filter(finds: list[Found], since: datetime | None) -> list[Found]:
    """Finds at or after `since` (a find without a known time is kept: it may be recent)."""
    return [f for f in finds if since is None or f.time is None or f.time >= since]


def timed(find: Found, times: dict[int, datetime]) -> Found:
    """`find` with its block's time from `times`."""
    if find.block is None:
        return find
    return Found(find.chain, find.tx_hash, find.block, times.get(find.block.height), find.payments, find.internal)
