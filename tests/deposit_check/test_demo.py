"""The README's first command: `deposit-check serve --demo` starts the chains, prints sample
deposits with the status each should have, and the running API answers each with that status."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from deposit_check import demo
from deposit_check.chains.tron.address import to_hex
from deposit_check.devnet.litecoind import free_port
from harness.tron_replay import FIXTURES


def test_serve_demo_answers_every_printed_sample(tmp_path: Path) -> None:
    port = free_port()
    script = Path(sys.executable).parent / "deposit-check"
    env = {k: v for k, v in os.environ.items() if k not in ("DEPOSIT_CHECK_CONFIG", "REDIS_URL")}
    proc = subprocess.Popen(
        [str(script), "serve", "--demo", "--port", str(port), "--demo-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline, "the demo did not come up:\n" + "".join(lines)
            assert proc.poll() is None, "the demo exited early:\n" + "".join(lines)
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        ready = httpx.get(f"{base}/readyz", timeout=10).json()
        assert ready["status"] == "ready", ready
        assert "store:memory" in ready["checks"]  # no REDIS_URL: the in-process store

        claims = [m.group(1) for m in (re.match(r"# \w+: (\w+) \(", line) for line in lines) if m]
        bodies = [json.loads(re.search(r"-d '(\{.*\})'", line).group(1)) for line in lines if line.startswith("curl ")]  # type: ignore[union-attr]
        assert len(claims) == len(bodies) >= 8
        assert set(claims) >= {"confirmed", "confirming", "pending", "wrong_address", "not_found", "failed"}
        answers = []
        for claim, body in zip(claims, bodies, strict=True):
            answer = httpx.post(f"{base}/v1/checks", json=body, timeout=30).json()
            assert answer["status"] == claim, (body, answer)
            answers.append(answer)
        # TRON: the replay of published mainnet answers, named for people; USDT-TRC20 confirmed, a failure with
        # its reason, and a TRC-20 hash asked on the Ethereum address found on TRON.
        assert "TRON is a replay of published mainnet answers (not a live node)" in "".join(lines)
        tron = {a["tx_hash"]: a for a in answers if "tron" in (a["chain"], a["found_on"])}
        usdt, failed, across = tron[demo.TRON_USDT_TX], tron[demo.TRON_FAILED_TX], tron[demo.TRON_OTHER_TX]
        assert (usdt["status"], usdt["address"], usdt["chain_display"]) == (
            "confirmed",
            demo.TRON_USDT_PAYEE,
            "TRON (TRC-20)",
        )
        assert usdt["payments"] == [{"asset": "USDT", "amount": "3.5", "contract": demo.USDT_TRC20}]
        assert (usdt["amount_status"], usdt["confirmations"]) == ("exact", demo.TRON_TIP - 66861993 + 1)
        assert (failed["status"], failed["failure_reason"]) == ("failed", "OUT_OF_ENERGY")
        assert (across["status"], across["chain"], across["found_on"]) == ("wrong_network", "ethereum", "tron")
        assert (across["chain_display"], across["found_on_display"]) == ("Ethereum (ERC-20)", "TRON (TRC-20)")
        assert "sent on TRON (TRC-20), not on Ethereum (ERC-20)" in across["summary"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    # The chains went down with the service.
    assert not (tmp_path / "litecoin" / "regtest" / ".lock").exists() or _unlocked(
        tmp_path / "litecoin" / "regtest" / ".lock"
    )


def _unlocked(lock: Path) -> bool:
    """litecoind holds an flock on .lock while it runs; it leaves the file behind when it stops."""
    import fcntl

    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False


def test_the_demo_s_tron_samples_are_published_transactions() -> None:
    """Every TRON hash and address the demo uses is in a fixture file (each naming the page it was copied from),
    and so is every height it sets: the demo invents no TRON data."""
    published = "".join(path.read_text() for path in FIXTURES.rglob("*.json")).lower()
    for tx in (demo.TRON_USDT_TX, demo.TRON_FAILED_TX, demo.TRON_OTHER_TX):
        assert f'"{tx}"' in published, tx
    assert to_hex(demo.TRON_USDT_PAYEE)[2:] in published  # a log names the payee's 20 bytes, without the 41
    assert to_hex(demo.USDT_TRC20) in published  # the contract the USDT transfer calls (41...)
    assert f'"blocknumber": {demo.TRON_TIP}' in published
