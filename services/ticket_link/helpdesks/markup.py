"""A note's plain text made inert for what each helpdesk renders: one function per rendering kind.

A note is plain text (texts.py), and it already shows only normalized values; these functions are the
second wall, at the point each adapter builds its request body. Whatever the text holds (a markdown
link, raw `<a>` or `<script>`, an autolink `<https://...>`), the desk shows it as the same characters
and makes nothing of them:

- `plain`: for desks that show text as text (RT's text/plain comments): control and bidirectional
  formatting characters removed (they can make a line read differently from what it holds);
- `html`: for desks whose note body is HTML (Zendesk `html_body`, Freshdesk, Zammad `text/html`):
  `plain`, then `&`, `<`, `>`, quotes escaped, and line breaks as `<br>`;
- `markdown`: for django-helpdesk (Python-Markdown, raw HTML escaped, nl2br): `plain`, then every
  character markdown gives a meaning to (links `[..](..)`, autolinks `<..>`, emphasis, headings,
  lists, code) escaped, so the rendered page shows the text as written.

A bare `https://...` in text is not markup: no desk here turns it into a link from an HTML or
markdown body (RT's web UI does linkify text/plain, which is why no input can reach a note).
"""

import html as _html
import re
import unicodedata

# Exactly Python-Markdown's backslash escapes (`Markdown.ESCAPED_CHARS`): a backslash before any other
# character shows as a backslash. `<` and `&` are not among them, so they become entities.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()>#+\-.!])")


def plain(text: str) -> str:
    """`text` without control characters (but tab and newline) and Unicode format characters (bidi overrides)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf"))


def html(text: str) -> str:
    """`text` as HTML that displays as the same characters: escaped, line breaks kept as `<br>`."""
    return _html.escape(plain(text), quote=True).replace("\n", "<br>")


def markdown(text: str) -> str:
    """`text` as markdown that renders as the same characters (django-helpdesk's Python-Markdown)."""
    escaped = plain(text).replace("&", "&amp;").replace("<", "&lt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)
