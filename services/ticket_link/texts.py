"""Internal notes and player messages about a deposit_check verdict, in the desk's language.

The verdict is the JSON body deposit_check answered (a dict); ticket_link never imports
deposit_check. The wording lives in Jinja2 templates, one folder per language, so that a
translator edits text only. Amounts stay the decimal strings they arrived as: only the
difference between expected and received is computed, with Decimal.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from desk_common import chain_text
from ticket_link.advice import Advice, Match, advise, owner_of
from ticket_link.extract import Claim
from ticket_link.schemas import PAYING, AddressOwner, DepositStatus, EventType

LANGUAGES = ("en", "fr", "pl", "ru")
DEFAULT_LANGUAGE = "en"
NOT_CHECKED = "not_checked"  # the note's own status when there is no verdict, and not for want of an address
# Why a claim was not checked, as a note may say it: deposit_check's error codes, worded by the templates.
# Never its message, which can quote what the player typed; any other code reads as "refused".
REASONS = frozenset({"invalid_tx_hash", "invalid_address", "invalid_chain", "unknown_chain", "unknown_asset"})
_DECIMAL = re.compile(r"[0-9]{1,60}(?:\.[0-9]{1,60})?")
_SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_FAILURE = re.compile(r"[A-Z][A-Z_]{0,39}")  # why a tx failed, as the chain names it (TRON: OUT_OF_ENERGY, REVERT)

# autoescape off: the output is plain text, made safe for each helpdesk's rendering where its adapter builds
# the body (helpdesks/markup.py); HTML escaping here would be wrong for a markdown or plain-text desk.
# What the note shows of a claim is shape-checked below (a hash, an address, a decimal, a symbol), so
# no text a player typed reaches it in the first place. StrictUndefined: a misspelt variable fails the tests instead of vanishing.
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)


def render_note(
    verdict: Mapping[str, Any] | None,
    *,
    language: str,
    explorer_url: str | None = None,
    earlier_ticket: str | None = None,
    later_ticket: str | None = None,
    account_match: Match = Match.UNKNOWN,
    rival_matched: bool = False,
    claim: Claim | tuple[str, str | None] | None = None,
    tx_hash: str | None = None,
    address: str | None = None,
    reason: str | None = None,
    event: str | None = None,
    previous_status: str | None = None,
    located: bool = False,
) -> str:
    """The internal (agent-only) note: what deposit_check found and what the agent does next.

    Without a verdict (None or `{}`) the claim is named by `claim` or `tx_hash`/`address`, and the
    note says why nothing was checked: no address (`reason` None or "no_address"), deposit_check
    unavailable (`reason` "unavailable" or the `{"status": "unavailable", "error": ...}` body),
    or deposit_check's 422 code as `reason` (REASONS; anything else reads as "refused").
    A hash or an address is shown only in its chain family's shape (desk_common.chain_text); a
    value of any other shape is left out, never quoted. `explorer_url` links the tx; a
    `{tx_hash}` placeholder in it is filled in. `earlier_ticket` is the reference of a ticket that
    claimed the same tx before, `later_ticket` the ticket(s) that claimed it after this one: agents
    only. The "Next step" is advice.advise's, from the status, the verdict's `address_owner`,
    `account_match` (this ticket's account against the verdict's) and the duplicate claim
    (`rival_matched`: another claiming ticket carries the address's account too).

    `event` is the watcher's event the verdict came with (None: a first check): "status" (a
    normal change), "reorg" (a reorganisation undid `previous_status`: a warning heads the note),
    "replaced" (the verdict's status is "replaced", see its `replaced_by`) or "expired" (the
    watcher gave up on a tx that never got into a block; the verdict is its last state).
    `previous_status` is the status before the event. `located`: the ticket gave no address, and this one is the
    casino's address deposit_check's `/v1/locate` found the tx paying (the note says so). While the verdict says `watching` and is
    not final, the note promises a follow-up note; otherwise it does not.

    The verdict's `note` (deposit_check's English sentence for agents, set when a chain with a
    quorum of nodes says `disputed` or holds a tx at `confirming`) is quoted whatever the status.
    A `disputed` note opens with a warning listing each node's view from `dispute.endpoints`.
    """
    verdict = verdict or {}
    claimed_tx, claimed_address = _claimed(claim)
    context = _context(verdict)
    given_address = context["address"] or claimed_address or address
    tx = context["tx_hash"] or _hash(claimed_tx or tx_hash)
    known_address = context["address"] or _address(claimed_address or address)
    status = context["status"]
    if status == DepositStatus.UNAVAILABLE or (not status and reason == DepositStatus.UNAVAILABLE):
        status, reason = DepositStatus.UNAVAILABLE, None  # the error body's message is not quoted
    no_address = not status and not given_address and reason in (None, "no_address")
    if not status and not no_address:
        status = NOT_CHECKED
        reason = reason if reason in REASONS else "refused"
    context.update(
        status=status,
        tx_hash=tx,
        address=known_address,
        no_address=no_address,
        # A hash without 0x and no address: a UTXO txid or a TRON tx id (extract.BARE_HASH_FAMILIES), unless the
        # claim says which (a Tronscan link); only the address can tell deposit_check which chain to ask.
        bare_hash=no_address and bool(tx) and not tx.startswith("0x") and _family(claim) is None,
        explorer_url=explorer_url.replace("{tx_hash}", tx) if explorer_url else None,
        earlier_ticket=earlier_ticket,
        reason=reason if status == NOT_CHECKED else None,
        event=event or None,
        previous_status=previous_status or None,
        # A follow-up note comes only from the watcher, and only while it still follows the tx.
        following=context["watching"]
        and not context["final"]
        and event != EventType.EXPIRED
        and status not in (DepositStatus.REPLACED, DepositStatus.UNAVAILABLE, NOT_CHECKED),
        views=_views(verdict) if status == DepositStatus.DISPUTED else [],
        later_ticket=later_ticket,
        account_match=account_match.value,
        located=located and bool(known_address),
    )
    advice = advise(
        status,
        context["owner"],
        account_match,
        bool(earlier_ticket or later_ticket),
        rival_matched=rival_matched,
    )
    context.update(advice=advice.value, unverified=advice is Advice.CREDIT and context["owner"] is AddressOwner.UNKNOWN)
    if status == DepositStatus.WRONG_ASSET:
        # None of the asked asset came: show what did, never "received 0 USDT".
        context.update(received=None, received_text=context["came"], amount_status=None, difference=None)
    if status == DepositStatus.REPLACED or event == EventType.EXPIRED:
        # Nothing arrives with a tx that was replaced or never mined: no "received" amount to show.
        context.update(received=None, received_text=None, amount_status=None, difference=None)
    return _render(_language(language), "note.txt", context)


def render_not_found_note(verdicts: Sequence[Mapping[str, Any]], *, language: str, expired: bool = False) -> str:
    """One internal note for several hashes of one ticket that no chain knows (deposit_check's answers);
    `expired`: the watcher gave up on them (its `expired` events), never having seen one.

    Only the normalized values deposit_check answered are shown: the tx hash, the address and the
    chains asked."""
    items = []
    for verdict in verdicts:
        context = _context(verdict)
        items.append(
            {
                "tx_hash": context["tx_hash"],
                "address": context["address"],
                "chains": context["chain"] or context["chains_checked"],
            }
        )
    following = all(bool(v.get("watching")) and not v.get("final") for v in verdicts)
    context = {"items": items, "following": following, "expired": expired}
    return _render(_language(language), "not_found.txt", context)


_REASON = re.compile(r"[A-Z][A-Z_]{0,39}")  # a failed tx's reason as deposit_check spells it (TRON's contractRet)


def render_located_note(
    answer: Mapping[str, Any],
    *,
    language: str,
    tx_hash: str,
    outcome: str,
    explorer_urls: Mapping[str, str] | None = None,
) -> str:
    """The internal note for a hash the ticket names with no deposit address, when deposit_check's `/v1/locate`
    `answer` gives no single casino address to check (`outcome`: one of ticket_link.locate.Outcome but `paired`):
    where the tx was found and how deep, which of the casino's addresses it paid (none, several, or unknown for
    want of a declared list), the chains not asked. Never a credit: the agent asks the player for the address.
    Only shape-checked values are shown (chain names, hashes, addresses, symbols, counts)."""
    found = []
    for entry in answer.get("found_on") or []:
        if not isinstance(entry, Mapping) or (chain := _chain(entry.get("chain"))) is None:
            continue
        paid = [
            {"address": address, "assets": [s for s in map(_symbol, p.get("assets") or []) if s]}
            for p in entry.get("casino_addresses") or []
            if isinstance(p, Mapping) and (address := _address(p.get("address")))
        ]
        reason = entry.get("failure_reason")
        height = entry.get("block_height")
        template = (explorer_urls or {}).get(chain)
        tx = _hash(entry.get("tx_hash")) or _hash(tx_hash)
        found.append(
            {
                "chain": chain,
                "status": str(entry.get("status") or ""),
                "confirmations": _int(entry.get("confirmations")),
                "required": _int(entry.get("required_confirmations")),
                "block_height": height if isinstance(height, int) and not isinstance(height, bool) else None,
                "failure_reason": reason if isinstance(reason, str) and _REASON.fullmatch(reason) else None,
                "casino": paid,
                "others": _int(entry.get("other_recipients")),
                "declared": entry.get("ownership_declared")
                if isinstance(entry.get("ownership_declared"), bool)
                else None,
                "unseen": entry.get("unseen_payments") is True,
                "explorer_url": template.replace("{tx_hash}", tx) if template and tx else None,
            }
        )
    chains = {
        name: ", ".join(c for c in map(_chain, answer.get(name) or []) if c) for name in ("not_found_on", "unavailable")
    }
    context = {"tx_hash": _hash(tx_hash), "outcome": outcome, "found": found, **chains}
    return _render(_language(language), "located.txt", context)


# Why a lookup source searched less than asked, in our words (its `note` is deposit_check's text: not quoted).
_COVERAGE_GAPS = (
    ("unavailable", "unavailable"),
    ("not one of the casino", "not_declared"),
    ("no ownership declared", "no_ownership"),
    ("covers only from", "window"),
    ("has not indexed", "not_started"),
    ("trace_filter", "no_trace"),
)


def coverage_gap(entry: Mapping[str, Any]) -> str | None:
    """Why a lookup's coverage entry searched less than asked, as our code (None: it is complete). The entry's
    `note` is deposit_check's text: only read for the reason, never passed on."""
    if entry.get("complete"):
        return None
    note = str(entry.get("note") or "").lower()
    return next((code for text, code in _COVERAGE_GAPS if text in note), "partial")


def render_lookup_message(answer: Mapping[str, Any], *, language: str, noted: bool) -> str:
    """One or two plain sentences for the player about a lookup's `answer`: how many deposits reached the address
    (or none yet), and who picks the one that is theirs (support, when the candidates were `noted` in the ticket;
    else the player, with the amount and time or the hash). Takes no ticket reference, so it cannot leak one."""
    found = len([d for d in answer.get("deposits") or [] if isinstance(d, Mapping)])
    lang = _language(language)
    context = {"count": found, "form": plural_form(lang, found), "complete": bool(answer.get("complete"))}
    context["noted"] = noted
    text = _render(lang, "player_lookup.txt", context)
    return " ".join(text.split())


def plural_form(language: str, count: int) -> str:
    """CLDR's plural category of a whole `count` in `language` (en, fr, pl, ru): one, few, many or other."""
    if language in ("ru", "pl"):
        tens, units = count % 100, count % 10
        if language == "ru" and units == 1 and tens != 11:
            return "one"
        if language == "pl" and count == 1:
            return "one"
        if 2 <= units <= 4 and not 12 <= tens <= 14:
            return "few"
        return "many"
    if language == "fr":
        return "one" if count in (0, 1) else "other"
    return "one" if count == 1 else "other"


def render_lookup_note(
    answer: Mapping[str, Any],
    *,
    language: str,
    address: str,
    expected_amount: str | None = None,
    asset: str | None = None,
    since: datetime | str | None = None,
    limit: int = 5,
) -> str:
    """The internal note for a ticket that names an address and no hash: the candidate deposits deposit_check's
    `/v1/lookups` found (its `answer`), at most `limit` in its order (exact amounts first when an amount was
    asked, then newest), each with its hash, amount, status k/N and time, and a line asking the agent to pick.

    Says what was searched (each `coverage` entry: source, chain, blocks or times, complete or why not, in our
    words: deposit_check's coverage `note` is not quoted); with no candidate, that "none" covers only that.
    `expected_amount`, `asset` and `since` are what the lookup asked (the player's words, as hints.py read them).
    """
    items = []
    for deposit in list(answer.get("deposits") or [])[: max(0, limit)]:
        if not isinstance(deposit, Mapping):
            continue
        context = _context(deposit)
        if not context["tx_hash"]:
            continue  # a hash of no hash's shape is left out, never quoted
        items.append(
            {
                "tx_hash": context["tx_hash"],
                "chain": context["chain"],
                "status": context["status"],
                "paying": context["paying"],
                "confirmations": context["confirmations"],
                "required": context["required"],
                "received": context["received_text"],
                "block_time": context["block_time"],
                "amount_status": context["amount_status"] if context["expected"] else None,
            }
        )
    found = [d for d in answer.get("deposits") or [] if isinstance(d, Mapping)]
    coverage = []
    for entry in answer.get("coverage") or []:
        if not isinstance(entry, Mapping):
            continue
        gap = coverage_gap(entry)
        coverage.append(
            {
                "source": _symbol(entry.get("source")) or "?",
                "chain": _chain(entry.get("chain")) or "?",
                "from_block": _int(entry.get("from_block")) or None,
                "to_block": _int(entry.get("to_block")) or None,
                "from_time": _utc(entry.get("from_time")) if _is_time(entry.get("from_time")) else None,
                "mempool": bool(entry.get("mempool")),
                "complete": bool(entry.get("complete")),
                "gap": gap,
            }
        )
    amount, symbol = _text(expected_amount), _symbol(asset)
    context = {
        "address": _address(address),
        "items": items,
        "more": max(0, len(found) - len(items)) if items else 0,
        "truncated": bool(answer.get("truncated")),
        "coverage": coverage,
        "complete": bool(answer.get("complete")),
        "asked_amount": f"{amount} {symbol}" if amount and symbol else amount,
        "asked_since": _utc(since) if _is_time(since) else None,
    }
    return _render(_language(language), "lookup.txt", context)


def _is_time(value: object) -> bool:
    if isinstance(value, datetime):
        return True
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def render_capped_note(cap: str, dropped: int, *, language: str) -> str:
    """The internal note saying that `dropped` claims of the ticket were not checked, over `cap` (its setting)."""
    return _render(_language(language), "capped.txt", {"cap": cap, "dropped": dropped})


def render_player_message(
    verdict: Mapping[str, Any], *, language: str, account_match: Match = Match.UNKNOWN, duplicate: bool = False
) -> str:
    """One or two plain sentences for the player, like deposit_check's English `summary`.

    Takes no ticket references at all, so it cannot leak one: a duplicate claim or another
    account's address only tells the player that support reviews the deposit.
    """
    context = _context(verdict)
    context["advice"] = advise(context["status"], context["owner"], account_match, duplicate).value
    context["tx"] = _short_hash(context["tx_hash"])
    context["replaced_tx"] = _short_hash(context["replaced_by"] or "")
    text = _render(_language(language), "player.txt", context)
    return " ".join(text.split())  # the template wraps lines for reading; the player gets one paragraph


def _render(language: str, name: str, context: dict[str, Any]) -> str:
    text = _ENV.get_template(f"{language}/{name}").render(context)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _language(language: str) -> str:
    """`fr`, `fr-CA`, `FR_fr` -> "fr"; anything we have no texts for -> English."""
    base = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0] if language else ""
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def _claimed(claim: Claim | tuple[str, str | None] | None) -> tuple[str, str | None]:
    if claim is None:
        return "", None
    if isinstance(claim, Claim):
        return claim.tx_hash, claim.address
    return claim[0], claim[1]


def _family(claim: Claim | tuple[str, str | None] | None) -> str | None:
    return claim.family if isinstance(claim, Claim) else None


def _context(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """What every template may use, with None for whatever the verdict lacks."""
    asset = _symbol(verdict.get("asset"))
    received = _text(verdict.get("received_amount"))
    expected = _text(verdict.get("expected_amount"))
    payments = [
        (amount, symbol)
        for p in verdict.get("payments") or []
        if isinstance(p, Mapping) and (amount := _text(p.get("amount"))) and (symbol := _symbol(p.get("asset")))
    ]
    required = _int(verdict.get("required_confirmations"))
    received_text: str | None = f"{received} {asset}" if received is not None and asset else None
    if received_text is None:  # no amount check asked for: say what arrived, asset by asset
        received_text = ", ".join(f"{amount} {symbol}" for amount, symbol in payments) or None
    return {
        "status": str(verdict.get("status") or ""),
        "paying": verdict.get("status") in PAYING,  # confirmations k/N and an amount to show
        "chain": network_name(verdict, "chain"),
        "chains_checked": ", ".join(c for c in map(_chain, verdict.get("chains_checked") or []) if c),
        "found_on": network_name(verdict, "found_on"),
        "tx_hash": _hash(verdict.get("tx_hash")),
        "address": _address(verdict.get("address")),
        "confirmations": _int(verdict.get("confirmations")),
        "required": required,
        "block_height": verdict.get("block_height"),
        "block_time": _utc(verdict.get("block_time")),
        "checked_at": _utc(verdict.get("checked_at")),
        "asset": asset,
        "received": received,
        "received_text": received_text,
        "expected": expected,
        "amount_status": verdict.get("amount_status"),
        "difference": _difference(received, expected),
        "final": bool(verdict.get("final")),
        "watching": bool(verdict.get("watching")),
        "replaced_by": _hash(verdict.get("replaced_by")) or None,
        # deposit_check's `failure_reason` (TRON's contractRet; set with `failed`), shown only in its enum shape.
        "failure_reason": _failure(verdict.get("failure_reason")),
        "note": " ".join(str(verdict.get("note") or "").split()) or None,
        # Enough confirmations yet still confirming: deposit_check's quorum holds it until more nodes agree.
        "held": bool(verdict.get("awaiting_quorum")),
        "owner": owner_of(verdict.get("address_owner")),
        "came": ", ".join(f"{amount} {symbol}" for amount, symbol in payments) or None,
    }


def _views(verdict: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each node's view in a `disputed` verdict, for the note: host, found, block (height and short hash), tip."""
    dispute = verdict.get("dispute")
    endpoints = dispute.get("endpoints") if isinstance(dispute, Mapping) else None
    views = []
    for view in endpoints if isinstance(endpoints, list) else []:
        if not isinstance(view, Mapping):
            continue
        height = view.get("block_height")
        height = height if isinstance(height, int) and not isinstance(height, bool) else None
        block_hash = _short_hash(str(view.get("block_hash") or ""))
        tip = view.get("tip")
        block = None  # "204 (5e1a5e1a…1a5e1a)": the block the node holds the tx in, if any
        if height is not None or block_hash:
            block = f"{'?' if height is None else height}{f' ({block_hash})' if block_hash else ''}"
        views.append(
            {
                "host": _host(str(view.get("endpoint") or "")) or "?",
                "found": bool(view.get("found")) or block is not None,
                "block": block,
                "tip": tip if isinstance(tip, int) and not isinstance(tip, bool) else None,
            }
        )
    return views


def _host(endpoint: str) -> str:
    """`http://node-a.internal:9332` -> `node-a.internal:9332` (never credentials, path or query)."""
    try:
        netloc = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}").netloc
    except ValueError:
        return ""
    return netloc.rpartition("@")[2]


def _text(value: object) -> str | None:
    """A decimal string, or None. Amounts arrive as decimal strings; a number would already have lost precision."""
    return value if isinstance(value, str) and _DECIMAL.fullmatch(value) else None


# What a note shows of a verdict or a claim: only values of their own shape (defence in depth: the
# doors already refuse anything else, and deposit_check answers normalized values).
def _hash(value: object) -> str:
    return value if isinstance(value, str) and chain_text.tx_hash_fits(value) else ""


def _address(value: object) -> str | None:
    return value if isinstance(value, str) and chain_text.address_family(value) is not None else None


def _chain(value: object) -> str | None:
    return value if isinstance(value, str) and chain_text.chain_problem(value) is None else None


def network_name(verdict: Mapping[str, Any], field: str) -> str | None:
    """The network a verdict's `field` ("chain" or "found_on") names, as people call it: deposit_check's
    `<field>_display` (the chain's configured display name) when it has a display name's shape, else the
    chain's name; None when the verdict names no chain there (or one of no chain name's shape)."""
    name = _chain(verdict.get(field))
    if name is None:
        return None
    shown = verdict.get(f"{field}_display")
    return shown if isinstance(shown, str) and chain_text.display_name_problem(shown) is None else name


def _failure(value: object) -> str | None:
    return value if isinstance(value, str) and _FAILURE.fullmatch(value) else None


def _symbol(value: object) -> str | None:
    return value if isinstance(value, str) and _SYMBOL.fullmatch(value) else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _utc(value: object) -> str | None:
    """`2026-11-24T09:12:03Z` -> `2026-11-24 09:12:03 UTC`; anything unparsable is shown as given."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else None
    if moment is None:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # deposit_check speaks UTC
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _difference(received: str | None, expected: str | None) -> str | None:
    """|received - expected| as a plain decimal string, exact whatever the number of digits."""
    if received is None or expected is None:
        return None
    try:
        a, b = Decimal(received), Decimal(expected)
    except InvalidOperation:
        return None
    if not (a.is_finite() and b.is_finite()):
        return None
    # The default 28-digit context would round 18-decimal token amounts: size it to the inputs.
    low = min(a.as_tuple().exponent, b.as_tuple().exponent, 0)
    digits = max(a.adjusted(), b.adjusted(), 0) - int(low) + 2
    if digits > 400:  # not an amount anyone paid; refuse rather than compute a huge number
        return None
    context = Context(prec=digits)
    text = format(context.subtract(a, b).copy_abs(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _short_hash(tx_hash: str) -> str:
    """`0x12345678…abcdef`, as deposit_check's summary writes it."""
    if not tx_hash:
        return ""
    bare = tx_hash.removeprefix("0x")
    return f"{tx_hash[: len(tx_hash) - len(bare) + 8]}…{bare[-6:]}"
