"""Schemathesis against ticket_link served for real in front of a real deposit_check (litecoind):
>= 1,000 cases, no 5xx. No helpdesk and no worker: notes stay queued in the stack's own database."""

from collections.abc import Iterator

import pytest

from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.fuzz import fuzz
from tests.stacks import BotStack, bot_stack

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def stack(litecoind: Litecoind, redis_server: RedisServer) -> Iterator[BotStack]:
    # No keys at ticket_link: loopback callers pass. Its own key at deposit_check gets room for the burst.
    with bot_stack(litecoind, redis_server, 12, [], own_rate_limit="100000/minute") as stack:
        yield stack


def test_no_generated_request_gets_a_server_error(stack: BotStack) -> None:
    claims = "POST /v1/tickets/{ticket_ref}/deposits"
    report = fuzz(
        stack.url, {claims: 400}, default=100, conformance=True, path_parameters={claims: {"ticket_ref": "4242"}}
    )
    assert report.total >= 1000, report
    assert report.cases[claims] >= 1000, report
    assert not [s for s in report.statuses if s >= 500 and s != 503], report
    print(report)
