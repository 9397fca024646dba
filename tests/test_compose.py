"""docker-compose.yml cannot run here (no Docker engine): check it parses and names real commands."""

import importlib
import shutil
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _scripts() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])


def _parser(program: str):
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"][program].split(":")[0]
    return importlib.import_module(module).build_parser()


def test_compose_parses_and_every_command_exists() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {
        "redis",
        "deposit-check",
        "deposit-check-watch",
        "deposit-check-derive",
        "ticket-link",
        "ticket-link-worker",
    } <= set(services)
    bindir = Path(sys.executable).parent
    for name, service in services.items():
        command = service.get("command")
        assert command, f"{name} names no command"
        program = command[0]
        if program in _scripts():
            # Our own console script: declared in pyproject and installed in this environment.
            assert (bindir / program).exists(), f"{program} is not installed"
            args = command[1:]
            parsed = _parser(program).parse_args(args)  # exits on any argument it does not take
            assert callable(parsed.func)
        else:
            assert shutil.which(program), f"{name}: {program} not found"


def test_compose_derives_extended_keys_in_one_process() -> None:
    """The derivation loop runs (once) wherever the deposit_check config is; a deployment without
    extended keys lets it exit 0 and stay stopped."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    derive = services["deposit-check-derive"]
    assert derive["command"] == ["deposit-check", "addresses", "derive"]  # the loop, not --once
    assert derive.get("deploy", {}).get("replicas", 1) == 1
    assert derive["restart"] == "on-failure"
    watch = services["deposit-check-watch"]
    assert (derive["environment"], derive["volumes"]) == (watch["environment"], watch["volumes"])


def test_compose_redis_persists() -> None:
    redis = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]


def test_example_configs_parse() -> None:
    from ticket_link.config import parse_config

    text = (ROOT / "config" / "ticket-link.example.toml").read_text()
    env = {
        "TICKET_LINK_SECRET": "s" * 40,
        "DEPOSIT_CHECK_API_KEY": "k",
        "DESK_PASSWORD": "p",
        "DESK_WEBHOOK_SECRET": "w",
    }
    assert "desk" in parse_config(text, env=env).helpdesks


def test_dockerfile_runs_the_console_script() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert '"deposit-check", "serve"' in text
    assert "deposit-check" in _scripts()
