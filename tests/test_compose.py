"""docker-compose.yml cannot run here (no Docker engine): check it parses and names real commands."""

import shutil
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _scripts() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])


def test_compose_parses_and_every_command_exists() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"redis", "deposit-check"} <= set(services)
    bindir = Path(sys.executable).parent
    for name, service in services.items():
        command = service.get("command")
        assert command, f"{name} names no command"
        program = command[0]
        if program in _scripts():
            # Our own console script: declared in pyproject and installed in this environment.
            assert (bindir / program).exists(), f"{program} is not installed"
            args = command[1:]
            from deposit_check.cli import main  # parses the same arguments the container will pass

            try:
                main([*args, "--help"])
            except SystemExit as exc:
                assert exc.code == 0
        else:
            assert shutil.which(program), f"{name}: {program} not found"


def test_compose_redis_persists() -> None:
    redis = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]


def test_dockerfile_runs_the_console_script() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert '"deposit-check", "serve"' in text
    assert "deposit-check" in _scripts()
