"""A claim with a hash and no deposit address: ask deposit_check's `/v1/locate` where the tx is, and decide what
its answer lets the claim do. Pure but for `ask`.

Only one outcome goes on: the tx paid exactly one of the casino's declared addresses, on one chain, and no chain
where it was found leaves that in doubt (ownership undeclared there). The claim is then checked as any other, with
that address and chain, so its note, its watch, its duplicate-claim rules and any "credit it" come from
deposit_check's full verdict, never from the locate answer. Every other outcome is one note saying what was found
and asking the agent to get the deposit address from the player.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from desk_common import chain_text
from ticket_link.checker import DepositCheckClient
from ticket_link.errors import DepositCheckUnavailable
from ticket_link.links import note_key


class Outcome(StrEnum):
    PAIRED = "paired"  # one casino address on one chain: checked as a normal claim
    NOWHERE = "nowhere"  # every chain answered, none holds it
    PAID_NONE = "paid_none"  # found, and it paid no address of the casino
    PAID_SEVERAL = "paid_several"  # found, paying several of the casino's addresses (one chain or more)
    UNDECLARED = "undeclared"  # found on a chain with no declared addresses: which one is the casino's is unknown


# Why a claim without an address cannot go on, as a bot's 422 says it (the note says more).
WHY = {
    Outcome.NOWHERE: "the transaction was found on no chain deposit_check checks",
    Outcome.PAID_NONE: "the transaction paid no deposit address of the casino",
    Outcome.PAID_SEVERAL: "the transaction paid several deposit addresses of the casino",
    Outcome.UNDECLARED: "the transaction is on a chain where the casino's addresses are not declared",
}


@dataclass(frozen=True)
class Located:
    outcome: Outcome
    chain: str | None = None  # with PAIRED
    address: str | None = None  # with PAIRED


async def ask(checker: DepositCheckClient, tx_hash: str) -> dict[str, Any]:
    """deposit_check's locate answer. DepositCheckUnavailable (the job is retried) when it cannot answer, and when
    no chain holds the tx while one could not be asked: that is no "not found"."""
    answer = await checker.locate(tx_hash)
    if not found_on(answer) and answer.get("unavailable"):
        raise DepositCheckUnavailable("a chain could not be asked and no other holds the tx: asked again later")
    return answer


def found_on(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer's chains holding the tx, with a chain name of its shape (anything else is left out)."""
    entries = answer.get("found_on")
    return [
        e
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, dict) and isinstance(e.get("chain"), str) and chain_text.chain_problem(e["chain"]) is None
    ]


def casino_addresses(entry: dict[str, Any]) -> list[str]:
    """The casino's addresses a chain's entry says the tx paid, those of an address's shape only."""
    paid = entry.get("casino_addresses")
    return [
        a["address"]
        for a in (paid if isinstance(paid, list) else [])
        if isinstance(a, dict)
        and isinstance(a.get("address"), str)
        and chain_text.address_family(a["address"]) is not None
    ]


def pick(answer: dict[str, Any]) -> Located:
    """What the claim can do with a locate answer (see the module's docstring)."""
    entries = found_on(answer)
    if not entries:
        return Located(Outcome.NOWHERE)
    pairs = [(e["chain"], address) for e in entries for address in casino_addresses(e)]
    undeclared = any(e.get("ownership_declared") is False for e in entries)
    if len(pairs) > 1:
        return Located(Outcome.PAID_SEVERAL)
    if undeclared:
        return Located(Outcome.UNDECLARED)
    if len(pairs) == 1:
        chain, address = pairs[0]
        return Located(Outcome.PAIRED, chain, address)
    return Located(Outcome.PAID_NONE)


def located_note_key(ticket_key: str, tx_hash: str, located: Located, answer: dict[str, Any]) -> str:
    """One note per (ticket, tx, outcome, where it was found and how deep): the same webhook again adds nothing; a
    tx that moved on (mined, confirmed) when the ticket names it again is a new note."""
    where = ",".join(f"{e['chain']}:{e.get('status')}" for e in found_on(answer)) or "none"
    return note_key(ticket_key, tx_hash, f"located:{located.outcome}:{where}")
