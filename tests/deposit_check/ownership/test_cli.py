"""`deposit-check addresses import|delete|lookup` against a real Redis: counts, idempotence, per-line errors."""

import json
from pathlib import Path

import pytest
import redis

from deposit_check.cli import main
from deposit_check.config import DEFAULT_CONFIG, ExtendedKeyConfig
from deposit_check.ownership.derive import KeyDeriver
from harness.redis_server import RedisServer
from tests.deposit_check.ownership.conftest import SECRET, account_key, config, evm_addresses, ltc_addresses

DB = 4


@pytest.fixture
def env(tmp_path: Path, own_redis: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    redis.Redis.from_url(f"redis://127.0.0.1:{own_redis.port}/{DB}").flushdb()  # this module's database
    path = tmp_path / "deposit_check.toml"
    path.write_text(DEFAULT_CONFIG + f'\n[ownership]\nsecret = "{SECRET}"\n')
    monkeypatch.setenv("DEPOSIT_CHECK_CONFIG", str(path))
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{own_redis.port}/{DB}")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["addresses", *argv])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_import_csv_then_again_then_delete(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    addresses = ltc_addresses(10_000)
    csv_file = env / "addresses.csv"
    csv_file.write_text("address,account\n" + "".join(f"{a},p-{i}\n" for i, a in enumerate(addresses)))
    assert run(capsys, "import", str(csv_file), "--chain", "litecoin") == (
        0,
        "litecoin: added 10000, updated 0, unchanged 0",
        "",
    )
    assert run(capsys, "import", str(csv_file), "--chain", "litecoin")[1] == (
        "litecoin: added 0, updated 0, unchanged 10000"
    )
    code, out, _ = run(capsys, "lookup", addresses[42].upper(), "--chain", "litecoin")
    assert code == 0
    assert json.loads(out) == {
        "chain": "litecoin",
        "address": addresses[42],
        "address_owner": "casino",
        "account": "p-42",
    }
    gone = env / "gone.csv"
    gone.write_text("".join(f"{a}\n" for a in addresses[:100]))
    assert run(capsys, "delete", str(gone), "--chain", "litecoin")[1] == "litecoin: deleted 100, absent 0"
    assert json.loads(run(capsys, "lookup", addresses[42], "--chain", "litecoin")[1])["address_owner"] == "not_casino"


def test_json_lines(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = evm_addresses(2)
    lines = env / "addresses.jsonl"
    lines.write_text(json.dumps({"address": a.lower(), "account": "p-9"}) + "\n\n" + json.dumps({"address": b}) + "\n")
    assert run(capsys, "import", str(lines), "--chain", "ethereum")[1] == "ethereum: added 2, updated 0, unchanged 0"
    found = json.loads(run(capsys, "lookup", a.lower(), "--chain", "ethereum")[1])
    assert (found["address"], found["account"]) == (a, "p-9")


def test_bad_lines_named_nothing_written(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = ltc_addresses(8)
    lines = [f"{a}\n" for a in good]
    lines[6] = "ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj\n"  # line 7: mainnet
    lines.append(f"{good[0]},{'x' * 200}\n")  # line 9: too long
    lines.append("{not json\n")  # line 10
    path = env / "bad.csv"
    path.write_text("".join(lines))
    code, out, err = run(capsys, "import", str(path), "--chain", "litecoin")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "line 7: not a litecoin regtest address (ltc1qjl5hy7gfctede9c6syzapjmr7dphx7j6zx9hlj is a litecoin mainnet "
        "address, this chain is litecoin regtest)",
        "line 9: account reference too long (200 characters, at most 128)",
        "line 10: not valid JSON",
        "3 bad line(s): nothing was written",
    ]
    assert json.loads(run(capsys, "lookup", good[0], "--chain", "litecoin")[1])["address_owner"] == "unknown"


def test_needs_redis(env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL")
    code, _, err = run(capsys, "lookup", ltc_addresses(1)[0], "--chain", "litecoin")
    assert code == 2 and "REDIS_URL" in err


def test_derive_once_then_resume(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tpub = account_key("m/84'/1'/0'", network="testnet")
    config_file = env / "deposit_check.toml"
    config_file.write_text(
        config_file.read_text() + f'[[ownership.xpubs.litecoin]]\nkey = "{tpub}"\ngap = 30\naccount = "p-hd"\n'
    )
    assert run(capsys, "derive", "--once")[1] == "derived 60 addresses"  # 30 receive, 30 change
    assert run(capsys, "derive", "--once")[1] == "derived 0 addresses"  # progress kept in Redis
    deriver = KeyDeriver("litecoin", config().file.chains["litecoin"], ExtendedKeyConfig(key=tpub))
    last_change = deriver.derive(1, 29, 1)[0].address
    found = json.loads(run(capsys, "lookup", last_change, "--chain", "litecoin")[1])
    assert (found["address_owner"], found["account"]) == ("casino", "p-hd")


def test_a_spreadsheet_export_with_a_byte_order_mark(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [address] = ltc_addresses(1)
    path = env / "export.csv"
    path.write_bytes("\ufeffaddress,account\r\n".encode() + f"{address},p-5\r\n".encode())
    assert run(capsys, "import", str(path), "--chain", "litecoin")[1] == "litecoin: added 1, updated 0, unchanged 0"


def test_the_derive_loop_without_keys_exits_at_once(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "derive")  # no [[ownership.xpubs]]: the compose service stops, and stays stopped
    assert (code, out) == (0, "")
    assert "no [[ownership.xpubs]] configured" in err
