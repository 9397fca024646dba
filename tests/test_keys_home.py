"""Every Redis key is spelled in a `keys.py` (deposit_check's, ticket_link's) and nowhere else in services/.

An AST scan, so comments and docstrings may still name keys. It flags, outside `keys.py`:
- a string or f-string whose text starts with a key namespace (`dc:`, `tl:`: the `PREFIX`es the
  keys modules define);
- an f-string built on a `PREFIX` (`f"{PREFIX}:claim:{tx}"`, `f"{keys.PREFIX}:..."`);
- a literal or f-string as the key (first argument) of a Redis command on a Redis client or pipeline.
"""

import ast
import re
from pathlib import Path

SERVICES = Path(__file__).resolve().parent.parent / "services"
KEYS_MODULES = sorted(SERVICES.glob("*/keys.py"))

# A receiver that is a Redis client or pipeline, as the code names them.
REDIS_RECEIVER = re.compile(r"(^|\.)(redis|_redis|pipe|client|events|watch_redis)$")
REDIS_COMMANDS = frozenset(
    [
        "get",
        "set",
        "setnx",
        "getdel",
        "exists",
        "delete",
        "unlink",
        "expire",
        "pexpire",
        "ttl",
        "incr",
        "incrby",
        "decr",
        "hget",
        "hset",
        "hsetnx",
        "hmget",
        "hgetall",
        "hdel",
        "hincrby",
        "hexists",
        "hkeys",
        "hlen",
        "sadd",
        "srem",
        "smembers",
        "sismember",
        "scard",
        "zadd",
        "zrem",
        "zrange",
        "zrangebyscore",
        "zrevrange",
        "zscore",
        "zcard",
        "zremrangebyscore",
        "zremrangebyrank",
        "xadd",
        "xread",
        "xreadgroup",
        "xrange",
        "xrevrange",
        "xlen",
        "xack",
        "xautoclaim",
        "xgroup_create",
        "xinfo_groups",
        "xtrim",
        "lpush",
        "rpush",
        "lrange",
        "ltrim",
        "llen",
        "blpop",
        "brpop",
        "publish",
    ]
)


def _prefixes() -> set[str]:
    """Each key namespace the keys modules define (`dc:v1` -> `dc:`)."""
    found = set()
    for path in KEYS_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id.endswith("PREFIX") for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value.split(":")[0] + ":")
    return found


def _leading_text(node: ast.expr) -> str | None:
    """The literal text a string or f-string starts with; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
    return None


def _built_on_prefix(node: ast.JoinedStr) -> bool:
    for part in node.values:
        if isinstance(part, ast.FormattedValue):
            inner = part.value
            name = inner.id if isinstance(inner, ast.Name) else inner.attr if isinstance(inner, ast.Attribute) else ""
            if name.endswith("PREFIX"):
                return True
    return False


def violations(source: str, prefixes: set[str]) -> list[tuple[int, str]]:
    """(line, what) for every Redis key spelled in `source`."""
    found = []
    docstrings = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and _built_on_prefix(node):
            found.append((node.lineno, f"f-string on a PREFIX: {ast.unparse(node)}"))
        elif isinstance(node, (ast.Constant, ast.JoinedStr)) and id(node) not in docstrings:
            text = _leading_text(node)
            if text is not None and text.startswith(tuple(prefixes)):
                found.append((node.lineno, f"key namespace in a literal: {ast.unparse(node)}"))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in REDIS_COMMANDS
            and REDIS_RECEIVER.search(ast.unparse(node.func.value))
            and node.args
            and _leading_text(node.args[0]) is not None
        ):
            found.append((node.lineno, f"literal key of a Redis command: {ast.unparse(node)[:120]}"))
    return found


def scan(root: Path = SERVICES) -> list[str]:
    prefixes = _prefixes()
    report = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "keys.py":
            continue
        for line, what in violations(path.read_text(), prefixes):
            report.append(f"{path.relative_to(root)}:{line}: {what}")
    return report


def test_the_keys_modules_define_the_namespaces() -> None:
    assert [p.parent.name for p in KEYS_MODULES] == ["deposit_check", "ticket_link"]
    assert _prefixes() == {"dc:", "tl:"}


def test_no_redis_key_is_spelled_outside_a_keys_module() -> None:
    assert scan() == [], "spell Redis keys in the service's keys.py:\n" + "\n".join(scan())


def test_the_scan_sees_each_kind_of_violation() -> None:
    prefixes = _prefixes()
    bad = '''
"""Docstrings may name `tl:v1:claim:<tx>`."""
PREFIX_COPY = "tl:v1"
async def f(self, pipe, tx, keys):
    await self.redis.hgetall(f"{PREFIX}:deposit:{tx}:tickets")
    pipe.sadd(f"{keys.PREFIX}:ticket", tx)
    await self.redis.smembers("dc:v1:streams")
    await client.xrevrange("some-stream", count=1)
    await self.redis.smembers(keys.DEPOSIT_CHECK_STREAMS)
    value = verdict.get("found_on")
'''
    lines = [line for line, _ in violations(bad, prefixes)]
    assert sorted(set(lines)) == [3, 5, 6, 7, 8]  # not the docstring, a keys call, or a dict's get
