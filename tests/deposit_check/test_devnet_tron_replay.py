"""The demos' TRON chain as a process (deposit_check.devnet.tron_replay): it serves the published answers at the
heights it was given, says why it cannot start, and is gone once stopped."""

import socket
from pathlib import Path

import httpx
import pytest

from deposit_check.devnet.litecoind import DevnetError
from deposit_check.devnet.tron_replay import TronReplayNode, find_replay_root

OUT_OF_ENERGY_TX = "e63a324a43aebfe41273db4f7fdfe325b2257b4f5711595a5fc0f8a75cf1b481"


def test_it_serves_the_published_answers_at_the_heights_given(tmp_path: Path) -> None:
    # Its log in a folder not made yet (the demo starts its chains at once, in threads, in one new folder).
    node = TronReplayNode(tip=66862205, solidified=66862186, log=tmp_path / "chains" / "tron.log").start()
    try:
        heads = httpx.post(f"{node.url}/wallet/getnodeinfo", json={}).json()
        assert heads["block"].startswith("Num:66862205,") and heads["solidityBlock"].startswith("Num:66862186,")
        info = httpx.post(f"{node.url}/wallet/gettransactioninfobyid", json={"value": OUT_OF_ENERGY_TX}).json()
        assert (info["id"], info["receipt"]["result"]) == (OUT_OF_ENERGY_TX, "OUT_OF_ENERGY")
        assert node.exit_code() is None and node.url in node.log_tail()  # it printed where it listens
        pid = node._child.process.pid  # type: ignore[union-attr]
    finally:
        node.stop()
    assert not Path(f"/proc/{pid}").exists()  # stopped and reaped
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{node.url}/wallet/getnodeinfo", json={}, timeout=2)


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        node = TronReplayNode(port=taken.getsockname()[1])
        with pytest.raises(DevnetError, match=f"port {taken.getsockname()[1]} is in use"):
            node.start()


def test_without_the_repository_it_says_where_to_run_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (find_replay_root() / "harness" / "tron_replay.py").is_file()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("deposit_check.devnet.tron_replay.__file__", str(tmp_path / "x" / "tron_replay.py"))
    with pytest.raises(DevnetError, match="run from the repository's root"):
        find_replay_root()
