"""requirements.lock (scripts/lock.sh) pins every runtime dependency with hashes, and the Dockerfile
installs from it with --require-hashes, then the project without dependencies. requirements-demo.lock
adds the `demo` extra (django-helpdesk) for the demo stage, at the runtime lock's versions.

Docker does not run here; a `pip install --dry-run --require-hashes` of the lock in a fresh venv
is in docs/operations.md (it needs PyPI, so it is not a test)."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def locked(name: str = "requirements.lock") -> dict[str, tuple[str, int]]:
    """name -> (version, how many hashes), from the lock's `name==version \\ --hash=...` entries."""
    entries: dict[str, tuple[str, int]] = {}
    current = ""
    for line in (ROOT / name).read_text().splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            entries[current] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


def test_every_runtime_dependency_is_locked_at_its_pin() -> None:
    lock = locked()
    for text in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} is not in requirements.lock: run scripts/lock.sh"
        assert requirement.specifier.contains(lock[name][0]), (
            f"{name}: pyproject says {requirement.specifier}, lock {lock[name][0]}"
        )
        for extra in requirement.extras:  # redis[hiredis], saq[hiredis]: the extra's package is locked too
            assert canonicalize_name(extra) in lock, f"{name}[{extra}]: {extra} is not in requirements.lock"


def test_every_locked_package_has_a_sha256() -> None:
    lock = locked()
    assert len(lock) > 50  # the whole tree, not only the direct dependencies
    assert not [name for name, (_, hashes) in lock.items() if hashes == 0]
    assert "pytest" not in lock and "django" not in lock  # runtime only: the test extra stays out


def test_the_dockerfile_installs_the_lock_with_hashes_then_the_project_without_dependencies() -> None:
    steps = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if "pip install" in line]
    assert len(steps) == 3, steps
    assert "--require-hashes -r requirements.lock" in steps[0]
    assert "--no-deps ." in steps[1]
    assert "--require-hashes -r requirements-demo.lock" in steps[2]  # the demo stage only


def test_the_demo_lock_adds_the_demo_extra_at_its_pins_and_changes_nothing_of_the_runtime_lock() -> None:
    """The demo stage installs requirements-demo.lock over the runtime's: every pin of the `demo` extra is in it
    with hashes, and every package both locks hold is at the same version (pip then only adds the extra's)."""
    runtime, demo = locked(), locked("requirements-demo.lock")
    assert not [name for name, (_, hashes) in demo.items() if hashes == 0]
    for text in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["demo"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in demo, f"{name} is not in requirements-demo.lock: run scripts/lock.sh"
        assert requirement.specifier.contains(demo[name][0]), f"{name}: pyproject {requirement.specifier}"
    assert {name: demo[name][0] for name in runtime} == {name: version for name, (version, _) in runtime.items()}
    assert "pytest" not in demo
