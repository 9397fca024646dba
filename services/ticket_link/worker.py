"""The worker: runs queued jobs (enrich a ticket, deliver a note) with retries and backoff from saq.

A 429's Retry-After becomes the job's next delay; a final refusal (401/404/422) stops retrying
and is recorded for operators; anything else is retried with exponential backoff.
"""

import asyncio
import logging
import os
import socket
from typing import Any

from saq import Worker

from ticket_link.bootstrap import Components, build_components
from ticket_link.config import AppConfig
from ticket_link.events import EventConsumer
from ticket_link.errors import HelpdeskError, HelpdeskRateLimited, HelpdeskRejected
from ticket_link.links import TicketRef

log = logging.getLogger(__name__)


def _components(ctx: dict[str, Any]) -> Components:
    return ctx["components"]


async def deliver_note(ctx: dict[str, Any], *, payload: str) -> str:
    c = _components(ctx)
    job = ctx["job"]
    note = c.privacy.unseal(payload)
    if await c.links.was_posted(note["key"]):
        return "already posted"
    helpdesk = c.helpdesks[note["helpdesk"]]
    try:
        await helpdesk.post_note(note["ticket_id"], note["body"], public=c.config.file.notes.public)
    except HelpdeskRateLimited as exc:
        job.retry_delay, job.retry_backoff = exc.retry_after, False  # honour Retry-After exactly
        raise
    except HelpdeskRejected as exc:
        job.retries = job.attempts  # retrying a 401/404/422 cannot help
        await c.links.record_failure(helpdesk.name, note["key"], exc.message)
        raise
    except HelpdeskError as exc:
        if job.attempts >= job.retries:
            await c.links.record_failure(helpdesk.name, note["key"], exc.message)
        raise
    await c.links.mark_posted(note["key"])
    return "posted"


async def enrich(ctx: dict[str, Any], *, payload: str) -> str:
    c = _components(ctx)
    data = c.privacy.unseal(payload)
    await c.service.enrich(TicketRef(data["helpdesk"], data["ticket_id"]), data["claims"])
    return f"{len(data['claims'])} claims"


def build_worker(config: AppConfig, concurrency: int = 10, consume_events: bool = True) -> Worker:
    """The saq worker; it also runs the consumer of deposit_check's events (one per process)."""
    components = build_components(config)

    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["components"] = components
        if consume_events:
            consumer = EventConsumer(components.redis, components.service, f"{socket.gethostname()}:{os.getpid()}")
            tasks.append(asyncio.create_task(consumer.run(stop), name="deposit-events"))

    async def shutdown(ctx: dict[str, Any]) -> None:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await components.aclose()

    return Worker(
        components.queue,
        functions=[deliver_note, enrich],
        concurrency=concurrency,
        startup=startup,
        shutdown=shutdown,
    )
