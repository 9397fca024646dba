"""The stack the example bots talk to: real deposit_check and ticket_link (tests/stacks.py), with the
keys an operator would give a support bot."""

from collections.abc import Iterator

import pytest

from deposit_check.devnet.litecoind import Litecoind
from tests.conftest import RedisServer
from tests.stacks import BotStack, Key, bot_stack

BOT = Key("support-bot", scopes=("post",))
CHECK_ONLY = Key("check-only-bot", scopes=("check",))
SLOW_BOT = Key("slow-bot", scopes=("post",), rate_limit="1/minute")


@pytest.fixture(scope="package")
def stack(litecoind: Litecoind, redis_server: RedisServer) -> Iterator[BotStack]:
    with bot_stack(litecoind, redis_server, 7, [BOT, CHECK_ONLY, SLOW_BOT]) as stack:
        yield stack
