"""Source `trongrid` (lookups/trongrid.py) against the replay node serving published TronGrid pages and node answers.

The TronGrid items are a real TronGrid answer for TL24LCps... (tests/fixtures/tron/trongrid/, LedgerHQ/ledger-live's
capture): six USDT transfers to TCB8H6cK... are among them, and their `/wallet/gettransactioninfobyid` answers
were published too, so a lookup of TCB8H6cK... is found by TronGrid and judged by the node end to end. TronGrid's
answers for TCB8H6cK... itself come from the replay's index of the published items (marked as such)."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from deposit_check.chains.tron import TronChain
from deposit_check.config import CacheConfig, LookupsConfig
from deposit_check.errors import NodeUnavailable
from deposit_check.lookups import trongrid
from deposit_check.lookups.schemas import LookupRequest, LookupResponse
from deposit_check.lookups.service import LookupService
from deposit_check.service import CheckService
from deposit_check.store import MemoryStore
from harness.tron_replay import TronReplay, load_fixtures
from tests.deposit_check.tron.conftest import USDT_CONTRACT, tron_config

PAYEE = "TCB8H6cKtfLZJyt3tXkbN1a8Nxrh2x14RB"  # received six published USDT transfers from TL24LCps...
SENDER = "TL24LCps5FKwp3PoU1MvrYrwhi5LU1tHre"  # the account whose TronGrid page was published
# Newest first: (tx, USDT as a decimal string, block), as TronGrid's items and the nodes' infos say.
TO_PAYEE = [
    ("46710419b68bd4a87ad3227011874f34602d986a61c264676dfb70a06b5d24ed", "0.001", 64072156),
    ("f34b092532cdf4550e36294ce3cd6335231a9fbf26c3e55d037069e144d857c3", "0.01", 64072148),
    ("501bd2c8c61f71a187da5b8e27a2facaf09ffbb349cd71e92ed96ea42137ed7f", "0.001", 64072142),
    ("01b7542b29a8db289dd650b120aa9cf2674760fbe1305fc51552bec931c5ef9e", "0.01", 63149456),
    ("8eabb36d0cd6f477f5b464131b1b7e5024fd29edb214d74a283ea5360df9ab0f", "0.1", 59300692),
    ("225e55c40beaba52e7843b5d314ba830457824c8cd80a24f45dd3729d75c6263", "0.3", 46582760),
]
KEY = "test-trongrid-key"


@pytest.fixture
def replay() -> Iterator[TronReplay]:
    node = TronReplay(load_fixtures("mainnet"))
    node.set_heights(tip=64072156 + 40, solidified=64072156 + 20)  # every transfer to PAYEE solidified
    yield node
    node.close()


class Lookups:
    def __init__(self, replay: TronReplay, config: LookupsConfig, **options: object) -> None:
        self.chain = TronChain("tron", tron_config(replay.url, api_key=KEY))
        options = trongrid.TronGridConfig.model_validate({"page_size": 4, **options})
        self.source = trongrid.build({"tron": (self.chain.config, options)})
        checks = CheckService({"tron": self.chain}, MemoryStore(), CacheConfig())
        self.service = LookupService(checks, {"trongrid": self.source}, config)

    async def lookup(self, address: str, **fields: object) -> LookupResponse:
        return await self.service.lookup(LookupRequest(address=address, chain="tron", **fields))  # type: ignore[arg-type]

    async def aclose(self) -> None:
        await self.source.aclose()
        await self.chain.aclose()


def config(**fields: object) -> LookupsConfig:
    return LookupsConfig.model_validate({"chains": {"tron": {"sources": ["trongrid"]}}, **fields})


@pytest.fixture
async def lookups(replay: TronReplay) -> AsyncIterator[Lookups]:
    made = Lookups(replay, config())
    yield made
    await made.aclose()


def account_queries(replay: TronReplay) -> list[tuple[str, dict[str, list[str]]]]:
    parts = [urlsplit(q) for q in replay.queries if q.startswith("/v1/")]
    return [(p.path, parse_qs(p.query)) for p in parts]


async def test_usdt_deposits_are_found_page_by_page_and_each_judged_by_the_node(
    lookups: Lookups, replay: TronReplay
) -> None:
    replay.reset_counts()
    answer = await lookups.lookup(PAYEE)
    assert [(d.tx_hash, d.received_amount, d.block_height) for d in answer.deposits] == TO_PAYEE
    assert {(d.status.value, d.asset, tuple(d.sources)) for d in answer.deposits} == {
        ("confirmed", "USDT", ("trongrid",))
    }
    [coverage] = answer.coverage
    assert (coverage.source, coverage.complete, coverage.assets) == ("trongrid", True, ["USDT", "TRX"])
    assert answer.complete and not answer.truncated
    # TRC-20: only_to, the allow-listed contract only, newest first; the second page by the first's fingerprint.
    trc20 = [(path, q) for path, q in account_queries(replay) if path.endswith("/trc20")]
    assert [q.get("fingerprint") for _, q in trc20] == [None, ["replay:4"]]
    assert all(
        q["only_to"] == ["true"] and q["contract_address"] == [USDT_CONTRACT] and q["limit"] == ["4"] for _, q in trc20
    )
    assert f"/v1/accounts/{PAYEE}/transactions" in [path for path, _ in account_queries(replay)]  # TRX asked too
    assert set(replay.keys) == {KEY}  # the chain's API key on every request, TronGrid's and the node's
    # Judged as a check: each find's tx and info, and the heads once (one observe_many round trip).
    counts = replay.counts()
    assert (counts["/wallet/gettransactioninfobyid"], counts["/wallet/getnodeinfo"]) == (6, 1)


async def test_since_is_sent_as_min_timestamp(lookups: Lookups, replay: TronReplay) -> None:
    since = datetime(2024, 8, 1, tzinfo=UTC)
    replay.reset_counts()
    answer = await lookups.lookup(PAYEE, since=since)
    assert [d.tx_hash for d in answer.deposits] == [tx for tx, _, _ in TO_PAYEE[:3]]
    assert {q["min_timestamp"][0] for _, q in account_queries(replay)} == {str(int(since.timestamp() * 1000))}
    assert answer.coverage[0].from_time == since


async def test_max_finds_stops_paging_and_says_truncated(replay: TronReplay) -> None:
    made = Lookups(replay, config(max_finds=3), trx=False)
    try:
        replay.reset_counts()
        answer = await made.lookup(PAYEE)
        assert [d.tx_hash for d in answer.deposits] == [tx for tx, _, _ in TO_PAYEE[:3]]
        assert answer.truncated
        assert len(account_queries(replay)) == 1  # the first page held enough: no second page, no TRX asked
    finally:
        await made.aclose()


async def test_max_pages_leaves_coverage_incomplete(replay: TronReplay) -> None:
    made = Lookups(replay, config(), max_pages=1, trx=False)
    try:
        answer = await made.lookup(PAYEE)
        assert len(answer.deposits) == 4 and answer.truncated and not answer.complete
        assert answer.coverage[0].note is not None and "pages" in answer.coverage[0].note
    finally:
        await made.aclose()


async def test_what_trongrid_says_is_a_candidate_the_node_decides(lookups: Lookups, replay: TronReplay) -> None:
    """TronGrid lists two USDT transfers to TL24LCps... whose node answers were never published: to this node
    they do not exist, so they are answered not_found, never credited on TronGrid's word. Its JST, SUNDOG and
    WIN transfers were never asked for (only the allow-listed contract is)."""
    answer = await lookups.lookup(SENDER, asset="USDT")
    assert {(d.tx_hash[:8], d.status.value, d.received_amount) for d in answer.deposits} == {
        ("05397e25", "not_found", None),
        ("1de1f78e", "not_found", None),
    }
    assert all(q["contract_address"] == [USDT_CONTRACT] for path, q in account_queries(replay) if "trc20" in path)


def test_items_of_other_tokens_or_to_other_addresses_are_no_finds() -> None:
    """Even were TronGrid to ignore the contract filter, only the allow-listed token's Transfers to the address
    become finds (TL24LCps...'s published page holds three other tokens and transfers it sent)."""
    [page] = [e["response"] for e in load_fixtures("mainnet") if e["request"].get("method") == "GET"]
    chain = TronChain("tron", tron_config("http://127.0.0.1:1"))
    usdt = chain.assets()["USDT"]
    finds = trongrid._token_finds("tron", SENDER, USDT_CONTRACT, usdt, page["data"])
    assert [(f.tx_hash[:8], f.payments[0].amount) for f in finds] == [("05397e25", 41_499_389), ("1de1f78e", 1_000_000)]


async def test_trongrid_down_is_unavailable_never_none(lookups: Lookups, replay: TronReplay) -> None:
    replay.down("503")
    with pytest.raises(NodeUnavailable):
        await lookups.lookup(PAYEE)
    replay.up()
    assert len((await lookups.lookup(PAYEE)).deposits) == 6
