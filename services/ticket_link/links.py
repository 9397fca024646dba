"""Links between tickets and deposits, the duplicate-claim index and the posted-note markers.

Key names come from keys.py. Tickets appear only as keyed hashes (lookups) or sealed (where a
ticket must be found again); tx hashes are on-chain facts, kept as they are.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

import redis.asyncio as redis

from desk_common.redis_connect import RedisTarget, durable
from desk_common.redis_text import text
from ticket_link import keys, metrics
from ticket_link.privacy import Pseudonymizer

POSTED_TTL_SECONDS = 400 * 86_400  # a note's "posted" marker outlives any retry or redelivery
# How long a ticket's link to a tx is kept, refreshed each time it is used. A tx some chain knows: as
# long as a note's marker, so a second claim of a real deposit is told as a duplicate for that long.
LINK_TTL_SECONDS = POSTED_TTL_SECONDS
# A hash no chain knows (yet): past the longest watch of one (deposit_check's `not_found_minutes`, at
# most a day) and its "still not found" note's retries. Found meanwhile, the link gets LINK_TTL_SECONDS.
UNKNOWN_LINK_TTL_SECONDS = 2 * 86_400

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TicketRef:
    helpdesk: str
    ticket_id: str

    @property
    def label(self) -> str:
        """How agents see a ticket reference: helpdesk name and the helpdesk's own id."""
        return f"{self.helpdesk} #{self.ticket_id}"


@dataclass(frozen=True)
class Claimant:
    """A ticket that linked a deposit: its reference, when it linked it, and its account's keyed hash."""

    ref: TicketRef
    key: str
    linked_ms: int
    account: str | None
    first: bool  # the ticket the duplicate-claim index holds as the first claimant


def note_key(ticket_key: str, tx_hash: str, status: str) -> str:
    """The idempotency key of one note: one per (ticket, tx, status)."""
    return hashlib.sha256(f"{ticket_key}\x1f{tx_hash}\x1f{status}".encode()).hexdigest()[:40]


class Links:
    def __init__(self, client: redis.Redis, privacy: Pseudonymizer, target: RedisTarget | None = None) -> None:
        """`target`: what REDIS_URL names; with replicas to wait for (Sentinel), `replicated` waits for them."""
        self.redis = client
        self.privacy = privacy
        self.target = target

    async def replicated(self, what: str) -> None:
        """Wait (WAIT, bounded) until what this process wrote so far reached a replica: a write whose loss at a
        failover would lose or repeat a note (docs/operations.md). Not reached in time: said, and carried on."""
        if self.target is None or self.target.wait_replicas <= 0:
            return
        reached = await durable(self.redis, self.target, keys.DURABLE)
        if reached is not None and reached < self.target.wait_replicas:
            metrics.UNREPLICATED.labels(what).inc()
            log.warning(
                "%s: reached %d of %d replica(s) within %d ms; a failover now could undo it",
                what,
                reached,
                self.target.wait_replicas,
                self.target.wait_ms,
            )

    async def ping(self) -> None:
        await self.redis.ping()

    def ticket_key(self, ref: TicketRef) -> str:
        return self.privacy.ticket_key(ref.helpdesk, ref.ticket_id)

    async def claim(
        self, ref: TicketRef, tx_hash: str, account: str | None = None, *, ttl: int = LINK_TTL_SECONDS
    ) -> TicketRef | None:
        """Record that `ref` claims `tx_hash` (with `account`, a keyed hash, when the claim names one);
        return the earlier ticket when another claimed it first. The link's keys are kept at least `ttl`
        seconds (a longer TTL they have stays)."""
        mine = self.ticket_key(ref)
        claim_key = keys.claim(tx_hash)
        sealed = self.privacy.seal([ref.helpdesk, ref.ticket_id])
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(claim_key, "ticket", mine)
            pipe.hsetnx(claim_key, "ref", sealed)
            pipe.hsetnx(claim_key, "at", int(time.time()))
            pipe.hmget(claim_key, ["ticket", "ref"])
            pipe.hset(keys.deposit_tickets(tx_hash), mine, sealed)
            pipe.hsetnx(keys.deposit_linked_ms(tx_hash), mine, int(time.time() * 1000))
            if account is not None:
                pipe.hset(keys.deposit_accounts(tx_hash), mine, account)
            _keep(pipe, _deposit_keys(tx_hash), ttl)
            results = await pipe.execute()
        # The ticket's list is in the ticket's slot, not the deposit's: a command of its own after the claim.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(keys.ticket_deposits(mine), tx_hash)
            _keep(pipe, [keys.ticket_deposits(mine)], ttl)
            await pipe.execute()
        owner, owner_ref = results[3]
        if text(owner) == mine:
            return None
        try:
            helpdesk, ticket_id = self.privacy.unseal(text(owner_ref))
        except ValueError:  # claimed first under another `secret` (rotated): still a duplicate, never "first"
            log.error("the first claim of a deposit cannot be read back (sealed under another secret)")
            return TicketRef(ref.helpdesk, "?")
        return TicketRef(helpdesk, ticket_id)

    async def claimants(self, tx_hash: str) -> list[Claimant]:
        """Every ticket that linked this deposit (the first claimant first, then by when they linked it)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.deposit_tickets(tx_hash))
            pipe.hgetall(keys.deposit_linked_ms(tx_hash))
            pipe.hgetall(keys.deposit_accounts(tx_hash))
            pipe.hget(keys.claim(tx_hash), "ticket")
            sealed, linked, accounts, first = await pipe.execute()
        first_key = text(first) if first is not None else None
        found = []
        for k, s in sealed.items():
            key = text(k)
            try:
                ref = TicketRef(*self.privacy.unseal(text(s)))
            except ValueError:  # sealed under another `secret` (rotated): that ticket cannot be told, the others can
                log.error("a ticket linked to a deposit cannot be read back (sealed under another secret); skipped")
                continue
            account = accounts.get(k)
            found.append(
                Claimant(ref, key, int(linked.get(k, 0)), text(account) if account else None, key == first_key)
            )
        return sorted(found, key=lambda c: (not c.first, c.linked_ms))

    async def keep(self, tx_hash: str, ticket_keys: list[str], ttl: int = LINK_TTL_SECONDS) -> None:
        """Keep a tx's links (and its tickets' lists) at least `ttl` seconds more: it turned out to exist."""
        async with self.redis.pipeline(transaction=False) as pipe:
            _keep(pipe, [*_deposit_keys(tx_hash), *(keys.ticket_deposits(k) for k in ticket_keys)], ttl)
            for k in ticket_keys:  # no longer among the ticket's unknown hashes (see `given_up`)
                pipe.zrem(keys.ticket_unknown(k), tx_hash)
            await pipe.execute()

    async def noted_unknown(self, ticket_key: str, tx_hashes: list[str]) -> None:
        """These hashes, unknown to every chain, were noted together in the ticket (see `given_up`)."""
        name = keys.ticket_unknown(ticket_key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(name, dict.fromkeys(tx_hashes, time.time()))
            pipe.expire(name, UNKNOWN_LINK_TTL_SECONDS)
            await pipe.execute()

    async def given_up(self, ticket_key: str, tx_hash: str, within: float = 60.0) -> list[str]:
        """The watcher gave up on `tx_hash`: it and the unknown hashes noted with it (up to `within` s
        later), taken off the list: they are given up on together, within the watcher's round or two."""
        name = keys.ticket_unknown(ticket_key)
        score = await self.redis.zscore(name, tx_hash)
        if score is None:
            return []
        members = [text(m) for m in await self.redis.zrangebyscore(name, "-inf", score + within)]
        if members:
            await self.redis.zrem(name, *members)
        return members

    # -- the outbox: every note accepted, until it is posted or refused for good ------------------

    async def outbox_add(self, key: str, sealed_payload: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            now = time.time()
            pipe.zadd(keys.OUTBOX, {key: now}, nx=True)
            pipe.zadd(keys.OUTBOX_ACCEPTED, {key: now}, nx=True)
            pipe.hset(keys.OUTBOX_PAYLOADS, key, sealed_payload)
            await pipe.execute()
        await self.replicated("outbox add")  # a note accepted is on a replica before anyone is told so

    async def outbox_done(self, key: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.OUTBOX, key)
            pipe.zrem(keys.OUTBOX_ACCEPTED, key)
            pipe.hdel(keys.OUTBOX_PAYLOADS, key)
            await pipe.execute()

    async def outbox_stale(self, older_than: float, limit: int = 100) -> list[tuple[str, str]]:
        """Notes accepted before `older_than` and still not posted: (key, sealed payload)."""
        stale = [text(k) for k in await self.redis.zrangebyscore(keys.OUTBOX, "-inf", older_than, start=0, num=limit)]
        if not stale:
            return []
        payloads = await self.redis.hmget(keys.OUTBOX_PAYLOADS, stale)
        return [(k, text(p)) for k, p in zip(stale, payloads, strict=True) if p is not None]

    async def outbox_size(self) -> int:
        return int(await self.redis.zcard(keys.OUTBOX))

    async def outbox_oldest_age(self, now: float) -> float:
        """Seconds since the oldest note still in the outbox was accepted (0 when it is empty)."""
        oldest = await self.redis.zrange(keys.OUTBOX_ACCEPTED, 0, 0, withscores=True)
        return max(0.0, now - float(oldest[0][1])) if oldest else 0.0

    async def outbox_touch(self, key: str) -> None:
        await self.redis.zadd(keys.OUTBOX, {key: time.time()}, xx=True)

    async def was_posted(self, key: str) -> bool:
        return bool(await self.redis.exists(keys.posted(key)))

    async def mark_posted(self, key: str) -> None:
        await self.redis.set(keys.posted(key), int(time.time()), ex=POSTED_TTL_SECONDS)
        await self.replicated("posted marker")  # lost at a failover, the note would be posted again

    async def once(self, key: str, ttl: int) -> bool:
        """True the first time within `ttl` seconds for this note key (the others: it is queued already)."""
        return bool(await self.redis.set(keys.once(key), 1, ex=ttl, nx=True))

    async def mark_noted(self, note_keys: list[str], ttl: int = UNKNOWN_LINK_TTL_SECONDS) -> None:
        """Count these notes as posted for `ttl` seconds: what another note (one for several claims) said."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in note_keys:
                pipe.set(keys.posted(key), int(time.time()), ex=ttl, nx=True)
            await pipe.execute()

    async def record_failure(self, helpdesk: str, key: str, reason: str) -> None:
        """Keep a note that could not be delivered, for operators (no ticket id, no note text)."""
        await self.redis.xadd(
            keys.FAILED_NOTES, {"helpdesk": helpdesk, "note": key, "reason": reason[:200]}, maxlen=10_000
        )


def _deposit_keys(tx_hash: str) -> list[str]:
    return [
        keys.claim(tx_hash),
        keys.deposit_tickets(tx_hash),
        keys.deposit_linked_ms(tx_hash),
        keys.deposit_accounts(tx_hash),
    ]


def _keep(pipe: "redis.client.Pipeline", names: list[str], ttl: int) -> None:
    """A TTL of at least `ttl` on each key: set where there is none (NX), lengthened where shorter (GT)."""
    for name in names:
        pipe.expire(name, ttl, nx=True)
        pipe.expire(name, ttl, gt=True)
