"""Run a throw-away litecoind in regtest for the demo and the tests.

Started with subprocess.Popen (not -daemon) so that it can be stopped and started again on the
same datadir and ports; RPC goes over httpx, not litecoin-cli, to spawn fewer processes.
"""

import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx

AddressType = Literal["bech32", "legacy", "p2sh-segwit"]


class DevnetError(RuntimeError):
    """The local node could not be found, started or asked."""


class RpcCallError(DevnetError):
    """The node answered a call with an error."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: RPC error {code}: {message}")
        self.code = code
        self.message = message


def find_litecoind() -> str:
    path = shutil.which("litecoind")
    if path is None:
        raise DevnetError("litecoind not found on PATH (Debian: apt-get install -y litecoind)")
    return path


def free_port() -> int:
    """A port the OS just gave out; free again once the socket closes (a small race we accept)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # Core parses amounts from strings exactly
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


class Litecoind:
    """One litecoind -regtest process with its own datadir and free ports."""

    def __init__(
        self,
        base_dir: Path | str | None = None,
        *,
        txindex: bool = True,
        rpc_user: str = "devnet",
        rpc_password: str = "devnet",
        rpc_port: int | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self._own_dir = base_dir is None
        self.datadir = Path(tempfile.mkdtemp(prefix="litecoind-")) if base_dir is None else Path(base_dir)
        self.txindex = txindex
        self.rpc_user = rpc_user
        self.rpc_password = rpc_password
        self.rpc_port = rpc_port or free_port()
        self.p2p_port = free_port()
        self.extra_args = list(extra_args)
        self.wallet: str | None = None  # the wallet the helpers use
        self._process: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(timeout=60)

    @property
    def rpc_url(self) -> str:
        return f"http://{self.rpc_user}:{self.rpc_password}@127.0.0.1:{self.rpc_port}/"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def exit_code(self) -> int | None:
        """The code the node exited with; None while it runs (or when it was not started, or stopped by us)."""
        return None if self._process is None else self._process.poll()

    def _args(self) -> list[str]:
        return [
            find_litecoind(),
            "-regtest",
            f"-datadir={self.datadir}",
            f"-txindex={int(self.txindex)}",
            "-fallbackfee=0.0001",
            # Litecoin Core refuses BIP 125 replacements by default (Bitcoin Core accepts them): without
            # this, `bumpfee` signs a replacement that the mempool rejects as txn-mempool-conflict.
            "-mempoolreplacement=1",
            # MWEB never activates on the dev chain: once active (after a few hundred regtest blocks),
            # invalidateblock puts the block's HogEx tx back into the mempool and mining then fails
            # (bad-txns-vin-empty). MWEB outputs are private and cannot be checked anyway.
            "-vbparams=mweb:9999999999:9999999999",
            "-server=1",
            "-daemon=0",
            "-printtoconsole=0",
            f"-rpcuser={self.rpc_user}",
            f"-rpcpassword={self.rpc_password}",
            f"-rpcport={self.rpc_port}",
            "-rpcbind=127.0.0.1",
            "-rpcallowip=127.0.0.1",
            f"-port={self.p2p_port}",
            "-bind=127.0.0.1",
            "-listen=1",
            "-discover=0",
            "-dnsseed=0",
            "-upnp=0",
            *self.extra_args,
        ]

    def start(self, timeout: float = 60) -> "Litecoind":
        """Start the process and wait until RPC answers; DevnetError with the log tail if it does not."""
        if self.running:
            return self
        self.datadir.mkdir(parents=True, exist_ok=True)
        stderr = open(self.datadir / "stderr.log", "ab")  # noqa: SIM115  (kept open by the child)
        try:
            self._process = subprocess.Popen(self._args(), stdout=subprocess.DEVNULL, stderr=stderr)
        finally:
            stderr.close()
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise DevnetError(f"litecoind exited with {self._process.returncode}\n{self.log_tail()}")
            try:
                self.cli("getblockchaininfo")
                return self
            except (httpx.HTTPError, RpcCallError) as exc:  # refused, or -28 "Loading block index..."
                last = str(exc)
            time.sleep(0.1)
        self._kill()
        raise DevnetError(f"litecoind RPC did not answer within {timeout} s ({last})\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> None:
        """Ask the node to stop, wait for it, kill it after `timeout` seconds."""
        if self._process is None:
            return
        if self._process.poll() is None:
            try:
                self.cli("stop")
            except (httpx.HTTPError, DevnetError):
                self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        self._process = None

    def restart(self, timeout: float = 60) -> "Litecoind":
        """Stop and start again on the same datadir and ports; reloads the helpers' wallet."""
        self.stop()
        self.start(timeout)
        if self.wallet is not None:
            try:
                self.cli("loadwallet", self.wallet)
            except RpcCallError as exc:
                if exc.code != -35:  # already loaded (load_on_startup)
                    raise
        return self

    def close(self) -> None:
        """Stop the node and delete the datadir if this object made it."""
        self.stop()
        self._http.close()
        if self._own_dir:
            shutil.rmtree(self.datadir, ignore_errors=True)

    def __enter__(self) -> "Litecoind":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for path in (self.datadir / "stderr.log", self.datadir / "regtest" / "debug.log"):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path}\n" + "\n".join(text))
        return "\n".join(parts) or "(no log)"

    def cli(self, method: str, *params: Any, wallet: str | None = None) -> Any:
        """One JSON-RPC call; `wallet` selects /wallet/<name>. Floats come back as Decimal."""
        url = f"http://127.0.0.1:{self.rpc_port}/" + (f"wallet/{wallet}" if wallet else "")
        body = json.dumps({"jsonrpc": "1.0", "id": 0, "method": method, "params": list(params)}, default=_encode)
        response = self._http.post(url, content=body, auth=(self.rpc_user, self.rpc_password))
        if response.status_code in (401, 403):
            raise DevnetError(f"{method}: HTTP {response.status_code} (credentials)")
        try:
            reply = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise DevnetError(f"{method}: HTTP {response.status_code}: {response.text[:200]!r}") from None
        if reply.get("error"):
            raise RpcCallError(method, int(reply["error"]["code"]), str(reply["error"]["message"]))
        return reply["result"]

    # --- peers: two nodes on one chain, forked off and joined again ---

    @property
    def p2p_address(self) -> str:
        return f"127.0.0.1:{self.p2p_port}"

    def peers(self) -> list[str]:
        """Addresses of the connected peers (inbound ones show the peer's outgoing port, not its p2p port)."""
        return [str(p["addr"]) for p in self.cli("getpeerinfo")]

    def connect(self, other: "Litecoind", timeout: float = 30) -> None:
        """Connect to `other` (one try, not kept: a disconnect stays one) and wait for the handshake."""
        self.cli("addnode", other.p2p_address, "onetry")
        self._wait(
            lambda: any(p["addr"] == other.p2p_address and p.get("version", 0) > 0 for p in self.cli("getpeerinfo")),
            timeout,
            f"no connection to {other.p2p_address}",
        )

    def disconnect(self, other: "Litecoind", timeout: float = 30) -> None:
        """Drop the connection this node opened to `other` (see `connect`) and wait until both see it gone
        (`other` must have no other peers: a two-node setup)."""
        try:
            self.cli("disconnectnode", other.p2p_address)
        except RpcCallError as exc:
            if exc.code != -29:  # not connected
                raise
        self._wait(
            lambda: other.p2p_address not in self.peers() and not other.cli("getpeerinfo"),
            timeout,
            "the peers did not disconnect",
        )

    def set_network_active(self, active: bool, timeout: float = 30) -> None:
        """Off: drop every peer (waits until they are gone) and make no connection: a node forked off
        the network until turned on again (then `connect` it: the helpers' connections are not kept)."""
        self.cli("setnetworkactive", active)
        if not active:
            self._wait(lambda: not self.cli("getpeerinfo"), timeout, "peers still connected")

    def wait_synced(self, *others: "Litecoind", timeout: float = 30) -> str:
        """Wait until every node has this node's best block; returns its hash."""

        def synced() -> bool:
            best = self.cli("getbestblockhash")
            return all(o.cli("getbestblockhash") == best for o in others)

        self._wait(synced, timeout, "the nodes did not reach the same best block")
        return str(self.cli("getbestblockhash"))

    def wait_in_mempool(self, txid: str, timeout: float = 30) -> None:
        self._wait(lambda: txid in self.cli("getrawmempool"), timeout, f"{txid} did not reach the mempool")

    @staticmethod
    def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise DevnetError(f"{what} within {timeout} s")
            time.sleep(0.05)

    # --- wallet helpers (use self.wallet) ---

    def create_wallet(self, name: str) -> str:
        """Create (or load) a wallet and make it the one the helpers use."""
        try:
            self.cli("createwallet", name)
        except RpcCallError as exc:
            if exc.code != -4:  # exists already (a restart on the same datadir)
                raise
            try:
                self.cli("loadwallet", name)
            except RpcCallError as exc2:
                if exc2.code != -35:  # loaded already
                    raise
        self.wallet = name
        return name

    def new_address(self, type: AddressType = "bech32") -> str:
        return str(self.cli("getnewaddress", "", type, wallet=self.wallet))

    def mine(self, n: int = 1, address: str | None = None) -> list[str]:
        """Mine `n` blocks to `address` (a new wallet address by default); returns their hashes."""
        return list(self.cli("generatetoaddress", n, address or self.new_address()))

    def send(self, address: str, amount: Decimal, *, replaceable: bool = False) -> str:
        """`replaceable`: signal BIP 125 opt-in RBF, so that `bump_fee` can replace the tx."""
        # sendtoaddress address amount comment comment_to subtractfeefromamount replaceable
        return str(self.cli("sendtoaddress", address, amount, "", "", False, replaceable, wallet=self.wallet))

    def bump_fee(self, txid: str) -> str:
        """Replace a replaceable wallet tx by one paying a higher fee (same inputs); its txid."""
        return str(self.cli("bumpfee", txid, wallet=self.wallet)["txid"])

    def send_many(self, amounts: dict[str, Decimal]) -> str:
        return str(self.cli("sendmany", "", amounts, wallet=self.wallet))

    def send_outputs(self, address: str, amounts: list[Decimal]) -> str:
        """One tx with an output of each amount, all to `address` (sendmany takes an address once)."""
        # createrawtransaction refuses a repeated address too: pay fresh wallet addresses (scripts
        # of the same length), then put the address's script in their place before funding.
        script = self.cli("validateaddress", address)["scriptPubKey"]
        stand_ins = [self.new_address("bech32") for _ in amounts]
        raw = self.cli("createrawtransaction", [], [{a: v} for a, v in zip(stand_ins, amounts, strict=True)])
        for stand_in in stand_ins:
            stand_in_script = self.cli("validateaddress", stand_in)["scriptPubKey"]
            if len(stand_in_script) != len(script):
                raise DevnetError("send_outputs needs an address with a 20-byte witness program")
            raw = raw.replace(stand_in_script, script)
        funded = self.cli("fundrawtransaction", raw, wallet=self.wallet)["hex"]
        signed = self.cli("signrawtransactionwithwallet", funded, wallet=self.wallet)["hex"]
        return str(self.cli("sendrawtransaction", signed))

    def fund(self, wallet: str = "dev", blocks: int = 101) -> "Litecoind":
        """Create a wallet and mine `blocks` to it (101: one coinbase is mature and spendable)."""
        self.create_wallet(wallet)
        self.mine(blocks)
        return self
