"""The worker: runs queued jobs (enrich a ticket, deliver a note) with retries and backoff from saq.

A 429's Retry-After becomes the job's next delay; a final refusal (401/404/422) stops retrying
and is recorded for operators; anything else is retried with exponential backoff.
"""

import asyncio
import logging
import os
import socket
import time
from typing import Any

from saq import Worker
from saq.types import Context, PartialTimersDict

from ticket_link import metrics
from ticket_link.bootstrap import Components, build_components
from ticket_link.config import AppConfig
from ticket_link.errors import HelpdeskError, HelpdeskRateLimited, HelpdeskRejected
from ticket_link.events import EventConsumer
from ticket_link.links import TicketRef

log = logging.getLogger(__name__)


class WorkerContext(Context, total=False):
    """saq's job context with what `startup` puts in it."""

    components: Components


def _components(ctx: WorkerContext) -> Components:
    return ctx["components"]


async def deliver_note(ctx: WorkerContext, *, payload: str) -> str:
    c = _components(ctx)
    job = ctx["job"]
    note = c.privacy.unseal(payload)
    if await c.links.was_posted(note["key"]):
        # Posted, or said by a note for several claims (service.py): nothing left for the outbox to keep.
        await c.links.outbox_done(note["key"])
        return "already posted"
    helpdesk = c.helpdesks[note["helpdesk"]]
    public = c.config.file.notes.public
    # A retry, or a note the outbox queued again, may follow an attempt that got the note in and
    # died before saying so (a killed worker, a lost answer): look before posting.
    if (job.attempts > 1 or note.get("recovered")) and await helpdesk.has_note(
        note["ticket_id"], note["body"], public=public
    ):
        await _posted(c, note["key"])
        _delivered(helpdesk.name, note)
        return "already there"
    guard = note.get("credit_guard")
    if guard is not None and not await c.service.still_credit(TicketRef(note["helpdesk"], note["ticket_id"]), guard):
        # Another ticket claimed the tx while this "credit it" waited: that claim queued this ticket its duplicate
        # note, which says what to do now. This one is never posted.
        await c.links.outbox_done(note["key"])
        metrics.NOTES.labels(helpdesk.name, "superseded").inc()
        return "superseded"
    try:
        await helpdesk.post_note(note["ticket_id"], note["body"], public=public)
    except HelpdeskRateLimited as exc:
        job.retry_delay, job.retry_backoff = exc.retry_after, False  # honour Retry-After exactly
        metrics.NOTES.labels(helpdesk.name, "retried" if job.attempts < job.retries else "failed").inc()
        raise
    except HelpdeskRejected as exc:
        job.retries = job.attempts  # retrying a 401/404/422 cannot help
        await c.links.record_failure(helpdesk.name, note["key"], exc.message)
        await c.links.outbox_done(note["key"])
        metrics.NOTES.labels(helpdesk.name, "failed").inc()
        raise
    except HelpdeskError as exc:
        if job.attempts >= job.retries:
            await c.links.record_failure(helpdesk.name, note["key"], exc.message)
            metrics.NOTES.labels(helpdesk.name, "failed").inc()
        else:
            metrics.NOTES.labels(helpdesk.name, "retried").inc()
        raise
    await _posted(c, note["key"])
    _delivered(helpdesk.name, note)
    return "posted"


def _delivered(helpdesk: str, note: dict[str, Any]) -> None:
    metrics.NOTES.labels(helpdesk, "delivered").inc()
    if "queued_at" in note:  # notes queued before this field existed have no lag to tell
        metrics.NOTE_LAG.labels(helpdesk).observe(max(0.0, time.time() - float(note["queued_at"])))


async def _posted(c: Components, key: str) -> None:
    await c.links.mark_posted(key)
    await c.links.outbox_done(key)


async def _reconcile(c: Components, stop: asyncio.Event, every: float) -> None:
    """Queue again the notes of the outbox that should have been posted by now (see delivery.py)."""
    while not stop.is_set():
        try:
            requeued = await c.service.delivery.requeue_stale(older_than_seconds=every)
            if requeued:
                log.warning("outbox: queued %d note(s) again", requeued)
            metrics.OUTBOX.set(await c.links.outbox_size())
            metrics.OUTBOX_OLDEST.set(await c.links.outbox_oldest_age(time.time()))
        except Exception as exc:
            log.warning("outbox reconcile failed: %s", exc)
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass


async def enrich(ctx: WorkerContext, *, payload: str) -> str:
    c = _components(ctx)
    data = c.privacy.unseal(payload)
    lookups = data.get("lookups") or []
    await c.service.enrich(TicketRef(data["helpdesk"], data["ticket_id"]), data["claims"], lookups)
    return f"{len(data['claims'])} claims, {len(lookups)} lookups"


def build_worker(config: AppConfig, concurrency: int = 10, consume_events: bool = True) -> Worker[WorkerContext]:
    """The saq worker; it also runs the consumer of deposit_check's events (one per process)."""
    components = build_components(config)

    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def startup(ctx: WorkerContext) -> None:
        ctx["components"] = components
        every = max(5.0, 2.0 * config.file.delivery.job_timeout_seconds)
        tasks.append(asyncio.create_task(_reconcile(components, stop, every), name="outbox"))
        if consume_events:
            name = f"{socket.gethostname()}:{os.getpid()}"
            claim_idle_ms = config.file.delivery.claim_idle_seconds * 1000
            consumer = EventConsumer(components.events_redis, components.service, name, claim_idle_ms)
            tasks.append(asyncio.create_task(consumer.run(stop), name="deposit-events"))

    async def shutdown(ctx: WorkerContext) -> None:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await components.aclose()

    return Worker(
        components.queue,
        functions=[deliver_note, enrich],
        concurrency=concurrency,
        # Jobs of a killed worker are found by this sweep once past their timeout, and retried.
        # saq's PartialTimersDict (total=False) inherits TimersDict's required keys; its docstring says none are.
        timers=PartialTimersDict(sweep=max(1, min(60, config.file.delivery.job_timeout_seconds // 2))),  # type: ignore[typeddict-item]
        startup=startup,
        shutdown=shutdown,
    )
