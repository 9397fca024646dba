"""A check with the index in the cache's Redis makes as many round trips as one without ownership: the
address's entry is read in the same command as the cached answer (service.py `_read_cache`). Counted with
MONITOR on a real redis-server, against real litecoind."""

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import redis.asyncio as aredis

from deposit_check.chains.utxo import UtxoChain
from deposit_check.config import CacheConfig, UtxoChainConfig
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.ownership import Ownership
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.entries import read_lines
from deposit_check.schemas import CheckRequest
from deposit_check.service import CheckService
from deposit_check.store import RedisStore
from harness.redis_server import RedisServer, running_redis
from tests.deposit_check.ownership.conftest import config
from tests.helpers import commands_sent


@pytest.fixture
async def chain(litecoind: Litecoind) -> AsyncIterator[UtxoChain]:
    settings = UtxoChainConfig(
        family="utxo", coin="litecoin", network="regtest", rpc_urls=[litecoind.rpc_url], confirmations=6
    )
    chain = UtxoChain("litecoin", settings)
    yield chain
    await chain.aclose()


@pytest.fixture
async def client(own_redis: RedisServer) -> AsyncIterator[aredis.Redis]:
    client = aredis.Redis.from_url(own_redis.url)
    await client.flushdb()
    yield client
    await client.aclose()


async def declare(index: Ownership, address: str, account: str) -> None:
    admin = OwnershipAdmin(index, dict(config().file.chains))
    await admin.put("litecoin", read_lines(f"address,account\n{address},{account}\n"))


async def check(service: CheckService, tx_hash: str, address: str) -> tuple[dict[str, str], bool]:
    body, cached = await service.check_json(CheckRequest(tx_hash=tx_hash, address=address, chain="litecoin"))
    return json.loads(body), cached


def commands(sent: list[str]) -> list[str]:
    """The commands' names, without a new connection's handshake (the pool's, opened once)."""
    names = [c.split(" ", 1)[0].upper() for c in sent]
    return [n for n in names if n not in ("HELLO", "CLIENT")]


async def test_a_cold_check_reads_the_owner_with_the_cache_in_one_command(
    chain: UtxoChain, client: aredis.Redis, own_redis: RedisServer, litecoind: Litecoind
) -> None:
    index = build_ownership(config(), client)
    with_index = CheckService({"litecoin": chain}, RedisStore(own_redis.url), CacheConfig(), None, index)
    without = CheckService({"litecoin": chain}, RedisStore(own_redis.url), CacheConfig(), None, None)
    ours, players = litecoind.new_address("bech32"), litecoind.new_address("bech32")
    await declare(index, ours, "acct-9")
    sends = [litecoind.send(ours, Decimal("0.01") * (i + 1)) for i in range(3)]
    to_player = litecoind.send(players, Decimal("0.02"))
    litecoind.mine(6)
    await check(with_index, sends[0], ours)  # scripts loaded, the version learned: what every later check has
    await check(without, sends[0], ours)
    await index.owner_of("litecoin", chain.normalize_address(ours))  # the lookup's script loaded too

    async with commands_sent(client) as sent:
        answer, cached = await check(with_index, sends[1], ours)
    assert not cached and (answer["status"], answer["address_owner"], answer["account"]) == (
        "confirmed",
        "casino",
        "acct-9",
    )
    assert commands(sent) == ["EVALSHA", "SET"]  # the answer, versions and entry read at once; the answer cached

    async with commands_sent(client) as sent:
        answer, _ = await check(with_index, to_player, players)
    assert (answer["status"], answer["address_owner"]) == ("not_our_address", "not_casino")
    assert commands(sent) == ["EVALSHA", "SET"]

    async with commands_sent(client) as sent:
        answer, cached = await check(with_index, sends[1], ours)
    assert cached and answer["account"] == "acct-9" and commands(sent) == ["MGET"]  # cached here: the cache alone

    with_index.forget()  # as another process would, that does not know it is cached
    async with commands_sent(client) as sent:
        answer, cached = await check(with_index, sends[1], ours)
    assert cached and answer["account"] == "acct-9" and commands(sent) == ["EVALSHA"]  # a hit: no entry read

    async with commands_sent(client) as sent:
        answer, _ = await check(without, sends[2], ours)
    assert answer["address_owner"] == "unknown" and commands(sent) == ["MGET", "SET"]  # as many without an index

    await declare(index, ours, "acct-10")  # given to another account: the answer read again, the owner new
    async with commands_sent(client) as sent:
        answer, cached = await check(with_index, sends[1], ours)
    assert not cached and answer["account"] == "acct-10"
    # Expected cached, read alone, missed under the new version: read again, then the owner asked on its own.
    assert commands(sent) == ["MGET", "MGET", "EVALSHA", "SET"]


async def test_an_index_in_another_redis_is_asked_on_its_own(
    chain: UtxoChain, client: aredis.Redis, own_redis: RedisServer, litecoind: Litecoind
) -> None:
    """The versions read with the answer are absent from the cache's Redis: nor is the entry read there trusted."""
    for elsewhere in running_redis():
        index_client = aredis.Redis.from_url(elsewhere.url)
        try:
            index = build_ownership(config(), index_client)
            service = CheckService({"litecoin": chain}, RedisStore(own_redis.url), CacheConfig(), None, index)
            ours = litecoind.new_address("bech32")
            await declare(index, ours, "acct-1")
            tx = litecoind.send(ours, Decimal("0.03"))
            answer, _ = await check(service, tx, ours)
            assert (answer["address_owner"], answer["account"]) == ("casino", "acct-1")
        finally:
            await index_client.aclose()
