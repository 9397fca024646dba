"""A real Redis Cluster on loopback: three masters (`redis-server --cluster-enabled yes`) on free ports, joined by
`redis-cli --cluster create`, keeping nothing on disk; gone with its files on close(). `migrate_slot` moves a slot
to another master while clients use it, step by step as `redis-cli --cluster reshard` does. With `replicas`, each
master has that many replicas (`--cluster-replicas`): `kill` a master and the cluster promotes one of its replicas
after `--cluster-node-timeout` (2 s)."""

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis

from harness.processes import wait_for_port


def _free_pair() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port + 10000 > 65535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


class RedisCluster:
    """`masters` redis-server processes in cluster mode (and `replicas` for each), every slot assigned,
    `cluster_state:ok` on each."""

    def __init__(self, masters: int = 3, replicas: int = 0) -> None:
        self.masters = masters
        self.replicas = replicas
        self.dir = Path(tempfile.mkdtemp(prefix="redis-cluster-"))
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        """One node's URL: a cluster client finds the others from it."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    @property
    def cluster_url(self) -> str:
        """The REDIS_URL the services take for it (desk_common/redis_connect.py): every node a start-up node."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def start(self, timeout: float = 30) -> "RedisCluster":
        binary, cli = shutil.which("redis-server"), shutil.which("redis-cli")
        if binary is None or cli is None:
            raise RuntimeError("redis-server / redis-cli not found: run scripts/setup.sh --test")
        for i in range(self.masters * (1 + self.replicas)):
            port = _free_pair()
            node_dir = self.dir / str(i)
            node_dir.mkdir()
            proc = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    str(node_dir / "nodes.conf"),
                    "--cluster-node-timeout",
                    "2000",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(node_dir),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.ports.append(port)
            self.procs.append(proc)
            wait_for_port(port, timeout, proc)
        nodes = [f"127.0.0.1:{p}" for p in self.ports]
        subprocess.run(
            [cli, "--cluster", "create", *nodes, "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )
        self.wait_ok(timeout)
        return self

    def wait_ok(self, timeout: float = 30) -> None:
        """Until every live node says `cluster_state:ok`."""
        cli = shutil.which("redis-cli") or "redis-cli"
        deadline = time.monotonic() + timeout
        while not all(self._ok(cli, p) for p in self.live_ports):
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not reach cluster_state:ok")
            time.sleep(0.2)

    @property
    def live_ports(self) -> list[int]:
        return [port for port, proc in zip(self.ports, self.procs, strict=True) if proc.poll() is None]

    def kill(self, port: int) -> None:
        """SIGKILL the node at `port` (no goodbye to the others: they find out after the node timeout)."""
        proc = self.procs[self.ports.index(port)]
        proc.kill()
        proc.wait()

    def node(self, port: int) -> redis.Redis:
        """A plain client of one node (not cluster-aware: it sees MOVED and ASK as errors)."""
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)

    def owner(self, slot: int) -> int:
        """The port of the master serving `slot`, as the (first live) nodes see it."""
        with self.node(self.live_ports[0]) as first:
            for start, end, master, *_ in _run(first, "CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return int(master[1])
        raise LookupError(f"slot {slot} is not served")

    def migrate_slot(self, slot: int, to_port: int, batch: int = 10, pause: float = 0.0) -> int:
        """Move `slot` to the master at `to_port` with its keys; how many keys moved.

        The sequence of `redis-cli --cluster reshard` (redis-cli.c, clusterManagerMoveSlot): the target IMPORTING,
        the source MIGRATING, its keys sent with MIGRATE `batch` at a time (redis-cli's `--cluster-pipeline`, 10),
        then every master told the slot's new owner. `pause` seconds between batches stretch the time in which
        some of the slot's keys are on each node: a client meets ASK (a key already moved, or a new one) and
        TRYAGAIN (a command over keys on both sides)."""
        from_port = self.owner(slot)
        if from_port == to_port:
            return 0
        source, target = self.node(from_port), self.node(to_port)
        try:
            source_id, target_id = (_run(n, "CLUSTER", "MYID").decode() for n in (source, target))
            _run(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
            _run(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
            moved = 0
            while keys := _run(source, "CLUSTER", "GETKEYSINSLOT", slot, batch):
                _run(source, "MIGRATE", "127.0.0.1", to_port, "", 0, 10_000, "KEYS", *keys)
                moved += len(keys)
                time.sleep(pause)
            for port in [to_port, from_port, *(p for p in self.masters_ports() if p not in (to_port, from_port))]:
                with self.node(port) as each:
                    _run(each, "CLUSTER", "SETSLOT", slot, "NODE", target_id)
            return moved
        finally:
            source.close()
            target.close()

    def masters_ports(self) -> list[int]:
        """The ports of the live masters."""
        with self.node(self.live_ports[0]) as first:
            return sorted({int(master[1]) for _, _, master, *_ in _run(first, "CLUSTER", "SLOTS")})

    @staticmethod
    def _ok(cli: str, port: int) -> bool:
        info = subprocess.run([cli, "-p", str(port), "cluster", "info"], capture_output=True, text=True, timeout=10)
        return "cluster_state:ok" in info.stdout

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


def _run(node: redis.Redis, *args: Any) -> Any:
    return node.execute_command(*args)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated


def running_cluster(masters: int = 3, replicas: int = 0) -> Iterator[RedisCluster]:
    """A cluster of its own for as long as the fixture built on this lasts."""
    cluster = RedisCluster(masters, replicas).start()
    try:
        yield cluster
    finally:
        cluster.close()
