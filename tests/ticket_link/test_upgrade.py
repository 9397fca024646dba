"""`ticket-link tag-keys`: the keys written before 2026-11-30 without hash tags, renamed with value and TTL."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aredis

from tests.conftest import RedisServer, running_redis
from ticket_link import keys
from ticket_link.cli import main
from ticket_link.upgrade import tag_keys

TX = "ab" * 32
TICKET = "0f" * 16


@pytest.fixture
def server() -> Iterator[RedisServer]:
    yield from running_redis()


async def test_untagged_keys_are_renamed_to_their_tagged_names_with_value_and_ttl(server: RedisServer) -> None:
    sync = redis.Redis.from_url(server.url)
    old = {
        f"tl:v1:claim:{TX}": keys.claim(TX),
        f"tl:v1:deposit:{TX}:tickets": keys.deposit_tickets(TX),
        f"tl:v1:deposit:{TX}:linked_ms": keys.deposit_linked_ms(TX),
        f"tl:v1:ticket:{TICKET}:deposits": keys.ticket_deposits(TICKET),
        "tl:v1:outbox": keys.OUTBOX,
        "tl:v1:outbox:payloads": keys.OUTBOX_PAYLOADS,
    }
    for name in old:
        sync.hset(name, "f", name) if "outbox" not in name else sync.hset(name, "k", name)
        sync.expire(name, 1000)
    sync.set(f"tl:v1:posted:{TX}", 1)  # a key that needs no tag: left as it is
    sync.hset(keys.OUTBOX_ACCEPTED, "k", "new")  # the tagged one is there already: kept, the old one left
    sync.hset("tl:v1:outbox:accepted", "k", "old")
    client = aredis.Redis.from_url(server.url)
    try:
        renamed, left = await tag_keys(client)
        assert (renamed, left) == (len(old), 1)
        assert await tag_keys(client) == (0, 1)  # again: nothing more to do
    finally:
        await client.aclose()
    for name, new in old.items():
        assert not sync.exists(name) and sync.hgetall(new) in ({b"f": name.encode()}, {b"k": name.encode()})
        assert 990 < sync.ttl(new) <= 1000
    assert sync.exists(f"tl:v1:posted:{TX}") and sync.hget(keys.OUTBOX_ACCEPTED, "k") == b"new"
    sync.close()


def test_the_cli_step_renames_and_says_how_many(
    server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "ticket-link.toml"
    config.write_text(f'secret = "{"x" * 40}"\n[deposit_check]\nurl = "http://127.0.0.1:1"\n')
    monkeypatch.setenv("TICKET_LINK_CONFIG", str(config))
    monkeypatch.setenv("REDIS_URL", server.url)
    sync = redis.Redis.from_url(server.url)
    sync.hset(f"tl:v1:claim:{TX}", "ticket", "t")
    assert main(["tag-keys"]) == 0
    assert "renamed 1 keys" in capsys.readouterr().out
    assert sync.hget(keys.claim(TX), "ticket") == b"t"
    sync.hset(f"tl:v1:claim:{TX}", "ticket", "again")  # a tagged one is there: left, and the step says so
    assert main(["tag-keys"]) == 1
    assert "1 left" in capsys.readouterr().out
    sync.close()
