"""Run a throw-away anvil (Foundry's dev EVM node) for the demo and the tests.

Transactions are sent with `eth_sendTransaction` from anvil's unlocked dev accounts, so no keys
or signing library are needed. RPC goes over httpx, like the litecoind launcher.
"""

import json
import os
import shutil
import time
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from deposit_check.devnet import child
from deposit_check.devnet.litecoind import DevnetError, RpcCallError, free_port

_NPM_BINARY = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
_TOKEN_ARTIFACT = Path(__file__).with_name("test_token.json")
_PAYOUTS_ARTIFACT = Path(__file__).with_name("payouts.json")
_TRANSFER_SELECTOR = bytes.fromhex("a9059cbb")  # transfer(address,uint256)


def find_anvil() -> str:
    """The anvil binary: env ANVIL_BIN, then PATH, then node_modules of the repository (npm ci)."""
    if binary := os.environ.get("ANVIL_BIN"):
        if not os.access(binary, os.X_OK):
            raise DevnetError(f"ANVIL_BIN={binary} is not an executable file")
        return binary
    if binary := shutil.which("anvil"):
        return binary
    for root in Path(__file__).resolve().parents:
        if (root / _NPM_BINARY).is_file():
            return str(root / _NPM_BINARY)
    raise DevnetError("anvil not found: set ANVIL_BIN, put anvil on PATH, or run `npm ci` (scripts/setup.sh --chains)")


@cache
def token_artifact() -> dict[str, Any]:
    """ABI and bytecode of TestToken.sol (regenerate with scripts/compile_contracts.sh)."""
    artifact: dict[str, Any] = json.loads(_TOKEN_ARTIFACT.read_text())
    return artifact


@cache
def payouts_artifact() -> dict[str, Any]:
    """ABI and bytecode of Payouts and Relay (Payouts.sol; regenerate with scripts/compile_contracts.sh)."""
    artifact: dict[str, Any] = json.loads(_PAYOUTS_ARTIFACT.read_text())
    return artifact


class Anvil:
    """One anvil process on a free port (or `port`), with helpers to make transactions."""

    def __init__(self, chain_id: int = 31337, port: int | None = None, log: Path | None = None) -> None:
        self.chain_id = chain_id
        self.port = port or free_port()
        self.log = log  # where anvil's output goes (default: a temporary file, gone with it)
        self._child = child.Child("anvil", self.port, log, "(anvil wrote nothing)")
        self._accounts: list[str] | None = None
        self._automine = True  # anvil's default; set_automine keeps it
        self._http = httpx.Client(timeout=30)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._child.running

    def start(self, timeout: float = 30) -> Self:
        """Start anvil and wait until eth_chainId answers; DevnetError with its output if it does not."""
        if self.running:
            return self
        args = [
            find_anvil(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--silent",
        ]
        self._child.start(args, lambda: bool(self.rpc("eth_chainId")), timeout)
        return self

    def exit_code(self) -> int | None:
        """The code anvil exited with; None while it runs (or when it was not started, or stopped by us)."""
        return self._child.exit_code()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines anvil wrote (it runs --silent: mostly nothing, unless it failed)."""
        return self._child.log_tail(lines)

    def stop(self, timeout: float = 10) -> None:
        """Terminate anvil (kill it after `timeout` s). `start()` again gives a fresh chain on the same port."""
        self._child.stop(timeout)
        self._accounts = None
        self._automine = True

    def close(self) -> None:
        self.stop()
        self._http.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def rpc(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call; an error answer raises RpcCallError."""
        response = self._http.post(
            self.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        )
        try:
            reply = response.json()
        except ValueError:
            raise DevnetError(f"{method}: HTTP {response.status_code}: {response.text[:200]!r}") from None
        if reply.get("error"):
            raise RpcCallError(method, int(reply["error"].get("code", 0)), str(reply["error"].get("message")))
        return reply.get("result")

    @property
    def accounts(self) -> list[str]:
        """The unlocked dev accounts (checksummed), each funded with 10000 ETH."""
        if self._accounts is None:
            self._accounts = [to_checksum_address(a) for a in self.rpc("eth_accounts")]
        return self._accounts

    def set_automine(self, enabled: bool) -> None:
        """Off: transactions wait in the mempool until `mine()`."""
        self.rpc("evm_setAutomine", enabled)
        self._automine = enabled

    def mine(self, n: int = 1) -> None:
        self.rpc("anvil_mine", hex(n))

    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def nonce(self, account: str) -> int:
        """The account's next nonce, counting its pending txs."""
        return int(self.rpc("eth_getTransactionCount", account, "pending"), 16)

    def snapshot(self) -> str:
        """An id to `revert` to: the chain as it is now."""
        return str(self.rpc("evm_snapshot"))

    def revert(self, snapshot: str) -> None:
        """Back to `snapshot`: the blocks mined since are forgotten (unknown by hash too)."""
        if not self.rpc("evm_revert", snapshot):
            raise DevnetError(f"evm_revert {snapshot}: no such snapshot")

    def reorg(self, depth: int) -> None:
        """Replace the last `depth` blocks by as many new empty ones (anvil_reorg)."""
        self.rpc("anvil_reorg", depth, [])

    def receipt(self, tx_hash: str, timeout: float = 10) -> dict[str, Any]:
        """Wait for the tx's receipt (it must get mined: automine on, or someone calls `mine()`)."""
        deadline = time.monotonic() + timeout
        while (receipt := self.rpc("eth_getTransactionReceipt", tx_hash)) is None:
            if time.monotonic() > deadline:
                raise DevnetError(f"{tx_hash} not mined within {timeout} s (automine off?)")
            time.sleep(0.01)
        return dict(receipt)

    def send_transaction(
        self,
        sender: str,
        to: str | None,
        value: int = 0,
        data: bytes = b"",
        gas: int | None = None,
        nonce: int | None = None,
        gas_price: int | None = None,
    ) -> str:
        """Send from an unlocked account; without `gas`, anvil estimates (and refuses a tx that would revert).
        With automine on (the default), it returns once the tx is mined.

        `nonce` and a higher `gas_price` replace a pending tx of the same sender and nonce.
        """
        tx: dict[str, Any] = {"from": sender, "value": hex(value), "data": "0x" + data.hex()}
        for key, given in (("to", to), ("gas", gas), ("nonce", nonce), ("gasPrice", gas_price)):
            if given is not None:
                tx[key] = given if isinstance(given, str) else hex(given)
        tx_hash = str(self.rpc("eth_sendTransaction", tx))
        if self._automine:
            # anvil answers before it has sealed the tx's block: a node asked at once may not know the block yet
            # (tests that checked at once failed now and then under load). Automine means "mined": wait for it.
            self.receipt(tx_hash)
        return tx_hash

    def send_eth(self, sender: str, to: str, wei: int, gas: int | None = None) -> str:
        return self.send_transaction(sender, to, value=wei, gas=gas)

    def deploy_token(self, name: str, symbol: str, decimals: int, sender: str, supply: int | None = None) -> str:
        """Deploy TestToken (supply: 10^9 whole tokens by default, all to `sender`); returns its checksummed address."""
        artifact = token_artifact()
        supply = 10**9 * 10**decimals if supply is None else supply
        args = encode(["string", "string", "uint8", "uint256"], [name, symbol, decimals, supply])
        tx_hash = self.send_transaction(sender, None, data=bytes.fromhex(artifact["bytecode"][2:]) + args)
        receipt = self.receipt(tx_hash)
        if int(receipt["status"], 16) != 1 or not receipt.get("contractAddress"):
            raise DevnetError(f"deploying {symbol} failed: {receipt}")
        return to_checksum_address(receipt["contractAddress"])

    def token_transfer(self, token: str, sender: str, to: str, amount: int, gas: int | None = None) -> str:
        """Call `token.transfer(to, amount)` from `sender`; pass `gas` to get a reverting call mined anyway."""
        data = _TRANSFER_SELECTOR + encode(["address", "uint256"], [to, amount])
        return self.send_transaction(sender, token, data=data, gas=gas)

    def token_balance(self, token: str, owner: str) -> int:
        data = bytes.fromhex("70a08231") + encode(["address"], [owner])  # balanceOf(address)
        return int(self.rpc("eth_call", {"to": token, "data": "0x" + data.hex()}, "latest"), 16)

    def deploy(self, init_code: str, sender: str) -> str:
        """Deploy a contract from its init code (hex); returns its checksummed address."""
        receipt = self.receipt(self.send_transaction(sender, None, data=bytes.fromhex(init_code.removeprefix("0x"))))
        if int(receipt["status"], 16) != 1 or not receipt.get("contractAddress"):
            raise DevnetError(f"deploying failed: {receipt}")
        return to_checksum_address(receipt["contractAddress"])

    def deploy_payouts(self, sender: str) -> tuple[str, str]:
        """Deploy Payouts and Relay (Payouts.sol): contracts that pay native coin through inner calls."""
        artifact = payouts_artifact()
        return self.deploy(artifact["Payouts"]["bytecode"], sender), self.deploy(artifact["Relay"]["bytecode"], sender)

    def call(
        self, sender: str, contract: str, signature: str, *args: Any, value: int = 0, gas: int | None = None
    ) -> str:
        """Send a tx calling `signature` (e.g. "forward(address)") with `args`; returns its hash."""
        types = signature[signature.index("(") + 1 : -1]
        data = keccak(text=signature)[:4] + encode(_split_types(types), list(args))
        return self.send_transaction(sender, contract, value=value, data=data, gas=gas)


def _split_types(types: str) -> list[str]:
    """ "address,uint256[]" -> ["address", "uint256[]"] (no tuples: the contracts here take none)."""
    return [t for t in types.split(",") if t]
