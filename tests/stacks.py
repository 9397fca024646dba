"""A bot-facing stack for tests: a real deposit_check (on litecoind) behind a real ticket_link, both
served by uvicorn, with API keys, scopes and rate limits as configured here.

No helpdesk and no worker: notes are queued in Redis and stay there, which is all the bot API
promises. Each stack uses a Redis database of its own, so its queue and watches never meet the
flow tests' worker and watcher (database 0).
"""

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from deposit_check.app import create_app as create_deposit_check
from deposit_check.config import AppConfig as DepositCheckConfig
from deposit_check.config import parse_config as parse_deposit_check
from deposit_check.devnet.anvil import Anvil
from deposit_check.devnet.litecoind import Litecoind
from deposit_check.models import Asset
from harness.redis_server import RedisServer
from harness.serving import serve
from tests.helpers import dev_mode
from ticket_link.app import create_app as create_ticket_link
from ticket_link.config import AppConfig, parse_config
from ticket_link.devdesk.launcher import DevDesk


@dataclass(frozen=True)
class Key:
    """An API key for the config, and the secret a caller sends."""

    name: str
    scopes: tuple[str, ...] | None = None
    rate_limit: str | None = None
    secret: str = ""

    def __post_init__(self) -> None:
        if not self.secret:
            object.__setattr__(self, "secret", secrets.token_urlsafe(24))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}

    def toml(self) -> str:
        lines = [
            "[[api.keys]]",
            f'name = "{self.name}"',
            f'sha256 = "{hashlib.sha256(self.secret.encode()).hexdigest()}"',
        ]
        if self.scopes is not None:
            lines.append("scopes = [" + ", ".join(f'"{s}"' for s in self.scopes) + "]")
        if self.rate_limit is not None:
            lines.append(f'rate_limit = "{self.rate_limit}"')
        return "\n".join(lines) + "\n"


def litecoin_toml(litecoind: Litecoind, *, watch: bool = True) -> str:
    """deposit_check's config for the regtest litecoind, its watcher (`watch`) at the flow tests' brisk pace."""
    pace = "[watch]\npoll_seconds = 0.2\nrecheck_seconds = 1\n" if watch else ""
    return f"""
{pace}[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{litecoind.rpc_url}"]
confirmations = 6
"""


def ethereum_toml(anvil: Anvil, usdt: Asset, confirmations: int) -> str:
    """deposit_check's config for the shared anvil as chain `ethereum`, with the test USDT allow-listed."""
    return f"""[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["{anvil.rpc_url}"]
confirmations = {confirmations}
[[chains.ethereum.tokens]]
symbol = "USDT"
contract = "{usdt.contract}"
decimals = 6
"""


def desk_toml(desk: DevDesk, base_url: str | None = None) -> str:
    """ticket_link's `[helpdesks.desk]` for a DevDesk (reached at `base_url` when a proxy stands between)."""
    return f"""[helpdesks.desk]
kind = "django_helpdesk"
base_url = "{base_url or desk.base_url}"
username = "{desk.username}"
password = "{desk.password}"
"""


@dataclass
class BotStack:
    deposit_check_url: str
    url: str  # ticket_link
    redis_url: str


def deposit_check_config(litecoind: Litecoind, redis_url: str | None, keys: list[Key]) -> DepositCheckConfig:
    text = (
        "".join(k.toml() for k in keys)
        + f"""
[cache]
pending_ttl_seconds = 1
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["{litecoind.rpc_url}"]
confirmations = 6
"""
    )
    return DepositCheckConfig(file=parse_deposit_check(dev_mode(text), env={}), redis_url=redis_url, source="test")


@contextmanager
def bot_stack(
    litecoind: Litecoind, redis_server: RedisServer, db: int, keys: list[Key], own_rate_limit: str | None = None
) -> Iterator[BotStack]:
    """deposit_check (ticket_link's own key there has scope `watch`, and `own_rate_limit`) and ticket_link with `keys`."""
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{db}"
    own = Key("ticket-link", scopes=("watch",), rate_limit=own_rate_limit)
    with serve(create_deposit_check(deposit_check_config(litecoind, redis_url, [own]))) as dc_url:
        text = f"""
secret = "{secrets.token_urlsafe(32)}"
[deposit_check]
url = "{dc_url}"
api_key = "{own.secret}"
[helpdesks.desk]
kind = "django_helpdesk"
base_url = "http://127.0.0.1:9"
username = "bot"
password = "never-used"
""" + "".join(k.toml() for k in keys)
        config = AppConfig(file=parse_config(dev_mode(text), env={}), redis_url=redis_url, source="test")
        with serve(create_ticket_link(config)) as url:
            yield BotStack(dc_url, url, redis_url)
