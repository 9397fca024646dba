"""The web form's sign-in as an attacker tries it, against `ticket-link serve` processes on a real Redis:
concurrent guessing, memory, two processes, sessions after sign-out and a password change, and a
lock-out forced from outside. Sources are told apart by `X-Forwarded-For`, which uvicorn trusts
from loopback (as behind a reverse proxy on the same host)."""

import asyncio
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deposit_check.devnet.litecoind import free_port
from harness.processes import BIN, process, wait_for_port
from tests.conftest import RedisServer
from tests.helpers import dev_mode
from tests.ticket_link.web.conftest import csrf_of
from ticket_link.web.auth import hash_password

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a different long pass phrase"
HASH = hash_password(PASSWORD)
PER_AGENT_AND_SOURCE = 5
PER_AGENT = 10  # the ceiling, per hour, for addresses an agent has not signed in from
MIB = 1024 * 1024


@dataclass
class Served:
    """One `ticket-link serve` process."""

    url: str
    pid: int

    def status(self, field: str) -> int:
        """A /proc/PID/status figure in bytes (VmRSS, VmHWM)."""
        text = Path(f"/proc/{self.pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
        assert match, field
        return int(match.group(1)) * 1024

    def reset_peak(self) -> None:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS (Linux 4.0+)

    async def password_checks(self, http: httpx.AsyncClient) -> float:
        text = (await http.get(f"{self.url}/metrics")).text
        match = re.search(r"^ticket_link_web_password_checks_total (\S+)$", text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0


def config_text(session_secret: str, bob_hash: str = HASH) -> str:
    users = "".join(
        f'[[web.users]]\nname = "{name}"\npassword_hash = "{bob_hash if name == "bob" else HASH}"\n'
        for name in ("alice", "bob", "carol", "dave", "erin")
    )
    return f"""
secret = "{"s" * 40}"
[deposit_check]
url = "http://deposit-check.invalid"
[helpdesks.desk]
kind = "django_helpdesk"
base_url = "http://desk.invalid"
username = "u"
password = "p"
[web]
session_secret = "{session_secret}"
cookie_secure = false
[web.sign_in]
per_agent_and_source = "{PER_AGENT_AND_SOURCE}/minute"
per_source = "200/minute"
per_agent = "{PER_AGENT}/hour"
password_checks = 2
password_queue = 6
{users}"""


@contextmanager
def serving(config: Path, redis_url: str) -> Iterator[Served]:
    port = free_port()
    args = [str(BIN / "ticket-link"), "serve", "--port", str(port), "--log-level", "warning"]
    env = {"TICKET_LINK_CONFIG": str(config), "REDIS_URL": redis_url}
    with process(args, env, config.with_suffix(f".{port}.log")) as proc:
        wait_for_port(port, 30, proc)
        yield Served(f"http://127.0.0.1:{port}", proc.pid)


@dataclass
class Pair:
    first: Served
    second: Served
    config_dir: Path
    session_secret: str
    redis_url: str


@pytest.fixture(scope="module")
def servers(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two processes of one config on one Redis (the session secret is fresh: keys of this run only)."""
    directory = tmp_path_factory.mktemp("sign-in")
    secret = secrets.token_urlsafe(32)
    config = directory / "ticket_link.toml"
    config.write_text(dev_mode(config_text(secret)))
    with serving(config, redis_server.url) as first, serving(config, redis_server.url) as second:
        yield Pair(first, second, directory, secret, redis_server.url)


def source() -> str:
    """An address of its own for each caller (uvicorn takes it from X-Forwarded-For on loopback)."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


async def csrf(http: httpx.AsyncClient, served: Served) -> str:
    return csrf_of((await http.get(f"{served.url}/web/sign-in")).text)


async def attempt(
    http: httpx.AsyncClient, served: Served, name: str, password: str, address: str, token: str
) -> httpx.Response:
    return await http.post(
        f"{served.url}/web/sign-in",
        data={"name": name, "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": address},
    )


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=200))


async def test_120_concurrent_wrong_passwords_try_at_most_the_limit(servers: Pair) -> None:
    served = servers.first
    async with client() as http:
        token, address = await csrf(http, served), source()
        before = await served.password_checks(http)
        answers = await asyncio.gather(
            *(attempt(http, served, "alice", f"guess {i}", address, token) for i in range(120))
        )
        tried = await served.password_checks(http) - before
    statuses = Counter(a.status_code for a in answers)
    assert tried <= PER_AGENT_AND_SOURCE and statuses[401] <= PER_AGENT_AND_SOURCE, (tried, statuses)
    assert statuses[429] >= 120 - PER_AGENT_AND_SOURCE and set(statuses) <= {401, 429}
    limited = next(a for a in answers if a.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1 and "Too many sign-ins for this name" in limited.text


async def test_concurrent_checks_are_bounded_and_memory_stays_flat(servers: Pair) -> None:
    """120 attempts the limiter lets through (each its own name and address): two scrypt checks at a time,
    six waiting, the rest told "busy" at once instead of piling up 32 MiB each."""
    served = servers.first
    async with client() as http:
        token = await csrf(http, served)
        before = await served.password_checks(http)
        rss = served.status("VmRSS")
        served.reset_peak()
        answers = await asyncio.gather(
            *(attempt(http, served, f"nobody-{i}", "guess", source(), token) for i in range(120))
        )
        tried = await served.password_checks(http) - before
    peak_growth = served.status("VmHWM") - rss
    statuses = Counter(a.status_code for a in answers)
    print(f"checked {tried:.0f}, {dict(statuses)}, RSS {rss / MIB:.0f} MiB, peak +{peak_growth / MIB:.0f} MiB")
    assert set(statuses) <= {401, 503} and statuses[503] > 0, statuses
    assert tried == statuses[401] < 120
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["retry-after"] == "1" and "Sign-in is busy" in busy.text
    assert peak_growth < 100 * MIB, f"peak RSS grew {peak_growth / MIB:.0f} MiB"


async def test_two_processes_share_the_limit(servers: Pair) -> None:
    async with client() as http:
        token, address = await csrf(http, servers.first), source()
        for served in (servers.first, servers.second, servers.first, servers.second, servers.first):
            assert (await attempt(http, served, "erin", "wrong guess", address, token)).status_code == 401
        # The sixth, in the process that saw only two: refused, the right password included.
        assert (await attempt(http, servers.second, "erin", PASSWORD, address, token)).status_code == 429


async def signed_in(http: httpx.AsyncClient, served: Served, name: str, password: str = PASSWORD) -> str:
    """Sign in as `name` from a fresh address; the session cookie's value."""
    answer = await attempt(http, served, name, password, source(), await csrf(http, served))
    assert answer.status_code == 303 and answer.headers["location"] == "/", answer.status_code
    cookie = http.cookies.get("tl_session")
    assert cookie
    return cookie


async def test_a_cookie_from_before_sign_out_is_signed_out_everywhere(servers: Pair) -> None:
    async with client() as http:
        stolen = await signed_in(http, servers.first, "alice")
        page = await http.get(f"{servers.first.url}/")
        assert page.status_code == 200 and "Signed in as <strong>alice</strong>" in page.text
        out = await http.post(f"{servers.first.url}/web/sign-out", data={"csrf_token": csrf_of(page.text)})
        assert out.status_code == 303
    for served in (servers.first, servers.second):
        async with httpx.AsyncClient(cookies={"tl_session": stolen}) as replay:
            page = await replay.get(f"{served.url}/")
            assert page.status_code == 303 and page.headers["location"] == "/web/sign-in"
            events = await replay.get(f"{served.url}/web/events", params={"tx_hash": "ab" * 32, "address": "x"})
            assert events.status_code == 401


async def test_a_cookie_from_before_a_password_change_is_signed_out(servers: Pair) -> None:
    async with client() as http:
        old = await signed_in(http, servers.first, "bob")
    changed = servers.config_dir / "changed.toml"
    changed.write_text(dev_mode(config_text(servers.session_secret, bob_hash=hash_password(NEW_PASSWORD))))
    with serving(changed, servers.redis_url) as restarted:
        async with httpx.AsyncClient(cookies={"tl_session": old}) as replay:
            page = await replay.get(f"{restarted.url}/")
            assert page.status_code == 303 and page.headers["location"] == "/web/sign-in"
        async with client() as http:
            await signed_in(http, restarted, "bob", NEW_PASSWORD)
            assert (await http.get(f"{restarted.url}/")).status_code == 200
    async with httpx.AsyncClient(cookies={"tl_session": old}) as replay:  # the old config still knows the old hash
        assert (await replay.get(f"{servers.first.url}/")).status_code == 200


async def test_one_address_guessing_cannot_lock_the_agent_out_of_another(servers: Pair) -> None:
    async with client() as http:
        token, attacker = await csrf(http, servers.first), source()
        answers = await asyncio.gather(
            *(attempt(http, servers.first, "carol", f"guess {i}", attacker, token) for i in range(120))
        )
        assert Counter(a.status_code for a in answers)[401] <= PER_AGENT_AND_SOURCE
        assert (await attempt(http, servers.first, "carol", PASSWORD, attacker, token)).status_code == 429
        # Carol, from an address of her own she never used before: the attacker added 5 of the 10 an hour.
        await signed_in(http, servers.second, "carol")


async def test_the_ceiling_holds_new_addresses_not_the_agents_own(servers: Pair) -> None:
    async with client() as http:
        token, office = await csrf(http, servers.first), source()
        assert (await attempt(http, servers.first, "dave", PASSWORD, office, token)).status_code == 303
        token = csrf_of((await http.get(f"{servers.first.url}/")).text)  # signed in: the new session's token
        # Guessing spread over addresses: each under its own limit, together at the ceiling (the office's
        # first sign-in, from an address new then, took one of it).
        left = PER_AGENT - 1
        while left:
            address = source()
            for i in range(min(left, PER_AGENT_AND_SOURCE)):
                assert (await attempt(http, servers.first, "dave", f"guess {i}", address, token)).status_code == 401
                left -= 1
        new = await attempt(http, servers.second, "dave", PASSWORD, source(), token)
        assert new.status_code == 429 and "from new addresses" in new.text  # the ceiling: new addresses wait
        # Where dave signed in before is not held to the ceiling: the attack cannot lock him out there.
        assert (await attempt(http, servers.second, "dave", PASSWORD, office, token)).status_code == 303
