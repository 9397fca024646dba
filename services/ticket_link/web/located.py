"""A hash pasted with no address that gives no one casino address to check it with: what the form shows of
deposit_check's `/v1/locate` answer. Pure.

ticket_link.locate decides (`pick`) and shape-checks what it reads (`found_on`, `casino_addresses`); this module
only words it for the card: where the tx was found, how deep, which of the casino's addresses it paid (none,
several, or unknown for want of a declared list), and the chains that did not answer. Its next step is always to
ask the player for the address: a locate is never a credit decision (a check of one address is).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desk_common import chain_text
from ticket_link.locate import Outcome, casino_addresses, found_on, pick
from ticket_link.schemas import DepositStatus

# Where a located tx stands, in words (verdict.LOCATED's statuses); no word here says "credit".
STANDING: dict[str, str] = {
    DepositStatus.PENDING: "pending: in the mempool, not in a block yet",
    DepositStatus.CONFIRMING: "confirming",
    DepositStatus.CONFIRMED: "in a block, as deep as the chain requires",
    DepositStatus.FAILED: "failed on chain: it moved no funds",
    DepositStatus.DISPUTED: "disputed: deposit_check's nodes disagree about it",
}
INCOMPLETE = "incomplete"  # found nowhere while a chain did not answer: no "not found", asked again later
_REASON = re.compile(r"[A-Z][A-Z_]{0,39}")  # a failed tx's reason as the chain spells it (TRON: OUT_OF_ENERGY)
_SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


@dataclass(frozen=True)
class Place:
    """The tx on one chain."""

    chain: str
    standing: str  # STANDING's words
    counting: bool  # confirming: its confirmations k of `required` are shown
    confirmations: int
    required: int
    block_height: int | None
    failure_reason: str | None
    casino: list[tuple[str, str]]  # (address, "LTC, USDT") the tx paid of the casino's
    others: int  # addresses it paid that are not the casino's (or not known to be)
    declared: bool | None  # ownership declared on this chain (None: it paid no address)
    explorer_url: str | None


@dataclass(frozen=True)
class LocatedCard:
    tx_hash: str
    outcome: str  # ticket_link.locate.Outcome's value but "paired", or INCOMPLETE
    places: list[Place]
    not_found_on: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.outcome != INCOMPLETE


def outcome_of(answer: Mapping[str, Any]) -> tuple[Outcome | str, str | None, str | None]:
    """What the form does with a locate answer: (Outcome.PAIRED, chain, address) to check that address; else the
    outcome for the card (INCOMPLETE when no chain holds the tx and one did not answer), chain and address None."""
    answer = dict(answer)
    located = pick(answer)
    if located.outcome is Outcome.NOWHERE and _chains(answer.get("unavailable")):
        return INCOMPLETE, None, None
    return located.outcome, located.chain, located.address


def build_located_card(
    answer: Mapping[str, Any], *, tx_hash: str, outcome: str, explorer_urls: Mapping[str, str]
) -> LocatedCard:
    """The card of a locate `answer` that pairs no address; only shape-checked values reach it."""
    places = []
    for entry in found_on(dict(answer)):
        chain = entry["chain"]
        shown = entry.get("tx_hash") if chain_text.tx_hash_problem(str(entry.get("tx_hash"))) is None else tx_hash
        template = explorer_urls.get(chain)
        paid = entry.get("casino_addresses")
        paid = paid if isinstance(paid, list) else []
        assets = {
            p["address"]: ", ".join(s for s in p.get("assets") or [] if isinstance(s, str) and _SYMBOL.fullmatch(s))
            for p in paid
            if isinstance(p, dict) and isinstance(p.get("address"), str) and isinstance(p.get("assets"), list)
        }
        reason, height, declared = (
            entry.get("failure_reason"),
            entry.get("block_height"),
            entry.get("ownership_declared"),
        )
        status = str(entry.get("status"))
        places.append(
            Place(
                chain=chain,
                standing=STANDING.get(status, "found"),
                counting=status == DepositStatus.CONFIRMING and _int(entry.get("required_confirmations")) > 0,
                confirmations=_int(entry.get("confirmations")),
                required=_int(entry.get("required_confirmations")),
                block_height=height if isinstance(height, int) and not isinstance(height, bool) else None,
                failure_reason=reason if isinstance(reason, str) and _REASON.fullmatch(reason) else None,
                casino=[(a, assets.get(a, "")) for a in casino_addresses(entry)],
                others=_int(entry.get("other_recipients")),
                declared=declared if isinstance(declared, bool) else None,
                explorer_url=template.replace("{tx_hash}", str(shown)) if template else None,
            )
        )
    return LocatedCard(
        tx_hash=tx_hash,
        outcome=outcome,
        places=places,
        not_found_on=_chains(answer.get("not_found_on")),
        unavailable=_chains(answer.get("unavailable")),
    )


def _chains(value: object) -> list[str]:
    """Chain names of a chain name's shape; anything else is left out."""
    items = value if isinstance(value, list) else []
    return [c for c in items if isinstance(c, str) and chain_text.chain_problem(c) is None]


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
