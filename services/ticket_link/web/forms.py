"""The deposit form as agents fill it: pasted lines trimmed to the hash, address, amount, ticket. Pure.

The address may be left out: the player gave only a hash. The form then locates the tx by its hash (web/located.py)
as the bot API does, and checks it with the one casino address it paid, or says what was found."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desk_common import chain_text
from ticket_link.extract import extract
from ticket_link.schemas import DECIMAL_STRING, DepositClaim
from ticket_link.texts import DEFAULT_LANGUAGE, LANGUAGES

MAX_FIELD = 2_000  # a pasted line or two; anything longer is not a hash or an address
_LABEL = re.compile(r"^\s*[^\W\d][\w ]{0,20}[:=]")  # "tx:", "deposit address =", "TxID:"
_EDGES = "\"'`«»“”‘’()[]{}<>.,;:!?"
_AMOUNT = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class DepositForm:
    tx_hash: str
    address: str
    ticket_ref: str = ""
    expected_amount: str = ""
    lang: str = DEFAULT_LANGUAGE
    helpdesk: str = ""

    @property
    def hash_only(self) -> bool:
        """No address: the tx is located by its hash."""
        return not self.address

    def claim(self) -> DepositClaim:
        """The same request the bot API takes, for `TicketService.claim` (no address: located there)."""
        return DepositClaim(
            tx_hash=self.tx_hash,
            address=self.address or None,
            expected_amount=self.expected_amount or None,
            lang=self.lang,
            helpdesk=self.helpdesk or None,
        )


def pasted_hash(text: str) -> str:
    """The tx hash in a pasted line ("tx: 9f2c… ", an explorer URL); else the line's main word."""
    text = text[:MAX_FIELD]
    claims = extract(text, max_claims=1)
    return claims[0].tx_hash if claims else _main_word(text)


def pasted_address(text: str, tx_hash: str) -> str:
    """The address in a pasted line, found as `extract` pairs it with the hash; else the line's main word."""
    text = text[:MAX_FIELD]
    claims = extract(f"{tx_hash}\n{text}", max_claims=1) if tx_hash else []
    if claims and claims[0].address is not None:
        return claims[0].address
    return _main_word(text)


def pasted_amount(text: str) -> str:
    """`0.5`, ` 0,5 LTC`, `amount: 0.5` -> `0.5`; "" when there is no number."""
    match = _AMOUNT.search(text[:MAX_FIELD])
    return match.group().replace(",", ".") if match else ""


def pasted_ticket(text: str) -> str:
    """`#123`, `desk #123`, a ticket URL -> `123` (the last run of digits); "" when none."""
    runs = _DIGITS.findall(text[:MAX_FIELD])
    return runs[-1] if runs else ""


def _main_word(text: str) -> str:
    """No hash or address recognized: the longest word after any label, for deposit_check to judge.

    The form then refuses it if it has no hash's or address's shape (desk_common.chain_text), and
    deposit_check if its checksum or network is wrong, each with a message that says what.
    """
    words = [w.strip(_EDGES) for w in _LABEL.sub("", text, count=1).split()]
    return max(words, key=len, default="")


def read_deposit_form(data: Mapping[str, Any]) -> tuple[DepositForm, list[str]]:
    """The form, trimmed, and what is wrong with it (empty when it can be checked)."""

    def field(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    tx_hash = pasted_hash(field("tx_hash"))
    if field("address").strip():
        address = pasted_address(field("address"), tx_hash)
    else:  # the whole ticket line went into the hash field: take the address from it, if it is there
        claims = extract(field("tx_hash")[:MAX_FIELD], max_claims=1)
        address = (claims[0].address if claims else None) or ""
    lang = field("lang")
    form = DepositForm(
        tx_hash=tx_hash,
        address=address,
        ticket_ref=pasted_ticket(field("ticket_ref")),
        expected_amount=pasted_amount(field("expected_amount")),
        lang=lang if lang in LANGUAGES else DEFAULT_LANGUAGE,
        helpdesk=field("helpdesk").strip()[:32],
    )
    errors = []
    if not form.tx_hash:
        errors.append("Enter the transaction hash.")
    elif problem := chain_text.tx_hash_problem(form.tx_hash):
        errors.append(f"The transaction hash is {problem}.")
    # No address at all is a hash alone, located by it; an address of no address's shape is refused.
    if form.address and (problem := chain_text.address_problem(form.address)):
        errors.append(f"The deposit address is {problem}.")
    if field("expected_amount").strip() and not re.fullmatch(DECIMAL_STRING, form.expected_amount):
        errors.append("The expected amount must be a number, like 0.5.")
    return form, errors
