"""Throughput of a check function over distinct items: sequential, under asyncio.gather, or in threads."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


async def rate_async(check: Callable[[T], Awaitable[object]], items: Sequence[T], concurrency: int = 1) -> float:
    """Checks per second of `check` over `items`, at most `concurrency` in flight (1: one after another)."""
    start = time.perf_counter()
    if concurrency == 1:
        for item in items:
            await check(item)
    else:
        gate = asyncio.Semaphore(concurrency)

        async def one(item: T) -> None:
            async with gate:
                await check(item)

        await asyncio.gather(*(one(item) for item in items))
    return len(items) / (time.perf_counter() - start)


def rate_sync(check: Callable[[T], object], items: Sequence[T], threads: int = 1) -> float:
    """Checks per second of a blocking `check` over `items`, in the calling thread or a pool of `threads`."""
    start = time.perf_counter()
    if threads == 1:
        for item in items:
            check(item)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(check, items))
    return len(items) / (time.perf_counter() - start)
