"""Notes and player messages: every status in every language, with the right numbers and next step."""

import inspect
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ticket_link.advice import Match
from ticket_link.extract import Claim
from ticket_link.texts import LANGUAGES, render_note, render_player_message

TX = "9f2c" + "1a" * 30
REPLACING = "7b3d" + "2e" * 30
STATUSES = [
    "not_found",
    "pending",
    "confirming",
    "confirmed",
    "failed",
    "wrong_address",
    "wrong_network",
    "replaced",
    "disputed",
]
DISPUTE_NOTE = (
    "The 2 nodes asked disagree on the block of this transaction (see dispute): not confirmed until 2 of them agree."
)
# docs/api.md's shape: node A holds the tx in block 204, node B reached 207 without it.
DISPUTE = {
    "endpoints": [
        {
            "endpoint": "http://ltc-a.nodes.internal:9332",
            "found": True,
            "block_height": 204,
            "block_hash": "5e1a" * 16,
            "confirmations": 4,
            "tip": 207,
        },
        {
            "endpoint": "https://ltc-b.nodes.internal:9332",
            "found": False,
            "block_height": None,
            "block_hash": None,
            "confirmations": 0,
            "tip": 207,
        },
    ]
}


def verdict(status: str, **changes: Any) -> dict[str, Any]:
    """A verdict as deposit_check's JSON says it (docs/api.md's example, by status)."""
    in_block = status in ("confirming", "confirmed", "failed", "wrong_address", "disputed")
    paid = status in ("pending", "confirming", "confirmed")
    body: dict[str, Any] = {
        "status": status,
        "chain": "litecoin",
        "tx_hash": TX,
        "address": "rltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdd3276w",
        "confirmations": {"confirming": 2, "confirmed": 6}.get(status, 0),
        "required_confirmations": 6,
        "block_height": 204 if in_block else None,
        "block_hash": "5e1a" * 16 if in_block else None,
        "block_time": "2026-11-24T09:12:03Z" if in_block else None,
        "payments": [{"asset": "LTC", "amount": "0.5", "contract": None}] if paid else [],
        "asset": "LTC" if paid else None,
        "received_amount": "0.5" if paid else None,
        "expected_amount": "0.5" if paid else None,
        "amount_status": "exact" if paid else None,
        "found_on": "ethereum" if status == "wrong_network" else None,
        "chains_checked": ["litecoin"],
        "final": status in ("confirmed", "replaced"),
        "awaiting_quorum": False,
        "watching": False,
        "replaced_by": REPLACING if status == "replaced" else None,
        "checked_at": "2026-11-24T09:13:00Z",
        "summary": "(deposit_check's English sentence)",
        "note": DISPUTE_NOTE if status == "disputed" else None,
        "dispute": DISPUTE if status == "disputed" else None,
    }
    body.update(changes)
    return body


# A phrase of the next step, per language and status: proves the right branch was taken.
NEXT_STEP = {
    "en": {
        "not_found": "wallet's history",
        "pending": "nothing to do yet",
        "confirming": "nothing to do yet",
        "confirmed": "credit it, if not already",
        "failed": "no funds moved",
        "wrong_address": "which address they sent to",
        "wrong_network": "it went to ethereum",
        "replaced": "do not credit this transaction",
        "disputed": "do not credit this deposit while our nodes disagree",
    },
    "fr": {
        "not_found": "historique de son portefeuille",
        "pending": "rien à faire pour l'instant",
        "confirming": "rien à faire pour l'instant",
        "confirmed": "créditez le dépôt",
        "failed": "aucun fonds n'a donc été transféré",
        "wrong_address": "à quelle adresse il a envoyé",
        "wrong_network": "envoyée sur ethereum",
        "replaced": "ne créditez pas cette transaction",
        "disputed": "ne créditez pas ce dépôt tant que nos nœuds sont en désaccord",
    },
    "pl": {
        "not_found": "z historii jego portfela",
        "pending": "na razie nic nie trzeba robić",
        "confirming": "na razie nic nie trzeba robić",
        "confirmed": "zaksięguj wpłatę",
        "failed": "żadne środki nie zostały przelane",
        "wrong_address": "na jaki adres zostały wysłane",
        "wrong_network": "trafiła do sieci ethereum",
        "replaced": "nie księguj tej transakcji",
        "disputed": "nie księguj tej wpłaty, dopóki nasze węzły się nie zgadzają",
    },
    "ru": {
        "not_found": "из истории его кошелька",
        "pending": "пока ничего делать не нужно",
        "confirming": "пока ничего делать не нужно",
        "confirmed": "зачислите депозит",
        "failed": "средства не переводились",
        "wrong_address": "на какой адрес он их отправил",
        "wrong_network": "ушла в сеть ethereum",
        "replaced": "не зачисляйте эту транзакцию",
        "disputed": "не зачисляйте этот депозит, пока наши узлы расходятся",
    },
}
HEADER = {
    "en": "[Automatic deposit check]",
    "fr": "[Vérification automatique du dépôt]",
    "pl": "[Automatyczna weryfikacja wpłaty]",
    "ru": "[Автоматическая проверка депозита]",
}


def assert_clean(text: str) -> None:
    """No template leftovers, no Python None, no blank-line runs or trailing blanks."""
    assert "{{" not in text and "{%" not in text and "None" not in text and "\n\n\n" not in text
    assert all(line == line.rstrip() for line in text.splitlines())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_note_every_status_every_language(language: str, status: str) -> None:
    v = verdict(status)
    note = render_note(v, language=language, explorer_url="https://litecoinspace.org/tx/{tx_hash}", earlier_ticket=None)
    assert_clean(note)
    assert note.startswith(HEADER[language])
    assert TX in note and f"https://litecoinspace.org/tx/{TX}" in note
    assert "litecoin" in note
    assert NEXT_STEP[language][status] in note.lower()
    if status in ("pending", "confirming", "confirmed"):
        assert f"{v['confirmations']}/6" in note
        assert "0.5 LTC" in note
    if status in ("pending", "confirming"):
        assert "6" in note.split("\n\n")[-2]  # credited at N confirmations, in the next-step block
    if v["block_time"]:
        assert "2026-11-24 09:12:03 UTC" in note and "204" in note
    assert "2026-11-24 09:13:00 UTC" in note


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_player_message_every_status_every_language(language: str, status: str) -> None:
    v = verdict(status, confirmations=3 if status == "confirming" else 0)
    message = render_player_message(v, language=language)
    assert_clean(message)
    assert "\n" not in message and 20 < len(message) < 400
    if status in ("pending", "confirming", "confirmed"):
        assert "0.5 LTC" in message
    if status == "confirming":
        assert "3" in message and "6" in message
    if status in ("not_found", "failed", "wrong_address", "wrong_network", "replaced"):
        assert "9f2c1a1a…1a1a1a" in message  # the short hash, as deposit_check's summary writes it
    if status == "wrong_network":
        assert "ethereum" in message
    if status == "replaced":
        assert "7b3d2e2e…2e2e2e" in message  # the replacing tx, short


def test_english_player_message_is_deposit_checks_summary() -> None:
    # docs/api.md's example, word for word.
    v = verdict("confirming")
    assert render_player_message(v, language="en") == (
        "Your deposit of 0.5 LTC has 2 of 6 confirmations on litecoin; it is credited once it reaches 6."
    )
    assert render_player_message(verdict("not_found", chain=None), language="en") == (
        "We cannot find transaction 9f2c1a1a…1a1a1a on any of our networks yet. Please check the hash "
        "in your wallet's history and which network you sent it on."
    )
    under = verdict("confirmed", received_amount="0.5", expected_amount="0.6", amount_status="under")
    assert render_player_message(under, language="en") == (
        "Your deposit of 0.5 LTC is confirmed on litecoin. That is 0.1 LTC less than the expected 0.6."
    )


@pytest.mark.parametrize(
    ("language", "under", "over"),
    [
        ("en", "under-paid by 0.1 LTC", "over-paid by 0.25 LTC"),
        ("fr", "insuffisant de 0.1 LTC", "excédent de 0.25 LTC"),
        ("pl", "niedopłata 0.1 LTC", "nadpłata 0.25 LTC"),
        ("ru", "недоплата 0.1 LTC", "переплата 0.25 LTC"),
    ],
)
def test_under_and_over_paid(language: str, under: str, over: str) -> None:
    short = render_note(verdict("confirmed", expected_amount="0.6", amount_status="under"), language=language)
    assert under.lower() in short.lower() and "0.6 LTC" in short and "0.5 LTC" in short
    extra = render_note(verdict("confirming", expected_amount="0.25", amount_status="over"), language=language)
    assert over.lower() in extra.lower()
    message = render_player_message(
        verdict("confirmed", expected_amount="0.6", amount_status="under"), language=language
    )
    assert "0.1 LTC" in message and "0.6" in message


def test_amounts_are_shown_as_given_and_differences_are_exact() -> None:
    wei = verdict(
        "confirmed",
        asset="ETH",
        received_amount="1234567890123.123456789012345678",
        expected_amount="1234567890123.123456789012345679",
        amount_status="under",
        payments=[{"asset": "ETH", "amount": "1234567890123.123456789012345678", "contract": None}],
    )
    note = render_note(wei, language="en")
    assert "under-paid by 0.000000000000000001 ETH" in note  # a float would say 0 or 1e-18
    assert "received 1234567890123.123456789012345678 ETH" in note
    given = render_note(
        verdict("confirmed", received_amount="250.00", expected_amount="250", asset="USDT"), language="en"
    )
    assert "250.00 USDT" in given and "expected 250 USDT" in given
    whole = render_note(
        verdict("confirmed", received_amount="3", expected_amount="1.50", amount_status="over"), language="en"
    )
    assert "over-paid by 1.5 LTC" in whole


def test_confirmed_without_expected_amount_asks_to_check_it() -> None:
    note = render_note(verdict("confirmed", expected_amount=None, amount_status=None), language="en")
    assert "No expected amount was given" in note and "Amount:" not in note


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "This transaction was already claimed in ticket #4711: do not credit it twice."),
        ("fr", "déjà été réclamée dans le ticket #4711 : ne la créditez pas deux fois."),
        ("pl", "dotyczyło już zgłoszenie #4711: nie księguj jej dwukrotnie."),
        ("ru", "уже заявлена в тикете #4711: не зачисляйте её дважды."),
    ],
)
def test_duplicate_claim_block(language: str, phrase: str) -> None:
    note = render_note(verdict("confirmed"), language=language, explorer_url=None, earlier_ticket="#4711")
    assert phrase in note
    assert "#4711" not in render_note(verdict("confirmed"), language=language, earlier_ticket=None)


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "The ticket gives no deposit address: ask the player for it."),
        ("fr", "aucune adresse de dépôt : demandez-la au joueur."),
        ("pl", "nie zawiera adresu wpłaty: poproś o niego gracza."),
        ("ru", "нет адреса депозита: запросите его у игрока."),
    ],
)
def test_claim_without_address(language: str, phrase: str) -> None:
    for note in (
        render_note({}, language=language, claim=Claim(TX, None, "utxo")),
        render_note(None, language=language, claim=(TX, None)),
        render_note(None, language=language, tx_hash=TX, reason="no_address"),
    ):
        assert_clean(note)
        assert phrase in note and TX in note and "no_address" not in note


@pytest.mark.parametrize("language", LANGUAGES)
def test_deposit_check_unavailable(language: str) -> None:
    body = {"status": "unavailable", "error": {"code": "unavailable", "message": "no node of litecoin answered"}}
    address = "rltc1qc9dlra207wrhsaxc6alp0qnmv564x8sdd3276w"
    note = render_note(body, language=language, claim=Claim(TX, address, "utxo"))
    assert_clean(note)
    assert TX in note and address in note and "deposit_check" in note
    assert "no node of litecoin answered" not in note  # deposit_check's error text is never quoted (threat model)
    by_reason = render_note(None, language=language, tx_hash=TX, reason="unavailable")
    assert by_reason.splitlines()[2] == note.splitlines()[2]  # the same status line
    message = render_player_message({"status": "unavailable", "tx_hash": TX}, language=language)
    assert "9f2c1a1a…1a1a1a" in message and "deposit_check" not in message and "node" not in message


WORDED = {  # deposit_check's 422 code as the note words it, per language
    "en": "the deposit address is not valid for the chain",
    "fr": "l'adresse de dépôt n'est pas valide pour cette chaîne",
    "pl": "adres wpłaty nie jest poprawny dla tego łańcucha",
    "ru": "адрес депозита недействителен для этой сети",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_claim_deposit_check_refused(language: str) -> None:
    address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    note = render_note(None, language=language, tx_hash=TX, address=address, reason="invalid_address")
    assert_clean(note)
    assert WORDED[language] in note and address in note and TX in note
    # Any other reason (deposit_check's message, say) is not quoted: the note says "refused" in its own words.
    quoted = render_note(None, language=language, tx_hash=TX, address=address, reason="[x](https://e.example)")
    assert "e.example" not in quoted and "[x]" not in quoted


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("hostile", ["[Urgent](https://evil.example/login)", "<a href='https://evil.example'>x</a>"])
def test_a_claim_of_no_hash_or_address_shape_is_not_shown(language: str, hostile: str) -> None:
    note = render_note(None, language=language, tx_hash=hostile, address=hostile, reason="invalid_tx_hash")
    assert "evil" not in note and "<a" not in note and "[Urgent]" not in note
    verdict_note = render_note(
        {"status": "not_found", "tx_hash": hostile, "address": hostile, "chain": hostile, "asset": hostile},
        language=language,
    )
    assert "evil" not in verdict_note and "<a" not in verdict_note


def test_player_message_never_carries_ticket_refs() -> None:
    assert "earlier_ticket" not in inspect.signature(render_player_message).parameters
    for language in [*LANGUAGES, "de"]:
        for status in [*STATUSES, "unavailable", "something_new"]:
            v = verdict(status, earlier_ticket="T-4711", duplicate_claim={"ticket": "T-4711"}, summary="T-4711")
            message = render_player_message(v, language=language)
            assert "4711" not in message and "deposit_check" not in message


@pytest.mark.parametrize("language", ["de", "", "xx-YY", "EN", "en-GB", "zh_Hans"])
def test_unknown_language_falls_back_to_english(language: str) -> None:
    v = verdict("confirming")
    assert render_note(v, language=language) == render_note(v, language="en")
    assert render_player_message(v, language=language) == render_player_message(v, language="en")


def test_regional_variants_use_their_language() -> None:
    v = verdict("confirming")
    assert render_player_message(v, language="fr-CA") == render_player_message(v, language="fr")
    assert render_note(v, language="RU_ru") == render_note(v, language="ru")


@pytest.mark.parametrize(
    ("language", "required", "phrase"),
    [
        ("fr", 1, "compte 0 confirmation sur 1"),
        ("pl", 1, "ma 0 z 1 potwierdzenia"),
        ("pl", 12, "ma 0 z 12 potwierdzeń"),
        ("ru", 1, "получил 0 из 1 подтверждения"),
        ("ru", 21, "получил 0 из 21 подтверждения"),
        ("ru", 11, "получил 0 из 11 подтверждений"),
    ],
)
def test_confirmation_counts_agree_grammatically(language: str, required: int, phrase: str) -> None:
    v = verdict("confirming", confirmations=0, required_confirmations=required)
    assert phrase in render_player_message(v, language=language)


def test_block_time_is_shown_in_utc_whatever_the_input() -> None:
    expected = "2026-11-24 09:12:03 UTC"
    for value in (
        "2026-11-24T09:12:03Z",
        "2026-11-24T09:12:03+00:00",
        "2026-11-24T10:12:03+01:00",
        datetime(2026, 11, 24, 9, 12, 3, tzinfo=UTC),
        datetime(2026, 11, 24, 12, 12, 3, tzinfo=timezone(timedelta(hours=3))),
    ):
        assert expected in render_note(verdict("confirmed", block_time=value), language="en")
    assert "yesterday" in render_note(verdict("confirmed", block_time="yesterday"), language="en")


def test_sparse_and_unknown_verdicts_render() -> None:
    for v in (
        {"status": "not_found", "tx_hash": TX},
        {"status": "something_new", "tx_hash": TX},
        {"status": "confirmed"},
    ):
        for language in LANGUAGES:
            assert_clean(render_note(v, language=language))
            assert_clean(render_player_message(v, language=language))


def test_wrong_network_without_a_chain_names_the_chains_checked() -> None:
    v = verdict("wrong_network", chain=None, chains_checked=["ethereum-sepolia", "bsc"], found_on="polygon")
    note = render_note(v, language="en")
    assert "it went to polygon, not ethereum-sepolia, bsc" in note


# Networks named for people (deposit_check's `chain_display` / `found_on_display`), per language: the note's
# "Chain" line, its next step, and the player's message on a wrong network.
DISPLAYED = {
    "en": (
        "Chain: Ethereum (ERC-20)",
        "it went to TRON (TRC-20), not Ethereum (ERC-20)",
        "made on the TRON (TRC-20) network",
    ),
    "fr": (
        "Réseau : Ethereum (ERC-20)",
        "envoyée sur TRON (TRC-20) et non sur Ethereum (ERC-20)",
        "sur le réseau TRON (TRC-20)",
    ),
    "pl": (
        "Sieć: Ethereum (ERC-20)",
        "trafiła do sieci TRON (TRC-20), a nie Ethereum (ERC-20)",
        "w sieci TRON (TRC-20)",
    ),
    "ru": ("Сеть: Ethereum (ERC-20)", "ушла в сеть TRON (TRC-20), а не Ethereum (ERC-20)", "в сети TRON (TRC-20)"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_networks_are_named_by_their_display_names(language: str) -> None:
    v = verdict(
        "wrong_network",
        chain="ethereum",
        chain_display="Ethereum (ERC-20)",
        found_on="tron",
        found_on_display="TRON (TRC-20)",
        address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    )
    note, message = render_note(v, language=language), render_player_message(v, language=language)
    chain_line, next_step, player = DISPLAYED[language]
    assert chain_line in note and next_step in note and player in message
    assert "ethereum" not in (note + message).replace("Ethereum", "")  # the chain names are not shown
    assert " tron" not in note + message


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_a_display_name_a_network_is_named_by_its_chain_name(language: str) -> None:
    # An older deposit_check, or a chain with no display name: its answer has no (or a null) display field.
    v = verdict("confirmed", chain="tron", chain_display=None)
    assert DISPLAYED[language][0].replace("Ethereum (ERC-20)", "tron") in render_note(v, language=language)
    assert "tron" in render_player_message(v, language=language)
    shown = verdict("confirmed", chain="tron", chain_display="TRON (TRC-20)")
    assert "TRON (TRC-20)" in render_player_message(shown, language=language)
    assert "tron" not in render_player_message(shown, language=language).replace("TRON", "")


def test_texts_do_not_import_deposit_check() -> None:
    code = "import sys, ticket_link.texts, ticket_link.extract; print(any(m.startswith('deposit_check') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_an_amount_check_the_note_lists_what_arrived() -> None:
    payments = [
        {"asset": "ETH", "amount": "0.01", "contract": None},
        {"asset": "USDT", "amount": "250", "contract": "0xdAC1"},
    ]
    v = verdict(
        "confirmed", asset=None, received_amount=None, expected_amount=None, amount_status=None, payments=payments
    )
    assert "Received: 0.01 ETH, 250 USDT" in render_note(v, language="en")


# --- Watcher events: reorg, replaced, expired, and whether a follow-up note is promised. ---

# (the reorg warning's opening, how the previous status "confirmed" is quoted in it)
REORG = {
    "en": ("CHAIN REORGANISATION:", 'The earlier status "confirmed" was UNDONE by a chain reorganisation'),
    "fr": ("RÉORGANISATION DE LA CHAÎNE :", "le statut précédent « confirmée » a été ANNULÉ"),
    "pl": ("REORGANIZACJA ŁAŃCUCHA:", "wcześniejszy status „potwierdzona” został COFNIĘTY"),
    "ru": ("РЕОРГАНИЗАЦИЯ БЛОКЧЕЙНА:", "прежний статус «подтверждена» ОТМЕНЁН"),
}
DO_NOT_CREDIT_UNTIL_CONFIRMED = {
    "en": "Do not credit this deposit until it is confirmed again; if it was already credited, review",
    "fr": "Ne créditez pas ce dépôt avant qu'il soit de nouveau confirmé ; s'il a déjà été crédité, réexaminez",
    "pl": "Nie księguj tej wpłaty, dopóki nie zostanie ponownie potwierdzona; jeśli już ją zaksięgowano, zweryfikuj",
    "ru": "Не зачисляйте этот депозит, пока он не будет снова подтверждён; если он уже зачислен, перепроверьте",
}
STOPPED_FOLLOWING = {
    "en": "We stopped following this transaction",
    "fr": "Nous avons cessé de suivre cette transaction",
    "pl": "Przestaliśmy śledzić tę transakcję",
    "ru": "Мы перестали отслеживать эту транзакцию",
}
EXPIRED_NEXT = {  # (not_found: ask for the right hash and network; pending: dropped, rebroadcast or resend)
    "en": ("ask the player for the correct transaction hash", "rebroadcast (or speed up) the transaction"),
    "fr": ("demandez au joueur le bon hash de transaction", "de la rediffuser (ou de l'accélérer)"),
    "pl": ("poproś gracza o prawidłowy hash transakcji", "niech rozgłosi ją ponownie (lub przyspieszy)"),
    "ru": ("попросите у игрока правильный хеш транзакции", "повторно отправить её в сеть (или ускорить)"),
}
FOLLOWING = {  # (pending/confirming while watched, not watched, other non-final statuses while watched)
    "en": (
        "we keep following it and will add a note when the status changes",
        "no follow-up note will be added",
        "We keep following this transaction until it is final",
    ),
    "fr": (
        "nous continuons à le suivre et ajouterons une note quand le statut changera",
        "aucune note de suivi ne sera ajoutée",
        "Nous continuons à suivre cette transaction jusqu'à ce qu'elle soit définitive",
    ),
    "pl": (
        "nadal ją śledzimy i dodamy notatkę, gdy status się zmieni",
        "kolejna notatka nie zostanie dodana automatycznie",
        "Śledzimy tę transakcję, dopóki wynik nie będzie ostateczny",
    ),
    "ru": (
        "мы продолжаем отслеживать транзакцию и добавим заметку, когда статус изменится",
        "новой заметки автоматически не будет",
        "Мы отслеживаем эту транзакцию, пока результат не станет окончательным",
    ),
}
NOT_FOUND_FOLLOWING = {  # (watched, not watched)
    "en": ("we keep looking and will add a note when it shows up", "check again in a few minutes"),
    "fr": ("nous continuons à la chercher", "revérifiez dans quelques minutes"),
    "pl": ("nadal jej szukamy i dodamy notatkę", "sprawdź ponownie za kilka minut"),
    "ru": ("мы продолжаем её искать и добавим заметку", "проверьте снова через несколько минут"),
}
PREVIOUS_STATUS = {
    "en": "Previous status: pending",
    "fr": "Statut précédent : en attente",
    "pl": "Poprzedni status: oczekuje",
    "ru": "Прежний статус: ожидает",
}
REPLACED_BY = {
    "en": "Replaced by: ",
    "fr": "Remplacée par : ",
    "pl": "Zastąpiona przez: ",
    "ru": "Заменена транзакцией: ",
}
ALL_PROMISES = [p for phrases in (*FOLLOWING.values(), *NOT_FOUND_FOLLOWING.values()) for p in phrases[:1]] + [
    p[2] for p in FOLLOWING.values()
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("new_status", ["pending", "not_found", "confirming"])
def test_reorg_warning_heads_the_note_and_names_the_undone_status(language: str, new_status: str) -> None:
    v = verdict(new_status, watching=True)
    note = render_note(
        v,
        language=language,
        event="reorg",
        previous_status="confirmed",
        explorer_url="https://litecoinspace.org/tx/{tx_hash}",
    )
    assert_clean(note)
    opening, undone = REORG[language]
    paragraphs = note.split("\n\n")
    assert paragraphs[0].startswith(HEADER[language])
    assert paragraphs[1].startswith(opening)  # right under the header, before anything else
    assert undone in paragraphs[1] and DO_NOT_CREDIT_UNTIL_CONFIRMED[language] in paragraphs[1]
    # then the usual body for the new status
    assert NEXT_STEP[language][new_status] in note.lower()
    assert TX in note and f"https://litecoinspace.org/tx/{TX}" in note
    # the previous status is in the warning, not repeated as a line of its own
    assert PREVIOUS_STATUS[language].split(":")[0] not in note


@pytest.mark.parametrize("language", LANGUAGES)
def test_reorg_warning_without_a_previous_status_and_none_without_the_event(language: str) -> None:
    note = render_note(verdict("pending", watching=True), language=language, event="reorg")
    assert_clean(note)
    assert note.split("\n\n")[1].startswith(REORG[language][0])
    assert DO_NOT_CREDIT_UNTIL_CONFIRMED[language] in note
    for event in (None, "status"):
        other = render_note(verdict("pending"), language=language, event=event, previous_status="confirmed")
        assert REORG[language][0] not in other and DO_NOT_CREDIT_UNTIL_CONFIRMED[language] not in other


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", [None, "replaced"])
def test_replaced_note_names_the_replacing_tx_and_says_not_to_credit(language: str, event: str | None) -> None:
    v = verdict(
        "replaced",
        payments=[{"asset": "LTC", "amount": "0.5", "contract": None}],
        asset="LTC",
        received_amount="0.5",
        expected_amount="0.5",
        amount_status="exact",
    )
    note = render_note(
        v,
        language=language,
        event=event,
        previous_status="pending" if event else None,
        explorer_url="https://litecoinspace.org/tx/{tx_hash}",
    )
    assert_clean(note)
    assert REPLACED_BY[language] + REPLACING in note
    next_step = note.split("\n\n")[-2]
    assert REPLACING in next_step and NEXT_STEP[language]["replaced"] in next_step.lower()
    assert TX in note and f"https://litecoinspace.org/tx/{TX}" in note  # the original, still named
    assert "0.5 LTC" not in note  # nothing arrives with a replaced tx: no "received" amount
    assert not any(promise in note for promise in ALL_PROMISES)  # replaced is final
    assert (PREVIOUS_STATUS[language] in note) == (event is not None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_replaced_without_the_replacing_hash_asks_the_player_for_it(language: str) -> None:
    note = render_note(verdict("replaced", replaced_by=None), language=language, event="replaced")
    assert_clean(note)
    assert NEXT_STEP[language]["replaced"] in note.lower() and REPLACED_BY[language] not in note
    message = render_player_message(verdict("replaced", replaced_by=None), language=language)
    assert_clean(message)
    assert "9f2c1a1a…1a1a1a" in message and "()" not in message


def test_english_replaced_player_message_is_deposit_checks_summary() -> None:
    assert render_player_message(verdict("replaced"), language="en") == (
        "Transaction 9f2c1a1a…1a1a1a was replaced on litecoin by another transaction (7b3d2e2e…2e2e2e); "
        "please check your wallet for the one that went through."
    )
    assert render_player_message(verdict("replaced", chain=None, replaced_by=None), language="en") == (
        "Transaction 9f2c1a1a…1a1a1a was replaced on any of our networks by another transaction; "
        "please check your wallet for the one that went through."
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_expired_next_steps_differ_for_not_found_and_pending(language: str) -> None:
    lost = render_note(verdict("not_found"), language=language, event="expired", previous_status="not_found")
    dropped = render_note(verdict("pending"), language=language, event="expired", previous_status="pending")
    ask_hash, rebroadcast = EXPIRED_NEXT[language]
    for note in (lost, dropped):
        assert_clean(note)
        assert STOPPED_FOLLOWING[language] in note and TX in note
        assert not any(promise in note for promise in ALL_PROMISES)  # we stopped: no follow-up note
        assert NEXT_STEP[language]["pending"] not in note.lower()  # not "nothing to do yet"
    lost, dropped = lost.lower(), dropped.lower()
    assert ask_hash in lost and rebroadcast not in lost
    assert rebroadcast in dropped and ask_hash not in dropped
    assert "0.5 ltc" not in dropped  # it never arrived
    # without the event, the usual notes
    assert STOPPED_FOLLOWING[language] not in render_note(verdict("pending"), language=language)
    assert STOPPED_FOLLOWING[language] not in render_note(verdict("not_found"), language=language, event="status")


@pytest.mark.parametrize("language", LANGUAGES)
def test_expired_even_if_the_verdict_still_says_watching(language: str) -> None:
    note = render_note(verdict("pending", watching=True), language=language, event="expired")
    assert STOPPED_FOLLOWING[language] in note and not any(promise in note for promise in ALL_PROMISES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", ["pending", "confirming"])
def test_follow_up_is_promised_only_while_watching(language: str, status: str) -> None:
    watched, unwatched, _ = FOLLOWING[language]
    yes = render_note(verdict(status, watching=True), language=language)
    no = render_note(verdict(status, watching=False), language=language)
    assert watched in yes and unwatched not in yes
    assert unwatched in no and watched not in no
    legacy = dict(verdict(status))
    del legacy["watching"]  # a verdict from before the watcher: no promise
    assert render_note(legacy, language=language) == no
    assert NEXT_STEP[language][status] in yes.lower() and NEXT_STEP[language][status] in no.lower()


@pytest.mark.parametrize("language", LANGUAGES)
def test_not_found_follow_up_depends_on_watching(language: str) -> None:
    watched, unwatched = NOT_FOUND_FOLLOWING[language]
    yes = render_note(verdict("not_found", watching=True), language=language)
    no = render_note(verdict("not_found", watching=False), language=language)
    assert watched in yes and unwatched not in yes
    assert unwatched in no and watched not in no


@pytest.mark.parametrize("language", LANGUAGES)
def test_other_non_final_statuses_say_we_keep_following_while_watched(language: str) -> None:
    generic = FOLLOWING[language][2]
    failed = verdict("failed", confirmations=1, watching=True, final=False)
    assert generic in render_note(failed, language=language)
    assert generic not in render_note(dict(failed, watching=False), language=language)
    # final verdicts promise nothing, whatever `watching` says
    done = render_note(verdict("confirmed", watching=True, final=True), language=language)
    assert not any(promise in done for promise in ALL_PROMISES)
    # nor do notes without a verdict
    assert generic not in render_note({"status": "unavailable", "watching": True}, language=language, tx_hash=TX)


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_event_names_the_previous_status(language: str) -> None:
    note = render_note(
        verdict("confirming", watching=True), language=language, event="status", previous_status="pending"
    )
    assert_clean(note)
    assert PREVIOUS_STATUS[language] in note
    lines = note.splitlines()
    assert lines.index(PREVIOUS_STATUS[language]) == 3  # right under the status line
    # a first check (no event) or the same status: no such line
    assert PREVIOUS_STATUS[language] not in render_note(
        verdict("confirming"), language=language, previous_status="pending"
    )
    same = render_note(verdict("pending"), language=language, event="status", previous_status="pending")
    assert PREVIOUS_STATUS[language] not in same


def test_first_check_note_is_unchanged_by_the_new_keywords() -> None:
    v = verdict("confirming", watching=True)
    assert render_note(v, language="en") == render_note(v, language="en", event=None, previous_status=None)
    assert render_note(v, language="en", event="", previous_status="") == render_note(v, language="en")


# --- Quorum: `disputed` (our nodes contradict each other) and `confirming` held for a second node. ---

# (warning opening, "found in block", "not found", tip label, escalate, note label)
DISPUTED = {
    "en": (
        "NODES DISAGREE:",
        "found in block 204 (5e1a5e1a…1a5e1a)",
        "not found",
        "its tip: 207",
        "If the disagreement persists, escalate",
        "Note (deposit_check): ",
    ),
    "fr": (
        "NŒUDS EN DÉSACCORD :",
        "trouvée dans le bloc 204 (5e1a5e1a…1a5e1a)",
        "introuvable",
        "hauteur du nœud : 207",
        "Si le désaccord persiste, transmettez",
        "Remarque (deposit_check) : ",
    ),
    "pl": (
        "WĘZŁY SIĘ NIE ZGADZAJĄ:",
        "znaleziona w bloku 204 (5e1a5e1a…1a5e1a)",
        "nieznaleziona",
        "wysokość węzła: 207",
        "Jeśli rozbieżność się utrzymuje, przekaż",
        "Uwaga (deposit_check): ",
    ),
    "ru": (
        "УЗЛЫ РАСХОДЯТСЯ:",
        "найдена в блоке 204 (5e1a5e1a…1a5e1a)",
        "не найдена",
        "высота узла: 207",
        "Если расхождение сохраняется, передайте",
        "Примечание (deposit_check): ",
    ),
}
RESOLVES = {  # it usually resolves within a few blocks
    "en": "usually resolves within a few blocks",
    "fr": "se résout généralement en quelques blocs",
    "pl": "rozwiązuje się to w ciągu kilku bloków",
    "ru": "разрешается в течение нескольких блоков",
}
CREDITED_AT = {  # the ordinary confirming next step: "credited at N confirmations"
    "en": "It will be credited at",
    "fr": "Le dépôt sera crédité à",
    "pl": "Wpłata zostanie zaksięgowana, gdy",
    "ru": "Депозит будет зачислен, когда",
}
HELD = {  # (status line, next step)
    "en": ("Status: confirming, on hold (confirmations: 6/6)", "held until a second node confirms it"),
    "fr": (
        "Statut : en cours de confirmation, en attente (confirmations : 6/6)",
        "jusqu'à ce qu'un second nœud le confirme",
    ),
    "pl": ("Status: w trakcie potwierdzania, wstrzymana (potwierdzenia: 6/6)", "dopóki drugi węzeł jej nie potwierdzi"),
    "ru": ("Статус: подтверждается, задержана (подтверждений: 6/6)", "пока второй узел его не подтвердит"),
}
HELD_NOTE = "6 of 6 confirmations but only one node answered; waiting for a second"
PLAYER_DISPUTED = {
    "en": "We are verifying your transaction 9f2c1a1a…1a1a1a with the network; please wait a few minutes.",
    "fr": "Nous vérifions votre transaction 9f2c1a1a…1a1a1a auprès du réseau ; veuillez patienter quelques minutes.",
    "pl": "Weryfikujemy Twoją transakcję 9f2c1a1a…1a1a1a w sieci; prosimy poczekać kilka minut.",
    "ru": "Мы проверяем вашу транзакцию 9f2c1a1a…1a1a1a в сети; пожалуйста, подождите несколько минут.",
}
PLAYER_CREDITED_ONCE = {  # the ordinary confirming message: "credited once it reaches N"
    "en": "it is credited once it reaches",
    "fr": "il sera crédité dès qu'il en",
    "pl": "zostanie zaksięgowana, gdy liczba",
    "ru": "будет зачислен, когда число",
}
NODE_WORDS = (
    "node",
    "nœud",
    "noeud",
    "węz",
    "узел",
    "узл",
    "ltc-a",
    "ltc-b",
    "5e1a",
    "quorum",
    "dispute",
    "deposit_check",
)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("watching", [True, False])
def test_disputed_note_warns_lists_each_node_and_says_not_to_credit(language: str, watching: bool) -> None:
    note = render_note(
        verdict("disputed", watching=watching), language=language, explorer_url="https://litecoinspace.org/tx/{tx_hash}"
    )
    assert_clean(note)
    opening, in_block, not_found, tip, escalate, note_label = DISPUTED[language]
    paragraphs = note.split("\n\n")
    assert paragraphs[1].startswith(opening)  # the warning heads the note, like a reorg
    warning = paragraphs[1].splitlines()
    # one line per node: host and port only (no scheme), found or not, block height and short hash, tip
    colon, semicolon = (" : ", " ; ") if language == "fr" else (": ", "; ")
    assert warning[1] == f"- ltc-a.nodes.internal:9332{colon}{in_block}{semicolon}{tip}"
    assert warning[2] == f"- ltc-b.nodes.internal:9332{colon}{not_found}{semicolon}{tip}"
    assert len(warning) == 3
    assert "http" not in paragraphs[1] and "5e1a" * 16 not in note
    assert note_label + DISPUTE_NOTE in note  # deposit_check's note, as it said it
    next_step = paragraphs[-2]
    assert NEXT_STEP[language]["disputed"] in next_step.lower()
    assert RESOLVES[language] in next_step and escalate in next_step
    watched, unwatched, generic = FOLLOWING[language]
    assert (watched in next_step) == watching and (unwatched in next_step) == (not watching)
    assert generic not in note  # the follow-up is promised once, in the next step
    assert CREDITED_AT[language] not in note and NEXT_STEP[language]["confirmed"] not in note.lower()


@pytest.mark.parametrize("language", LANGUAGES)
def test_disputed_views_render_whatever_the_dispute_body_holds(language: str) -> None:
    opening = DISPUTED[language][0]
    for dispute in (None, {}, {"endpoints": []}, {"endpoints": "junk"}):
        note = render_note(verdict("disputed", dispute=dispute, note=None), language=language)
        assert_clean(note)
        assert note.split("\n\n")[1].startswith(opening) and "\n- " not in note
        assert DISPUTED[language][5] not in note  # no note, no note line
    odd = {
        "endpoints": [
            {
                "endpoint": "user:secret@10.0.0.7:9332",
                "found": True,
                "block_height": None,
                "block_hash": None,
                "tip": 205,
            },
            {
                "endpoint": "http://[::1]:9332/rpc?key=secret",
                "found": True,
                "block_height": 203,
                "block_hash": "0x" + "ab" * 32,
            },
            "junk",
        ]
    }
    note = render_note(verdict("disputed", dispute=odd), language=language)
    assert_clean(note)
    assert "- 10.0.0.7:9332" in note and "- [::1]:9332" in note and "secret" not in note and "rpc" not in note
    assert "203 (0xabababab…ababab)" in note


@pytest.mark.parametrize("language", LANGUAGES)
def test_disputed_after_a_reorg_keeps_both_warnings_in_order(language: str) -> None:
    note = render_note(
        verdict("disputed", watching=True), language=language, event="reorg", previous_status="confirmed"
    )
    paragraphs = note.split("\n\n")
    assert paragraphs[1].startswith(REORG[language][0]) and paragraphs[2].startswith(DISPUTED[language][0])


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", ["pending", "confirming", "confirmed", "failed", "not_found"])
def test_a_verdict_note_is_shown_whatever_the_status(language: str, status: str) -> None:
    label = DISPUTED[language][5]
    with_note = render_note(verdict(status, note="  Something the\nagent should know.  "), language=language)
    assert_clean(with_note)
    assert label + "Something the agent should know." in with_note.splitlines()
    assert label not in render_note(verdict(status), language=language)
    assert label not in render_note(verdict(status, note=""), language=language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("watching", [True, False])
def test_confirming_held_for_a_second_node_is_not_pending_credit(language: str, watching: bool) -> None:
    held = verdict("confirming", confirmations=6, note=HELD_NOTE, awaiting_quorum=True, watching=watching)
    note = render_note(held, language=language)
    assert_clean(note)
    status_line, next_phrase = HELD[language]
    assert status_line in note.splitlines()
    assert DISPUTED[language][5] + HELD_NOTE in note
    next_step = note.split("\n\n")[-2]
    assert next_phrase in next_step
    assert CREDITED_AT[language] not in note and NEXT_STEP[language]["pending"] not in note.lower()
    watched, unwatched, _ = FOLLOWING[language]
    assert (watched in next_step) == watching and (unwatched in next_step) == (not watching)
    # more confirmations than required, or no note at all: still held (confirming at 6/6 means held)
    assert next_phrase in render_note(dict(held, confirmations=9), language=language)
    assert next_phrase in render_note(dict(held, note=None), language=language)
    # an ordinary confirming, even with a note, is credited at N as before
    ordinary = render_note(verdict("confirming", note="something"), language=language)
    assert CREDITED_AT[language] in ordinary and next_phrase not in ordinary
    assert HELD[language][0].split("(")[0] not in ordinary


@pytest.mark.parametrize("language", LANGUAGES)
def test_player_message_for_disputed_is_neutral(language: str) -> None:
    v = verdict("disputed", watching=True)
    message = render_player_message(v, language=language)
    assert_clean(message)
    assert message == PLAYER_DISPUTED[language]
    assert not any(word in message.lower() for word in NODE_WORDS)
    assert "204" not in message  # no block details either
    bare = render_player_message({"status": "disputed"}, language=language)
    assert_clean(bare)
    assert "…" not in bare and "  " not in bare and not any(word in bare.lower() for word in NODE_WORDS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_player_message_for_a_held_confirming_does_not_promise_credit_at_n(language: str) -> None:
    message = render_player_message(
        verdict("confirming", confirmations=6, note=HELD_NOTE, awaiting_quorum=True), language=language
    )
    assert_clean(message)
    assert "0.5 LTC" in message and "litecoin" in message
    assert PLAYER_CREDITED_ONCE[language] not in message
    assert not any(word in message.lower() for word in NODE_WORDS)
    under = verdict(
        "confirming",
        confirmations=6,
        note=HELD_NOTE,
        awaiting_quorum=True,
        expected_amount="0.6",
        amount_status="under",
    )
    assert "0.1 LTC" in render_player_message(under, language=language)
    # an ordinary confirming is unchanged
    assert PLAYER_CREDITED_ONCE[language] in render_player_message(verdict("confirming"), language=language)


def test_english_held_player_message() -> None:
    v = verdict("confirming", confirmations=6, note=HELD_NOTE, awaiting_quorum=True)
    assert render_player_message(v, language="en") == (
        "Your deposit of 0.5 LTC has the 6 confirmations it needs on litecoin; we are verifying it with the "
        "network before it is credited. Please wait a few minutes."
    )


# --- Ownership, asset, account and duplicate claims: the next step advice.advise chooses. ---

# (not ours, wrong asset "instead", other account, duplicate, ownership not verified, later ticket, owner's ticket)
ADVICE = {
    "en": (
        "this address is not one of the casino's deposit addresses: do not credit",
        "but no USDT; what came instead: 0.000000000000000001 ETH",
        "belongs to another player account than this ticket's",
        "more than one ticket claims this transaction",
        "Ownership of the deposit address was not verified",
        "Ticket desk #9 also claims this transaction: do not credit it twice.",
        "this is the ticket to credit",
    ),
    "fr": (
        "cette adresse n'est pas l'une des adresses de dépôt du casino : ne créditez pas",
        "mais pas en USDT ; reçu à la place : 0.000000000000000001 ETH",
        "appartient à un autre compte joueur que celui de ce ticket",
        "plusieurs tickets réclament cette transaction",
        "La propriété de l'adresse de dépôt n'a pas été vérifiée",
        "le ticket desk #9 réclame aussi cette transaction : ne la créditez pas deux fois.",
        "c'est ce ticket qu'il faut créditer",
    ),
    "pl": (
        "ten adres nie jest jednym z adresów wpłat kasyna: nie księguj",
        "ale nie USDT; zamiast tego przyszło: 0.000000000000000001 ETH",
        "należy do innego konta gracza niż konto z tego zgłoszenia",
        "tej transakcji dotyczy więcej niż jedno zgłoszenie",
        "Nie sprawdzono, czy adres wpłaty należy do kasyna",
        "tej transakcji dotyczy też zgłoszenie desk #9: nie księguj jej dwukrotnie.",
        "to w tym zgłoszeniu należy zaksięgować wpłatę",
    ),
    "ru": (
        "этот адрес не является адресом депозитов казино: не зачисляйте",
        "но не в USDT; вместо этого пришло: 0.000000000000000001 ETH",
        "принадлежит другому аккаунту игрока, а не аккаунту этого тикета",
        "эту транзакцию заявляют несколько тикетов",
        "Принадлежность адреса депозита не проверена",
        "эту транзакцию заявляет также тикет desk #9: не зачисляйте её дважды.",
        "зачислять нужно именно в этом тикете",
    ),
}
PLAYER_ADVICE = {  # (not ours, wrong asset, under review)
    "en": ("did not pay one of our deposit addresses", "did not send USDT", "reviewing it before it can be credited"),
    "fr": ("n'a payé aucune de nos adresses de dépôt", "n'a pas envoyé de USDT", "la vérifie avant qu'elle puisse"),
    "pl": ("nie trafiła na żaden z naszych adresów wpłat", "nie przesłała USDT", "sprawdza ją przed zaksięgowaniem"),
    "ru": ("не поступила ни на один из наших адресов", "не отправила USDT", "проверяет её перед зачислением"),
}
WEI = [{"asset": "ETH", "amount": "0.000000000000000001", "contract": None}]


@pytest.mark.parametrize("language", LANGUAGES)
def test_ownership_asset_account_and_duplicate_next_steps(language: str) -> None:

    not_ours, instead, other, duplicate, unverified, later, owner = ADVICE[language]
    credit = NEXT_STEP[language]["confirmed"]
    mine = verdict("not_our_address", address_owner="not_casino", payments=WEI)
    note = render_note(mine, language=language)
    assert_clean(note)
    assert not_ours in note and credit not in note.lower()
    asset = verdict("wrong_asset", asset="USDT", received_amount="0", expected_amount="250", payments=WEI)
    note = render_note(asset, language=language)
    assert_clean(note)
    assert instead in note and "0 USDT" not in note and credit not in note.lower()
    casino = verdict("confirmed", address_owner="casino", account="acct-a")
    note = render_note(casino, language=language, account_match=Match.OTHER_ACCOUNT)
    assert other in note and credit not in note.lower()
    note = render_note(casino, language=language, earlier_ticket="desk #1")
    assert duplicate in note and credit not in note.lower()
    note = render_note(casino, language=language, later_ticket="desk #9")
    assert later in note and duplicate in note and credit not in note.lower()
    note = render_note(casino, language=language, later_ticket="desk #9", account_match=Match.MATCHED)
    assert owner in note and credit in note.lower() and unverified not in note
    assert unverified in render_note(verdict("confirmed"), language=language)  # no address_owner: unknown
    assert unverified in render_note(verdict("confirmed", address_owner="unknown"), language=language)
    player_not_ours, player_asset, review = PLAYER_ADVICE[language]
    assert player_not_ours in render_player_message(mine, language=language)
    assert player_asset in render_player_message(asset, language=language)
    for message in (
        render_player_message(casino, language=language, duplicate=True),
        render_player_message(casino, language=language, account_match=Match.OTHER_ACCOUNT),
    ):
        assert_clean(message)
        assert review in message


# ---------------------------------------------------------------- TRON (issue 15)

TRON_ADDRESS = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TRON_TX = "7c2d4206c03a883dd9066d620335dc1be272a8dc733cfa3f6d10308faa37facc"
TRONSCAN = "https://tronscan.org/#/transaction/{tx_hash}"
EVM_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def tron_verdict(status: str, **changes: Any) -> dict[str, Any]:
    """A verdict on a TRON chain, as deposit_check answers it: USDT-TRC20 paid to a T... address."""
    body = verdict(
        status,
        chain="tron",
        chains_checked=["tron"],
        tx_hash=TRON_TX,
        address=TRON_ADDRESS,
        confirmations={"confirming": 7, "confirmed": 19}.get(status, 0),
        required_confirmations=19,
        found_on=None,
    )
    if status in ("pending", "confirming", "confirmed"):
        body.update(
            asset="USDT",
            received_amount="250",
            expected_amount="250",
            payments=[{"asset": "USDT", "amount": "250", "contract": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}],
        )
    body.update(changes)
    return body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", ["confirming", "confirmed", "not_found", "failed", "wrong_address"])
def test_a_tron_deposit_is_worded_like_any_other(language: str, status: str) -> None:
    v = tron_verdict(status)
    note = render_note(v, language=language, explorer_url=TRONSCAN)
    assert_clean(note)
    assert TRON_TX in note and TRON_ADDRESS in note and "tron" in note
    assert f"https://tronscan.org/#/transaction/{TRON_TX}" in note
    message = render_player_message(v, language=language)
    assert_clean(message)
    if status in ("confirming", "confirmed"):
        assert "250 USDT" in note and "250 USDT" in message and "tron" in message
        assert f"{v['confirmations']}/19" in note


@pytest.mark.parametrize("language", LANGUAGES)
def test_trx_and_the_wrong_tron_asset_are_named(language: str) -> None:
    trx = tron_verdict(
        "confirmed",
        asset="TRX",
        received_amount="1500.5",
        expected_amount="1500.5",
        payments=[{"asset": "TRX", "amount": "1500.5", "contract": None}],
    )
    assert "1500.5 TRX" in render_note(trx, language=language)
    assert "1500.5 TRX" in render_player_message(trx, language=language)
    # USDT was asked; the tx paid the address TRX only: what came is named, no "received 0 USDT".
    wrong = tron_verdict(
        "wrong_asset",
        block_height=204,
        asset="USDT",
        payments=[{"asset": "TRX", "amount": "10", "contract": None}],
        received_amount=None,
    )
    note = render_note(wrong, language=language)
    assert "10 TRX" in note and "0 USDT" not in note
    assert "10 TRX" in render_player_message(wrong, language=language)


# Per language: the sentence that says plainly the transfer was made on another network than the deposit
# address's, and the words that would promise a credit (the confirmed message's), never said for it.
OTHER_NETWORK = {
    "en": ("another network than the deposit address's", "is confirmed"),
    "fr": ("un autre réseau que celui de l'adresse de dépôt", "est confirmé"),
    "pl": ("w innej sieci niż sieć adresu wpłaty", "została potwierdzona"),
    "ru": ("в другой сети, чем сеть адреса депозита", "подтверждён"),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("asked", "found"), [("ethereum", "tron"), ("tron", "ethereum"), ("bsc", "tron"), ("ethereum", "bsc")]
)
def test_wrong_network_tells_the_player_plainly_and_never_advises_crediting(
    language: str, asked: str, found: str
) -> None:
    """USDT sent on TRC-20 when the address is ERC-20's (or BEP-20's), and back: the most common mistake."""
    address = TRON_ADDRESS if asked == "tron" else EVM_ADDRESS
    v = tron_verdict("wrong_network", chain=asked, chains_checked=[asked], found_on=found, address=address)
    # Even with the address declared the casino's and the account matched, nothing advises a credit.
    v["address_owner"] = "casino"
    for match in (Match.MATCHED, Match.UNKNOWN):
        message = render_player_message(v, language=language, account_match=match)
        assert_clean(message)
        plain, credit = OTHER_NETWORK[language]
        assert plain in message and found in message and asked in message and "7c2d4206…37facc" in message
        assert credit not in message
        note = render_note(v, language=language, account_match=match, explorer_url=TRONSCAN)
        assert_clean(note)
        assert CREDIT_STEP[language] not in note and DO_NOT_CREDIT[language] in note.lower()
        assert found in note.splitlines()[4]  # the "found on" line, under the asked chain's


CREDIT_STEP = {
    "en": "credit it, if not already",
    "fr": "créditez le dépôt",
    "pl": "zaksięguj wpłatę",
    "ru": "зачислите депозит",
}
DO_NOT_CREDIT = {
    "en": "do not credit it",
    "fr": "ne la créditez pas",
    "pl": "nie księguj jej",
    "ru": "не зачисляйте её",
}


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "This hash can be a UTXO or a TRON transaction: the address tells which chain to check."),
        ("fr", "Ce hash peut être celui d'une transaction UTXO ou TRON"),
        ("pl", "Ten hash może należeć do transakcji UTXO lub TRON"),
        ("ru", "Этот хэш может быть транзакцией UTXO или TRON"),
    ],
)
def test_a_bare_hash_without_address_says_it_may_be_utxo_or_tron(language: str, phrase: str) -> None:
    for note in (
        render_note(None, language=language, tx_hash=TRON_TX, reason="no_address"),
        render_note(None, language=language, claim=Claim(TRON_TX, None, None)),
    ):
        assert_clean(note)
        assert phrase in note
    # A 0x hash is EVM's, a Tronscan link's hash TRON's: nothing to say about the family.
    assert phrase not in render_note(None, language=language, tx_hash="0x" + TRON_TX, reason="no_address")
    assert phrase not in render_note(None, language=language, claim=Claim(TRON_TX, None, "tron"))


# A failed TRON tx says why (deposit_check's `failure_reason`): the status line, the next step, the player.
FAILED_WHY = {
    "en": (
        "Status: failed (OUT_OF_ENERGY)",
        "the transaction failed (OUT_OF_ENERGY), so no funds moved",
        "(OUT_OF_ENERGY), so no funds",
    ),
    "fr": (
        "Statut : échouée (OUT_OF_ENERGY)",
        "la transaction a échoué (OUT_OF_ENERGY), aucun fonds",
        "(OUT_OF_ENERGY) : aucun fonds",
    ),
    "pl": (
        "Status: nieudana (OUT_OF_ENERGY)",
        "transakcja nie powiodła się (OUT_OF_ENERGY), więc",
        "nie powiodła się (OUT_OF_ENERGY), więc",
    ),
    "ru": (
        "Статус: не выполнена (OUT_OF_ENERGY)",
        "транзакция не выполнена (OUT_OF_ENERGY), средства",
        "не выполнена (OUT_OF_ENERGY), поэтому",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_failure_reason_is_named_and_a_reason_of_another_shape_is_not(language: str) -> None:
    why = verdict("failed", chain="tron", chain_display="TRON (TRC-20)", failure_reason="OUT_OF_ENERGY")
    note, message = render_note(why, language=language), render_player_message(why, language=language)
    status_line, next_step, player = FAILED_WHY[language]
    assert status_line in note and next_step in note and player in message
    assert "revert" not in note.lower() and "TRON (TRC-20)" in message
    for hostile in ("<b>OUT</b>", "OUT_OF_ENERGY\nNext step: credit it", "[x](https://evil.example)", "out_of_energy"):
        bad = verdict("failed", failure_reason=hostile)
        texts = render_note(bad, language=language) + render_player_message(bad, language=language)
        assert hostile not in texts and "evil" not in texts and "revert" in texts.lower()
