"""Derivation ahead of use: each branch of each extended key kept `gap` addresses past its highest
index seen used (a check that found the address), progress in the index so a restart resumes."""

import asyncio
import logging

from deposit_check.ownership.codec import Derived
from deposit_check.ownership.derive import KeyDeriver
from deposit_check.ownership.index import OwnershipIndex

log = logging.getLogger(__name__)


async def derive_ahead(index: OwnershipIndex, derivers: list[KeyDeriver], batch: int) -> int:
    """One pass over every key and branch; the number of addresses added."""
    added = 0
    for deriver in derivers:
        progress = await index.backend.progress(deriver.chain)
        used = await index.backend.used(deriver.chain)
        for branch in deriver.config.branches:
            member = deriver.member(branch)
            start = progress.get(member, 0)
            target = used.get(member, -1) + 1 + deriver.config.gap
            while start < target:
                count = min(batch, target - start)
                # Elliptic-curve work (~1.7 ms an address): in a thread, so an API in the same
                # process keeps answering.
                found = await asyncio.to_thread(deriver.derive, branch, start, count)
                entries = [(a.identity, Derived(deriver.fingerprint, branch, a.index)) for a in found]
                added += await index.put_derived(deriver.chain, entries, {member: start + count})
                start += count
    return added


async def run_derivation(
    index: OwnershipIndex, derivers: list[KeyDeriver], batch: int, stop: asyncio.Event, poll_seconds: float
) -> None:
    """Derive ahead until `stop` is set, a pass every `poll_seconds` once caught up."""
    while not stop.is_set():
        added = await derive_ahead(index, derivers, batch)
        if added:
            log.info("ownership: %d addresses derived ahead", added)
        try:
            await asyncio.wait_for(stop.wait(), poll_seconds)
        except TimeoutError:
            pass
