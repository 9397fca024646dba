"""Each status rule has one home: `deposit_check/verdict.py` (the statuses themselves: `models.py`;
the JSON contract: the schemas modules). Everything else asks those, so the API, the watcher, the
summary and the form cannot disagree.

An AST scan of services/ finds a string equal to a status value used *as a status*: compared
(`==`, `!=`, `in`, `not in`), a member of a set (or of a tuple or list compared against, or given
a name), a dict key, or a `case` pattern. A call argument is not a status use: "unavailable" is
also an error code and a metric label, and those are passed, not compared.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from deposit_check import verdict
from deposit_check.models import Status
from ticket_link import schemas as ticket_link_schemas
from ticket_link.schemas import DepositStatus

SERVICES = Path(__file__).resolve().parents[1] / "services"
STATUS_VALUES = frozenset(s.value for s in Status)
HOMES = frozenset(
    {"deposit_check/verdict.py", "deposit_check/models.py", "deposit_check/schemas.py", "ticket_link/schemas.py"}
)

# (package, enclosing function, value) -> why it is not a status rule. By function, not by line or
# file, so that moving code within a package keeps its reason; an entry nothing matches fails below.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("desk_common", "error_doc", "unavailable"): (
        "the error code `unavailable` picks the 503 body shape (which says `status: unavailable` so no caller "
        "reads it as a verdict): an HTTP error rule of desk_common, which may import neither service"
    ),
}

# Modules the issue found holding status sets of their own: they ask verdict.py now.
NO_STATUS_SETS = (
    "deposit_check/watch/changes.py",
    "deposit_check/watch/registry.py",
    "deposit_check/watch/follower.py",
    "deposit_check/watch/judge.py",
    "deposit_check/summary.py",
)


@dataclass(frozen=True)
class Hit:
    line: int
    value: str
    use: str  # comparison | set | membership | named collection | dict key | case pattern
    scope: str  # the enclosing function ("Class.method"), or "<module>"


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _scopes(tree: ast.AST) -> dict[ast.AST, str]:
    scopes: dict[ast.AST, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = name
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = child.name if name == "<module>" else f"{name}.{child.name}"
            scopes[child] = inner
            visit(child, inner)

    visit(tree, "<module>")
    return scopes


def _use(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str | None:
    """How a string constant is used, when that use reads it as a status; None otherwise."""
    parent = parents.get(node)
    if isinstance(parent, ast.Compare):
        return "comparison"
    if isinstance(parent, ast.Dict) and node in parent.keys:
        return "dict key"
    if isinstance(parent, ast.MatchValue):
        return "case pattern"
    if isinstance(parent, ast.Set):
        return "set"
    if isinstance(parent, (ast.List, ast.Tuple)):
        holder = parents.get(parent)
        if isinstance(holder, ast.Compare) and parent in holder.comparators:
            return "membership"
        if (
            isinstance(holder, ast.Call)
            and isinstance(holder.func, ast.Name)
            and holder.func.id in {"set", "frozenset"}
        ):
            return "set"
        named = isinstance(holder, ast.AnnAssign) or (
            isinstance(holder, ast.Assign) and all(isinstance(t, ast.Name) for t in holder.targets)
        )  # `a, b = "x", None` unpacks: no collection is named
        if named:
            return "named collection"
    return None


def status_literals(source: str) -> list[Hit]:
    """Every string equal to a status value that `source` uses as a status."""
    tree = ast.parse(source)
    parents, scopes = _parents(tree), _scopes(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in STATUS_VALUES:
            use = _use(node, parents)
            if use is not None:
                hits.append(Hit(node.lineno, node.value, use, scopes.get(node, "<module>")))
    return hits


def status_sets(source: str) -> list[int]:
    """Lines of set, frozenset, tuple or list displays holding a status (a `Status.X` or a status string)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Set, ast.List, ast.Tuple)) and any(_is_status(e) for e in node.elts):
            lines.append(node.lineno)
    return lines


def status_decisions(source: str) -> list[int]:
    """Lines that set a status outright (`status=Status.X`), as the watcher once did to say `replaced`."""
    return [
        node.value.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.keyword) and node.arg == "status" and _is_status(node.value)
    ]


def _is_status(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in STATUS_VALUES
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Status"


def _service_files() -> list[Path]:
    return sorted(p for p in SERVICES.rglob("*.py") if "devnet" not in p.parts)


def _name(path: Path) -> str:
    return path.relative_to(SERVICES).as_posix()


def test_no_status_rule_outside_its_home() -> None:
    found, used = [], set()
    for path in _service_files():
        if _name(path) in HOMES:
            continue
        for hit in status_literals(path.read_text()):
            key = (_name(path).split("/")[0], hit.scope, hit.value)
            if key in ALLOWED:
                used.add(key)
            else:
                found.append(f"{_name(path)}:{hit.line} {hit.value!r} ({hit.use}, in {hit.scope})")
    assert not found, "status strings used as statuses outside verdict.py/models.py/schemas:\n" + "\n".join(found)
    assert used == set(ALLOWED), f"allowed exceptions that no longer match anything: {set(ALLOWED) - used}"


@pytest.mark.parametrize("name", NO_STATUS_SETS)
def test_the_watcher_and_the_summary_keep_no_status_set_of_their_own(name: str) -> None:
    assert status_sets((SERVICES / name).read_text()) == [], f"{name} holds a status set: ask deposit_check.verdict"


def test_only_the_verdict_decides_a_status() -> None:
    decided = {
        _name(path): lines
        for path in _service_files()
        if _name(path) not in HOMES and (lines := status_decisions(path.read_text()))
    }
    assert decided == {}, "a status set outside verdict.py (pass what is known to verdict.decide instead)"


def test_ticket_links_mirror_is_deposit_checks_status_list() -> None:
    """ticket_link may not import deposit_check; its mirror of the JSON contract is held here instead."""
    assert {s.value for s in DepositStatus} == STATUS_VALUES
    assert {s.value for s in ticket_link_schemas.PAYING} == {s.value for s in verdict.PAYING}
    assert {o.value for o in ticket_link_schemas.AddressOwner} == {o.value for o in verdict.AddressOwner}


def test_the_scan_sees_each_kind_of_status_use() -> None:
    """The scanner itself: each use it must catch is caught, and passing a value along is not."""
    source = """
def rules(w, code):
    if w.status == "replaced" or "pending" != w.status:
        pass
    if w.status in ("not_found", "pending") or w.status not in ["confirmed"]:
        pass
    settled = {"failed"}
    named = ("wrong_address", "wrong_network")
    kept = frozenset(["disputed"])
    looks = {"confirming": 1}
    match w.status:
        case "unavailable":
            pass
    metrics.labels("unavailable").inc()
    error_response("unavailable", "why", 503)
    body = {"status": "unavailable"}
    status, reason = "unavailable", None
    return ("confirmed", "not a status use")[0]
"""
    hits = status_literals(source)
    assert {(h.value, h.use) for h in hits} == {
        ("replaced", "comparison"),
        ("pending", "comparison"),
        ("not_found", "membership"),
        ("pending", "membership"),
        ("confirmed", "membership"),
        ("failed", "set"),
        ("wrong_address", "named collection"),
        ("wrong_network", "named collection"),
        ("disputed", "set"),
        ("confirming", "dict key"),
        ("unavailable", "case pattern"),
    }
    assert {h.scope for h in hits} == {"rules"}
    assert status_sets("S = frozenset({Status.CONFIRMED, Status.FAILED})\nT = ('a', 'b')\n") == [1]
    assert status_decisions("v = replace(v, status=Status.REPLACED)\nr = Response(status=v.status)\n") == [1]
