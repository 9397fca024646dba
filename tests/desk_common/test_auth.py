"""The shared gate: keys, implied scopes, limits; counted in memory here (Redis: the API tests)."""

import hashlib

import pytest
from pydantic import ValidationError

from desk_common.auth import AuthFailed, Gate, MissingScope, RateLimited
from desk_common.config import ApiKey

SCOPES = {"check": {"check"}, "post": {"check", "post"}}


def key(name: str, secret: str, **extra: object) -> ApiKey:
    return ApiKey(name=name, sha256=hashlib.sha256(secret.encode()).hexdigest(), **extra)


def test_scopes_default_to_all_and_imply_others() -> None:
    gate = Gate([key("old", "a"), key("poster", "b", scopes=["post"]), key("checker", "c", scopes=["check"])], SCOPES, None, "t")
    assert gate.authenticate("a", None).scopes == {"check", "post"}
    assert gate.authenticate("b", None).scopes == {"check", "post"}
    checker = gate.authenticate(" c ", None)
    checker.require("check", "checking")
    with pytest.raises(MissingScope, match="lacks the scope 'post' \\(posting\\)"):
        checker.require("post", "posting")


def test_no_keys_means_loopback_only_with_every_scope() -> None:
    gate = Gate([], SCOPES, None, "t")
    assert gate.authenticate(None, "::1").scopes == {"check", "post"}
    with pytest.raises(AuthFailed, match="loopback"):
        gate.authenticate("anything", "203.0.113.9")


async def test_limit_counts_per_key_and_says_when_to_retry() -> None:
    gate = Gate([key("a", "a", rate_limit="2/hour"), key("b", "b", rate_limit="1/second")], SCOPES, None, "t")
    await gate.admit("a", None)
    await gate.admit("a", None)
    with pytest.raises(RateLimited) as refused:
        await gate.admit("a", None)
    assert 3500 < refused.value.retry_after <= 3600
    await gate.admit("b", None)  # its own budget
    loopback = Gate([], SCOPES, None, "t")
    for _ in range(500):
        await loopback.admit(None, "127.0.0.1")


@pytest.mark.parametrize("bad", ["often", "0/minute", "10 per fortnight", ""])
def test_rate_limit_is_checked_with_the_config(bad: str) -> None:
    with pytest.raises(ValidationError, match="rate_limit"):
        key("x", "x", rate_limit=bad)


def test_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="'x': unknown scope pots; known: check, post"):
        Gate([key("x", "x", scopes=["pots"])], SCOPES, None, "t")
