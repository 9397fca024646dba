"""The in-process backend of the sign-in limiter and the session versions (no Redis: a single process)."""

import pytest

from ticket_link.config import SignInConfig
from ticket_link.web.limiter import Keyed, SignInLimiter, TooManyAttempts
from ticket_link.web.sessions import SessionVersions

KEYED = Keyed(b"k" * 32)


async def test_in_process_limits_count_each_attempt_and_known_addresses_skip_the_ceiling() -> None:
    now = [1000.0]
    config = SignInConfig(per_agent_and_source="2/minute", per_source="3/minute", per_agent="3/hour")
    limiter = SignInLimiter(config, None, None, KEYED, clock=lambda: now[0])
    assert limiter.storage_kind == "memory"
    await limiter.admit("alice", "10.0.0.1")
    await limiter.admit("alice", "10.0.0.1")
    with pytest.raises(TooManyAttempts) as pair:
        await limiter.admit("alice", "10.0.0.1")
    assert pair.value.scope == "agent and source" and pair.value.retry_after >= 1
    await limiter.admit("alice", "10.0.0.2")  # the third for alice from new addresses: the ceiling is full
    with pytest.raises(TooManyAttempts) as ceiling:
        await limiter.admit("alice", "10.0.0.3")
    assert ceiling.value.scope == "agent"
    await limiter.remember("alice", "10.0.0.4")
    await limiter.admit("alice", "10.0.0.4")  # an address alice signed in from is not held to it
    now[0] += 31 * 86400  # ...for known_source_days
    with pytest.raises(TooManyAttempts):
        await limiter.admit("alice", "10.0.0.4")


async def test_in_process_session_versions_change_on_revoke_only() -> None:
    versions = SessionVersions(None, KEYED, 3600)
    assert await versions.current("alice") is None
    first = await versions.begin("alice")
    assert await versions.begin("alice") == first == await versions.current("alice")  # two devices, one version
    await versions.revoke("alice")
    assert await versions.current("alice") not in (None, first)
