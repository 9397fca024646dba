"""A real ElectrumX (the `e-x` package) over a litecoind regtest, on free ports, for tests and benches.

ElectrumX indexes the node's blocks into its own LevelDB (a temp dir) and serves the Electrum
protocol on TCP. It needs only the node's RPC (no -txindex of its own; `blockchain.transaction.get`
verbose goes to the node's `getrawtransaction`, so our litecoind keeps -txindex). Peer discovery is
off: a test server talks to nobody but its node.
"""

import hashlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from deposit_check.devnet.litecoind import Litecoind, free_port
from harness.processes import BIN, stop, wait_for_port


class ElectrumX:
    """electrumx_server for `node` (COIN=Litecoin NET=regtest), TCP on 127.0.0.1:`port`."""

    def __init__(self, node: Litecoind, port: int | None = None, env: dict[str, str] | None = None) -> None:
        """`env`: more of ElectrumX's settings (e.g. `COST_SOFT_LIMIT`), over the harness's."""
        self.node = node
        self.port = port or free_port()
        self.env = dict(env or {})
        self.dir = Path(tempfile.mkdtemp(prefix="electrumx-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "ElectrumX":
        binary = shutil.which("electrumx_server") or str(BIN / "electrumx_server")
        if not Path(binary).exists():
            raise RuntimeError("electrumx_server not found: pip install -e '.[test]' (package e-x)")
        env = {
            "COIN": "Litecoin",
            "NET": "regtest",
            "DB_ENGINE": "leveldb",
            "DB_DIRECTORY": str(self.dir / "db"),
            "DAEMON_URL": self.node.rpc_url,
            "SERVICES": f"tcp://127.0.0.1:{self.port}",
            "PEER_DISCOVERY": "off",
            "PEER_ANNOUNCE": "",
            "ALLOW_ROOT": "1",
            "LOG_LEVEL": "warning",
            "CACHE_MB": "100",
            # Tests mine and then ask at once: poll the node every 50 ms, not every 5 s.
            "DAEMON_POLL_INTERVAL_BLOCKS": "50",
            "DAEMON_POLL_INTERVAL_MEMPOOL": "50",
            "PATH": str(Path(binary).parent) + ":/usr/bin:/bin",
            **self.env,
        }
        (self.dir / "db").mkdir(exist_ok=True)
        with (self.dir / "electrumx.log").open("ab") as out:
            self.proc = subprocess.Popen([binary], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port, timeout, self.proc)
            self.wait_synced(timeout)
        except Exception:
            self.stop()
            raise RuntimeError(f"ElectrumX did not start:\n{self.log_tail()}") from None
        return self

    def wait_synced(self, timeout: float = 30) -> int:
        """Return the height once the server's tip is the node's (block hash included) and its mempool holds
        every tx of the node's (ElectrumX refreshes its mempool apart from its blocks)."""
        deadline = time.monotonic() + timeout
        while True:
            want = self.node.cli("getbestblockhash")
            height = int(self.node.cli("getblockcount"))
            header = self.request("blockchain.headers.subscribe", [])
            if header["height"] == height and self._header_hash(header["hex"]) == want and self._mempool_synced():
                return height
            if time.monotonic() > deadline:
                raise RuntimeError(f"ElectrumX at {header['height']}, the node at {height} after {timeout} s")
            time.sleep(0.05)

    def _mempool_synced(self) -> bool:
        """Each tx in the node's mempool is in the server's, as the mempool history of its first output's script."""
        for txid in self.node.cli("getrawmempool"):
            script = self.node.cli("getrawtransaction", txid, True)["vout"][0]["scriptPubKey"]["hex"]
            key = hashlib.sha256(bytes.fromhex(script)).digest()[::-1].hex()
            listed = self.request("blockchain.scripthash.get_mempool", [key])
            if txid not in {entry["tx_hash"] for entry in listed}:
                return False
        return True

    def request(self, method: str, params: list[object]) -> dict:  # type: ignore[type-arg]
        """One request on a fresh connection (the harness's own probe; the service has its client)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            calls = [
                {"jsonrpc": "2.0", "id": 0, "method": "server.version", "params": ["harness", "1.4"]},
                {"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            ]
            sock.sendall(b"".join(json.dumps(c).encode() + b"\n" for c in calls))
            buffer = b""
            while buffer.count(b"\n") < 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise RuntimeError("ElectrumX closed the connection")
                buffer += chunk
        reply = json.loads(buffer.split(b"\n")[1])
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]  # type: ignore[no-any-return]

    @staticmethod
    def _header_hash(header_hex: str) -> str:
        raw = bytes.fromhex(header_hex)
        return hashlib.sha256(hashlib.sha256(raw).digest()).digest()[::-1].hex()

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, timeout=20)
            self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        path = self.dir / "electrumx.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def __enter__(self) -> "ElectrumX":
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
