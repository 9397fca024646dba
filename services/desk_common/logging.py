"""Logging that masks: tx hashes, addresses and e-mail addresses never reach a log line whole.

A filter on the handlers rewrites every record's final message, so a careless f-string, a
library's exception text or a traceback is masked as well as our own lines.
"""

import logging
import re
import sys
from typing import Any

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HEX_LONG = re.compile(r"\b(0x)?([0-9a-fA-F]{6})[0-9a-fA-F]{26,}([0-9a-fA-F]{4})\b")
_BECH32 = re.compile(
    r"\b((?:bc|tb|bcrt|ltc|tltc|rltc)1[02-9ac-hj-np-z]{4})[02-9ac-hj-np-z]{20,}([02-9ac-hj-np-z]{4})\b", re.I
)
_BASE58 = re.compile(r"\b([1-9A-HJ-NP-Za-km-z]{4})[1-9A-HJ-NP-Za-km-z]{21,}([1-9A-HJ-NP-Za-km-z]{4})\b")


def mask(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _HEX_LONG.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}…{m.group(3)}", text)
    text = _BECH32.sub(lambda m: f"{m.group(1)}…{m.group(2)}", text)
    return _BASE58.sub(lambda m: f"{m.group(1)}…{m.group(2)}", text)


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        record.msg, record.args = mask(message), None
        return True


def quiet_libraries() -> None:
    """httpx logs every request URL at INFO: URLs carry ticket ids (e.g. Zendesk's /tickets/{id})."""
    for name in ("httpx", "httpcore", "hpack", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is when a record comes, not as it was when configured (as logging's own
    last-resort handler does): a redirected or replaced stderr (a test's capture, since closed) is never written
    to after it is gone."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str = "INFO", access_log: bool = True) -> None:
    """One stderr handler with the masking filter, for our loggers and uvicorn's alike; with `access_log`
    False, uvicorn's access log off (a server built after this call logs no line of it)."""
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "saq"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    if not access_log:
        # uvicorn's protocol logs access lines when this logger has a handler, its ancestors' included.
        logging.getLogger("uvicorn.access").propagate = False
    quiet_libraries()
