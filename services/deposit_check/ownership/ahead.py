"""Derivation ahead of use: each branch of each extended key kept `gap` addresses past its highest
index seen used (a check that found the address), progress in the index so a restart resumes.

One loop derives a chain at a time: it holds the chain's lease (as the watcher's follower does), renewed
while it derives, and each batch's write (entries and progress) is fenced by it: a loop that lost the lease
(paused past its TTL, then resumed) writes nothing, so two loops never count addresses twice nor take a
branch's progress back."""

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from deposit_check.ownership.codec import Derived
from deposit_check.ownership.derive import KeyDeriver
from deposit_check.ownership.index import OwnershipIndex
from deposit_check.watch.lease import Lease, LostLease

log = logging.getLogger(__name__)


async def derive_ahead(
    index: OwnershipIndex,
    derivers: list[KeyDeriver],
    batch: int,
    leases: Mapping[str, Lease] | None = None,
) -> int:
    """One pass over every key and branch; the number of addresses added. With `leases` (one per chain), a
    chain's batch is written only while this loop holds its lease (the write itself fenced by it)."""
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
                lease = None if leases is None else leases[deriver.chain]
                entries = [(a.identity, Derived(deriver.fingerprint, branch, a.index)) for a in found]
                try:
                    # Renewed first: a write fenced by a lease about to lapse would be refused for nothing.
                    if lease is not None and not await lease.renew():
                        raise LostLease(lease.key)
                    added += await index.put_derived(deriver.chain, entries, {member: start + count}, lease)
                except LostLease:
                    log.warning("ownership: lost the derivation lease of %s to another loop", deriver.chain)
                    return added
                start += count
    return added


async def derive_held(
    index: OwnershipIndex, derivers: list[KeyDeriver], batch: int, leases: Mapping[str, Lease] | None
) -> int:
    """One pass over the chains whose lease this loop holds (all of them without `leases`)."""
    if leases is None:
        return await derive_ahead(index, derivers, batch)
    held = {chain: lease for chain, lease in leases.items() if await lease.hold()}
    if not held:
        return 0
    # Renewed while a batch is derived too: a batch may take longer than the lease (derive_batch is
    # up to 100,000 addresses, minutes), and a lease lapsed mid-batch would throw the batch away.
    keeper = asyncio.create_task(_keep(list(held.values())))
    try:
        return await derive_ahead(index, [d for d in derivers if d.chain in held], batch, held)
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper


async def _keep(leases: list[Lease]) -> None:
    while True:
        await asyncio.sleep(min(lease.ttl_ms for lease in leases) / 3000)
        for lease in leases:
            await lease.renew()  # False when lost: the batch's own check before writing says so


async def run_derivation(
    index: OwnershipIndex,
    derivers: list[KeyDeriver],
    batch: int,
    stop: asyncio.Event,
    poll_seconds: float,
    leases: Mapping[str, Lease] | None = None,
) -> None:
    """Derive ahead until `stop` is set, a pass every `poll_seconds` once caught up. With `leases` (one per
    chain), a pass derives only the chains whose lease this loop holds; the others wait for it to be free."""
    try:
        while not stop.is_set():
            added = await derive_held(index, derivers, batch, leases)
            if added:
                log.info("ownership: %d addresses derived ahead", added)
            try:
                await asyncio.wait_for(stop.wait(), poll_seconds)
            except TimeoutError:
                pass
    finally:
        for lease in (leases or {}).values():
            await lease.release()  # only if held (checked in Redis): the next loop takes over on its next pass
