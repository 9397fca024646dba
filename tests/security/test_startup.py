"""What a process opens up by starting (issue 12, items 8 and 9).

- No API keys and no `dev_mode = true`: both services refuse to start, saying how to make a key
  (keyless, every loopback caller, a reverse proxy on the host included, had every scope). With
  `dev_mode` they start, let loopback in and log a warning.
- bitcoinlib's data directory (it reads a config.ini there and writes logs) is private: not the
  guessable `<tmp>/deposit_check_bitcoinlib_<uid>` a hostile local user could make first.
"""

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from deposit_check.app import create_app as create_deposit_check
from deposit_check.config import AppConfig as DepositCheckConfig
from deposit_check.config import parse_config as parse_deposit_check
from deposit_check.devnet.litecoind import free_port
from harness.processes import BIN
from tests.servers import serve
from ticket_link.app import create_app as create_ticket_link
from ticket_link.config import AppConfig, parse_config

DC_CONFIG = """
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["http://u:p@127.0.0.1:9"]
confirmations = 6
"""
TL_CONFIG = f"""
secret = "{"s" * 40}"
[deposit_check]
url = "http://127.0.0.1:9"
"""
DEV_MODE = "\n[api]\ndev_mode = true\n"


def run_serve(program: str, env_name: str, config: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"{program}.toml"
    path.write_text(config)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEPOSIT_CHECK_CONFIG", "TICKET_LINK_CONFIG")}
    return subprocess.run(
        [str(BIN / program), "serve", "--port", str(free_port())],
        env={**env, env_name: str(path), "REDIS_URL": "redis://127.0.0.1:9/0"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("program", "env_name", "config"),
    [("deposit-check", "DEPOSIT_CHECK_CONFIG", DC_CONFIG), ("ticket-link", "TICKET_LINK_CONFIG", TL_CONFIG)],
)
def test_no_keys_and_no_dev_mode_refuses_to_start_saying_how_to_make_a_key(
    program: str, env_name: str, config: str, tmp_path: Path
) -> None:
    done = run_serve(program, env_name, config, tmp_path)
    assert done.returncode != 0, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert "no API keys are configured" in said, said
    assert f"{program} new-key NAME" in said and "dev_mode = true" in said, said


def test_dev_mode_lets_loopback_in_and_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    config = DepositCheckConfig(file=parse_deposit_check(DC_CONFIG + DEV_MODE, env={}), redis_url=None, source="test")
    with caplog.at_level(logging.WARNING, logger="desk_common.auth"), serve(create_deposit_check(config)) as url:
        # Past the gate: the body is what is wrong (422), not the missing key (401).
        response = httpx.post(f"{url}/v1/checks", json={})
    assert response.status_code == 422, response.text
    warnings = [r.getMessage() for r in caplog.records if r.name == "desk_common.auth" and r.levelno == logging.WARNING]
    assert any("dev_mode" in w and "never expose" in w for w in warnings), warnings


def test_with_keys_dev_mode_changes_nothing_a_keyless_loopback_caller_is_401() -> None:
    key = '[[api.keys]]\nname = "bot"\nsha256 = "' + "0" * 64 + '"\n'
    config = AppConfig(
        file=parse_config(TL_CONFIG + "[api]\ndev_mode = true\n" + key, env={}),
        redis_url="redis://127.0.0.1:9/0",
        source="test",
    )
    with serve(create_ticket_link(config)) as url:
        response = httpx.post(f"{url}/v1/tickets/1/deposits", json={"helpdesk": "x"})
    assert response.status_code == 401, response.text


# bitcoinlib's data directory: imported in a process of its own, with a temp folder of the test's.

PROBE = """
import os, stat, sys
import deposit_check.chains.utxo_address  # sets the directory, then imports bitcoinlib
import bitcoinlib.config.config as c
path = str(c.BCL_DATA_DIR)
print(path)
print(oct(stat.S_IMODE(os.stat(path).st_mode)))
"""


def import_bitcoinlib(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("BCL_DATA_DIR", "DEPOSIT_CHECK_STATE_DIR")}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, "TMPDIR": str(tmp_path), "HOME": str(tmp_path / "home"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def hostile_dir(tmp_path: Path) -> Path:
    """What another local user could make at the old, guessable path: a config.ini of theirs."""
    old = tmp_path / f"deposit_check_bitcoinlib_{os.getuid()}"
    old.mkdir(mode=0o777)
    os.chmod(old, 0o777)
    (old / "config.ini").write_text("[logs]\nlog_file = /tmp/hostile-chosen.log\n")
    (old / "install.log").write_text("planted\n")
    return old


def test_without_a_state_dir_bitcoinlib_gets_a_fresh_private_dir_not_the_guessable_one(tmp_path: Path) -> None:
    old = hostile_dir(tmp_path)
    before = sorted(p.name for p in old.iterdir())
    done = import_bitcoinlib(tmp_path)
    assert done.returncode == 0, done.stderr
    path, mode = done.stdout.split()
    assert Path(path) != old and Path(path).parent == tmp_path
    assert Path(path).name.startswith("deposit_check_bitcoinlib_") and Path(path).name != old.name
    assert mode == "0o700"
    assert sorted(p.name for p in old.iterdir()) == before  # nothing written into the planted directory
    assert not Path(path).exists()  # removed when the process ended
    assert not (tmp_path / "home" / ".bitcoinlib").exists()


def test_with_a_state_dir_bitcoinlib_lives_under_it_private(tmp_path: Path) -> None:
    hostile_dir(tmp_path)
    state = tmp_path / "state"
    done = import_bitcoinlib(tmp_path, DEPOSIT_CHECK_STATE_DIR=str(state))
    assert done.returncode == 0, done.stderr
    path, mode = done.stdout.split()
    assert Path(path) == state / "bitcoinlib" and mode == "0o700"
    assert stat.S_IMODE((state / "bitcoinlib").stat().st_mode) == 0o700
    assert (state / "bitcoinlib" / "networks.json").exists()  # bitcoinlib's files went there


def test_a_state_dir_bitcoinlib_dir_open_to_others_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "bitcoinlib").mkdir(parents=True)
    os.chmod(state / "bitcoinlib", 0o777)
    done = import_bitcoinlib(tmp_path, DEPOSIT_CHECK_STATE_DIR=str(state))
    assert done.returncode != 0
    assert "open to group or others" in done.stderr and "make it 0700" in done.stderr
