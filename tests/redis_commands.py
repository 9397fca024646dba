"""Every command a Redis receives meanwhile (MONITOR), with the keys each touches and the slot rule of Redis
Cluster checked over them: a multi-key command, a MULTI..EXEC block (with what it WATCHed) and a script
(its declared keys and the commands it ran) must each touch one hash slot.

The keys of a command are the server's own answer (`COMMAND GETKEYS`): no table of commands kept here.
"""

import re
import socket
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import redis
from redis.crc import key_slot

_ARG = re.compile(rb'"((?:[^"\\]|\\.)*)"')
_LINE = re.compile(rb"^(\d+\.\d+) \[(\d+) ([^\]]+)\] (.*)$", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"a": b"\a", b"b": b"\b", b'"': b'"', b"\\": b"\\"}
_SCRIPTS = {"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"}


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i : i + 1] == b"\\" and i + 1 < len(raw):
            nxt = raw[i + 1 : i + 2]
            if nxt == b"x":
                out += bytes([int(raw[i + 2 : i + 4], 16)])
                i += 4
                continue
            out += _ESCAPES.get(nxt, nxt)
            i += 2
            continue
        out += raw[i : i + 1]
        i += 1
    return bytes(out)


@dataclass
class Sent:
    """One command as MONITOR showed it: `client` is "host:port", or "lua" for a command a script ran."""

    db: int
    client: str
    args: list[bytes]
    keys: list[bytes] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.args[0].decode().lower()

    def show(self) -> str:
        return " ".join(a.decode(errors="replace")[:60] for a in self.args[:8])


@dataclass
class Group:
    """Commands that must share one slot on a cluster: what they are (`kind`) and their keys."""

    kind: str  # "command", "transaction" or "script"
    commands: list[Sent]

    @property
    def keys(self) -> set[bytes]:
        return {k for c in self.commands for k in c.keys}

    @property
    def slots(self) -> set[int]:
        return {key_slot(k) for k in self.keys}

    def show(self) -> str:
        return f"{self.kind}: " + " | ".join(c.show() for c in self.commands)


@contextmanager
def recorded(url: str, db: int | None = None) -> Iterator[list[Sent]]:
    """The commands Redis at `url` receives while the block runs (database `db` only, when given), with their keys
    filled in once it ends."""
    sent: list[Sent] = []
    client = redis.Redis.from_url(url)
    # A plain socket: MONITOR's replies are simple strings, a line each (Redis escapes what they quote); redis-py's
    # connection drops itself on a read timeout, and a quiet minute is not an error here.
    where = client.connection_pool.connection_kwargs
    sock = socket.create_connection((where.get("host", "127.0.0.1"), where.get("port", 6379)))
    sock.sendall(b"MONITOR\r\n")
    lines = sock.makefile("rb")
    assert lines.readline().strip() == b"+OK"
    mark = b"recorded-end-mark"
    stop = threading.Event()

    def read() -> None:
        try:
            for raw in lines:
                match = _LINE.match(raw[1:].rstrip(b"\r\n"))
                if match is None:
                    continue
                _, line_db, who, rest = match.groups()
                args = [_unescape(a) for a in _ARG.findall(rest)]
                if args and args[-1] == mark:
                    return
                if args and (db is None or int(line_db) == db):
                    sent.append(Sent(int(line_db), who.decode(), args))
        finally:
            stop.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield sent
    finally:
        client.echo(mark)
        stop.wait(30)
        sock.close()
        _fill_keys(client, sent)
        client.close()


def _fill_keys(client: redis.Redis, sent: list[Sent]) -> None:
    """Each command's keys, as the server names them (`COMMAND GETKEYS`; none for a command without keys)."""
    known: dict[tuple[bytes, ...], list[bytes]] = {}
    todo = list({tuple(c.args) for c in sent if c.name not in ("multi", "exec", "discard", "unwatch", "monitor")})
    for start in range(0, len(todo), 500):
        batch = todo[start : start + 500]
        pipe = client.pipeline(transaction=False)
        for args in batch:
            pipe.execute_command("COMMAND GETKEYS", *args)
        for args, answer in zip(batch, pipe.execute(raise_on_error=False), strict=True):
            known[args] = (
                [] if isinstance(answer, Exception) else [k if isinstance(k, bytes) else k.encode() for k in answer]
            )
    for c in sent:
        c.keys = known.get(tuple(c.args), [])


def groups(sent: list[Sent]) -> list[Group]:
    """The commands in the groups the slot rule applies to: each keyed command alone, each client's WATCH..EXEC or
    MULTI..EXEC block, each script with the commands it ran (MONITOR prints those right after it)."""
    out: list[Group] = []
    open_blocks: dict[str, list[Sent]] = defaultdict(list)
    in_multi: set[str] = set()
    script: Group | None = None
    for c in sent:
        if c.client == "lua":
            if script is not None:
                script.commands.append(c)
            continue
        script = None
        name = c.name
        if name in _SCRIPTS:
            script = Group("script", [c])
            out.append(script)
            if c.client in in_multi or c.client in open_blocks:
                open_blocks[c.client].append(c)
            continue
        if name == "watch":
            open_blocks[c.client].append(c)
            continue
        elif name == "multi":
            in_multi.add(c.client)
            continue
        elif name in ("exec", "discard", "unwatch"):
            block = open_blocks.pop(c.client, [])
            in_multi.discard(c.client)
            if block:
                out.append(Group("transaction", block))
            continue
        if c.client in in_multi or (c.client in open_blocks and name != "watch"):
            open_blocks[c.client].append(c)
        elif c.keys:
            out.append(Group("command", [c]))
    return out


def cross_slot(sent: list[Sent]) -> list[Group]:
    """The groups whose keys are in more than one slot: each an error on Redis Cluster (CROSSSLOT)."""
    return [g for g in groups(sent) if len(g.slots) > 1]


def keys_by_slot(sent: list[Sent]) -> dict[bytes, int]:
    """Every key the commands touched, with its slot."""
    return {k: key_slot(k) for c in sent for k in c.keys}
