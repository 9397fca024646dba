"""helpdesks/markup.py: whatever the text, the escaped note renders without a link, an image or raw HTML.

The markdown renderer is django-helpdesk's own setup (Python-Markdown with raw HTML escaped, nl2br and
fenced code; helpdesk.models.get_markdown), run here without Django; tests/security/test_note_injection.py
reads the real desk's rendered page."""

from html.parser import HTMLParser

import markdown as python_markdown
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.extensions import Extension

from ticket_link.helpdesks import markup

# Inert formatting a text can still get (an indented block, a setext heading under `===`): no URL, no script.
INERT = {"p", "br", "pre", "code", "h1", "h2"}
# Characters markup is made of, so that hypothesis tries their combinations often.
PIECES = [*"[]()<>!#*_`~=-+.:/\\&;\"' \n\tahx1", "https://", "www.", "    ", "\u202e", "\x1b"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=60).map("".join) | st.text(max_size=60)


class EscapeHtml(Extension):
    """django-helpdesk's extension: raw HTML is not passed through."""

    def extendMarkdown(self, md: python_markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += attrs


def tags_of(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def render(text: str) -> str:
    extensions = [EscapeHtml(), "markdown.extensions.nl2br", "markdown.extensions.fenced_code"]
    return python_markdown.markdown(text, extensions=extensions)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_escaped_markdown_renders_no_link_image_or_html(text: str) -> None:
    found = tags_of(render(markup.markdown(text)))
    assert found.tags <= INERT, found.tags
    assert all(name == "class" for name, _ in found.attributes), found.attributes  # a fenced block's language


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_escaped_html_has_no_tag_but_line_breaks(text: str) -> None:
    found = tags_of(markup.html(text))
    assert found.tags <= {"br"} and not found.attributes


def test_the_reproduced_attack_shows_as_written() -> None:
    attack = "[Urgent: re-verify player KYC here](https://evil.example/desk-login)"
    assert render(markup.markdown(attack)) == f"<p>{attack}</p>"
    assert render(attack) != f"<p>{attack}</p>"  # unescaped, it is a link


def test_plain_drops_control_and_bidi_characters_only() -> None:
    assert markup.plain("a\u202eb\x07c\r\nd\te\u00e9\u0436") == "abc\nd\te\u00e9\u0436"
