"""Links between tickets and deposits, the duplicate-claim index and the posted-note markers.

This module owns ticket_link's Redis key layout. Tickets appear only as keyed hashes (lookups)
or sealed (where a ticket must be found again); tx hashes are on-chain facts, kept as they are.
"""

import hashlib
import time
from dataclasses import dataclass

import redis.asyncio as redis

from desk_common.redis_text import text
from ticket_link.privacy import Pseudonymizer

PREFIX = "tl:v1"
POSTED_TTL_SECONDS = 400 * 86_400  # a note's "posted" marker outlives any retry or redelivery


@dataclass(frozen=True)
class TicketRef:
    helpdesk: str
    ticket_id: str

    @property
    def label(self) -> str:
        """How agents see a ticket reference: helpdesk name and the helpdesk's own id."""
        return f"{self.helpdesk} #{self.ticket_id}"


def note_key(ticket_key: str, tx_hash: str, status: str) -> str:
    """The idempotency key of one note: one per (ticket, tx, status)."""
    return hashlib.sha256(f"{ticket_key}\x1f{tx_hash}\x1f{status}".encode()).hexdigest()[:40]


class Links:
    def __init__(self, client: redis.Redis, privacy: Pseudonymizer) -> None:
        self.redis = client
        self.privacy = privacy

    def ticket_key(self, ref: TicketRef) -> str:
        return self.privacy.ticket_key(ref.helpdesk, ref.ticket_id)

    async def claim(self, ref: TicketRef, tx_hash: str) -> TicketRef | None:
        """Record that `ref` claims `tx_hash`; return the earlier ticket when another claimed it first."""
        mine = self.ticket_key(ref)
        claim_key = f"{PREFIX}:claim:{tx_hash}"
        sealed = self.privacy.seal([ref.helpdesk, ref.ticket_id])
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(claim_key, "ticket", mine)
            pipe.hsetnx(claim_key, "ref", sealed)
            pipe.hsetnx(claim_key, "at", int(time.time()))
            pipe.hmget(claim_key, ["ticket", "ref"])
            pipe.hset(f"{PREFIX}:deposit:{tx_hash}:tickets", mine, sealed)
            pipe.hsetnx(f"{PREFIX}:deposit:{tx_hash}:linked_ms", mine, int(time.time() * 1000))
            pipe.sadd(f"{PREFIX}:ticket:{mine}:deposits", tx_hash)
            results = await pipe.execute()
        owner, owner_ref = results[3]
        if owner.decode() == mine:
            return None
        helpdesk, ticket_id = self.privacy.unseal(owner_ref.decode())
        return TicketRef(helpdesk, ticket_id)

    async def tickets_for(self, tx_hash: str) -> list[tuple[TicketRef, int]]:
        """Every ticket that linked this deposit, with when it did (Unix ms), for status-change notes."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(f"{PREFIX}:deposit:{tx_hash}:tickets")
            pipe.hgetall(f"{PREFIX}:deposit:{tx_hash}:linked_ms")
            sealed, linked = await pipe.execute()
        return [(TicketRef(*self.privacy.unseal(text(s))), int(linked.get(k, 0))) for k, s in sealed.items()]

    async def deposits_of(self, ref: TicketRef) -> set[str]:
        members = await self.redis.smembers(f"{PREFIX}:ticket:{self.ticket_key(ref)}:deposits")
        return {text(m) for m in members}

    # -- the outbox: every note accepted, until it is posted or refused for good ------------------

    async def outbox_add(self, key: str, sealed_payload: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(f"{PREFIX}:outbox", {key: time.time()}, nx=True)
            pipe.hset(f"{PREFIX}:outbox:payloads", key, sealed_payload)
            await pipe.execute()

    async def outbox_done(self, key: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(f"{PREFIX}:outbox", key)
            pipe.hdel(f"{PREFIX}:outbox:payloads", key)
            await pipe.execute()

    async def outbox_stale(self, older_than: float, limit: int = 100) -> list[tuple[str, str]]:
        """Notes accepted before `older_than` and still not posted: (key, sealed payload)."""
        keys = [
            text(k) for k in await self.redis.zrangebyscore(f"{PREFIX}:outbox", "-inf", older_than, start=0, num=limit)
        ]
        if not keys:
            return []
        payloads = await self.redis.hmget(f"{PREFIX}:outbox:payloads", keys)
        return [(k, text(p)) for k, p in zip(keys, payloads, strict=True) if p is not None]

    async def outbox_size(self) -> int:
        return int(await self.redis.zcard(f"{PREFIX}:outbox"))

    async def outbox_touch(self, key: str) -> None:
        await self.redis.zadd(f"{PREFIX}:outbox", {key: time.time()}, xx=True)

    async def was_posted(self, key: str) -> bool:
        return bool(await self.redis.exists(f"{PREFIX}:posted:{key}"))

    async def mark_posted(self, key: str) -> None:
        await self.redis.set(f"{PREFIX}:posted:{key}", int(time.time()), ex=POSTED_TTL_SECONDS)

    async def record_failure(self, helpdesk: str, key: str, reason: str) -> None:
        """Keep a note that could not be delivered, for operators (no ticket id, no note text)."""
        await self.redis.xadd(
            f"{PREFIX}:failed-notes", {"helpdesk": helpdesk, "note": key, "reason": reason[:200]}, maxlen=10_000
        )
