"""docker-compose.yml cannot run here (no Docker engine): check it against the Compose Specification's schema,
that every command it runs exists in the image that runs it, and that what it mounts from the repository is there."""

import importlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath

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


def _workdir() -> PurePosixPath:
    (workdir,) = re.findall(r"^WORKDIR (\S+)$", _stages()["app"], re.M)
    return PurePosixPath(workdir)


def _copied(*stage_names: str) -> set[str]:
    """The repository's files that these stages' COPY lines put in the working directory, as paths relative to
    it (which is where they are in the repository too, for what `python -m` imports from the working directory)."""
    workdir, stages = _workdir(), _stages()
    files: set[PurePosixPath] = set()
    for name in stage_names:
        for line in stages[name].splitlines():
            words = line.split()
            if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
                continue
            *sources, dest = words[1:]
            target = workdir / dest
            into = dest.endswith("/") or len(sources) > 1 or any("*" in s for s in sources)
            for pattern in sources:
                for source in ROOT.glob(pattern):
                    if source.is_dir():
                        files |= {target / f.relative_to(source).as_posix() for f in source.rglob("*") if f.is_file()}
                    else:
                        files.add(target / source.name if into else target)
    return {str(f.relative_to(workdir)) for f in files if f.is_relative_to(workdir)}


def _module_files(module: str) -> set[str]:
    """The files of this repository that `python -m MODULE` imports and the wheel does not hold (the wheel holds
    services/): imported in a fresh interpreter, from the repository's root, as the image runs it."""
    code = (
        f"import sys, {module}.__main__\n"
        "print('\\n'.join(getattr(m, '__file__', None) or '' for m in list(sys.modules.values())))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    paths = {Path(line).resolve() for line in out.splitlines() if line}
    installed = Path(sys.prefix).resolve()  # the venv (in the checkout after scripts/setup.sh): packages, not ours
    return {
        str(p.relative_to(ROOT))
        for p in paths
        if p.is_relative_to(ROOT) and not p.is_relative_to(ROOT / "services") and not p.is_relative_to(installed)
    }


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
        if "build" in service and command[:2] == ["python", "-m"]:
            # A module the stage copies in its working directory (the demo's launcher, outside the wheel): every
            # file of the repository it imports is copied, and its parser takes the arguments given.
            target = service["build"]["target"]
            module = command[2]
            missing = _module_files(module) - _copied("app", target)
            assert not missing, f"{name}: `python -m {module}` imports {sorted(missing)}, not copied by stage {target}"
            importlib.import_module(f"{module}.__main__").parse(command[3:])  # exits on any argument it does not take
        elif "build" in service:
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


def test_compose_demo_runs_the_whole_desk_demo_as_serve_sh_does() -> None:
    """The demo profile runs what `scripts/serve.sh --demo` runs (python -m harness.demo), and the demo stage
    holds what it starts: redis-server and litecoind (Debian), anvil at the version package.json pins,
    django-helpdesk (the `demo` extra, from its hashed lock)."""
    serve_sh = (ROOT / "scripts" / "serve.sh").read_text()
    demo = _compose()["services"]["demo"]
    assert demo["profiles"] == ["demo"] and demo["build"]["target"] == "demo"
    assert demo["command"][:3] == ["python", "-m", "harness.demo"]
    assert "python -m harness.demo" in serve_sh
    assert "REDIS_URL" not in demo.get("environment", {})  # the demo starts its own redis-server, and says which
    stage = _stages()["demo"]
    apt = re.search(r"apt-get install ([^&]*)", stage.replace("\\\n", " "))
    assert apt and {"litecoind", "redis-server"} <= set(apt.group(1).split())
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["@foundry-rs/anvil-linux-amd64"]
    assert f"@foundry-rs/anvil-linux-amd64@{pinned}" in _stages()["anvil"]
    assert "/usr/local/bin/anvil" in stage  # on PATH, where devnet.anvil looks
    assert re.search(r"pip install .*--require-hashes -r requirements-demo\.lock", stage)
    assert "requirements-demo.lock" in _copied("app", "demo")
    assert re.search(r'CMD \["python", "-m", "harness\.demo"\]', stage)


def test_compose_demo_holds_the_tron_replay_node_and_every_published_answer() -> None:
    """The demo's TRON chain is a process (`python -m harness.tron_replay`, started by deposit_check.devnet), not
    an import of the demo's launcher: the stage copies its module and every fixture file, where it looks."""
    from deposit_check.devnet import tron_replay

    copied = _copied("app", "demo")
    code = "import sys, harness.tron_replay; print('\\n'.join(getattr(m, '__file__', None) or '' for m in sys.modules.values()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    ours = {str(Path(f).resolve().relative_to(ROOT)) for f in out.split() if Path(f).resolve().is_relative_to(ROOT)}
    ours = {f for f in ours if not f.startswith((".venv", "services"))}
    assert "harness/tron_replay.py" in ours and ours <= copied, sorted(ours - copied)
    fixtures = {str(f.relative_to(ROOT)) for f in (ROOT / "tests" / "fixtures" / "tron").rglob("*") if f.is_file()}
    assert fixtures and fixtures <= copied, sorted(fixtures - copied)
    assert str(tron_replay._MODULE) == "harness/tron_replay.py" and str(tron_replay._FIXTURES) == "tests/fixtures/tron"


def test_compose_demo_runs_as_the_image_user_with_what_it_writes_writable() -> None:
    """As the non-root `app` user: the helpdesk's migrated database goes to .demo/ beside harness/ (a volume, kept
    between starts), Debian's litecoind wrapper makes ~/.litecoin, the rest goes under /tmp (mkdtemp)."""
    from harness.demo import desk

    stage, workdir = _stages()["demo"], _workdir()
    made = set()
    for match in re.finditer(r"install -d (?:-m \S+ )?-o app ([^\n&]+)", stage):
        made |= set(match.group(1).split())
    template_dir = workdir / desk.DESK_TEMPLATE.parent.relative_to(ROOT).as_posix()
    assert str(template_dir) in made
    (home,) = re.findall(r"^ENV HOME=(\S+)$", stage, re.M)
    assert home in made
    assert re.findall(r"^USER (\S+)$", stage, re.M)[-1] == "app"
    demo = _compose()["services"]["demo"]
    assert f"demo-cache:{template_dir}" in demo["volumes"] and "demo-cache" in _compose()["volumes"]


def test_compose_demo_uses_host_networking_alone_in_its_profile() -> None:
    """Host networking: the URLs the demo prints (127.0.0.1) are true on the host. It stops its processes on
    the stop signal (init forwards it) within the grace period; no other service joins the profile."""
    services = _compose()["services"]
    demo = services["demo"]
    assert demo["network_mode"] == "host" and "ports" not in demo
    assert demo["init"] is True
    assert int(demo["stop_grace_period"].rstrip("s")) >= 30
    for name, service in services.items():
        if name != "demo":
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


def test_compose_sentinel_profile_runs_a_master_a_replica_and_three_sentinels() -> None:
    """The `sentinel` profile: a master and a replica with AOF everysec, 3 sentinels watching the master under
    the name the services' REDIS_URL gives; every service takes REDIS_URL from the environment."""
    services = _compose()["services"]
    profile = {name for name, service in services.items() if "sentinel" in service.get("profiles", [])}
    assert profile == {"redis-master", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3"}
    for name in ("redis-master", "redis-replica"):
        assert "everysec" in services[name]["command"] and "--appendonly" in services[name]["command"]
    assert services["redis-replica"]["command"][-3:] == ["--replicaof", "redis-master", "6379"]
    conf = (ROOT / "deploy" / "redis-sentinel" / "sentinel.conf").read_text()
    assert "sentinel monitor desk redis-master 6379 2" in conf
    for name in ("sentinel-1", "sentinel-2", "sentinel-3"):
        assert "--sentinel" in services[name]["command"][-1]
    ours = [s for s in services.values() if s.get("environment", {}).get("REDIS_URL")]
    assert len(ours) == 5 and all(s["environment"]["REDIS_URL"].startswith("${REDIS_URL:-") for s in ours)
