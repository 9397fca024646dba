"""Lookups by address for tickets that name no hash: ask deposit_check, decide what its answer lets a note say.

A lookup links nothing and watches nothing: it lists candidates for the agent to pick from, and the agent's
check of the one picked is an ordinary claim (the form's one click, or the bot API). So a lookup note has no
follow-up notes, no duplicate-claim index and no credit advice of its own.
"""

import hashlib
from datetime import datetime
from typing import Any

from ticket_link.checker import DepositCheckClient
from ticket_link.errors import DepositCheckUnavailable, InvalidRequest
from ticket_link.links import note_key
from ticket_link.schemas import (
    CoverageSummary,
    DepositLookupResponse,
    LookupCandidate,
    NoteOutcome,
    SourceSearched,
)
from ticket_link.texts import coverage_gap

LIMIT = 5  # candidates a note lists: enough to pick from, short enough to read


async def ask(
    checker: DepositCheckClient, request: dict[str, Any], *, drop_unknown_asset: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """deposit_check's answer for a lookup request (the job's dict: address, chain, asset, expected_amount, since),
    and the request as finally asked.

    An asset the chain does not know (the player wrote "250 USDT" to a Litecoin address) is asked again without
    the amount and asset rather than not at all (`drop_unknown_asset`; a bot that named the asset gets the 422). DepositCheckUnavailable when nothing could be searched, and
    also when the answer lists nothing while a source could not answer: that empty list is not a "none"."""
    since = request.get("since")
    try:
        answer = await checker.lookup(
            request["address"],
            chain=request.get("chain"),
            asset=request.get("asset"),
            expected_amount=request.get("expected_amount"),
            since=datetime.fromisoformat(since) if since else None,
        )
    except InvalidRequest as exc:
        if exc.code != "unknown_asset" or not request.get("asset") or not drop_unknown_asset:
            raise
        return await ask(checker, {**request, "asset": None, "expected_amount": None})
    if not answer.get("deposits") and any(_unanswered(entry) for entry in answer.get("coverage") or []):
        raise DepositCheckUnavailable("a lookup source could not answer and nothing was found: asked again later")
    return answer, request


def _unanswered(entry: object) -> bool:
    return isinstance(entry, dict) and str(entry.get("note") or "").startswith("unavailable")


def lookup_note_key(ticket_key: str, request: dict[str, Any], answer: dict[str, Any], limit: int = LIMIT) -> str:
    """One note per (ticket, address, amount asked, candidates listed with their statuses): a redelivered webhook
    finds the same candidates and adds nothing; a new deposit or a changed status is a new note. The time asked
    (`since`) is left out: it is computed from "an hour ago" at arrival and differs between redeliveries."""
    shown = [d for d in answer.get("deposits") or [] if isinstance(d, dict)][:limit]
    listed = ",".join(f"{d.get('tx_hash')}:{d.get('status')}" for d in shown) or "none"
    asked = f"{request.get('expected_amount')}:{request.get('asset')}"
    return note_key(ticket_key, f"lookup:{request['address']}:{asked}", listed)


def lookup_job_key(ticket_key: str, requests: list[dict[str, Any]]) -> str:
    """The enqueue key of a ticket's lookups: an identical webhook redelivered while they wait is a no-op."""
    text = ticket_key + "".join(
        f"|lookup:{r['address']}:{r.get('chain')}:{r.get('expected_amount')}:{r.get('asset')}" for r in requests
    )
    return hashlib.sha256(text.encode()).hexdigest()[:40]


# deposit_check's 4xx codes for a lookup, and the field of the bot's request each is about (a 422 names it).
FIELDS = {"invalid_address": "address", "unknown_chain": "chain", "invalid_chain": "chain", "unknown_asset": "asset"}


def refusal(exc: InvalidRequest) -> InvalidRequest:
    """deposit_check's refusal of a bot's lookup, naming the field (its message is not quoted: it may echo input)."""
    field = FIELDS.get(exc.code)
    where = f"{field}: " if field else ""
    refused = InvalidRequest(f"{where}deposit_check refused the lookup ({exc.code})")
    refused.code = exc.code
    return refused


def response(answer: dict[str, Any], message: str, queued: bool | None, limit: int = LIMIT) -> DepositLookupResponse:
    """A bot's answer from deposit_check's lookup `answer`: the candidates the note lists (at most `limit`), the
    coverage in our words, `message` for the player; `queued` None: no note was asked for."""
    found = [d for d in answer.get("deposits") or [] if isinstance(d, dict)]
    listed = [_candidate(d) for d in found[:limit]]
    sources = [
        SourceSearched(
            source=_text(entry.get("source")) or "?",
            chain=_text(entry.get("chain")) or "?",
            complete=bool(entry.get("complete")),
            gap=coverage_gap(entry),  # one of the codes SourceSearched.gap lists
        )
        for entry in answer.get("coverage") or []
        if isinstance(entry, dict)
    ]
    return DepositLookupResponse(
        deposits=listed,
        more=len(found) - len(listed),
        truncated=bool(answer.get("truncated")),
        coverage=CoverageSummary(complete=bool(answer.get("complete")), sources=sources),
        player_message=message,
        ticket_note=None if queued is None else NoteOutcome(status="queued" if queued else "already_posted"),
    )


def _candidate(deposit: dict[str, Any]) -> LookupCandidate:
    amount_status = deposit.get("amount_status")
    return LookupCandidate(
        tx_hash=_text(deposit.get("tx_hash")) or "",
        chain=_text(deposit.get("chain")),
        status=_text(deposit.get("status")) or "",
        confirmations=_int(deposit.get("confirmations")),
        required_confirmations=_int(deposit.get("required_confirmations")),
        asset=_text(deposit.get("asset")),
        received_amount=_text(deposit.get("received_amount")),
        amount_status=amount_status if amount_status in ("exact", "under", "over") else None,
        block_time=_text(deposit.get("block_time")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
