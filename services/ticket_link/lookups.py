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

LIMIT = 5  # candidates a note lists: enough to pick from, short enough to read


async def ask(checker: DepositCheckClient, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """deposit_check's answer for a lookup request (the job's dict: address, chain, asset, expected_amount, since),
    and the request as finally asked.

    An asset the chain does not know (the player wrote "250 USDT" to a Litecoin address) is asked again without
    the amount and asset rather than not at all. DepositCheckUnavailable when nothing could be searched, and
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
        if exc.code != "unknown_asset" or not request.get("asset"):
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
