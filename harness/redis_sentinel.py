"""A Redis Sentinel set of our own on free ports: 1 master, 1 replica (AOF, `appendfsync everysec`) and
3 sentinels (quorum 2), with what a failover test needs: SIGKILL the master, wait for the promotion.

Debian's redis-server runs a sentinel with `redis-server FILE --sentinel`; each sentinel rewrites its own
file as it learns the set, so each has one.
"""

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import redis

from deposit_check.devnet.litecoind import free_port
from harness.processes import wait_for_port

SERVICE = "desk"
DOWN_AFTER_MS = 1000  # a master silent this long is "subjectively down" to a sentinel
FAILOVER_TIMEOUT_MS = 3000


@dataclass
class Node:
    """One redis-server process (a data node or a sentinel) with its port and directory."""

    port: int
    dir: Path
    args: list[str]
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10) -> None:
        log = self.dir / "redis.log"
        self.proc = subprocess.Popen(
            [*self.args, "--logfile", str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port, timeout, self.proc)

    def kill(self) -> None:
        """SIGKILL: no AOF flush, no goodbye to the replicas (a host that dies)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=2)


@dataclass
class SentinelSet:
    """1 master + 1 replica + 3 sentinels; `url` is the REDIS_URL the services are given."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="redis-sentinel-")))
    data: list[Node] = field(default_factory=list)
    sentinels: list[Node] = field(default_factory=list)

    def url(self, db: int = 0) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{SERVICE}/{db}"

    def start(self) -> "SentinelSet":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: run scripts/setup.sh --test")
        master_port = free_port()
        for i, port in enumerate((master_port, free_port())):
            node_dir = self.root / f"data{i}"
            node_dir.mkdir()
            args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(node_dir), "--save", ""]
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
            if i == 1:
                args += ["--replicaof", "127.0.0.1", str(master_port)]
            self.data.append(Node(port, node_dir, args))
        for i in range(3):
            port = free_port()
            node_dir = self.root / f"sentinel{i}"
            node_dir.mkdir()
            conf = node_dir / "sentinel.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {node_dir}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
            self.sentinels.append(Node(port, node_dir, [binary, str(conf), "--sentinel"]))
        for node in [*self.data, *self.sentinels]:
            node.start()
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 20) -> None:
        """Until a replica is in sync and every sentinel knows it and the other sentinels (a failover can follow)."""
        self.wait_until(lambda: self.replicas_in_sync() >= 1, timeout, "the replica did not sync with the master")
        self.wait_until(self._sentinels_agree, timeout, "the sentinels did not find each other and the replica")

    def master(self) -> Node:
        """The data node the sentinels name as master now."""
        port = _master_port(self.sentinels[0])
        return next(n for n in self.data if n.port == port)

    def replicas_in_sync(self) -> int:
        info = self.master().client().info("replication")
        return sum(
            1 for k, v in info.items() if k.startswith("slave") and isinstance(v, dict) and v["state"] == "online"
        )

    def _sentinels_agree(self) -> bool:
        for sentinel in self.sentinels:
            state = cast(dict[str, Any], sentinel.client().sentinel_master(SERVICE))
            if int(state["num-other-sentinels"]) < 2 or int(state["num-slaves"]) < 1:
                return False
        return True

    def kill_master(self) -> Node:
        """SIGKILL the master; the node killed (its port stays free for `restart`)."""
        node = self.master()
        node.kill()
        return node

    def wait_for_promotion(self, old: Node, timeout: float = 30) -> Node:
        """Wait until every sentinel names another master and that node says it is one; that node."""

        def promoted() -> bool:
            for sentinel in self.sentinels:
                if _master_port(sentinel) == old.port:
                    return False
            return bool(self.master().client().role()[0] == b"master")

        self.wait_until(promoted, timeout, "no replica was promoted")
        return self.master()

    def restart(self, node: Node) -> None:
        """Start a killed node again (the sentinels make it a replica of the new master)."""
        node.start()

    @staticmethod
    def wait_until(condition: Callable[[], bool], timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if condition():
                    return
            except (redis.RedisError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(message)
            time.sleep(0.1)

    def close(self) -> None:
        for node in [*self.sentinels, *self.data]:
            node.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _master_port(sentinel: Node) -> int:
    """The master's port as this sentinel names it."""
    _, port = cast(tuple[str, int], sentinel.client().sentinel_get_master_addr_by_name(SERVICE))
    return int(port)
