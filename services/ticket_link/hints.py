"""What a player says about a deposit besides hashes and addresses: an amount with its unit, and when. Pure.

Conservative on purpose: these narrow and rank a lookup by address (`POST /v1/lookups`), and a wrong
hint hides the right deposit. So only clear forms are read, anything ambiguous gives no hint, and a
time becomes a lower bound widened by a margin that covers a player's vagueness and any time zone:

- an amount is a number followed by an asset symbol: `0.05 LTC`, `250 USDT`, `0,05 ltc`. The symbol is
  upper case as written (`LTC`, `USDT`) or one of a few well-known symbols in any case. A ticket naming
  two different amounts gives none (which one was the deposit?). `1,000` (a thousands comma or a
  decimal comma?) gives none; `1,000.50` and `0,5` are read. A token standard between the number and
  the symbol is not an asset: `100 TRC-20 USDT`, `100 ERC20 USDT` and `100 BEP-20 USDT` read as 100 USDT.
- a time is a relative one (`an hour ago`, `30 minutes ago`, `2 days ago`, `yesterday`, `today`) or an
  ISO 8601 date or date and time (`2026-12-01`, `2026-12-01 14:30`, `2026-12-01T14:30:00Z`). A clock
  time alone (`at 14:30`) is not read: its day and time zone are unknown. The bound is the earliest the
  words can mean: twice the stated lapse plus an hour before now for a relative time; for a time
  without a zone, 14 hours earlier (the furthest zone ahead of UTC) and an hour more; for a date, its
  start so widened. Several times in one text: the earliest bound. A bound in the future is dropped.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_KNOWN = frozenset(
    {"btc", "ltc", "eth", "usdt", "usdc", "dai", "bnb", "trx", "doge", "bch", "sol", "matic", "pol", "xrp", "ton"}
)
# A number, optionally grouped by thousands commas, then a symbol. Digits or a dot right before the number
# (a hash, a version) and letters or digits right after the symbol make it something else.
_AMOUNT = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d{1,18})?|\d{1,20}(?:[.,]\d{1,18})?)[ \u00a0]?([A-Za-z]{2,6}[0-9]?)(?![\w])"
)
# A token standard written as a word of its own (`TRC-20`, `ERC20`, `bep20`): USDT's network, not an asset.
_STANDARD = re.compile(r"(?<![\w-])(?:TRC|ERC|BEP)-?20(?![\w-])[ \u00a0]?", re.IGNORECASE)
_RELATIVE = re.compile(
    r"\b(an?|one|\d{1,3})\s+(minute|min|hour|hr|day)s?\s+ago\b|\b(yesterday|today|this morning)\b", re.IGNORECASE
)
_ISO = re.compile(
    r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?(?![\d:])"
)
_UNITS = {"minute": timedelta(minutes=1), "min": timedelta(minutes=1), "hour": timedelta(hours=1)}
_UNITS |= {"hr": timedelta(hours=1), "day": timedelta(days=1)}
_MARGIN = timedelta(hours=1)
_ZONES = timedelta(hours=14)  # UTC+14 is the furthest zone ahead: a local time is at most this far before UTC's


@dataclass(frozen=True)
class Amount:
    value: str  # a decimal string, dot as separator
    asset: str  # upper case


def amount(text: str) -> Amount | None:
    """The one amount with a unit the text names (the same one any number of times); None if none or several."""
    found: set[Amount] = set()
    for match in _AMOUNT.finditer(_STANDARD.sub("", text)):
        number, unit = match.groups()
        if not (unit.isupper() or unit.lower() in _KNOWN):
            continue  # "3 days", "5 min": not an asset
        value = _decimal(number)
        if value is None:
            return None  # an amount we cannot read for sure: better none than a wrong one
        found.add(Amount(value, unit.upper()))
        if len(found) > 1:
            return None
    return found.pop() if found else None


def _decimal(number: str) -> str | None:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", number):
        if "." not in number and number.count(",") == 1:
            return None  # "1,000": a thousand, or one with a decimal comma
        number = number.replace(",", "")
    number = number.replace(",", ".")
    whole, _, fraction = number.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def since(text: str, now: datetime) -> datetime | None:
    """The earliest time the text's words about when can mean (see the module's rules), or None."""
    bounds: list[datetime] = []
    for match in _RELATIVE.finditer(text):
        count, unit, word = match.groups()
        if word is not None:
            word = word.lower()
            # "today" in the player's zone began at most 24 h + 14 h before now; "yesterday" a day before that.
            lapse = timedelta(days=2 if word == "yesterday" else 1) + _ZONES
            bounds.append(now - lapse - _MARGIN)
        else:
            n = 1 if count.lower() in ("a", "an", "one") else int(count)
            bounds.append(now - 2 * n * _UNITS[unit.lower()] - _MARGIN)
    for match in _ISO.finditer(text):
        moment = _iso(match)
        if moment is not None:
            bounds.append(moment)
    earliest = min(bounds, default=None)
    return earliest if earliest is not None and earliest <= now else None


def _iso(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None  # 2026-13-45: not a date
    if zone is None:
        return moment.replace(tzinfo=UTC) - _ZONES - _MARGIN
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return moment.replace(tzinfo=UTC) - offset - _MARGIN
    return moment.replace(tzinfo=UTC) - _MARGIN
