"""The services' log handler writes to stderr as it is now, and masks what must not be logged."""

import io
import logging
import sys

import pytest

from desk_common.logging import configure_logging


def test_records_go_to_the_stderr_of_now_not_a_closed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("info")
    logging.getLogger("desk.test").info("one")
    first.close()  # as a test's capture is, once the test is over
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("desk.test").info("two")
    assert "two" in second.getvalue() and "one" not in second.getvalue()


def test_credentials_in_a_url_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("info")
    logging.getLogger("desk.test").warning("node http://user:hunter2@127.0.0.1:8332 down")
    assert "hunter2" not in out.getvalue()
