"""The job queue (saq on Redis): notes to post and webhooks to enrich, each with a key.

A job's key makes a duplicate enqueue a no-op while the job exists; the "posted" marker in
links.py makes a note once-only after that. Job payloads are sealed: a queued job holds no raw
ticket id and no note text in the clear.
"""

from typing import Any

from saq import Queue

from ticket_link.config import DeliveryConfig
from ticket_link.links import TicketRef
from ticket_link.privacy import Pseudonymizer

QUEUE_NAME = "ticket_link"
JOB_TIMEOUT_SECONDS = 60
# saq keeps a finished job (and so blocks its key) this long; our own marker covers the rest.
JOB_TTL_SECONDS = 86_400


def open_queue(redis_url: str) -> Queue:
    return Queue.from_url(redis_url, name=QUEUE_NAME)


class Delivery:
    def __init__(self, queue: Queue, privacy: Pseudonymizer, config: DeliveryConfig) -> None:
        self.queue = queue
        self.privacy = privacy
        self.config = config

    def _retrying(self) -> dict[str, Any]:
        return {
            "retries": self.config.retries,
            "retry_delay": self.config.retry_delay_seconds,
            "retry_backoff": self.config.max_retry_delay_seconds,
            "timeout": JOB_TIMEOUT_SECONDS,
            "ttl": JOB_TTL_SECONDS,
        }

    async def enqueue_note(self, ref: TicketRef, key: str, body: str) -> bool:
        """Queue one note; False when a job with this key is already queued or done."""
        payload = self.privacy.seal({"helpdesk": ref.helpdesk, "ticket_id": ref.ticket_id, "key": key, "body": body})
        job = await self.queue.enqueue("deliver_note", key=f"note:{key}", payload=payload, **self._retrying())
        return job is not None

    async def enqueue_enrich(self, ref: TicketRef, claims: list[dict[str, Any]], key: str) -> bool:
        """Queue the check of a ticket's claims (from a webhook); `key` dedups redeliveries."""
        payload = self.privacy.seal({"helpdesk": ref.helpdesk, "ticket_id": ref.ticket_id, "claims": claims})
        job = await self.queue.enqueue("enrich", key=f"enrich:{key}", payload=payload, **self._retrying())
        return job is not None
