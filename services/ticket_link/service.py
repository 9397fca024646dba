"""The rules of ticket_link: check a claim, link it to its ticket, word the note, queue it."""

import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as redis

from ticket_link import locate, lookups, metrics
from ticket_link.advice import Advice, Match, advise, match_of, owner_of
from ticket_link.caps import Admission, ClaimCaps
from ticket_link.checker import DepositCheckClient
from ticket_link.config import ClaimsConfig, NotesConfig
from ticket_link.delivery import Delivery
from ticket_link.errors import (
    AddressNeeded,
    ClaimDeferred,
    DepositCheckUnavailable,
    InvalidRequest,
    TicketLinkError,
    UnknownHelpdesk,
)
from ticket_link.extract import extract, extract_lookups
from ticket_link.follow import Deposit, follow
from ticket_link.helpdesks import payload
from ticket_link.helpdesks.base import Helpdesk
from ticket_link.links import LINK_TTL_SECONDS, UNKNOWN_LINK_TTL_SECONDS, Claimant, Links, TicketRef, note_key
from ticket_link.locate import Located, Outcome
from ticket_link.schemas import (
    AddressOwner,
    DepositClaim,
    DepositClaimResponse,
    DepositLookup,
    DepositLookupResponse,
    DepositStatus,
    DuplicateClaim,
    EventType,
    claim_response,
)
from ticket_link.texts import (
    render_capped_note,
    render_located_note,
    render_lookup_message,
    render_lookup_note,
    render_not_found_note,
    render_note,
    render_player_message,
)

log = logging.getLogger(__name__)


Probe = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class ClaimOutcome:
    """A claim's answer for the caller, and (for agents only: the form) the ticket that claimed the tx first."""

    answer: DepositClaimResponse
    earlier_ticket: str | None


@dataclass(frozen=True)
class Standing:
    """One ticket among those claiming a tx: what its note says about the others and the account."""

    match: Match
    duplicate: bool
    rival_matched: bool  # another claiming ticket carries the address's account too
    earlier_ticket: str | None  # the first claimant, when this ticket is not it
    later_tickets: str | None  # the others, when this ticket is the first


def standing(claimants: list[Claimant], me: str, verdict_account: str | None) -> Standing:
    """Where ticket `me` (its key) stands among the claimants of a tx, the verdict's account (keyed hash) given."""
    others = [c for c in claimants if c.key != me]
    mine = next((c for c in claimants if c.key == me), None)
    first = next((c for c in claimants if c.first), None)
    am_first = first is None or first.key == me
    return Standing(
        match=match_of(mine.account if mine else None, verdict_account),
        duplicate=bool(others),
        rival_matched=any(match_of(c.account, verdict_account) is Match.MATCHED for c in others),
        earlier_ticket=None if am_first or first is None else first.ref.label,
        later_tickets=", ".join(c.ref.label for c in others) if am_first and others else None,
    )


def key_status(status: str, where: Standing) -> str:
    """What a note's idempotency key says beside the ticket and the tx: the status, whether other tickets claim
    the tx, and the account match when known. A claim whose account changed (a webhook redelivered with another
    account field) is a new fact with a new note; the same claim again is the same note."""
    return (
        status + (":duplicate" if where.duplicate else "") + ("" if where.match is Match.UNKNOWN else f":{where.match}")
    )


def credit_guard(verdict: dict[str, Any], where: Standing, verdict_account: str | None) -> dict[str, Any] | None:
    """For a note that advises crediting: what its advice was decided from, so that the worker decides it again
    from the claimants at delivery time (`TicketService.still_credit`). None for any other note: a later claim
    can only take a "credit it" back, never give one."""
    status, owner = str(verdict.get("status")), owner_of(verdict.get("address_owner"))
    if advise(status, owner, where.match, where.duplicate, rival_matched=where.rival_matched) is not Advice.CREDIT:
        return None
    return {"tx_hash": verdict["tx_hash"], "status": status, "address_owner": owner.value, "account": verdict_account}


class TicketService:
    def __init__(
        self,
        checker: DepositCheckClient,
        links: Links,
        delivery: Delivery,
        notes: NotesConfig,
        helpdesk_names: list[str],
        events: redis.Redis,
        caps: ClaimCaps | None = None,
    ) -> None:
        self.checker = checker
        self.caps = caps or ClaimCaps(ClaimsConfig(), links.redis)
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

    async def locate(self, tx_hash: str) -> dict[str, Any]:
        """Where a tx is by its hash alone (deposit_check's `/v1/locate`; no ticket involved: the form's check of a
        hash pasted with no address). DepositCheckUnavailable when deposit_check cannot answer at all; an answer may
        still name chains that did not (`unavailable`): the caller says so."""
        answer = await self.checker.locate(tx_hash)
        metrics.LOCATED.labels(locate.pick(answer).outcome.value).inc()
        return answer

    async def lookup(
        self,
        address: str,
        *,
        chain: str | None = None,
        asset: str | None = None,
        expected_amount: str | None = None,
        since: datetime | None = None,
    ) -> dict[str, Any]:
        """The deposits deposit_check finds to `address` (no ticket involved: the form's list of candidates)."""
        request = {"address": address, "chain": chain, "asset": asset, "expected_amount": expected_amount}
        request["since"] = since.isoformat() if since else None
        answer, _ = await lookups.ask(self.checker, request)
        return answer

    async def note_lookup(self, ref: TicketRef, request: dict[str, Any]) -> bool:
        """Run by a worker for a ticket naming an address and no hash: queue the note listing the candidate
        deposits (or saying none was found within what was searched). False when that same note was posted.

        DepositCheckUnavailable propagates (the job is retried): an empty list is noted only when every source
        answered. deposit_check's 4xx is logged by its code and noted nowhere (the address passed our shape
        check, so it is another network's or a chain not configured: nothing to list)."""
        try:
            answer, asked = await lookups.ask(self.checker, request)
        except InvalidRequest as exc:
            log.info("lookup refused by deposit_check (%s): no note", exc.code)
            return False
        return await self._note_candidates(ref, asked, answer)

    async def bot_lookup(self, ref: TicketRef, req: DepositLookup) -> DepositLookupResponse:
        """The bot API's lookup by address: ask deposit_check now, answer the candidates and a player message, and
        (unless `post_note` is false) queue the note the webhook path would, once per candidate list.

        As a claim: with a note asked for, it counts against the claim caps (ClaimsCapped), and a lookup
        deposit_check cannot answer now is queued for the worker (the note follows) and ClaimDeferred raised;
        without one, nothing about the ticket is stored and DepositCheckUnavailable is raised. deposit_check's 4xx
        is a 422 naming the field; an asset it does not know is not dropped silently, as a ticket's hint is."""
        request: dict[str, Any] = {
            "address": req.address,
            "chain": req.chain,
            "asset": req.asset,
            "expected_amount": req.expected_amount,
            "since": req.since.isoformat() if req.since else None,
        }
        mine = self.links.ticket_key(ref)
        if req.post_note:
            admission = await self.caps.admit(ref.helpdesk, mine, 1)
            if not admission.admitted:
                metrics.CLAIMS.labels("capped").inc()
                raise admission.refusal()
        try:
            answer, asked = await lookups.ask(self.checker, request, drop_unknown_asset=False)
        except InvalidRequest as exc:
            raise lookups.refusal(exc) from None
        except DepositCheckUnavailable as exc:
            if not req.post_note:
                raise
            await self.delivery.enqueue_enrich(ref, [], lookups.lookup_job_key(mine, [request]), lookups=[request])
            raise ClaimDeferred(f"{exc.message}; the lookup is queued and the note will follow") from None
        queued = await self._note_candidates(ref, asked, answer) if req.post_note else None
        message = render_lookup_message(answer, language=req.lang or "en", noted=req.post_note)
        return lookups.response(answer, message, queued)

    async def _note_candidates(self, ref: TicketRef, asked: dict[str, Any], answer: dict[str, Any]) -> bool:
        """Queue the note listing a lookup's candidates; False when that same note was posted (or is queued)."""
        key = lookups.lookup_note_key(self.links.ticket_key(ref), asked, answer)
        if await self.links.was_posted(key):
            return False
        body = render_lookup_note(
            answer,
            language=self.notes.language,
            address=asked["address"],
            expected_amount=asked.get("expected_amount"),
            asset=asked.get("asset"),
            since=asked.get("since"),
            limit=lookups.LIMIT,
        )
        return await self.delivery.enqueue_note(ref, key, body)

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
        if number is None:  # normalized: `0123` is ticket 123, never a second owner of its claims
            raise InvalidRequest("ticket_ref must be the helpdesk's numeric ticket id (1 to 2^63-1)")
        return TicketRef(helpdesk, number)

    def account_key(self, account: str | None) -> str | None:
        """A claim's account reference as ticket_link keeps it: keyed-hashed, never the reference itself."""
        return self.links.privacy.account_key(account) if account else None

    def _verdict_account(self, verdict: dict[str, Any]) -> str | None:
        account = verdict.get("account")
        return self.links.privacy.account_key(account) if isinstance(account, str) and account else None

    async def _event_account(
        self, event: dict[str, str], verdict: dict[str, Any], claimants: list[Claimant]
    ) -> str | None:
        """The keyed hash of the address's account for an event's notes. Events carry no account reference (a
        stream is storage: docs/api.md "Events"), so deposit_check is asked, only when a claimant has an account
        to compare and the address is the casino's (its answer is cached). DepositCheckUnavailable propagates:
        the event stays pending and is handled again later, never noted without its account."""
        if "account" in verdict:  # written by a deposit_check from before events left the account out
            return self._verdict_account(verdict)
        if owner_of(verdict.get("address_owner")) is not AddressOwner.CASINO or not any(c.account for c in claimants):
            return None
        answer = await self.checker.check(
            verdict["tx_hash"],
            verdict["address"],
            chain=verdict.get("chain") or event.get("chain"),
            expected_amount=verdict.get("expected_amount"),
            watch=False,
        )
        return self._verdict_account(answer)

    async def still_credit(self, ref: TicketRef, guard: dict[str, Any]) -> bool:
        """Run by the worker before it posts a note that advised crediting: the advice decided again from the
        tickets claiming the tx now. A claim that came while the note waited (another ticket, no account binding
        to tell them apart) takes the "credit it" back; that claim queued this ticket its duplicate note."""
        claimants = await self.links.claimants(guard["tx_hash"])
        where = standing(claimants, self.links.ticket_key(ref), guard.get("account"))
        owner = owner_of(guard.get("address_owner"))
        advice = advise(guard["status"], owner, where.match, where.duplicate, rival_matched=where.rival_matched)
        return advice is Advice.CREDIT

    async def claim(self, ref: TicketRef, req: DepositClaim) -> ClaimOutcome:
        """The bot and form flow: check now, answer the caller, and queue the internal note.

        With `post_note` false it only checks and answers: no link, no note, no watch (nobody
        would hear of the changes), so nothing about the ticket is stored; an unavailable
        deposit_check is DepositCheckUnavailable. With a note asked for, a claim deposit_check
        cannot answer now is queued and ClaimDeferred raised: nothing accepted is lost, the note
        follows when it answers. The answer tells whether other tickets claim the tx and whether
        the account matched, never which tickets: `earlier_ticket` is for agents only.
        """
        account = self.account_key(req.account)
        if req.post_note:  # a check alone stores nothing: the API key's rate bounds it
            admission = await self.caps.admit(ref.helpdesk, self.links.ticket_key(ref), 1)
            if not admission.admitted:
                metrics.CLAIMS.labels("capped").inc()
                raise admission.refusal()
        located = req.address is None
        if located:
            req = await self._claim_located(ref, req, account)
        assert req.address is not None  # located, or given
        try:
            verdict = await self.checker.check(
                req.tx_hash, req.address, chain=req.chain, expected_amount=req.expected_amount, watch=req.post_note
            )
        except DepositCheckUnavailable as exc:
            if not req.post_note:
                metrics.CLAIMS.labels("unavailable").inc()
                raise
            await self._claim_later(ref, req, account)
            raise ClaimDeferred(f"{exc.message}; the check is queued and the note will follow") from None
        language = req.lang or "en"
        if not req.post_note:
            metrics.CLAIMS.labels("checked").inc()
            match = match_of(account, self._verdict_account(verdict))
            message = render_player_message(verdict, language=language, account_match=match)
            return ClaimOutcome(claim_response(verdict, message, None, None), None)
        queued, mine = await self._note(ref, verdict, account, located=located)
        metrics.CLAIMS.labels("noted" if queued else "duplicate").inc()
        message = render_player_message(verdict, language=language, account_match=mine.match, duplicate=mine.duplicate)
        duplicate = None
        if mine.duplicate:
            matched = None if mine.match is Match.UNKNOWN else mine.match is Match.MATCHED
            duplicate = DuplicateClaim(duplicate=True, account_matched=matched)
        return ClaimOutcome(claim_response(verdict, message, queued, duplicate), mine.earlier_ticket)

    async def _claim_located(self, ref: TicketRef, req: DepositClaim, account: str | None) -> DepositClaim:
        """A bot's claim with no address: the claim with the one casino address the tx paid and its chain
        (deposit_check's `/v1/locate`), else AddressNeeded (422) naming what was found, the located note queued
        when a note is asked for. deposit_check unavailable: queued as any claim (the worker locates it), or
        DepositCheckUnavailable without a note."""
        try:
            answer = await locate.ask(self.checker, req.tx_hash)
        except InvalidRequest as exc:
            refused = InvalidRequest(f"tx_hash: deposit_check refused it ({exc.code})")
            refused.code = exc.code
            raise refused from None
        except DepositCheckUnavailable as exc:
            if not req.post_note:
                metrics.CLAIMS.labels("unavailable").inc()
                raise
            await self._claim_later(ref, req, account)
            raise ClaimDeferred(f"{exc.message}; the claim is queued and the note will follow") from None
        found = locate.pick(answer)
        metrics.LOCATED.labels(found.outcome.value).inc()
        if found.outcome is Outcome.PAIRED:
            return req.model_copy(update={"address": found.address, "chain": found.chain})
        noted = await self._note_located(ref, req.tx_hash, found, answer) if req.post_note else None
        needed = AddressNeeded(f"address: {locate.WHY[found.outcome]}; ask the player for the deposit address")
        needed.located, needed.noted = answer, noted  # for the form's card (the bot's 422 says the message only)
        raise needed

    async def _claim_later(self, ref: TicketRef, req: DepositClaim, account: str | None) -> None:
        """Queue a claim deposit_check could not answer now; a worker checks and notes it later."""
        claim = {
            "tx_hash": req.tx_hash,
            "address": req.address,
            "chain": req.chain,
            "expected_amount": req.expected_amount,
            "account": account,  # keyed hash: the queue holds no account reference
        }
        await self.delivery.enqueue_enrich(ref, [claim], enrich_key(self.links.ticket_key(ref), [claim]))
        metrics.CLAIMS.labels("deferred").inc()

    async def enrich(
        self, ref: TicketRef, claims: list[dict[str, Any]], lookup_requests: list[dict[str, Any]] | None = None
    ) -> None:
        """Run by a worker: check every claim of a ticket and queue its note; note each lookup's candidates.

        DepositCheckUnavailable propagates, so the job is retried; notes already queued are not
        queued twice (their keys). The hashes no chain knows, claimed by this ticket alone, share one note.
        """
        for request in lookup_requests or []:
            await self.note_lookup(ref, request)
        unknown: list[dict[str, Any]] = []
        for claim in claims:
            located = claim.get("address") is None
            if located:
                # No address: where is the tx? One casino address paid on one chain makes it a normal claim.
                found = await self._locate(ref, claim)
                if found is None:
                    continue
                claim = {**claim, "address": found.address, "chain": found.chain}
            try:
                verdict = await self.checker.check(
                    claim["tx_hash"],
                    claim["address"],
                    chain=claim.get("chain"),
                    expected_amount=claim.get("expected_amount"),
                )
            except InvalidRequest as exc:
                # The code only: deposit_check's message may quote the player's input (the note must not).
                await self._note_without_verdict(ref, claim, "invalid", reason=exc.code)
                continue
            if verdict.get("status") == DepositStatus.NOT_FOUND and await self._alone(ref, verdict, claim):
                unknown.append(verdict)
                continue
            await self._note(ref, verdict, claim.get("account"), located=located)
        if unknown:
            await self._note_not_found(ref, unknown)

    async def _locate(self, ref: TicketRef, claim: dict[str, Any]) -> Located | None:
        """Where a claim's tx is, by its hash alone (deposit_check's `/v1/locate`): the chain and casino address to
        check it with when it paid exactly one, else None once the note saying what was found is queued.
        DepositCheckUnavailable propagates (the job is retried, as a check is): also when no chain holds the tx while
        one could not be asked."""
        tx_hash = claim["tx_hash"]
        try:
            answer = await locate.ask(self.checker, tx_hash)
        except InvalidRequest as exc:
            await self._note_without_verdict(ref, claim, "invalid", reason=exc.code)
            return None
        found = locate.pick(answer)
        metrics.LOCATED.labels(found.outcome.value).inc()
        if found.outcome is Outcome.PAIRED:
            return found
        await self._note_located(ref, tx_hash, found, answer)
        return None

    async def _note_located(self, ref: TicketRef, tx_hash: str, found: Located, answer: dict[str, Any]) -> bool:
        """Queue the note of a located tx that gives no one casino address; False when that same note was posted."""
        key = locate.located_note_key(self.links.ticket_key(ref), tx_hash, found, answer)
        if await self.links.was_posted(key):
            return False
        body = render_located_note(
            answer,
            language=self.notes.language,
            tx_hash=tx_hash,
            outcome=found.outcome.value,
            explorer_urls=self.notes.explorer_tx_urls,
        )
        return await self.delivery.enqueue_note(ref, key, body)

    async def _alone(self, ref: TicketRef, verdict: dict[str, Any], claim: dict[str, Any]) -> bool:
        """Link a tx no chain knows (briefly: UNKNOWN_LINK_TTL_SECONDS); True when no other ticket claims it."""
        earlier = await self.links.claim(ref, verdict["tx_hash"], claim.get("account"), ttl=UNKNOWN_LINK_TTL_SECONDS)
        return earlier is None and len(await self.links.claimants(verdict["tx_hash"])) == 1

    async def _note_not_found(self, ref: TicketRef, verdicts: list[dict[str, Any]]) -> None:
        """One note for the hashes of one webhook that no chain knows; a hash noted so before is left out."""
        mine = self.links.ticket_key(ref)
        fresh = []
        for verdict in verdicts:
            if not await self.links.was_posted(note_key(mine, verdict["tx_hash"], DepositStatus.NOT_FOUND)):
                fresh.append(verdict)
        if not fresh:
            return
        if len(fresh) == 1:  # the note of one claim, as any other status has
            await self._note(ref, fresh[0], None)
            return
        key = note_key(mine, ",".join(sorted(v["tx_hash"] for v in fresh)), DepositStatus.NOT_FOUND)
        body = render_not_found_note(fresh, language=self.notes.language)
        await self.delivery.enqueue_note(ref, key, body)
        # Each hash counts as noted (a later message naming it again adds nothing), for as long as its link.
        await self.links.mark_noted([note_key(mine, v["tx_hash"], DepositStatus.NOT_FOUND) for v in fresh])
        await self.links.noted_unknown(mine, [v["tx_hash"] for v in fresh])

    async def on_event(self, event: dict[str, str]) -> int:
        """A status change from deposit_check's watcher: a note in every ticket that claimed the tx."""
        if event.get("type") == EventType.DEPOSIT_SEEN:
            return 0  # not a status change of a claimed deposit: its `status` events say that (issue 14 adds its use)
        verdict = json.loads(event["verdict"])
        tx_hash = event["tx_hash"]
        generation = int(event.get("generation") or 0)
        status = event["status"] if event["type"] != EventType.EXPIRED else EventType.EXPIRED.value
        # Generation 0 shares its keys with the first check's notes: one note per status, whichever came first.
        status_key = status if generation == 0 else f"{status}#{generation}"
        claimants = await self.links.claimants(tx_hash)
        if claimants and event["status"] != DepositStatus.NOT_FOUND:  # it exists: its links are kept long
            await self.links.keep(tx_hash, [c.key for c in claimants])
        written_ms = int(event.get("written_ms") or 0)
        verdict_account = await self._event_account(event, verdict, claimants)
        for claimant in claimants:
            if written_ms and written_ms < claimant.linked_ms:
                # The change happened before this ticket claimed the tx: its first note, from a
                # fresher check, already says more. A late consumer must not post stale news after it.
                continue
            if (
                event["type"] == EventType.EXPIRED
                and len(claimants) == 1
                and await self._note_given_up(claimant, event)
            ):
                continue
            where = standing(claimants, claimant.key, verdict_account)
            # A duplicate's first note has the ":duplicate" key: the same status from the watcher is the same note.
            key = note_key(claimant.key, tx_hash, key_status(status_key, where))
            if await self.links.was_posted(key):
                continue
            body = self._render(
                verdict, where, event=event["type"], previous_status=event.get("previous_status") or None
            )
            guard = credit_guard(verdict, where, verdict_account)
            await self.delivery.enqueue_note(claimant.ref, key, body, credit_guard=guard)
        return len(claimants)

    async def _note_given_up(self, claimant: Claimant, event: dict[str, str]) -> bool:
        """The watcher gave up on a hash no chain knew, noted with others of the ticket: one note for all
        of them (the others' own expired events then find their notes posted). False: not such a hash."""
        found = await self.links.given_up(claimant.key, event["tx_hash"])
        if len(found) < 2:
            return False
        verdict = json.loads(event["verdict"])
        verdicts = [{**verdict, "tx_hash": tx} for tx in found]  # same chain, address and status: all unknown
        key = note_key(claimant.key, ",".join(sorted(found)), EventType.EXPIRED.value)
        if not await self.links.was_posted(key):
            body = render_not_found_note(verdicts, language=self.notes.language, expired=True)
            await self.delivery.enqueue_note(claimant.ref, key, body)
        await self.links.mark_noted([note_key(claimant.key, tx, EventType.EXPIRED.value) for tx in found])
        return True

    def _render(
        self,
        verdict: dict[str, Any],
        where: Standing,
        *,
        event: str | None = None,
        previous_status: str | None = None,
        located: bool = False,
    ) -> str:
        return render_note(
            verdict,
            language=self.notes.language,
            explorer_url=self._explorer(verdict, verdict["tx_hash"]),
            earlier_ticket=where.earlier_ticket,
            later_ticket=where.later_tickets,
            account_match=where.match,
            rival_matched=where.rival_matched,
            event=event,
            previous_status=previous_status,
            located=located,
        )

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
        # The ticket's account, from the field the operator configured (`account_field`), kept keyed-hashed only.
        account = self.account_key(payload.account(payload.load(body, helpdesk.name), helpdesk.account_field))
        claims = [{"tx_hash": c.tx_hash, "address": c.address, "account": account} for c in extract(ticket.text)]
        # No hash at all: the addresses it names are looked up, with the amount and time the player gave.
        found = [] if claims else extract_lookups(ticket.text, datetime.now(UTC), min(3, self.caps.config.per_webhook))
        del ticket, body  # nothing of the payload outlives this line but the ticket id, the claims and lookups
        if found:
            return await self._accept_lookups(ref, [f.request() for f in found])
        if not claims:
            return 0
        mine = self.links.ticket_key(ref)
        over = len(claims) - self.caps.config.per_webhook
        claims = claims[: self.caps.config.per_webhook]
        admission = await self.caps.admit(ref.helpdesk, mine, len(claims))
        if over > 0:
            per_webhook = Admission(len(claims), self.caps.per_webhook, int(time.time() // 60), 60)
            await self._note_capped(ref, per_webhook, over)
        if admission.admitted < len(claims):
            await self._note_capped(ref, admission, len(claims) - admission.admitted)
            claims = claims[: admission.admitted]
        if claims:
            await self.delivery.enqueue_enrich(ref, claims, enrich_key(mine, claims))
        return len(claims)

    async def _accept_lookups(self, ref: TicketRef, requests: list[dict[str, Any]]) -> int:
        """Queue a ticket's lookups by address, each counted against the claim caps as a claim is."""
        mine = self.links.ticket_key(ref)
        admission = await self.caps.admit(ref.helpdesk, mine, len(requests))
        if admission.admitted < len(requests):
            await self._note_capped(ref, admission, len(requests) - admission.admitted)
            requests = requests[: admission.admitted]
        if requests:
            await self.delivery.enqueue_enrich(ref, [], lookups.lookup_job_key(mine, requests), lookups=requests)
        return len(requests)

    async def _note_capped(self, ref: TicketRef, admission: Admission, dropped: int) -> None:
        """Claims dropped over a cap: one note per ticket, cap and window, naming the cap (not one per claim)."""
        metrics.CLAIMS.labels("capped").inc(dropped)
        key = note_key(self.links.ticket_key(ref), f"cap:{admission.window}", admission.cap or "")
        # Concurrent webhooks of one ticket all reach here: only the first queues the note.
        if await self.links.once(key, ttl=admission.retry_after + 60) and not await self.links.was_posted(key):
            body = render_capped_note(admission.cap or "", dropped, language=self.notes.language)
            await self.delivery.enqueue_note(ref, key, body)

    async def _note(
        self, ref: TicketRef, verdict: dict[str, Any], account: str | None, *, located: bool = False
    ) -> tuple[bool, Standing]:
        """Link the claim and queue its note; with other tickets claiming the tx, queue each of them a
        "duplicate" note too (its own key per claiming ticket and status), so none is left saying "credit it".
        `located`: the address was found by the tx's hash (the ticket gave none); its note says so."""
        tx_hash = verdict["tx_hash"]
        mine = self.links.ticket_key(ref)
        unknown = verdict["status"] == DepositStatus.NOT_FOUND  # kept briefly: anyone can name made-up hashes
        earlier = await self.links.claim(
            ref, tx_hash, account, ttl=UNKNOWN_LINK_TTL_SECONDS if unknown else LINK_TTL_SECONDS
        )
        claimants = await self.links.claimants(tx_hash)
        verdict_account = self._verdict_account(verdict)
        where = standing(claimants, mine, verdict_account)
        if earlier is not None and where.earlier_ticket is None:  # the first claimant's ref cannot be read back
            where = Standing(where.match, True, where.rival_matched, earlier.label, None)
        for other in claimants:
            if other.key == mine:
                continue
            theirs = standing(claimants, other.key, verdict_account)
            other_key = note_key(other.key, tx_hash, f"{key_status(verdict['status'], theirs)}:{mine}")
            if not await self.links.was_posted(other_key):
                await self.delivery.enqueue_note(
                    other.ref,
                    other_key,
                    self._render(verdict, theirs),
                    credit_guard=credit_guard(verdict, theirs, verdict_account),
                )
        key = note_key(mine, tx_hash, key_status(verdict["status"], where))
        if await self.links.was_posted(key):
            return False, where
        # A job with this key still queued makes this a no-op (saq); once posted, the marker above.
        guard = credit_guard(verdict, where, verdict_account)
        await self.delivery.enqueue_note(ref, key, self._render(verdict, where, located=located), credit_guard=guard)
        return True, where

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
    """Same ticket, same claims: the same job, however often the webhook is redelivered. A claim's account (its
    keyed hash) is part of it: a redelivery whose account field changed is checked again, not dropped as a copy."""
    text = ticket_key + "".join(
        f"|{c['tx_hash']}:{c['address']}:{c.get('chain')}:{c.get('expected_amount')}:{c.get('account')}" for c in claims
    )
    return hashlib.sha256(text.encode()).hexdigest()[:40]
