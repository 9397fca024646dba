"""EvmChain against real anvil nodes: real transactions, reverts, the mempool, fake tokens, unfit nodes.

A small HTTP proxy in front of anvil counts the requests that really reach the network and can
spoil answers (drop `blockTimestamp` as older nodes do, answer HTTP 500 or RPC errors).
"""

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
import pytest
from aiohttp import web
from eth_utils import to_checksum_address

from deposit_check.chains.evm import EvmChain
from deposit_check.config import EvmChainConfig
from deposit_check.devnet.anvil import Anvil, find_anvil
from deposit_check.devnet.litecoind import DevnetError
from deposit_check.errors import InvalidAddress, InvalidTxHash, NodeUnavailable
from deposit_check.models import Asset, Payment

pytestmark = pytest.mark.anvil

ETH = Asset("ETH", 18)
UNKNOWN_HASH = "0x" + "ab" * 32

MakeEvmChain = Callable[..., EvmChain]


@pytest.fixture
async def make_evm_chain(usdt: Asset) -> AsyncIterator[MakeEvmChain]:
    """Build EvmChains on given RPC URLs (config fields overridable); closed after the test."""
    made: list[EvmChain] = []

    def make(*rpc_urls: str, **fields: object) -> EvmChain:
        config = EvmChainConfig.model_validate(
            {
                "family": "evm",
                "chain_id": 31337,
                "rpc_urls": list(rpc_urls),
                "confirmations": 12,
                "timeout_seconds": 5,
                "tokens": [{"symbol": "USDT", "contract": usdt.contract, "decimals": 6}],
                **fields,
            }
        )
        made.append(EvmChain("ethereum", config))
        return made[-1]

    yield make
    for chain in made:
        await chain.aclose()


@pytest.fixture
def chain(anvil: Anvil, make_evm_chain: MakeEvmChain) -> EvmChain:
    return make_evm_chain(anvil.rpc_url)


def new_address() -> str:
    """A fresh deposit address nobody else pays."""
    return to_checksum_address("0x" + os.urandom(20).hex())


class Proxy:
    """Forwards JSON-RPC POSTs to anvil, counting them; `mode` spoils the answers on purpose."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.requests = 0
        self.methods: list[list[str]] = []
        self.mode: Literal["pass", "no_timestamps", "http_500", "rpc_error"] = "pass"
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> "Proxy":
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.json()
        calls = body if isinstance(body, list) else [body]
        self.methods.append([c["method"] for c in calls])
        if self.mode == "http_500":
            return web.Response(status=500, text="upstream exploded")
        if self.mode == "rpc_error":
            errors = [
                {"jsonrpc": "2.0", "id": c["id"], "error": {"code": -32000, "message": "header not found"}}
                for c in calls
            ]
            return web.json_response(errors)
        assert self._session is not None
        async with self._session.post(self.upstream, json=body) as upstream:
            answer: Any = await upstream.json()
        if self.mode == "no_timestamps":
            for item in answer if isinstance(answer, list) else [answer]:
                if isinstance(item.get("result"), dict):
                    item["result"].pop("blockTimestamp", None)
        return web.Response(text=json.dumps(answer), content_type="application/json")


@pytest.fixture
async def proxy(anvil: Anvil) -> AsyncIterator[Proxy]:
    p = await Proxy(anvil.rpc_url).start()
    yield p
    await p.stop()


# --- no node needed ---


def test_normalize_tx_hash(chain: EvmChain) -> None:
    h = "AB" * 32
    assert chain.normalize_tx_hash(h) == "0x" + "ab" * 32
    assert chain.normalize_tx_hash(f"  0x{h}\n") == "0x" + "ab" * 32
    for bad in ["ab" * 31, "0x" + "ab" * 33, "zz" * 32, "", "0x", "0x0x" + "ab" * 31]:
        with pytest.raises(InvalidTxHash, match="expected 0x followed by 64 hexadecimal characters"):
            chain.normalize_tx_hash(bad)


def test_normalize_address(chain: EvmChain) -> None:
    checksummed = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert chain.normalize_address(checksummed.lower()) == checksummed
    assert chain.normalize_address(" 0x" + checksummed[2:].upper() + " ") == checksummed
    assert chain.normalize_address(checksummed) == checksummed
    with pytest.raises(InvalidAddress, match="bad checksum"):
        chain.normalize_address(checksummed.replace("aA", "Aa"))
    tron = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
    for bad in [checksummed[2:], checksummed[:-1], checksummed + "0", "0x" + "g" * 40, tron]:
        with pytest.raises(InvalidAddress, match="expected 0x followed by 40 hexadecimal characters"):
            chain.normalize_address(bad)


def test_assets(chain: EvmChain, usdt: Asset) -> None:
    assert chain.assets() == {"ETH": ETH, "USDT": usdt}
    assert chain.native == ETH and chain.family == "evm" and chain.required_confirmations == 12


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        ([{"symbol": "BAD", "contract": "0x1234", "decimals": 6}], "token BAD: .* is not an EVM address"),
        ([{"symbol": "BAD", "contract": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "decimals": 6}], "bad checksum"),
        ([{"symbol": "eth", "contract": "0x" + "11" * 20, "decimals": 6}], "share a symbol"),
        (
            [
                {"symbol": "A", "contract": "0x" + "11" * 20, "decimals": 6},
                {"symbol": "B", "contract": "0x" + "11" * 20, "decimals": 6},
            ],
            "listed twice",
        ),
    ],
)
def test_bad_token_config_fails_at_start_up(
    make_evm_chain: MakeEvmChain, tokens: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_evm_chain("http://127.0.0.1:1", tokens=tokens)


# --- the shared node ---


async def test_native_transfer_then_confirmations(anvil: Anvil, chain: EvmChain) -> None:
    deposit = new_address()
    wei = 1_234_567_890_123_456_789
    tx_hash = anvil.send_eth(anvil.accounts[0], deposit, wei)
    receipt = anvil.receipt(tx_hash)

    seen = await chain.observe(tx_hash, deposit)
    assert seen.found and not seen.reverted and seen.tx_hash == tx_hash
    assert seen.payments == (Payment(ETH, wei),)  # exact, in wei
    assert seen.block is not None
    assert (seen.block.height, seen.block.hash) == (int(receipt["blockNumber"], 16), receipt["blockHash"])
    block = anvil.rpc("eth_getBlockByHash", receipt["blockHash"], False)
    assert seen.block_time == datetime.fromtimestamp(int(block["timestamp"], 16), UTC)
    assert seen.tip == anvil.block_number() and seen.confirmations == 1

    anvil.mine(4)
    later = await chain.observe(tx_hash, deposit)
    assert later.confirmations == 5 and later.tip == seen.tip + 4 and later.block == seen.block
    assert await chain.tip() == later.tip


async def test_token_transfer_6_decimals(anvil: Anvil, chain: EvmChain, usdt: Asset) -> None:
    deposit = new_address()
    assert usdt.contract is not None
    tx_hash = anvil.token_transfer(usdt.contract, anvil.accounts[0], deposit, 250_500_000)

    seen = await chain.observe(tx_hash, deposit)
    assert seen.found and seen.block is not None and not seen.reverted
    assert seen.payments == (Payment(usdt, 250_500_000),)
    assert usdt.to_decimal(seen.payments[0].amount) == 250.5


async def test_pays_another_address(anvil: Anvil, chain: EvmChain, usdt: Asset) -> None:
    assert usdt.contract is not None
    eth_tx = anvil.send_eth(anvil.accounts[0], new_address(), 10**18)
    token_tx = anvil.token_transfer(usdt.contract, anvil.accounts[0], new_address(), 10**6)
    for tx_hash in (eth_tx, token_tx):
        seen = await chain.observe(tx_hash, new_address())
        assert seen.found and seen.block is not None and seen.payments == ()


async def test_reverted_transfer(anvil: Anvil, chain: EvmChain, usdt: Asset) -> None:
    assert usdt.contract is not None
    deposit = anvil.accounts[2]
    # More than the sender holds, with a fixed gas limit so that anvil mines it and it reverts.
    tx_hash = anvil.token_transfer(usdt.contract, anvil.accounts[3], deposit, 10**30, gas=100_000)
    assert anvil.receipt(tx_hash)["status"] == "0x0"

    seen = await chain.observe(tx_hash, deposit)
    assert seen.found and seen.reverted and seen.block is not None and seen.payments == ()


async def test_pending_then_mined(anvil: Anvil, chain: EvmChain, usdt: Asset) -> None:
    assert usdt.contract is not None
    deposit = new_address()
    anvil.set_automine(False)
    try:
        eth_tx = anvil.send_eth(anvil.accounts[0], deposit, 5 * 10**17)
        token_tx = anvil.token_transfer(usdt.contract, anvil.accounts[0], deposit, 42_000_000)
        pending = await chain.observe(eth_tx, deposit)
        assert pending.found and pending.block is None and pending.block_time is None
        assert pending.confirmations == 0 and pending.payments == (Payment(ETH, 5 * 10**17),)
        pending_token = await chain.observe(token_tx, deposit)
        assert pending_token.block is None and pending_token.payments == (Payment(usdt, 42_000_000),)
        # The same pending transfer, asked about another address: it will pay nothing there.
        assert (await chain.observe(token_tx, new_address())).payments == ()

        anvil.mine(1)
    finally:
        anvil.set_automine(True)
    mined = await chain.observe(token_tx, deposit)
    assert mined.block is not None and mined.confirmations == 1
    assert mined.payments == (Payment(usdt, 42_000_000),)


async def test_transfer_from_unlisted_contract_does_not_count(anvil: Anvil, chain: EvmChain, fake_usdt: str) -> None:
    deposit = new_address()
    tx_hash = anvil.token_transfer(fake_usdt, anvil.accounts[0], deposit, 1_000_000_000)
    receipt = anvil.receipt(tx_hash)
    assert receipt["status"] == "0x1" and len(receipt["logs"]) == 1  # a real-looking Transfer event

    seen = await chain.observe(tx_hash, deposit)
    assert seen.found and seen.block is not None and seen.payments == ()


async def test_unknown_hash(anvil: Anvil, chain: EvmChain) -> None:
    seen = await chain.observe(UNKNOWN_HASH, new_address())
    assert not seen.found and seen.block is None and seen.payments == ()
    assert seen.tip == anvil.block_number()


async def test_ready(chain: EvmChain) -> None:
    await chain.ready()


# --- unfit, dead and slow nodes ---


async def test_wrong_chain_id_never_gives_a_verdict(
    anvil: Anvil, anvil_other: Anvil, make_evm_chain: MakeEvmChain
) -> None:
    tx_hash = anvil.send_eth(anvil.accounts[0], new_address(), 1)
    wrong = make_evm_chain(anvil_other.rpc_url)
    with pytest.raises(NodeUnavailable, match=r"chain id 31338.* configured for chain id 31337") as info:
        await wrong.ready()
    assert info.value.chain == "ethereum"
    with pytest.raises(NodeUnavailable, match="chain id 31338"):
        await wrong.observe(UNKNOWN_HASH, new_address())  # would be "not found" otherwise
    with pytest.raises(NodeUnavailable, match="chain id 31338"):
        await wrong.tip()
    # The wrong node first, the right one second: the right one answers.
    both = make_evm_chain(anvil_other.rpc_url, anvil.rpc_url)
    assert (await both.observe(tx_hash, new_address())).found


async def test_stopped_node(make_evm_chain: MakeEvmChain) -> None:
    node = Anvil(chain_id=31337).start()
    try:
        chain = make_evm_chain(node.rpc_url)
        assert not (await chain.observe(UNKNOWN_HASH, new_address())).found
        node.stop()
        with pytest.raises(NodeUnavailable, match="no node answered"):
            await chain.observe(UNKNOWN_HASH, new_address())
        with pytest.raises(NodeUnavailable):
            await chain.ready()
    finally:
        node.close()


async def test_failover_and_no_credentials_in_messages(anvil: Anvil, make_evm_chain: MakeEvmChain) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]  # nothing listens once closed
    dead_url = f"http://user:s3cret@127.0.0.1:{dead}/v3/APIKEY123?token=QKEY"
    chain = make_evm_chain(dead_url, anvil.rpc_url)
    assert not (await chain.observe(UNKNOWN_HASH, new_address())).found

    alone = make_evm_chain(dead_url)
    with pytest.raises(NodeUnavailable) as info:
        await alone.observe(UNKNOWN_HASH, new_address())
    assert f"http://127.0.0.1:{dead}" in info.value.message
    for secret in ("s3cret", "APIKEY123", "QKEY", "user:"):
        assert secret not in info.value.message


async def test_timeout(make_evm_chain: MakeEvmChain) -> None:
    # A socket that listens but never answers: the kernel accepts the connection, nobody replies.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        chain = make_evm_chain(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout_seconds=0.3)
        started = asyncio.get_running_loop().time()
        with pytest.raises(NodeUnavailable, match=r"no answer within 0.3 s"):
            await chain.observe(UNKNOWN_HASH, new_address())
        assert asyncio.get_running_loop().time() - started < 3


@pytest.mark.parametrize(("mode", "message"), [("http_500", "HTTP 500"), ("rpc_error", "RPC error")])
async def test_node_errors_are_unavailable(proxy: Proxy, make_evm_chain: MakeEvmChain, mode: str, message: str) -> None:
    proxy.mode = mode  # type: ignore[assignment]
    chain = make_evm_chain(proxy.url)
    with pytest.raises(NodeUnavailable, match=message):
        await chain.observe(UNKNOWN_HASH, new_address())


# --- round trips ---


async def test_one_http_request_per_check(
    anvil: Anvil, proxy: Proxy, make_evm_chain: MakeEvmChain, usdt: Asset
) -> None:
    assert usdt.contract is not None
    deposit = new_address()
    mined = anvil.token_transfer(usdt.contract, anvil.accounts[0], deposit, 7)
    chain = make_evm_chain(proxy.url)
    for tx_hash in (mined, UNKNOWN_HASH):
        before = proxy.requests
        await chain.observe(tx_hash, deposit)
        assert proxy.requests == before + 1
    assert proxy.methods[-1] == [
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_blockNumber",
        "eth_chainId",
    ]
    before = proxy.requests
    await chain.tip()
    assert proxy.requests == before + 1


async def test_block_time_without_block_timestamp(anvil: Anvil, proxy: Proxy, make_evm_chain: MakeEvmChain) -> None:
    """Nodes that do not put blockTimestamp on receipts: one block lookup, then the cache."""
    proxy.mode = "no_timestamps"
    deposit = new_address()
    tx_hash = anvil.send_eth(anvil.accounts[0], deposit, 3)
    block = anvil.rpc("eth_getBlockByHash", anvil.receipt(tx_hash)["blockHash"], False)
    chain = make_evm_chain(proxy.url)

    first = await chain.observe(tx_hash, deposit)
    assert proxy.requests == 2 and proxy.methods[-1] == ["eth_getBlockByHash"]
    assert first.block_time == datetime.fromtimestamp(int(block["timestamp"], 16), UTC)
    again = await chain.observe(tx_hash, deposit)
    assert proxy.requests == 3 and again.block_time == first.block_time


# --- the launcher ---


def test_anvil_refuses_a_taken_port(anvil: Anvil) -> None:
    with pytest.raises(DevnetError, match="in use"):
        Anvil(port=anvil.port).start()


def test_anvil_bin_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANVIL_BIN", "/nonexistent/anvil")
    with pytest.raises(DevnetError, match="ANVIL_BIN"):
        find_anvil()
