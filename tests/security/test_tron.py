"""A hostile player on TRON: an EVM address of the same key, a typo'd hex address, a look-alike token's
Transfer, a TRON hash asked on an EVM chain, a node's failure text. Each must credit nothing it should not."""

import copy
import json
from collections.abc import AsyncIterator, Iterator

import pytest

from deposit_check.chains import build_chain
from deposit_check.chains.tron import TronChain
from deposit_check.chains.tron.address import key_hash, to_hex
from deposit_check.chains.tron.parse import PaymentParser, block, failure
from deposit_check.config import CacheConfig, parse_config
from deposit_check.errors import InvalidAddress, NodeUnavailable
from deposit_check.models import Asset, Status
from deposit_check.schemas import CheckRequest
from deposit_check.service import CheckService
from deposit_check.store import MemoryStore
from deposit_check.verdict import decide
from harness.tron_replay import FIXTURES, TronReplay, load_fixtures
from tests.deposit_check.tron.conftest import OTHER_TOKEN, USDT_BLOCK, USDT_CONTRACT, USDT_PAYEE, USDT_TX, tron_config

CONFIG = f"""
[chains.ethereum]
family = "evm"
chain_id = 1
rpc_urls = ["http://127.0.0.1:9"]
confirmations = 12
[chains.tron]
family = "tron"
http_urls = ["http://127.0.0.1:9"]
[[chains.tron.tokens]]
symbol = "USDT"
contract = "{USDT_CONTRACT}"
decimals = 6
"""
USDT_INFO = json.loads((FIXTURES / "usdt_transfer" / "info_b69c51db.json").read_text())["response"]


@pytest.fixture
def service() -> CheckService:
    chains = {name: build_chain(name, c) for name, c in parse_config(CONFIG, env={}).chains.items()}
    return CheckService(chains, MemoryStore(), CacheConfig())


@pytest.fixture
def replay() -> Iterator[TronReplay]:
    node = TronReplay(load_fixtures("mainnet"), tip=USDT_BLOCK + 30, solidified=USDT_BLOCK + 12)
    yield node
    node.close()


@pytest.fixture
async def tron(replay: TronReplay) -> AsyncIterator[TronChain]:
    chain = TronChain("tron", tron_config(replay.url))
    yield chain
    await chain.aclose()


def test_an_evm_address_of_a_tron_key_asks_the_evm_chain_only(service: CheckService) -> None:
    same_key = "0x" + to_hex(USDT_PAYEE)[2:]
    plan = service.plan(CheckRequest(tx_hash=USDT_TX, address=same_key))
    assert [t.chain.name for t in plan.targets] == ["ethereum"]  # never silently TRON
    with pytest.raises(InvalidAddress, match="EVM address"):
        service.plan(CheckRequest(tx_hash=USDT_TX, address=same_key, chain="tron"))
    plan = service.plan(CheckRequest(tx_hash=USDT_TX, address=USDT_PAYEE))
    assert [(t.chain.name, t.address) for t in plan.targets] == [("tron", USDT_PAYEE)]


async def test_a_typo_in_a_hex_address_is_another_address_that_was_paid_nothing(tron: TronChain) -> None:
    # The hex form has no checksum: a changed digit is a valid, different address, never "corrected".
    hex_form = to_hex(USDT_PAYEE)
    typo = hex_form[:-1] + ("0" if hex_form[-1] != "0" else "1")
    typo_address = tron.normalize_address(typo)
    assert typo_address != USDT_PAYEE
    obs = await tron.observe(USDT_TX, typo_address)
    assert obs.found and obs.payments == ()


def test_a_transfer_log_counts_only_from_an_allow_listed_contract() -> None:
    usdt = Asset("USDT", 6, USDT_CONTRACT)
    listed = PaymentParser(Asset("TRX", 6), {to_hex(USDT_CONTRACT)[2:]: usdt})
    lookalike_listed = PaymentParser(Asset("TRX", 6), {to_hex(OTHER_TOKEN)[2:]: usdt})
    assert [p.payment.amount for p in listed.logged([USDT_INFO])] == [3_500_000]
    assert lookalike_listed.logged([USDT_INFO]) == []  # the same log, from a contract not listed: nothing
    # The same event with a fourth topic (an indexed amount: an ERC-721-style Transfer) is not a TRC-20 payment.
    forged = copy.deepcopy(USDT_INFO)
    forged["log"][0]["topics"].append("00" * 32)
    assert listed.logged([forged]) == []


async def test_a_tron_hash_asked_on_an_evm_chain_is_never_credited(tron: TronChain) -> None:
    seen = await tron.observe_tx(USDT_TX)
    assert seen.found and seen.payments == ()  # exists there, pays nobody we asked about
    v = decide(
        seen,
        address="0x" + "11" * 20,
        required=12,
        native=Asset("ETH", 18),
        asked_chain="ethereum",
    )
    assert (v.status, v.found_on, v.received, v.final) == (Status.WRONG_NETWORK, "tron", None, True)


def test_a_node_s_failure_text_never_reaches_an_answer_raw() -> None:
    tx = {"ret": [{"contractRet": "<a href='https://evil.example'>REVERT</a>"}]}
    assert failure(tx, {}) == "FAILED"
    assert failure({"ret": [{"contractRet": "OUT_OF_ENERGY"}]}, {}) == "OUT_OF_ENERGY"
    # Any one of the node's words for failure wins over another's "SUCCESS": a wrong success could credit.
    assert failure({"ret": [{"contractRet": "SUCCESS"}]}, {"result": "FAILED"}) == "FAILED"
    assert failure({"ret": [{"contractRet": "SUCCESS"}]}, {"receipt": {"result": "REVERT"}}) == "REVERT"
    assert failure({"ret": [{"contractRet": "SUCCESS"}]}, {"receipt": {"result": "SUCCESS"}}) is None


async def test_testnet_trx_is_never_read_on_a_mainnet_chain_whose_node_serves_a_testnet() -> None:
    """A player pays worthless testnet TRX and claims it on the mainnet chain, hoping an endpoint was pointed at
    a testnet node (a copied URL, a provider's mistake): the node's genesis is not mainnet's, so nothing it says
    is read, neither a check nor the watcher's block. Without the check the block's 5,000 TRX payments would be."""
    node = TronReplay(load_fixtures("testnet-2021"))
    block_id = "0000000000c9e803d5258a17e15172768b41ffb69e857530e7d9f7a92ccb78e8"
    mainnet = TronChain("tron", tron_config(node.url))
    unchecked = TronChain("tron", tron_config(node.url), network_check=False)
    try:
        assert len((await unchecked.block(block_id)).payments) == 2  # what the testnet node would have us read
        with pytest.raises(NodeUnavailable, match="no genesis block"):
            await mainnet.block(block_id)
        with pytest.raises(NodeUnavailable, match="no genesis block"):
            await mainnet.observe("ab" * 32, USDT_PAYEE)
        with pytest.raises(NodeUnavailable):
            await mainnet.ready()
    finally:
        await mainnet.aclose()
        await unchecked.aclose()
        node.close()


async def test_a_lookup_never_credits_on_trongrid_s_word_alone() -> None:
    """A player (or a compromised index) can make TronGrid list a USDT transfer to the casino's address; the
    lookup asks the chain's own nodes about it and credits only what they say. TronGrid's published page lists
    two USDT transfers to TL24LCps... that the replayed node does not know: both answered not_found, nothing
    received. Its transfers of other tokens to that address (SUNDOG, JST, WIN: anyone can mint a token called
    anything) are never even asked for: only the allow-listed contract is."""
    from tests.deposit_check.lookups.test_trongrid import SENDER, Lookups, account_queries, config

    node = TronReplay(load_fixtures("mainnet"))
    made = Lookups(node, config())
    try:
        answer = await made.lookup(SENDER)
        assert answer.deposits and all(d.status is Status.NOT_FOUND for d in answer.deposits)
        assert all(d.received_amount is None and not d.final for d in answer.deposits)
        asked = {q["contract_address"][0] for path, q in account_queries(node) if path.endswith("/trc20")}
        assert asked == {USDT_CONTRACT}
    finally:
        await made.aclose()
        node.close()


def test_a_failed_tx_s_logs_in_a_block_pay_nothing() -> None:
    """A node (a buggy or hostile one) that prints Transfer logs for a reverted tx must not make the watcher's
    index record a payment. The published USDT info, with its receipt turned to REVERT (the only change), adds
    nothing to the block's payments; unchanged, it adds its 3.5 USDT."""
    info = json.loads((FIXTURES / "usdt_transfer" / "info_b69c51db.json").read_text())["response"]
    raw = {
        "blockID": f"{int(info['blockNumber']):016x}" + "00" * 24,
        "block_header": {"raw_data": {"number": info["blockNumber"], "timestamp": info["blockTimeStamp"]}},
        "transactions": [
            {
                "txID": info["id"],
                "raw_data": {"contract": [{"type": "TriggerSmartContract", "parameter": {"value": {}}}]},
            }
        ],
    }
    usdt = Asset("USDT", 6, USDT_CONTRACT)
    parser = PaymentParser(Asset("TRX", 6, None), {key_hash(USDT_CONTRACT): usdt})
    assert [p.payment.amount for p in block(raw, [info], parser).payments] == [3_500_000]
    reverted = {**info, "receipt": {**info["receipt"], "result": "REVERT"}}
    assert block(raw, [reverted], parser).payments == ()
