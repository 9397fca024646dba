"""Reading webhook bodies: JSON in, a TicketText out, everything else dropped.

The generic body every helpdesk accepts (and the only one for RT and Standard Webhooks):
`{"ticket_id": 123, "text": "..."}`; `ticket_id` may be a number or a string of digits.
Helpers here never log or quote what they read: a payload carries names and e-mails.
"""

import re
from typing import Any

from desk_common import strict_json
from ticket_link.errors import DuplicateJsonKey, InvalidRequest
from ticket_link.helpdesks.base import TicketText
from ticket_link.schemas import account_reference

# Enough for a long ticket thread; bounds the work of extraction on a hostile body.
MAX_TEXT_CHARS = 100_000
_DIGITS = re.compile(r"[0-9]{1,20}")
# Every helpdesk we speak to numbers tickets 1, 2, 3, ... (a positive 64-bit integer in each one's database).
MAX_TICKET_ID = 2**63 - 1


def load(body: bytes, helpdesk: str) -> Any:
    """The body's JSON; an object naming a key twice is refused (400), whichever adapter reads it."""
    try:
        return strict_json.loads(body)
    except strict_json.DuplicateKey as exc:
        raise DuplicateJsonKey(f"webhook body from {helpdesk}: {exc.msg}") from None
    except (ValueError, RecursionError):
        raise InvalidRequest(f"webhook body from {helpdesk} is not JSON") from None


def ticket_id(value: Any) -> str | None:
    """A ticket id in its one spelling (`0123` and `123` are one ticket: "123"), from an int or a digit
    string; None for anything a helpdesk's ticket cannot be (not digits, 0, past 2^63-1).

    The spelling matters: a ticket is known by the keyed hash of it (claims, notes' keys).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= MAX_TICKET_ID:
        return str(value)
    return None


def account(data: Any, path: str | None) -> str | None:
    """The ticket's player-account reference at `path` (dots between keys: a helpdesk's `account_field`),
    or None: no field configured, absent, or not a reference (schemas.account_reference's rule)."""
    if not path:
        return None
    value = field(data, *path.split("."))
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    try:
        return account_reference(value.strip())
    except ValueError:
        return None


def text(*parts: Any) -> str:
    """Join the string parts that carry text (non-strings and blanks ignored, repeats once), capped.

    Linear in the parts (a dict keeps the first of each, in order): a webhook may carry tens of
    thousands of follow-ups, and a list's `in` made 30,000 of them take 10 s.
    """
    seen: dict[str, None] = {}
    size = 0
    for part in parts:
        if isinstance(part, str) and (stripped := part.strip()) and stripped not in seen:
            seen[stripped] = None
            size += len(stripped) + 1
            if size > MAX_TEXT_CHARS:
                break  # the rest would be cut off below anyway
    return "\n".join(seen)[:MAX_TEXT_CHARS]


def field(data: Any, *keys: str) -> Any:
    """data[k1][k2]... or None when any step is missing or not an object."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def generic(data: Any) -> TicketText | None:
    """`{"ticket_id": ..., "text": ...}`, or None when the body is not of that shape."""
    tid = ticket_id(field(data, "ticket_id"))
    body = field(data, "text")
    if tid is None or not isinstance(body, str):
        return None
    return TicketText(tid, text(body))


def found(result: TicketText | None, helpdesk: str) -> TicketText:
    if result is None:
        raise InvalidRequest(f"webhook body from {helpdesk} has no ticket id and text we can read")
    return result
