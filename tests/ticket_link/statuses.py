"""Reading the flow tests' outcome from django-helpdesk itself: which status notes each ticket got, when each was
first seen, and the rule every note must keep (one per status, the verdict right for its confirmations)."""

import re
import time
from dataclasses import dataclass, field

from tests.ticket_link.flow_stack import Stack, internal_notes

STATUS = re.compile(r"^Status: (\w+)", re.MULTILINE)
COUNT = re.compile(r"^Status: .*\(confirmations: (\d+)/(\d+)\)", re.MULTILINE)


@dataclass
class Ticket:
    id: int
    txid: str
    amount: str
    opened: float  # time.monotonic() when its webhook was sent
    seen: dict[str, float] = field(default_factory=dict)  # note status -> when first seen


def wait_for(stack: Stack, tickets: list[Ticket], wanted: set[str], timeout: float) -> None:
    """Poll the helpdesk until each ticket has a note of each `wanted` status; record when each was first seen."""
    deadline = time.monotonic() + timeout
    while True:
        missing = []
        for ticket in tickets:
            for note in internal_notes(stack.desk, ticket.id):
                for status in STATUS.findall(note["comment"]):
                    ticket.seen.setdefault(status, time.monotonic())
            if not wanted <= set(ticket.seen):
                missing.append(ticket.id)
        if not missing:
            return
        if time.monotonic() >= deadline:
            tail = "\n".join(stack.worker_log.read_text(errors="replace").splitlines()[-60:])
            raise AssertionError(f"tickets {missing} still lack a {wanted} note: {tickets}\nworker log:\n{tail}")
        time.sleep(0.2)


def assert_one_note_per_status(stack: Stack, ticket: Ticket, needed: int = 6) -> list[str]:
    """The ticket's notes: each names one status, none twice, `confirmed` among them, each about this deposit, and
    each status right for the confirmations it was decided from (no wrong verdict). The statuses, in order."""
    notes = internal_notes(stack.desk, ticket.id)
    flat = [s[0] for s in (STATUS.findall(n["comment"]) for n in notes) if s]
    assert len(flat) == len(notes), f"ticket {ticket.id}: a note without a status: {notes}"
    assert sorted(set(flat)) == sorted(flat), f"ticket {ticket.id}: a status noted twice: {flat}"
    assert set(flat) <= {"confirming", "confirmed"} and "confirmed" in flat, f"ticket {ticket.id}: {flat}"
    for note in notes:
        assert ticket.txid in note["comment"] and ticket.amount in note["comment"], note["comment"]
        status, (got, of) = STATUS.findall(note["comment"])[0], COUNT.findall(note["comment"])[0]
        assert of == str(needed) and (int(got) >= needed) == (status == "confirmed"), (ticket.id, note["comment"])
    return flat
