"""One chain's follower: block by block, with a constant number of node calls per block.

Per new block it asks the node for the tip and for that block (its tx ids, the outpoints they
spend, their senders' nonces), then looks those up in Redis: watched txs that got mined, watched
txs whose inputs or nonce another tx took (replaced). Confirmations of mined deposits follow from
the height alone (a sorted set by block height). Only deposits that change are asked about again.
A reorg is found by walking parent hashes back to a block we processed; deposits above the fork
are looked up again and announced if their status went back.
"""

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping

import redis.asyncio as redis

from deposit_check import metrics
from deposit_check.chains import Chain
from deposit_check.config import LookupsConfig, WatchConfig
from deposit_check.errors import DepositCheckError
from deposit_check.keys import STREAMS, ChainKeys
from deposit_check.lookups.watcher_index import Indexer, IndexWrite, forget_digests
from deposit_check.models import Block, BlockRef, Observation, Status
from deposit_check.ownership import Ownership
from deposit_check.verdict import decided_at_depth, vanished
from deposit_check.watch.changes import BLOCKS_KEPT, Changes, EventType, commit
from deposit_check.watch.judge import verdict_json, verdict_of
from deposit_check.watch.lease import Lease, LostLease
from deposit_check.watch.state import Watch
from desk_common.redis_text import text

log = logging.getLogger(__name__)

RECHECK_BATCH = 200
MAX_WALK = 200  # blocks walked back before giving up on finding the fork (then: resync)


class Follower:
    def __init__(
        self,
        chain: Chain,
        client: redis.Redis,
        config: WatchConfig,
        owner: str,
        clock: Callable[[], float] = time.time,
        ownership: Ownership | None = None,
        lookups: LookupsConfig | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """`ownership`: the index each verdict's owner is read from again (None: the owner the check knew);
        with `lookups` too, each block's payments to owned addresses are indexed (lookups/watcher_index.py)."""
        self.chain = chain
        self.names: Mapping[str, str] = names or {}  # each chain's name for people, for the events' verdicts
        self.ownership = ownership
        self.indexer = Indexer(chain, ownership, lookups) if ownership is not None and lookups is not None else None
        self.redis = client
        self.config = config
        self.owner = owner
        self.k = ChainKeys(chain.name)
        self.lease = Lease(client, self.k.lease, owner, config.lease_seconds)
        self.clock = clock
        self._stream_listed = False  # the chain's stream in STREAMS, where consumers find it (once a process)

    async def run(self, stop: asyncio.Event) -> None:
        """Follow until `stop` is set; errors are logged and the next round tries again."""
        try:
            while not stop.is_set():
                try:
                    await self.step()
                except LostLease:
                    log.warning("%s: lost the lease to another follower", self.chain.name)
                except (DepositCheckError, redis.RedisError, OSError) as exc:
                    log.warning("%s: follower round failed: %s", self.chain.name, exc)
                try:
                    await asyncio.wait_for(stop.wait(), self.config.poll_seconds)
                except TimeoutError:
                    pass
        finally:
            metrics.LEASE_HELD.labels(self.chain.name).set(0)
            self._forget_chain_gauges()
            try:
                await self.lease.release()
            except (redis.RedisError, OSError):
                pass

    async def step(self) -> bool:
        """One round: follow the chain to its tip, then look again at deposits not yet mined."""
        held = await self.lease.hold()
        metrics.LEASE_HELD.labels(self.chain.name).set(1 if held else 0)
        if not held:
            self._forget_chain_gauges()  # only the lease holder reports them: one series per chain
            return False
        if not self._stream_listed:
            # A registered watch lists the stream too, but the index's `deposit_seen` events may come first.
            await self.redis.sadd(STREAMS, self.k.events)
            self._stream_listed = True
        metrics.WATCHED.labels(self.chain.name).set(await self.redis.hlen(self.k.watches))  # one HLEN a round
        head = await self.chain.head()
        metrics.TIP.labels(self.chain.name).set(head.height)
        cursor = await self._cursor()
        if cursor is None:
            await self._commit(Changes(cursor=head))  # start from here: nothing older to catch up on
            metrics.HEIGHT.labels(self.chain.name).set(head.height)
        elif head.hash == cursor.hash:
            metrics.HEIGHT.labels(self.chain.name).set(cursor.height)
        else:
            await self._follow(head, cursor)
        await self._recheck(head.height)
        return True

    def _forget_chain_gauges(self) -> None:
        for gauge in (metrics.WATCHED, metrics.TIP, metrics.HEIGHT):
            gauge.remove(self.chain.name)  # no-op when this process never set it

    # -- blocks --------------------------------------------------------------------------

    async def _follow(self, head: BlockRef, cursor: BlockRef) -> None:
        path: list[Block] = []
        block_hash, height = head.hash, head.height
        while True:
            if height <= cursor.height and await self._known_hash(height, cursor) == block_hash:
                fork = BlockRef(height, block_hash)
                break
            if len(path) >= MAX_WALK or height < cursor.height - BLOCKS_KEPT:
                log.error("%s: no common block with our records within %d blocks; resyncing", self.chain.name, MAX_WALK)
                await self._reorg(BlockRef(-1, ""), new_cursor=head)
                return
            await self._keep_lease()  # a long walk must not outlive the lease
            block = await self.chain.block(block_hash)
            path.append(block)
            block_hash, height = block.parent_hash, block.height - 1
        if fork.height < cursor.height:
            await self._reorg(fork, new_cursor=fork)
        for block in reversed(path):
            await self._keep_lease()
            await self._process(block)

    async def _process(self, block: Block) -> None:
        started = time.perf_counter()
        await self._process_block(block)
        metrics.BLOCKS.labels(self.chain.name).inc()
        metrics.HEIGHT.labels(self.chain.name).set(block.height)
        metrics.BLOCK_SECONDS.labels(self.chain.name).observe(time.perf_counter() - started)

    async def _process_block(self, block: Block) -> None:
        now = self.clock()
        required = self.chain.required_confirmations
        spends = [s for tx in block.txs for s in tx.spends]
        nonces = [tx.sender_nonce for tx in block.txs if tx.sender_nonce]
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self.k.watches, [tx.tx_hash for tx in block.txs] or ["-"])
            pipe.hmget(self.k.spends, spends or ["-"])
            pipe.hmget(self.k.nonces, nonces or ["-"])
            pipe.zrangebyscore(self.k.confirming, "-inf", block.height - required + 1)
            pipe.zrangebyscore(self.k.settled, "-inf", block.height - required + 1 - self.config.reorg_window_blocks)
            mined_raw, spent_by, nonce_of, ripe, old = await pipe.execute()

        changes = Changes(cursor=BlockRef(block.height, block.hash))
        mined = [Watch.from_json(raw) for raw in mined_raw if raw]
        mined = await self._owned(
            [w for w in mined if w.observation.block is None or w.observation.block.hash != block.hash]
        )
        # Replaced: a watched, unmined tx whose input (or nonce) a different tx of this block took.
        # (zip is not strict: an empty list was asked as ["-"], one placeholder answer)
        takers = dict(zip(spends, spent_by, strict=False)) | dict(zip(nonces, nonce_of, strict=False))
        replaced: dict[str, str] = {}
        for tx in block.txs:
            for claim in (*tx.spends, tx.sender_nonce):
                victim = takers.get(claim) if claim else None
                if victim is not None and victim.decode() != tx.tx_hash:
                    replaced[victim.decode()] = tx.tx_hash
        for w in await self._load(replaced):
            if w.observation.block is None and not w.replaced_by:
                keep_until = now + self.config.pending_hours * 3600
                self._change(
                    changes,
                    w,
                    w.with_(replaced_by=replaced[w.tx_hash], expires_at=keep_until),
                    EventType.REPLACED,
                    now=now,
                )
        if mined:
            for w, obs in zip(
                mined, await self.chain.observe_many([(w.tx_hash, w.address) for w in mined]), strict=True
            ):
                self._observed(changes, w, obs, now)
        await self._ripen(changes, ripe, block.height, now)
        for w in await self._load((t.decode() for t in old), owned=False):
            changes.drop(w)
        if self.indexer is not None:
            changes.index, seen = await self.indexer.index(block)
            for entry, verdict in seen:
                changes.announce(
                    EventType.DEPOSIT_SEEN,
                    self.chain.name,
                    entry.tx_hash,
                    verdict.status,
                    verdict_json(self.chain, verdict, self.names),
                )
        await self._commit(changes)

    async def _ripen(
        self, changes: Changes, ripe: Iterable[bytes], tip: int, now: float, asked_at_tip: bool = True
    ) -> None:
        """Decide the mined deposits `required` blocks deep at `tip`. With a quorum the nodes must agree at this
        depth too, and a TRON block must be solidified: those are asked again (one batched call). Others are decided
        from the height alone. `asked_at_tip` False: only those not yet decided or asked at this tip."""
        ripe_watches = [
            w for w in await self._load(t.decode() for t in ripe) if asked_at_tip or w.observation.tip < tip
        ]
        again = [w for w in ripe_watches if not decided_at_depth(w.observation)]
        if again:
            for w, obs in zip(
                again, await self.chain.observe_many([(w.tx_hash, w.address) for w in again]), strict=True
            ):
                self._observed(changes, w, obs, now)
        for w in ripe_watches:
            if decided_at_depth(w.observation):
                self._change(changes, w, w, EventType.STATUS, tip=tip, now=now)

    async def _reorg(self, fork: BlockRef, new_cursor: BlockRef) -> None:
        """Blocks above `fork` are gone: ask again about every deposit mined there."""
        now = self.clock()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(self.k.confirming, f"({fork.height}", "+inf")
            pipe.zrangebyscore(self.k.settled, f"({fork.height}", "+inf")
            a, b = await pipe.execute()
        watches = await self._load(t.decode() for t in a + b)
        log.warning(
            "%s: reorg back to height %d; %d deposits to look at again", self.chain.name, fork.height, len(watches)
        )
        changes = Changes(cursor=new_cursor, forget_blocks_above=fork.height)
        if self.indexer is not None:  # the index's entries of the orphaned blocks go with them
            changes.index = IndexWrite(
                forget_above=fork.height, forget_digests=await forget_digests(self.redis, self.k, fork.height)
            )
        observations = await self.chain.observe_many([(w.tx_hash, w.address) for w in watches]) if watches else []
        for w, obs in zip(watches, observations, strict=True):
            self._observed(changes, w, obs, now, reorg=True)
        await self._commit(changes)
        metrics.REORGS.labels(self.chain.name).inc()

    # -- deposits not yet mined ---------------------------------------------------------------

    async def _recheck(self, tip: int) -> None:
        """Look again at unmined deposits that are due (one node round trip), and give up on old ones.

        Also decide the mined deposits already `required` blocks deep at `tip`: a watch registered after the
        watcher processed the block that made it deep enough (its check answered a block or two before) is in
        no later block's ripe range until the next block comes, minutes away on Bitcoin or Litecoin."""
        now = self.clock()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(self.k.expiry, "-inf", now, start=0, num=RECHECK_BATCH)
            pipe.zrangebyscore(self.k.unmined, "-inf", now, start=0, num=RECHECK_BATCH)
            pipe.zrangebyscore(
                self.k.confirming, "-inf", tip - self.chain.required_confirmations + 1, start=0, num=RECHECK_BATCH
            )
            expired_ids, due_ids, ripe = await pipe.execute()
        if not expired_ids and not due_ids and not ripe:
            return
        changes = Changes()
        await self._ripen(changes, ripe, tip, now, asked_at_tip=False)
        expired = {t.decode() for t in expired_ids}
        for w in await self._load(expired):
            changes.drop(w)
            if w.status is not Status.REPLACED:  # a replaced tx was announced already; it was only kept for the API
                changes.emit(
                    EventType.EXPIRED, w, w.status, verdict_json(self.chain, verdict_of(self.chain, w), self.names)
                )
        due = [w for w in await self._load(t.decode() for t in due_ids) if w.tx_hash not in expired]
        if due:
            for w, obs in zip(due, await self.chain.observe_many([(w.tx_hash, w.address) for w in due]), strict=True):
                if obs.found or w.status is Status.NOT_FOUND:
                    self._observed(changes, w, obs, now)
                if w.tx_hash not in changes.puts:
                    changes.rechecks[w.tx_hash] = now + self.config.recheck_seconds
        await self._commit(changes)

    # -- helpers -------------------------------------------------------------------------------

    def _observed(self, changes: Changes, old: Watch, obs: Observation, now: float, reorg: bool = False) -> None:
        if vanished(old.status, obs) and not reorg:
            return  # left the mempool: a block or the expiry will tell which way
        new = old.with_(observation=obs)
        if (obs.block is None and old.observation.block is not None) or (
            obs.block is None and obs.found and old.status is Status.NOT_FOUND
        ):
            new = new.with_(expires_at=now + self.config.pending_hours * 3600)
        self._change(changes, old, new, EventType.REORG if reorg else EventType.STATUS, now=now)

    def _change(
        self, changes: Changes, old: Watch, new: Watch, kind: EventType, now: float, tip: int | None = None
    ) -> None:
        """Record the new state; announce it when its status differs from the one last announced."""
        verdict = verdict_of(self.chain, new, tip)
        if tip is not None:
            new = new.with_(observation=dataclasses.replace(new.observation, tip=tip))
        if verdict.status is not old.status:
            # A status taken back by a reorg starts a new generation: its notes are new facts.
            went_back = kind is EventType.REORG
            new = new.with_(status=verdict.status, generation=old.generation + (1 if went_back else 0))
            changes.emit(kind, new, old.status, verdict_json(self.chain, verdict, self.names))
        changes.put(old, new)

    async def _load(self, tx_hashes: Iterable[str], owned: bool = True) -> list[Watch]:
        """The watches of `tx_hashes`; `owned`: with their address's owner as the index says now."""
        ids = list(dict.fromkeys(tx_hashes))
        if not ids:
            return []
        watches = [Watch.from_json(raw) for raw in await self.redis.hmget(self.k.watches, ids) if raw]
        return await self._owned(watches) if owned else watches

    async def _owned(self, watches: list[Watch]) -> list[Watch]:
        """`watches` with the owner the index gives now, not the one their check knew: an address withdrawn
        (or given another account) while its deposit was followed must not be confirmed as before."""
        if self.ownership is None or not watches:
            return watches
        # One round trip for all of them: a block may decide hundreds of deposits.
        owners = await self.ownership.owner_of_many(self.chain.name, [w.address for w in watches])
        return [w if w.owner == owner else w.with_(owner=owner) for w, owner in zip(watches, owners, strict=True)]

    async def _cursor(self) -> BlockRef | None:
        raw = await self.redis.get(self.k.cursor)
        if raw is None:
            return None
        height, block_hash = text(raw).split(":", 1)
        return BlockRef(int(height), block_hash)

    async def _known_hash(self, height: int, cursor: BlockRef) -> str | None:
        if height == cursor.height:
            return cursor.hash
        members = await self.redis.zrangebyscore(self.k.blocks, height, height)
        return text(members[0]).split(":", 1)[1] if members else None

    async def _keep_lease(self) -> None:
        if not await self.lease.renew():
            raise LostLease(self.k.lease)

    async def _commit(self, changes: Changes) -> None:
        await commit(self.redis, self.k, self.owner, changes, self.clock() + self.config.recheck_seconds)
        for event in changes.events:  # counted once written: a block done again after LostLease is not
            metrics.EVENTS.labels(self.chain.name, event["type"]).inc()
