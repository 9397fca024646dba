"""Scale: one follower per chain at a time, fenced commits, kill -9 mid-block, `deposit-check watch`.

Every test follows the session's litecoind under a chain name of its own (its own Redis keys).
"""

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import redis.asyncio as redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from deposit_check.chains.utxo import UtxoChain
from deposit_check.config import UtxoChainConfig, WatchConfig
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.keys import ChainKeys
from deposit_check.watch.changes import Changes
from deposit_check.watch.follower import Follower
from deposit_check.watch.lease import LostLease
from deposit_check.watch.state import Watch
from tests.conftest import RedisServer
from tests.deposit_check.watch.conftest import Rig
from tests.helpers import CountingTransport

SHORT_LEASE = WatchConfig(poll_seconds=0.1, recheck_seconds=0.5, lease_seconds=1.5)
SLOW_FOLLOWER = Path(__file__).with_name("slow_follower.py")
SLOW_LEASE_SECONDS = 3  # the killed follower's lease: long enough to see it still held after the kill
DEPOSIT_CHECK = Path(sys.executable).parent / "deposit-check"

MakeChain = Callable[..., UtxoChain]


def chain_name() -> str:
    return f"lease-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def make_chain(litecoind: Litecoind) -> AsyncIterator[MakeChain]:
    """Adapters on the session's litecoind; several may share a name (followers of one chain)."""
    made: list[UtxoChain] = []

    def make(name: str | None = None, transport: CountingTransport | None = None) -> UtxoChain:
        config = UtxoChainConfig(
            family="utxo", coin="litecoin", network="regtest", rpc_urls=[litecoind.rpc_url], confirmations=6
        )
        chain = UtxoChain(name or chain_name(), config, transport=transport)
        made.append(chain)
        return chain

    yield make
    for chain in made:
        await chain.aclose()


@pytest.fixture
async def other_client(redis_server: RedisServer) -> AsyncIterator[redis.Redis]:
    """Another connection to the same Redis: another process (a successor) as the follower sees it."""
    client = redis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


async def wait_until(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)


async def lease_gone(client: redis.Redis, k: ChainKeys) -> bool:
    return not await client.exists(k.lease)


def text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


async def holder(client: redis.Redis, k: ChainKeys) -> str | None:
    raw = await client.get(k.lease)
    return text(raw) if raw is not None else None


async def chain_state(client: redis.Redis, k: ChainKeys) -> dict[str, Any]:
    """Everything a follower writes for a chain (all but the lease), to compare before and after."""
    async with client.pipeline(transaction=False) as pipe:
        pipe.get(k.cursor)
        pipe.zrange(k.blocks, 0, -1, withscores=True)
        pipe.hgetall(k.watches)
        for zset in (k.unmined, k.expiry, k.confirming, k.settled):
            pipe.zrange(zset, 0, -1, withscores=True)
        pipe.hgetall(k.spends)
        pipe.hgetall(k.nonces)
        pipe.xrange(k.events)
        answers = await pipe.execute()
    names = ("cursor", "blocks", "watches", "unmined", "expiry", "confirming", "settled", "spends", "nonces", "events")
    return dict(zip(names, answers, strict=True))


async def cursor_hash(client: redis.Redis, k: ChainKeys) -> str:
    raw = await client.get(k.cursor)
    assert raw is not None
    return text(raw).split(":", 1)[1]


# -- 1. one follower per chain --------------------------------------------------------------------


async def test_one_follower_holds_a_chain_and_a_successor_takes_over_from_the_shared_cursor(
    litecoind: Litecoind, make_chain: MakeChain, redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    rig = Rig(make_chain(), redis_client, redis_server.url, SHORT_LEASE, owner="follower-a")
    a = rig.follower
    transport_b = CountingTransport()
    b = Follower(make_chain(rig.chain.name, transport_b), redis_client, SHORT_LEASE, "follower-b")

    assert await a.step() is True
    assert await b.step() is False
    assert await holder(redis_client, rig.keys) == "follower-a"

    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.3"))
    assert (await rig.check(txid, address))["status"] == "pending"
    mined = litecoind.mine(1)[0]

    # The holder keeps the chain while it steps, for longer than one lease: each step renews it.
    loop = asyncio.get_running_loop()
    until = loop.time() + 2 * SHORT_LEASE.lease_seconds
    while loop.time() < until:
        assert await a.step() is True
        assert await b.step() is False
        await asyncio.sleep(0.3)
    assert await rig.statuses() == [("status", "pending", "confirming", "0")]
    assert await cursor_hash(redis_client, rig.keys) == mined

    # A stops renewing (no release: as if it hung). B waits for the lease to run out, then takes over.
    assert await b.step() is False
    assert transport_b.requests == 0  # a follower without the lease does not even ask the node
    await wait_until(lambda: lease_gone(redis_client, rig.keys), SHORT_LEASE.lease_seconds + 3, "A's lease expires")
    hashes = litecoind.mine(5)
    assert await b.step() is True
    assert await holder(redis_client, rig.keys) == "follower-b"
    # head + the 5 new blocks: B went on from A's cursor, not from the tip and not from before A's block.
    assert transport_b.requests == 1 + 5
    assert await rig.statuses() == [
        ("status", "pending", "confirming", "0"),
        ("status", "confirming", "confirmed", "0"),
    ]
    assert await cursor_hash(redis_client, rig.keys) == hashes[-1]

    # A, back, is refused; B keeps going; nothing is announced twice.
    assert await a.step() is False
    assert await b.step() is True
    assert len(await rig.events()) == 2


# -- 2. fencing ------------------------------------------------------------------------------


class StallingFollower(Follower):
    """Loses its lease in the middle of its next commit, as a follower stalled past `lease_seconds` would.

    `moment`: "before_check", the lease changes before the commit reads who holds it; "before_exec",
    it changes after that read (the key is WATCHed), before the transaction's EXEC.
    """

    def __init__(self, *args: Any, lose: Callable[[], Awaitable[None]], moment: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lose: Callable[[], Awaitable[None]] | None = lose
        self.moment = moment

    async def _commit(self, changes: Changes) -> None:
        lose, self.lose = self.lose, None
        if lose is None:
            await super()._commit(changes)
        elif self.moment == "before_check":
            await lose()
            await super()._commit(changes)
        else:
            execute = Pipeline.execute

            async def lose_then_execute(pipe: Pipeline, raise_on_error: bool = True) -> list[Any]:
                if pipe.watching:  # the commit's transaction: lease checked, block's writes queued
                    await lose()
                return await execute(pipe, raise_on_error)

            with patch.object(Pipeline, "execute", lose_then_execute):
                await super()._commit(changes)


@pytest.mark.parametrize(
    ("moment", "how", "error"),
    [
        ("before_check", "taken", LostLease),
        ("before_check", "expired", LostLease),
        ("before_exec", "taken", WatchError),
        ("before_exec", "expired", WatchError),
    ],
)
async def test_a_follower_that_lost_its_lease_writes_nothing(
    litecoind: Litecoind,
    make_chain: MakeChain,
    redis_client: redis.Redis,
    other_client: redis.Redis,
    redis_server: RedisServer,
    moment: str,
    how: str,
    error: type[Exception],
) -> None:
    chain = make_chain()
    k = ChainKeys(chain.name)
    ttl_ms = int(SHORT_LEASE.lease_seconds * 1000)

    async def lose() -> None:
        if how == "taken":  # expired, and another follower took it at once
            await other_client.set(k.lease, "successor", px=ttl_ms)
        else:  # expired, nobody took it yet
            await other_client.delete(k.lease)

    stalling = StallingFollower(chain, redis_client, SHORT_LEASE, "stalling", lose=lose, moment=moment)
    rig = Rig(chain, redis_client, redis_server.url, SHORT_LEASE, owner="stalling")
    assert await rig.follower.step() is True  # the cursor starts at the tip (the lease is "stalling"'s)
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.2"))
    assert (await rig.check(txid, address))["status"] == "pending"
    mined = litecoind.mine(1)[0]
    before = await chain_state(redis_client, k)

    with pytest.raises(error):
        await stalling.step()  # holds the lease at first, then loses it while committing the block
    assert await chain_state(redis_client, k) == before  # no event, no state, no cursor move
    assert await rig.events() == []

    # The block is not lost: whoever holds the chain now does it, once.
    successor = Follower(make_chain(chain.name), redis_client, SHORT_LEASE, "successor")
    assert await successor.step() is True
    assert await stalling.step() is False
    assert await rig.statuses() == [("status", "pending", "confirming", "0")]
    assert await cursor_hash(redis_client, k) == mined


# -- 3. kill -9 in the middle of a block ---------------------------------------------------------------


async def test_a_follower_killed_mid_block_leaves_the_block_to_its_successor(
    litecoind: Litecoind,
    make_chain: MakeChain,
    redis_client: redis.Redis,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    rig = Rig(make_chain(), redis_client, redis_server.url, SHORT_LEASE, owner="successor")
    k = rig.keys
    assert await rig.follower.step() is True  # the cursor starts at the tip
    await rig.follower.lease.release()  # leave the chain to the slow follower
    deposits = []
    for amount in ("0.11", "0.12", "0.13"):
        address = litecoind.new_address("bech32")
        txid = litecoind.send(address, Decimal(amount))
        assert (await rig.check(txid, address))["status"] == "pending"
        deposits.append(txid)
    height = int(litecoind.cli("getblockcount")) + 1
    mined = litecoind.mine(1)[0]  # all three in one block
    before = await chain_state(redis_client, k)

    stderr = tmp_path / "slow_follower.stderr"
    with stderr.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SLOW_FOLLOWER),
            litecoind.rpc_url,
            redis_server.url,
            rig.chain.name,
            "--owner",
            "doomed",
            "--lease-seconds",
            str(SLOW_LEASE_SECONDS),
            "--commit-delay",
            "60",
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
        )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=30)).decode().strip()
        assert line == f"COMMITTING cursor={height}:{mined} events=3", stderr.read_text()
        assert await holder(redis_client, k) == "doomed"
        proc.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(proc.wait(), timeout=10) == -signal.SIGKILL
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    # Killed with the block's three events computed: none written, the cursor where it was.
    assert await chain_state(redis_client, k) == before
    assert await rig.events() == []
    # Nobody released its lease: the chain is the dead follower's until the lease runs out.
    assert await holder(redis_client, k) == "doomed"
    assert await rig.follower.step() is False
    await wait_until(lambda: lease_gone(redis_client, k), SLOW_LEASE_SECONDS + 3, "the killed follower's lease expires")

    assert await rig.follower.step() is True
    events = await rig.events()
    assert sorted(e["tx_hash"] for e in events) == sorted(deposits)  # each deposit once
    assert {(e["type"], e["previous_status"], e["status"]) for e in events} == {("status", "pending", "confirming")}
    assert all(e["verdict"]["block_hash"] == mined for e in events)
    assert await cursor_hash(redis_client, k) == mined
    for txid in deposits:
        raw = await redis_client.hget(k.watches, txid)
        assert raw is not None and Watch.from_json(raw).status == "confirming"

    assert await rig.follower.step() is True  # nothing new
    litecoind.mine(1)  # 2 of 6 confirmations: no status change
    assert await rig.follower.step() is True
    assert len(await rig.events()) == 3


# -- 4. the console script --------------------------------------------------------------------


async def test_deposit_check_watch_follows_the_chain_and_stops_cleanly_on_sigterm(
    litecoind: Litecoind,
    make_chain: MakeChain,
    redis_client: redis.Redis,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    name = chain_name()
    config = tmp_path / "deposit-check.toml"
    config.write_text(
        f"""
[watch]
poll_seconds = 0.1
recheck_seconds = 0.5
lease_seconds = 3

[chains.{name}]
family = "utxo"
coin = "litecoin"
network = "regtest"
rpc_urls = [{json.dumps(litecoind.rpc_url)}]
confirmations = 6
"""
    )
    # Registered through the API's service, as a support bot would; this rig's follower is not used.
    rig = Rig(make_chain(name), redis_client, redis_server.url, SHORT_LEASE)
    address = litecoind.new_address("bech32")
    txid = litecoind.send(address, Decimal("0.21"))
    answer = await rig.check(txid, address)
    assert (answer["status"], answer["watching"]) == ("pending", True)

    env = {**os.environ, "DEPOSIT_CHECK_CONFIG": str(config), "REDIS_URL": redis_server.url}
    stderr = tmp_path / "watch.stderr"
    with stderr.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            str(DEPOSIT_CHECK),
            "watch",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
        )
    try:

        async def started() -> bool:
            if proc.returncode is not None:
                raise AssertionError(f"deposit-check watch exited with {proc.returncode}:\n{stderr.read_text()}")
            return bool(await redis_client.exists(rig.keys.cursor))

        await wait_until(started, 30, "deposit-check watch holds the chain and set its cursor")
        lease_holder = await holder(redis_client, rig.keys)
        assert lease_holder is not None and lease_holder.split(":")[-2] == str(proc.pid)

        mined = litecoind.mine(1)[0]

        async def announced() -> bool:
            return bool(await redis_client.xlen(rig.keys.events))

        await wait_until(announced, 10, "the watcher announces the block's deposit")
        events = await rig.events()
        assert [(e["type"], e["tx_hash"], e["previous_status"], e["status"]) for e in events] == [
            ("status", txid, "pending", "confirming")
        ]
        assert events[0]["verdict"]["block_hash"] == mined

        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=15) == 0, stderr.read_text()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert await redis_client.exists(rig.keys.lease) == 0  # released on the way out, not left to expire
    assert "Traceback" not in stderr.read_text()
