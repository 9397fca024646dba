"""What the form does, through the same service as the bot API: check a deposit, post it to a ticket."""

from dataclasses import dataclass
from typing import Any

from ticket_link.errors import DepositCheckUnavailable, InvalidRequest
from ticket_link.service import TicketService
from ticket_link.web.follow import Ask
from ticket_link.web.forms import DepositForm


@dataclass(frozen=True)
class Posted:
    """What became of "post to ticket"."""

    ticket: str  # as agents know it, e.g. "desk #123"
    note: str  # queued | already_posted | later (deposit_check could not answer: checked and noted later)
    verdict: dict[str, Any] | None
    earlier_ticket: str | None  # another ticket claimed this tx first


async def check(service: TicketService, form: DepositForm) -> dict[str, Any]:
    """deposit_check's verdict, asking it to watch the deposit (so its events follow)."""
    return await service.checker.check(
        form.tx_hash, form.address, expected_amount=form.expected_amount or None, watch=True
    )


async def post(service: TicketService, form: DepositForm) -> Posted:
    """The bot API's path (`TicketService.claim`): check, link, queue the internal note."""
    if not form.ticket_ref:
        raise InvalidRequest("Enter the ticket number to post to.")
    ref = service.ticket(form.helpdesk or None, form.ticket_ref)
    claim = form.claim()
    try:
        answer = await service.claim(ref, claim)
    except DepositCheckUnavailable:
        await service.claim_later(ref, claim)  # as the bot API does: nothing accepted is lost
        return Posted(ref.label, "later", None, None)
    earlier = answer.duplicate_claim.ticket if answer.duplicate_claim else None
    note = (
        answer.ticket_note.status if answer.ticket_note is not None else "queued"
    )  # the form always asks for the note
    return Posted(ref.label, note, answer.model_dump(exclude={"note", "duplicate_claim"}), earlier)


def asker(service: TicketService, tx_hash: str, address: str, chain: str | None, expected_amount: str | None) -> Ask:
    """How a follower asks again: `fresh` bypasses deposit_check's cache (a watched tx: no new watch)."""

    async def ask(fresh: bool) -> dict[str, Any]:
        return await service.checker.check(tx_hash, address, chain=chain, expected_amount=expected_amount, watch=fresh)

    return ask
