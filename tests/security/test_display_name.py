"""A chain's display name ("TRON (TRC-20)") reaches notes and player messages: what it may hold, and what
happens to one that holds more.

- deposit_check refuses, at start-up, a display name with markup, a URL, a line break, a bidirectional
  override or a double space (operator config, but a typo or a pasted snippet must not become a link);
- ticket_link shows a display name only if it has a display name's shape (a deposit_check of another
  version, or anything in between, may answer something else): otherwise the chain's name, in every language;
- a display name in a note is escaped by the helpdesk adapters like the rest of the note: django-helpdesk
  shows it as written.

Pure: the config, the texts and the markup need no server.
"""

import json
from typing import Any

import pytest
from pydantic import ValidationError

from deposit_check.config import parse_config
from ticket_link.devdesk.launcher import unescaped
from ticket_link.helpdesks import markup
from ticket_link.texts import LANGUAGES, render_note, render_player_message

TX = "b69c51db8f9d974e6a38c76852c8ce1adcb682dbacb25ad8ad4f6876121fe9dc"
PAYEE = "TUha6UsNq58c3bj7tu9bnnwrhnFpHRM3FQ"

HOSTILE = [
    "[TRON](https://evil.example/login)",
    "<a href=https://evil.example>TRON</a>",
    "TRON <script>alert(1)</script>",
    "https://evil.example",
    "TRON\nNext step: credit it",
    "TRON \u202eNORT",  # a right-to-left override
    "TRON  (TRC-20)",  # two spaces: text that lines up with something else in the note
    " TRON",
    "**TRON**",
    "TRON_TRC20",
    "",
    "T" * 49,
]


def tron_config(display_name: str) -> str:
    # A JSON string is a TOML basic string: a line break or an override arrives as the operator escaped it.
    return f"""
[chains.tron]
family = "tron"
http_urls = ["http://127.0.0.1:1"]
display_name = {json.dumps(display_name)}
"""


@pytest.mark.parametrize("name", HOSTILE)
def test_deposit_check_refuses_a_display_name_of_no_display_name_shape(name: str) -> None:
    with pytest.raises(ValidationError, match="not a display name"):
        parse_config(tron_config(name), env={})


@pytest.mark.parametrize("name", ["TRON (TRC-20)", "BNB Smart Chain (BEP-20)", "Трон (TRC-20)", "Polygon PoS"])
def test_deposit_check_takes_a_display_name_people_read(name: str) -> None:
    assert parse_config(tron_config(name), env={}).display_names() == {"tron": name}


def verdict(status: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": status,
        "chain": "tron",
        "chain_display": "TRON (TRC-20)",
        "tx_hash": TX,
        "address": PAYEE,
        "confirmations": 213,
        "required_confirmations": 19,
        "payments": [{"asset": "USDT", "amount": "3.5", "contract": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}],
        "asset": "USDT",
        "received_amount": "3.5",
        "found_on": None,
        "final": True,
        "summary": "",
    }
    return body | changes


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", [n for n in HOSTILE if n])
def test_ticket_link_shows_the_chain_name_instead_of_a_display_name_of_another_shape(language: str, name: str) -> None:
    v = verdict("wrong_network", chain="ethereum", chain_display=name, found_on="tron", found_on_display=name)
    texts = [render_note(v, language=language), render_player_message(v, language=language)]
    for text in texts:
        assert name.strip() not in text
        assert "evil.example" not in text and "<" not in text and "\u202e" not in text
        assert "ethereum" in text and "tron" in text  # each network still named, by its chain name


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_display_name_that_is_no_string_is_not_shown(language: str) -> None:
    v = verdict("confirmed", chain_display={"html": "<b>x</b>"})
    for text in (render_note(v, language=language), render_player_message(v, language=language)):
        assert "<b>" not in text and "html" not in text and "tron" in text


def test_a_display_name_in_a_django_helpdesk_note_is_escaped_and_reads_as_written() -> None:
    note = render_note(verdict("confirmed"), language="en")
    assert "Chain: TRON (TRC-20)" in note
    body = markup.markdown(note)
    assert "TRON \\(TRC\\-20\\)" in body  # the parentheses and the hyphen, escaped for Python-Markdown
    assert "Chain: TRON (TRC-20)" in unescaped(body)
