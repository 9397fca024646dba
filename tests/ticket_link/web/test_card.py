"""The card: every status in words and with an icon shape, never colour alone."""

from tests.ticket_link.web.conftest import EXPLORER, TX, verdict
from ticket_link.web.card import LOOKS, build_card, look


def test_every_status_has_words_a_tone_and_an_icon() -> None:
    for status in (
        "not_found",
        "pending",
        "confirming",
        "confirmed",
        "failed",
        "wrong_address",
        "wrong_network",
        "replaced",
    ):
        shown = look(status)
        assert shown.label and shown.detail and shown.tone in ("good", "progress", "bad", "neutral") and shown.icon
    # Statuses that differ in colour also differ in shape.
    assert look("confirmed").icon != look("confirming").icon != look("pending").icon
    assert {look(s).icon for s in ("failed", "confirmed")} == {"cross", "check"}
    assert look("something_new").label == "Something new"  # a status deposit_check adds later still reads
    assert len(LOOKS) >= 8


def test_card_of_a_confirming_deposit() -> None:
    card = build_card(
        verdict(expected_amount="0.6", amount_status="under"), lang="pl", explorer_urls={"litecoin": EXPLORER}
    )
    assert (card.status, card.confirmations, card.required, card.show_progress) == ("confirming", 2, 6, True)
    assert card.received == "0.5 LTC" and card.amount_words == "LESS than expected"
    assert card.explorer_url == EXPLORER.replace("{tx_hash}", TX)
    assert card.follow == {
        "tx_hash": TX,
        "address": verdict()["address"],
        "lang": "pl",
        "chain": "litecoin",
        "expected_amount": "0.6",
    }
    assert card.player_message and card.block_time == "2026-11-24 09:12:03 UTC"


def test_card_of_a_final_or_unknown_deposit() -> None:
    final = build_card(verdict(status="confirmed", confirmations=6, final=True), lang="en", explorer_urls={})
    assert final.follow == {} and final.explorer_url is None
    unknown = build_card(
        verdict(status="not_found", chain=None, confirmations=0, payments=[], received_amount=None, block_time=None),
        lang="en",
        explorer_urls={"litecoin": EXPLORER},
    )
    assert unknown.show_progress is False and unknown.received is None and "chain" not in unknown.follow


def test_the_card_shows_the_network_by_its_display_name_and_follows_it_by_its_chain_name() -> None:
    shown = build_card(verdict(chain_display="Litecoin (LTC)"), lang="en", explorer_urls={"litecoin": EXPLORER})
    assert (shown.chain, shown.network, shown.follow["chain"]) == ("litecoin", "Litecoin (LTC)", "litecoin")
    assert "on Litecoin (LTC)" in shown.player_message and shown.explorer_url == EXPLORER.replace("{tx_hash}", TX)
    plain = build_card(verdict(), lang="en", explorer_urls={})
    assert plain.network == "litecoin"
    hostile = build_card(verdict(chain_display="<b>LTC</b>"), lang="en", explorer_urls={})
    assert hostile.network == "litecoin" and "<b>" not in hostile.player_message
