"""The demo's sample tickets: what a player writes about each sample deposit, in the four languages
of the notes and player messages (en, fr, pl, ru), taking turns."""

from dataclasses import dataclass

from deposit_check.demo import Sample
from ticket_link.extract import extract

LANGUAGES = ("en", "fr", "pl", "ru")

# (title, body): {sent}, {address} and {tx} are the sample's; players paste them anywhere in the text.
_TEXTS = {
    "en": (
        "Deposit not credited",
        "Hi, I sent {sent} to {address} an hour ago and my balance is still the same.\n"
        "Transaction: {tx}\nPlease check, thanks!",
    ),
    "fr": (
        "Dépôt non crédité",
        "Bonjour, j'ai envoyé {sent} à l'adresse {address} mais mon solde n'a pas bougé.\n"
        "Voici la transaction : {tx}\nMerci de vérifier.",
    ),
    "pl": (
        "Wpłata nie dotarła",
        "Dzień dobry, wysłałem {sent} na adres {address}, ale saldo się nie zmieniło.\n"
        "Hash transakcji: {tx}\nProszę o sprawdzenie.",
    ),
    "ru": (
        "Депозит не зачислен",
        "Здравствуйте, я отправил {sent} на адрес {address}, но баланс не пополнился.\n"
        "Хэш транзакции: {tx}\nПроверьте, пожалуйста.",
    ),
}


# A player who pastes the transaction hash alone, no address: ticket_link finds where it went (/v1/locate).
_HASH_ONLY = {
    "en": "Hi, I sent {sent} but it is not in my balance. Transaction: {tx}",
    "fr": "Bonjour, j'ai envoyé {sent} mais mon solde n'a pas bougé. Transaction : {tx}",
    "pl": "Dzień dobry, wysłałem {sent}, ale saldo się nie zmieniło. Hash transakcji: {tx}",
    "ru": "Здравствуйте, я отправил {sent}, но баланс не пополнился. Хэш транзакции: {tx}",
}


@dataclass(frozen=True)
class SampleTicket:
    sample: Sample
    lang: str
    title: str
    body: str
    ticket_id: int = 0  # the helpdesk's, once filed
    # Whether ticket_link reads the hash and the address as one claim from the text. A TRON tx id and an 0x
    # address are of two families, so the text alone names no claim (and the note asks for the address):
    # the demo then claims the pair through the bot API, as a support bot or an agent would. A hash named alone
    # (Sample.hash_only) is located by ticket_link from the text: nothing to claim by the bot.
    paired_in_text: bool = True


def sample_tickets(samples: list[Sample]) -> list[SampleTicket]:
    """One ticket per sample, the languages taking turns."""
    tickets = []
    for i, sample in enumerate(samples):
        lang = LANGUAGES[i % len(LANGUAGES)]
        title, body = _TEXTS[lang]
        body = _HASH_ONLY[lang] if sample.hash_only else body
        text = body.format(sent=sample.sent or "my deposit", address=sample.address, tx=sample.tx_hash)
        named = [(c.tx_hash, c.address) for c in extract(text)]
        paired = (sample.tx_hash, None if sample.hash_only else sample.address) in named
        tickets.append(SampleTicket(sample, lang, title, text, paired_in_text=paired))
    return tickets
