"""The result card: what the form shows of a deposit_check verdict. A pure function, no I/O.

Every status is shown in words and with its own icon shape, never by colour alone.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ticket_link.schemas import PAYING, DepositStatus
from ticket_link.texts import network_name, render_player_message


@dataclass(frozen=True)
class Look:
    label: str
    tone: str  # good | progress | bad | neutral: the colour, always beside the label and the icon
    icon: str  # check | clock | half | cross | warning | question | swap
    detail: str


LOOKS: dict[str, Look] = {
    DepositStatus.NOT_FOUND: Look(
        "Not found", "neutral", "question", "No transaction with this hash yet; it may still be on its way."
    ),
    DepositStatus.PENDING: Look("Pending", "progress", "clock", "Seen in the mempool, not in a block yet."),
    DepositStatus.CONFIRMING: Look("Confirming", "progress", "half", "In a block, waiting for enough confirmations."),
    DepositStatus.CONFIRMED: Look("Confirmed", "good", "check", "Enough confirmations: the deposit can be credited."),
    DepositStatus.FAILED: Look("Failed", "bad", "cross", "The transaction failed on chain: nothing arrived."),
    DepositStatus.WRONG_ADDRESS: Look(
        "Wrong address", "bad", "warning", "The transaction pays nothing to this deposit address."
    ),
    DepositStatus.WRONG_NETWORK: Look("Wrong network", "bad", "warning", "The transaction is on another network."),
    DepositStatus.REPLACED: Look(
        "Replaced", "bad", "swap", "Another transaction took its place; this one will never arrive."
    ),
    DepositStatus.DISPUTED: Look(
        "Disputed", "bad", "warning", "deposit_check's nodes disagree about this transaction: do not credit it yet."
    ),
}
_AMOUNT_WORDS = {"exact": "as expected", "under": "LESS than expected", "over": "more than expected"}


@dataclass(frozen=True)
class Card:
    status: str
    look: Look
    tx_hash: str
    address: str
    chain: str | None
    network: str | None  # the chain as people call it (its display name), for showing
    confirmations: int
    required: int
    show_progress: bool
    received: str | None
    expected: str | None
    amount_words: str | None
    block_time: str | None
    explorer_url: str | None
    player_message: str
    lang: str
    final: bool
    follow: dict[str, str]  # the query that follows this deposit (events endpoint), while not final
    located: bool = False  # no address was pasted: this is the casino's address the tx paid, found from its hash


def look(status: str) -> Look:
    return LOOKS.get(status) or Look(status.replace("_", " ").capitalize(), "neutral", "question", "")


def build_card(
    verdict: Mapping[str, Any], *, lang: str, explorer_urls: Mapping[str, str], located: bool = False
) -> Card:
    """The card of a verdict; `located`: its address was found from the tx's hash (none was pasted)."""
    status = str(verdict.get("status") or "")
    tx_hash = str(verdict.get("tx_hash") or "")
    address = str(verdict.get("address") or "")
    chain = verdict.get("chain")
    final = bool(verdict.get("final"))
    follow: dict[str, str] = {}
    if not final:
        follow = {"tx_hash": tx_hash, "address": address, "lang": lang}
        if chain:
            follow["chain"] = str(chain)
        if verdict.get("expected_amount"):
            follow["expected_amount"] = str(verdict["expected_amount"])
        if located:
            follow["located"] = "true"
    return Card(
        status=status,
        look=look(status),
        tx_hash=tx_hash,
        address=address,
        chain=str(chain) if chain else None,
        network=network_name(verdict, "chain"),
        confirmations=_int(verdict.get("confirmations")),
        required=_int(verdict.get("required_confirmations")),
        show_progress=status in PAYING and _int(verdict.get("required_confirmations")) > 0,
        received=_received(verdict),
        expected=_str(verdict.get("expected_amount")),
        amount_words=_AMOUNT_WORDS.get(str(verdict.get("amount_status"))),
        block_time=_utc(verdict.get("block_time")),
        explorer_url=_explorer(verdict, tx_hash, explorer_urls),
        player_message=render_player_message(verdict, language=lang),
        lang=lang,
        final=final,
        follow=follow,
        located=located,
    )


def _received(verdict: Mapping[str, Any]) -> str | None:
    asset, amount = verdict.get("asset"), _str(verdict.get("received_amount"))
    if asset and amount:
        return f"{amount} {asset}"
    payments = [p for p in verdict.get("payments") or [] if isinstance(p, Mapping)]
    return ", ".join(f"{p.get('amount')} {p.get('asset')}" for p in payments) or None


def _explorer(verdict: Mapping[str, Any], tx_hash: str, urls: Mapping[str, str]) -> str | None:
    template = urls.get(str(verdict.get("found_on") or verdict.get("chain") or ""))
    return template.replace("{tx_hash}", tx_hash) if template and tx_hash else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _utc(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
