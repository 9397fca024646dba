"""docker-compose.yml cannot run here (no Docker engine): check it against the Compose Specification's schema,
that every command it runs exists in the image that runs it, and that what it mounts from the repository is there."""

import importlib
import json
import re
import shutil
import sys
import tomllib
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "vendor" / "compose-spec" / "compose-spec.json"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _stages() -> dict[str, str]:
    """The Dockerfile's stages by name ("" for the unnamed last one): each stage's text."""
    stages: dict[str, str] = {}
    name = None
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if match := re.match(r"FROM \S+(?: AS (\S+))?$", line):
            name = match.group(1) or ""
            stages[name] = ""
        elif name is not None:
            stages[name] += line + "\n"
    return stages


def _scripts() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])


def _parser(program: str):
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"][program].split(":")[0]
    return importlib.import_module(module).build_parser()


def test_compose_is_valid_by_the_compose_specification_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(_compose())]
    assert errors == []


def test_the_schema_catches_a_mistake() -> None:
    """The validation can fail: a misspelt key and a wrong type are refused."""
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    broken = _compose()
    broken["services"]["redis"]["restrat"] = "always"
    broken["services"]["ticket-link"]["ports"] = "8090"
    assert len(list(validator.iter_errors(broken))) == 2


def test_compose_parses_and_every_command_exists() -> None:
    services = _compose()["services"]
    assert {
        "redis",
        "deposit-check",
        "deposit-check-watch",
        "deposit-check-derive",
        "ticket-link",
        "ticket-link-worker",
        "demo",
        "prometheus",
        "grafana",
    } <= set(services)
    bindir = Path(sys.executable).parent
    stages = _stages()
    for name, service in services.items():
        command = service.get("command") or []
        assert command or "build" not in service, f"{name} names no command"
        program = command[0] if command else ""
        if "build" in service:
            # Our image (a stage of our Dockerfile): it runs one of our console scripts, declared in pyproject and
            # installed in this environment, with arguments it takes.
            target = service["build"].get("target", "") if isinstance(service["build"], dict) else ""
            assert target in stages, f"{name}: no Dockerfile stage {target!r}"
            assert program in _scripts(), f"{name}: {program} is not a console script of the distribution"
            assert (bindir / program).exists(), f"{program} is not installed"
            parsed = _parser(program).parse_args(command[1:])  # exits on any argument it does not take
            assert callable(parsed.func)
        elif not command or program.startswith("-"):
            assert "image" in service, name  # another project's image, run by its entrypoint (prometheus, exporter)
        else:
            assert shutil.which(program), f"{name}: {program} not found"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./") and not source.startswith("./config/"):  # ./config: the operator's files
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repository"


def test_compose_demo_runs_the_demo_with_the_dev_chains_in_its_image() -> None:
    """`deposit-check serve --demo` starts litecoind and anvil: the demo stage installs both, anvil at the
    version package.json pins, and the demo reaches its own Redis on the host's loopback."""
    services = _compose()["services"]
    demo = services["demo"]
    assert demo["profiles"] == ["demo"] and demo["build"]["target"] == "demo"
    assert "--demo" in demo["command"]
    stage = _stages()["demo"]
    assert re.search(r"apt-get install .*\blitecoind\b", stage)
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["@foundry-rs/anvil-linux-amd64"]
    assert f"@foundry-rs/anvil-linux-amd64@{pinned}" in _stages()["anvil"]
    assert "/usr/local/bin/anvil" in stage  # on PATH, where devnet.anvil looks
    port = demo["environment"]["REDIS_URL"].split(":")[-1].split("/")[0]
    redis = services["demo-redis"]
    assert demo["network_mode"] == redis["network_mode"] == "host" and port in redis["command"]
    assert demo["depends_on"]["demo-redis"]["condition"] == "service_healthy"
    for name, service in services.items():  # the other profiles' and the stack's services stay out of the demo
        if name not in ("demo", "demo-redis"):
            assert "demo" not in service.get("profiles", []), name


def test_compose_observability_scrapes_every_process_with_its_alerts() -> None:
    """prometheus.yml names the compose services that export metrics, on the ports they serve them."""
    services = _compose()["services"]
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets: dict[str, str] = {}
    for job in scrape["scrape_configs"]:
        for static in job.get("static_configs", []):
            (target,) = static["targets"]
            targets[job["job_name"]] = target
        for dns in job.get("dns_sd_configs", []):
            (host,) = dns["names"]
            targets[job["job_name"]] = f"{host}:{dns['port']}"
    assert set(targets) == {"deposit-check", "deposit-check-watch", "ticket-link", "ticket-link-worker", "redis"}
    for job, target in targets.items():
        host, port = target.split(":")
        assert host in services, f"{job}: {host} is not a compose service"
        if job != "redis":
            command = services[host]["command"]
            serves = command[command.index("--metrics-port") + 1] if "--metrics-port" in command else command[-1]
            assert serves == port, f"{job}: {host} serves metrics on {serves}, scraped on {port}"
    assert "/etc/prometheus/alerts.yml" in scrape["rule_files"]
    assert any(v.endswith(":/etc/prometheus/alerts.yml:ro") for v in services["prometheus"]["volumes"])


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
