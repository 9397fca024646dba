"""Reading webhook bodies: JSON in, a TicketText out, everything else dropped.

The generic body every helpdesk accepts (and the only one for RT and Standard Webhooks):
`{"ticket_id": 123, "text": "..."}`; `ticket_id` may be a number or a string of digits.
Helpers here never log or quote what they read: a payload carries names and e-mails.
"""

import json
import re
from typing import Any

from ticket_link.errors import InvalidRequest
from ticket_link.helpdesks.base import TicketText

# Enough for a long ticket thread; bounds the work of extraction on a hostile body.
MAX_TEXT_CHARS = 100_000
_DIGITS = re.compile(r"[0-9]{1,20}")


def load(body: bytes, helpdesk: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidRequest(f"webhook body from {helpdesk} is not JSON") from None


def ticket_id(value: Any) -> str | None:
    """A ticket id as a string of digits, from an int or a digit string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return value.strip()
    return None


def text(*parts: Any) -> str:
    """Join the string parts that carry text (non-strings and blanks ignored, repeats once), capped."""
    seen: list[str] = []
    for part in parts:
        if isinstance(part, str) and part.strip() and part.strip() not in seen:
            seen.append(part.strip())
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
