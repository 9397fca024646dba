"""The rules of ticket_link: check a claim, link it to its ticket, word the note, queue it."""

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import redis.asyncio as redis

from ticket_link import metrics
from ticket_link.checker import DepositCheckClient
from ticket_link.config import NotesConfig
from ticket_link.delivery import Delivery
from ticket_link.errors import (
    ClaimDeferred,
    DepositCheckUnavailable,
    InvalidRequest,
    TicketLinkError,
    UnknownHelpdesk,
)
from ticket_link.extract import extract
from ticket_link.follow import Deposit, follow
from ticket_link.helpdesks import payload
from ticket_link.helpdesks.base import Helpdesk
from ticket_link.links import Links, TicketRef, note_key
from ticket_link.schemas import DepositClaim, DepositClaimResponse, EventType, claim_response
from ticket_link.texts import render_note, render_player_message

log = logging.getLogger(__name__)


Probe = Callable[[], Awaitable[object]]


class TicketService:
    def __init__(
        self,
        checker: DepositCheckClient,
        links: Links,
        delivery: Delivery,
        notes: NotesConfig,
        helpdesk_names: list[str],
        events: redis.Redis,
    ) -> None:
        self.checker = checker
        self.links = links
        self.delivery = delivery
        self.notes = notes
        self.helpdesk_names = helpdesk_names
        self.events = events  # where deposit_check's event streams are (ticket_link's own Redis, or its)

    @property
    def explorer_tx_urls(self) -> dict[str, str]:
        """Per chain, the explorer link of a tx (`{tx_hash}` is replaced)."""
        return self.notes.explorer_tx_urls

    def ready_checks(self) -> dict[str, Probe]:
        """What must answer for this process to be ready: its Redis, deposit_check (and its events' Redis)."""
        probes: dict[str, Probe] = {"redis": self.links.ping, "deposit_check": self.checker.ready}
        if self.events is not self.links.redis:
            probes["deposit_events"] = self.events.ping
        return probes

    async def check(
        self, tx_hash: str, address: str, *, chain: str | None, expected_amount: str | None, watch: bool
    ) -> dict[str, Any]:
        """deposit_check's verdict, no ticket involved (the form's check); `watch` has it follow the deposit."""
        return await self.checker.check(tx_hash, address, chain=chain, expected_amount=expected_amount, watch=watch)

    def follow(
        self, tx_hash: str, address: str, chain: str | None, expected_amount: str | None, *, refresh_seconds: float
    ) -> AsyncIterator[dict[str, Any]]:
        """The verdict now, then each time it changes, until final: deposit_check's events, and a re-ask."""

        async def ask(fresh: bool) -> dict[str, Any]:
            # `fresh` bypasses deposit_check's cache; watching again is how (a watched tx: no new watch).
            return await self.check(tx_hash, address, chain=chain, expected_amount=expected_amount, watch=fresh)

        return follow(self.events, Deposit(tx_hash, chain), ask, refresh_seconds=refresh_seconds)

    def ticket(self, helpdesk: str | None, ticket_id: str) -> TicketRef:
        """The ticket a request is about; the helpdesk may be left out when only one is configured."""
        if helpdesk is None:
            if len(self.helpdesk_names) != 1:
                raise InvalidRequest(f"name the helpdesk: one of {', '.join(self.helpdesk_names) or 'none configured'}")
            helpdesk = self.helpdesk_names[0]
        if helpdesk not in self.helpdesk_names:
            raise UnknownHelpdesk(f"unknown helpdesk {helpdesk!r}; configured: {', '.join(self.helpdesk_names)}")
        number = payload.ticket_id(ticket_id)
        if number is None or len(number) > 20:
            raise InvalidRequest("ticket_ref must be the helpdesk's numeric ticket id")
        return TicketRef(helpdesk, number)

    async def claim(self, ref: TicketRef, req: DepositClaim) -> DepositClaimResponse:
        """The bot and form flow: check now, answer the caller, and queue the internal note.

        With `post_note` false it only checks and answers: no link, no note, no watch (nobody
        would hear of the changes), so nothing about the ticket is stored; an unavailable
        deposit_check is DepositCheckUnavailable. With a note asked for, a claim deposit_check
        cannot answer now is queued and ClaimDeferred raised: nothing accepted is lost, the note
        follows when it answers.
        """
        try:
            verdict = await self.checker.check(
                req.tx_hash, req.address, chain=req.chain, expected_amount=req.expected_amount, watch=req.post_note
            )
        except DepositCheckUnavailable as exc:
            if not req.post_note:
                metrics.CLAIMS.labels("unavailable").inc()
                raise
            await self._claim_later(ref, req)
            raise ClaimDeferred(f"{exc.message}; the check is queued and the note will follow") from None
        message = render_player_message(verdict, language=req.lang or "en")
        if not req.post_note:
            metrics.CLAIMS.labels("checked").inc()
            return claim_response(verdict, message, None, None)
        queued, earlier = await self._note(ref, verdict)
        metrics.CLAIMS.labels("noted" if queued else "duplicate").inc()
        return claim_response(verdict, message, queued, earlier.label if earlier else None)

    async def _claim_later(self, ref: TicketRef, req: DepositClaim) -> None:
        """Queue a claim deposit_check could not answer now; a worker checks and notes it later."""
        claim = {
            "tx_hash": req.tx_hash,
            "address": req.address,
            "chain": req.chain,
            "expected_amount": req.expected_amount,
        }
        await self.delivery.enqueue_enrich(ref, [claim], enrich_key(self.links.ticket_key(ref), [claim]))
        metrics.CLAIMS.labels("deferred").inc()

    async def enrich(self, ref: TicketRef, claims: list[dict[str, Any]]) -> None:
        """Run by a worker: check every claim of a ticket and queue its note.

        DepositCheckUnavailable propagates, so the job is retried; notes already queued are not
        queued twice (their keys).
        """
        for claim in claims:
            if claim.get("address") is None:
                await self._note_without_verdict(ref, claim, "no_address")
                continue
            try:
                verdict = await self.checker.check(
                    claim["tx_hash"],
                    claim["address"],
                    chain=claim.get("chain"),
                    expected_amount=claim.get("expected_amount"),
                )
            except InvalidRequest as exc:
                await self._note_without_verdict(ref, claim, "invalid", reason=exc.message)
                continue
            await self._note(ref, verdict)

    async def on_event(self, event: dict[str, str]) -> int:
        """A status change from deposit_check's watcher: a note in every ticket that claimed the tx."""
        verdict = json.loads(event["verdict"])
        tx_hash = event["tx_hash"]
        generation = int(event.get("generation") or 0)
        status = event["status"] if event["type"] != EventType.EXPIRED else EventType.EXPIRED.value
        # Generation 0 shares its keys with the first check's notes: one note per status, whichever came first.
        key_status = status if generation == 0 else f"{status}#{generation}"
        refs = await self.links.tickets_for(tx_hash)
        written_ms = int(event.get("written_ms") or 0)
        for ref, linked_ms in refs:
            if written_ms and written_ms < linked_ms:
                # The change happened before this ticket claimed the tx: its first note, from a
                # fresher check, already says more. A late consumer must not post stale news after it.
                continue
            key = note_key(self.links.ticket_key(ref), tx_hash, key_status)
            if await self.links.was_posted(key):
                continue
            body = render_note(
                verdict,
                language=self.notes.language,
                explorer_url=self._explorer(verdict, tx_hash),
                event=event["type"],
                previous_status=event.get("previous_status") or None,
            )
            await self.delivery.enqueue_note(ref, key, body)
        return len(refs)

    def _explorer(self, verdict: dict[str, Any], tx_hash: str) -> str | None:
        chain = verdict.get("found_on") or verdict.get("chain")
        template = self.notes.explorer_tx_urls.get(chain or "")
        return template.format(tx_hash=tx_hash) if template else None

    async def accept_webhook(self, helpdesk: Helpdesk, body: bytes) -> int:
        """A verified webhook: keep the ticket id and the claims found in its text, drop the rest, queue."""
        try:
            ticket = helpdesk.read_webhook(body)
        except TicketLinkError:
            metrics.WEBHOOKS.labels(helpdesk.name, "rejected").inc()
            raise
        metrics.WEBHOOKS.labels(helpdesk.name, "accepted").inc()
        ref = self.ticket(helpdesk.name, ticket.ticket_id)
        claims = [{"tx_hash": c.tx_hash, "address": c.address} for c in extract(ticket.text)]
        del ticket, body  # nothing of the payload outlives this line but the ticket id and the claims
        if claims:
            await self.delivery.enqueue_enrich(ref, claims, enrich_key(self.links.ticket_key(ref), claims))
        return len(claims)

    async def _note(self, ref: TicketRef, verdict: dict[str, Any]) -> tuple[bool, TicketRef | None]:
        tx_hash = verdict["tx_hash"]
        earlier = await self.links.claim(ref, tx_hash)
        body = render_note(
            verdict,
            language=self.notes.language,
            explorer_url=self._explorer(verdict, tx_hash),
            earlier_ticket=earlier.label if earlier else None,
        )
        status = verdict["status"] + (":duplicate" if earlier else "")
        key = note_key(self.links.ticket_key(ref), tx_hash, status)
        if await self.links.was_posted(key):
            return False, earlier
        # A job with this key still queued makes this a no-op (saq); once posted, the marker above.
        await self.delivery.enqueue_note(ref, key, body)
        return True, earlier

    async def _note_without_verdict(
        self, ref: TicketRef, claim: dict[str, Any], status: str, reason: str | None = None
    ) -> None:
        tx_hash = claim["tx_hash"]
        key = note_key(self.links.ticket_key(ref), tx_hash, status)
        if await self.links.was_posted(key):
            return
        body = render_note(
            None, language=self.notes.language, tx_hash=tx_hash, address=claim.get("address"), reason=reason or status
        )
        await self.delivery.enqueue_note(ref, key, body)


def enrich_key(ticket_key: str, claims: list[dict[str, Any]]) -> str:
    """Same ticket, same claims: the same job, however often the webhook is redelivered."""
    text = ticket_key + "".join(
        f"|{c['tx_hash']}:{c['address']}:{c.get('chain')}:{c.get('expected_amount')}" for c in claims
    )
    return hashlib.sha256(text.encode()).hexdigest()[:40]
