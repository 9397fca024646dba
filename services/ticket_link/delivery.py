"""The job queue (saq on Redis): notes to post and webhooks to enrich, each with a key.

A job's key makes a duplicate enqueue a no-op while the job exists; the "posted" marker in
links.py makes a note once-only after that. Job payloads are sealed: a queued job holds no raw
ticket id and no note text in the clear.
"""

import time
from typing import Any

from saq import Queue

from ticket_link import keys
from ticket_link.config import DeliveryConfig
from ticket_link.links import Links, TicketRef
from ticket_link.privacy import Pseudonymizer

# How long saq keeps a finished job's record. Its key blocks a duplicate only while the job is
# queued, running or waiting to retry: after that, the "posted" marker (links.py) does.
JOB_TTL_SECONDS = 86_400


class Delivery:
    def __init__(self, queue: Queue, privacy: Pseudonymizer, config: DeliveryConfig, links: Links) -> None:
        self.queue = queue
        self.privacy = privacy
        self.config = config
        self.links = links

    def _retrying(self) -> dict[str, Any]:
        return {
            "retries": self.config.retries,
            "retry_delay": self.config.retry_delay_seconds,
            "retry_backoff": self.config.max_retry_delay_seconds,
            "timeout": self.config.job_timeout_seconds,
            "ttl": JOB_TTL_SECONDS,
        }

    async def enqueue_note(
        self, ref: TicketRef, key: str, body: str, credit_guard: dict[str, Any] | None = None
    ) -> bool:
        """Queue one note; False when a job with this key is already queued.

        The note goes into the outbox first: whatever becomes of the job (a worker killed, a job
        aborted by the queue), the outbox keeps the note until it is posted (see `requeue_stale`).
        `credit_guard`: a note that advises crediting carries what the advice was decided from, and
        the worker decides it again before posting (`service.credit_guard`).
        """
        note = {
            "helpdesk": ref.helpdesk,
            "ticket_id": ref.ticket_id,
            "key": key,
            "body": body,
            "queued_at": time.time(),
        }
        if credit_guard is not None:
            note["credit_guard"] = credit_guard
        # queued_at: for the delivery-lag metric; it stays when the outbox queues the note again
        payload = self.privacy.seal(note)
        await self.links.outbox_add(key, payload)
        return await self._enqueue_note(key, payload)

    async def _enqueue_note(self, key: str, payload: str) -> bool:
        job = await self.queue.enqueue("deliver_note", key=keys.job("note", key), payload=payload, **self._retrying())
        return job is not None

    async def requeue_stale(self, older_than_seconds: float) -> int:
        """Queue again the outbox's notes that should have been posted by now (a no-op for those
        whose job is still queued, running or waiting to retry: saq dedups by key)."""
        stale = await self.links.outbox_stale(time.time() - older_than_seconds)
        requeued = 0
        for key, payload in stale:
            if await self.links.was_posted(key):
                await self.links.outbox_done(key)
                continue
            # Its first job may have died mid-post: the worker looks in the ticket before posting.
            recovered = self.privacy.seal({**self.privacy.unseal(payload), "recovered": True})
            requeued += await self._enqueue_note(key, recovered)
            await self.links.outbox_touch(key)
        return requeued

    async def enqueue_enrich(
        self, ref: TicketRef, claims: list[dict[str, Any]], key: str, lookups: list[dict[str, Any]] | None = None
    ) -> bool:
        """Queue the check of a ticket's claims (from a webhook), or its lookups by address; `key` dedups
        redeliveries."""
        data: dict[str, Any] = {"helpdesk": ref.helpdesk, "ticket_id": ref.ticket_id, "claims": claims}
        if lookups:
            data["lookups"] = lookups
        payload = self.privacy.seal(data)
        job = await self.queue.enqueue("enrich", key=keys.job("enrich", key), payload=payload, **self._retrying())
        await self.links.replicated("enrich job")  # the webhook (or claim) is acknowledged after this
        return job is not None
