"""A pasted line with a deposit address and no hash: the lookup it asks for, and the candidates to show. Pure."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ticket_link.extract import extract, extract_lookups
from ticket_link.lookups import LIMIT
from ticket_link.texts import DEFAULT_LANGUAGE, LANGUAGES
from ticket_link.web.card import Card, build_card
from ticket_link.web.forms import MAX_FIELD, pasted_amount, pasted_ticket


@dataclass(frozen=True)
class LookupForm:
    """What the form asks deposit_check's `/v1/lookups` for, and what the candidates' buttons carry on."""

    address: str
    expected_amount: str = ""
    asset: str | None = None
    since: datetime | None = None
    ticket_ref: str = ""
    lang: str = DEFAULT_LANGUAGE
    helpdesk: str = ""


@dataclass(frozen=True)
class Candidates:
    form: LookupForm
    cards: list[Card]
    more: int  # found but not listed (over LIMIT)
    complete: bool  # every source searched all that was asked: an empty list is a real "none"
    searched: list[str] = field(default_factory=list)  # "watcher on litecoin", one per coverage entry


def read_lookup_form(data: Mapping[str, Any], now: datetime) -> LookupForm | None:
    """The lookup a submitted form asks for: its hash and address fields name an address and no hash. None
    otherwise (a hash anywhere: the ordinary check, with its own errors)."""

    def text(name: str) -> str:
        value = data.get(name)
        return value[:MAX_FIELD] if isinstance(value, str) else ""

    pasted = f"{text('tx_hash')}\n{text('address')}"
    if extract(pasted, max_claims=1):
        return None
    found = extract_lookups(pasted, now, max_lookups=1)
    if not found:
        return None
    lookup = found[0]
    typed = pasted_amount(text("expected_amount"))  # the agent's amount wins over the one in the pasted line
    lang = text("lang")
    return LookupForm(
        address=lookup.address,
        expected_amount=typed or lookup.expected_amount or "",
        asset=lookup.asset,
        since=lookup.since,
        ticket_ref=pasted_ticket(text("ticket_ref")),
        lang=lang if lang in LANGUAGES else DEFAULT_LANGUAGE,
        helpdesk=text("helpdesk").strip()[:32],
    )


def candidates(
    form: LookupForm, answer: Mapping[str, Any], explorer_urls: Mapping[str, str], limit: int = LIMIT
) -> Candidates:
    """deposit_check's lookup answer as the form lists it: at most `limit` cards, in its order."""
    found = [d for d in answer.get("deposits") or [] if isinstance(d, Mapping)]
    cards = [build_card(d, lang=form.lang, explorer_urls=explorer_urls) for d in found[:limit]]
    searched = [
        f"{c.get('source')} on {c.get('chain')}" + ("" if c.get("complete") else " (incomplete)")
        for c in answer.get("coverage") or []
        if isinstance(c, Mapping)
    ]
    return Candidates(form, cards, len(found) - len(cards), bool(answer.get("complete")), searched)
