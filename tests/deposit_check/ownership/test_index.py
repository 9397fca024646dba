"""The ownership index on Redis and in process: declare, look up, delete, version, accounts sealed."""

import os

import pytest
import redis.asyncio as aredis
from bitcoinlib.encoding import pubkeyhash_to_addr_base58

from deposit_check.chains.utxo_address import params_for_chain, parse_address
from deposit_check.config import DEFAULT_CONFIG, AppConfig, parse_config
from deposit_check.keys import ChainKeys
from deposit_check.ownership import NoOwnership, Owner
from deposit_check.ownership.admin import OwnershipAdmin
from deposit_check.ownership.backends import RedisBackend
from deposit_check.ownership.build import build_ownership
from deposit_check.ownership.codec import Codec
from deposit_check.ownership.errors import InvalidEntries, OwnershipNotConfigured, OwnershipUnavailable
from deposit_check.ownership.index import Counts, OwnershipIndex
from harness.redis_server import RedisServer
from tests.deposit_check.ownership.conftest import SECRET, config, evm_addresses, ltc_addresses


async def test_nothing_declared_is_unknown(index: OwnershipIndex) -> None:
    [address] = ltc_addresses(1)
    assert await index.owner_of("litecoin", address) == Owner(declared=False)
    assert await index.version("litecoin") == 0


async def test_declared_addresses_are_ours_others_not(admin: OwnershipAdmin, index: OwnershipIndex) -> None:
    ours, theirs = ltc_addresses(2)
    counts = await admin.put("litecoin", [(1, ours.upper(), "player-17"), (2, ltc_addresses(1)[0], None)])
    assert counts == Counts(added=2)
    owner = await index.owner_of("litecoin", ours)
    assert (owner.declared, owner.ours) == (True, True)
    # The account travels sealed (deterministic: equal references seal equal), opened only for an answer.
    assert owner.account is not None and "player-17" not in owner.account
    assert owner == await index.owner_of("litecoin", ours) and index.open_account(owner.account) == "player-17"
    assert (await admin.lookup("litecoin", ours))[1].account == "player-17"  # the admin's lookup opens it
    with pytest.raises(ValueError):
        index.open_account(owner.account[:-2] + ("AA" if not owner.account.endswith("AA") else "BB"))
    assert await index.owner_of("litecoin", theirs) == Owner(declared=True, ours=False)
    # Another chain stays undeclared.
    assert await index.owner_of("ethereum", evm_addresses(1)[0]) == Owner(declared=False)


async def test_reimport_is_idempotent_and_counts(admin: OwnershipAdmin, index: OwnershipIndex) -> None:
    addresses = ltc_addresses(12_000)  # more than one chunk
    items = [(i + 1, a, f"acct-{i % 7}" if i % 2 else None) for i, a in enumerate(addresses)]
    assert await admin.put("litecoin", items) == Counts(added=12_000)
    version = await index.version("litecoin")
    assert await admin.put("litecoin", items) == Counts(unchanged=12_000)
    assert await index.version("litecoin") == version  # nothing changed: cached verdicts stay good
    changed = [(1, addresses[0], "acct-new"), *items[1:10]]
    assert await admin.put("litecoin", changed) == Counts(updated=1, unchanged=9)
    assert await index.version("litecoin") > version
    assert index.open_account((await index.owner_of("litecoin", addresses[0])).account or "") == "acct-new"
    assert await index.count("litecoin") == 12_000


async def test_delete(admin: OwnershipAdmin, index: OwnershipIndex) -> None:
    kept, gone = evm_addresses(2)
    await admin.put("ethereum", [(1, kept, None), (2, gone.lower(), "p1")])
    version = await index.version("ethereum")
    assert await admin.delete("ethereum", [(1, gone, None), (2, evm_addresses(1)[0], None)]) == Counts(
        deleted=1, absent=1
    )
    assert await index.version("ethereum") > version
    assert await index.owner_of("ethereum", gone) == Owner(declared=True, ours=False)
    assert await index.owner_of("ethereum", kept) == Owner(declared=True, ours=True)
    await admin.delete("ethereum", [(1, kept, None)])
    assert await index.owner_of("ethereum", kept) == Owner(declared=False)  # nothing declared any more


async def test_bad_lines_are_named_and_nothing_is_written(admin: OwnershipAdmin, index: OwnershipIndex) -> None:
    good = ltc_addresses(5)
    items: list[tuple[int | str, str | None, str | None]] = [(i + 1, a, None) for i, a in enumerate(good)]
    items[3] = (4, "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj", None)  # litecoin mainnet
    items.append((7, good[0], "someone@example.com"))
    with pytest.raises(InvalidEntries) as caught:
        await admin.put("litecoin", items)
    assert caught.value.errors[0].startswith("line 4: not a litecoin regtest address")
    assert caught.value.errors[1].startswith("line 7: account reference refused")
    assert "nothing was written" in caught.value.message
    assert await index.count("litecoin") == 0
    assert await index.owner_of("litecoin", good[0]) == Owner(declared=False)


async def test_without_a_secret_nothing_can_be_declared() -> None:
    plain = AppConfig(file=parse_config(DEFAULT_CONFIG), redis_url=None, source="test")
    ownership = build_ownership(plain, None)
    assert isinstance(ownership, NoOwnership)
    with pytest.raises(OwnershipNotConfigured):
        await OwnershipAdmin(ownership, dict(plain.file.chains)).put("litecoin", [(1, ltc_addresses(1)[0], None)])


async def test_nothing_readable_at_rest(own_redis: RedisServer) -> None:
    """Redis holds neither the addresses nor the accounts; a value moved to another address does not open."""
    client = aredis.Redis.from_url(own_redis.url)
    await client.flushdb()
    index = build_ownership(config(), client)
    assert isinstance(index, OwnershipIndex)
    admin = OwnershipAdmin(index, dict(config().file.chains))
    a, b = ltc_addresses(2)
    await admin.put("litecoin", [(1, a, "player-4242"), (2, b, None)])
    dump = b""
    async for key in client.scan_iter():
        dump += key
        if await client.type(key) == b"hash":
            dump += b"".join(k + v for k, v in (await client.hgetall(key)).items())
    assert b"player-4242" not in dump and a.encode() not in dump and a[5:25].encode() not in dump
    codec = Codec(SECRET)
    params = params_for_chain("litecoin", config().file.chains["litecoin"])  # type: ignore[arg-type]  # a UTXO chain
    slot_a, slot_b = (codec.slot("litecoin", parse_address(x, params).script_pubkey) for x in (a, b))
    sealed = await client.hget(ChainKeys("litecoin").owned(slot_a.bucket), slot_a.field)  # type: ignore[arg-type]  # bytes field
    assert sealed is not None
    with pytest.raises(ValueError, match="does not open"):
        codec.decode(slot_b, sealed)
    with pytest.raises(ValueError, match="does not open"):
        Codec("another-secret-0123456789").decode(slot_a, sealed)
    await client.aclose()


async def test_redis_down_is_unavailable_not_unknown() -> None:
    client = aredis.Redis.from_url("redis://127.0.0.1:1/0")
    index = OwnershipIndex(RedisBackend(client, timeout_seconds=0.5), Codec(SECRET))
    with pytest.raises(OwnershipUnavailable):
        await index.owner_of("litecoin", ltc_addresses(1)[0])
    await client.aclose()


async def test_both_spellings_of_a_litecoin_p2sh_script_are_one_entry(admin: OwnershipAdmin) -> None:
    """Q... (Litecoin's own version) and 2... (Bitcoin's, still valid on Litecoin) pay the same script."""
    script_hash = os.urandom(20)
    own, bitcoin_style = (pubkeyhash_to_addr_base58(script_hash, prefix=bytes([v])) for v in (0x3A, 0xC4))
    assert own[0] == "Q" and bitcoin_style[0] == "2"
    await admin.put("litecoin", [(1, own, "p-7")])
    assert (await admin.lookup("litecoin", bitcoin_style))[1] == Owner(declared=True, ours=True, account="p-7")
