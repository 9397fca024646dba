"""JSON that means one thing: an object naming a key twice is refused, at any depth.

`json.loads` keeps the last of two equal keys, other parsers the first: a body like
`{"ticket_id": "888", ..., "ticket_id": "999"}` reads as one ticket to a helpdesk's template check
and as another to us. Every JSON body we read from outside is parsed here.
"""

import json
from typing import Any

MAX_KEY_CHARS = 40  # of the key quoted back in the error


class DuplicateKey(json.JSONDecodeError):
    """An object names `key` twice.

    A JSONDecodeError, so that whatever treats a bad body as bad JSON (FastAPI's own body parsing
    among them) treats this one so too.
    """

    def __init__(self, key: str, doc: str) -> None:
        shown = key if len(key) <= MAX_KEY_CHARS else key[:MAX_KEY_CHARS] + "..."
        super().__init__(f"the key {json.dumps(shown)} appears twice in one object", doc, 0)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key, "")
            seen.add(key)
    return result


def loads(data: bytes | str) -> Any:
    """`json.loads`, refusing duplicate keys (DuplicateKey); other errors as `json.loads` raises them."""
    return json.loads(data, object_pairs_hook=_object)
