"""Configuration: a TOML file (env DEPOSIT_CHECK_CONFIG) plus env for Redis and secrets.

Built once at start-up and passed down; nothing below reads the environment.
`${NAME}` in any string of the file is replaced by the env variable NAME, so RPC passwords
and the like can stay out of the file.
"""

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from desk_common.chain_text import display_name_problem
from desk_common.config import ApiKey, check_names, read_toml
from desk_common.config import Strict as _Strict


class TokenConfig(_Strict):
    symbol: str
    contract: str
    decimals: int = Field(ge=0, le=36)


class _ChainBase(_Strict):
    rpc_urls: list[str] = Field(default_factory=list)  # at least one, except on a UTXO chain served by Electrum
    # Zero would call a mempool tx "confirmed": never allowed.
    confirmations: int = Field(ge=1, le=10_000)
    timeout_seconds: float = Field(default=5.0, gt=0)  # per attempt on one endpoint; then the next is asked
    explorer_tx_url: str | None = None  # e.g. "https://blockchair.com/litecoin/transaction/{tx_hash}"
    # The network's name for people, e.g. "TRON (TRC-20)": answers carry it (`chain_display`, `found_on_display`)
    # and ticket_link's notes and player messages say it instead of the chain's name.
    display_name: str | None = None
    # Endpoints that must agree (same block hash, enough confirmations each) before "confirmed"; 1 = off.
    quorum: int = Field(default=1, ge=1)
    # An endpoint failing this many times in a row is skipped for breaker_reset_seconds, then probed again.
    breaker_failures: int = Field(default=3, ge=1)
    breaker_reset_seconds: float = Field(default=30.0, gt=0)
    # Requests in flight per endpoint; more wait in this process. A node has a bounded work queue
    # (bitcoind/litecoind: 16 by default, 4 RPC threads) and answers 500 past it.
    max_requests_in_flight: int = Field(default=8, ge=1)

    def check_urls(self) -> tuple[str, list[str]]:
        """(field name, URLs) of the endpoints that checks ask."""
        return "rpc_urls", self.rpc_urls

    @field_validator("display_name")
    @classmethod
    def _display_name_shape(cls, value: str | None) -> str | None:
        if value is not None and (problem := display_name_problem(value)) is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _quorum_fits(self) -> "_ChainBase":
        field, urls = self.check_urls()
        if not urls:
            raise ValueError(f"{field} needs at least one URL")
        if self.quorum > len(urls):
            raise ValueError(f"quorum {self.quorum} needs at least {self.quorum} {field}, got {len(urls)}")
        if self.quorum > 1 and len(set(urls)) != len(urls):
            raise ValueError(f"{field} lists an endpoint twice: a quorum needs independent endpoints")
        return self


class UtxoChainConfig(_ChainBase):
    family: Literal["utxo"]
    coin: str | None = None  # bitcoin | litecoin | ...; defaults to the chain's name
    network: Literal["mainnet", "testnet", "regtest"] = "mainnet"
    symbol: str | None = None
    decimals: int = 8
    # Overrides for coins we have no built-in parameters for.
    bech32_hrp: str | None = None
    p2pkh_versions: list[int] | None = None
    p2sh_versions: list[int] | None = None
    # Electrum servers (ElectrumX, Fulcrum): "tcp://host:port" or "ssl://host:port". With backend
    # "node" they serve only lookups by address; with "electrum" they serve checks too (then rpc_urls
    # is optional and, when set, serves the watcher's block reads). docs/configuration.md, "Electrum".
    backend: Literal["node", "electrum"] = "node"
    electrum_urls: list[str] = Field(default_factory=list)

    def check_urls(self) -> tuple[str, list[str]]:
        return ("electrum_urls", self.electrum_urls) if self.backend == "electrum" else ("rpc_urls", self.rpc_urls)

    @field_validator("electrum_urls")
    @classmethod
    def _electrum_schemes(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("tcp://", "ssl://")):
                raise ValueError(f"electrum_urls: {url.split('@')[-1]!r} must start with tcp:// or ssl://")
        return urls


class EvmChainConfig(_ChainBase):
    family: Literal["evm"]
    chain_id: int = Field(ge=1)
    symbol: str = "ETH"
    decimals: int = 18
    tokens: list[TokenConfig] = Field(default_factory=list)


# java-tron solidifies a block once 19 of the 27 super representatives (more than 2/3) built on it:
# with every one producing on time, at 19 confirmations (docs/configuration.md, "TRON").
TRON_SOLIDIFIED_DEPTH = 19


class TronChainConfig(_ChainBase):
    """A TRON chain over the java-tron HTTP API (full nodes or TronGrid): TRX and allow-listed TRC-20 tokens."""

    family: Literal["tron"]
    # java-tron full nodes' HTTP API (port 8090) or TronGrid, e.g. "https://api.trongrid.io".
    http_urls: list[str] = Field(default_factory=list)
    # Which TRON network the nodes must serve: each endpoint's genesis block is checked against the network's
    # published one (chains/tron/network.py) before it is asked anything else; one on another network fails.
    network: Literal["mainnet", "nile", "shasta"] = "mainnet"
    # Counted from the latest block as on other chains, and confirmed only once the block is also solidified
    # (irreversible): "solidified" is TRON_SOLIDIFIED_DEPTH, a larger number waits longer.
    confirmations: Literal["solidified"] | int = "solidified"  # type: ignore[assignment]
    # Sent in `api_key_header` (TronGrid's); give it as "${TRONGRID_API_KEY}" to keep it in the environment.
    api_key: SecretStr | None = None
    api_key_header: str = Field(default="TRON-PRO-API-KEY", pattern=r"^[A-Za-z0-9-]{1,64}$")
    symbol: str = "TRX"
    decimals: int = 6
    tokens: list[TokenConfig] = Field(default_factory=list)

    def check_urls(self) -> tuple[str, list[str]]:
        return "http_urls", self.http_urls

    @property
    def required_confirmations(self) -> int:
        return TRON_SOLIDIFIED_DEPTH if self.confirmations == "solidified" else self.confirmations

    @field_validator("confirmations")
    @classmethod
    def _not_below_solidification(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not TRON_SOLIDIFIED_DEPTH <= value <= 10_000:
            raise ValueError(
                f"a TRON block is confirmed only once solidified, about {TRON_SOLIDIFIED_DEPTH} blocks deep: use "
                f'"solidified" or a number from {TRON_SOLIDIFIED_DEPTH} to 10000'
            )
        return value

    @field_validator("rpc_urls")
    @classmethod
    def _no_rpc_urls(cls, urls: list[str]) -> list[str]:
        if urls:
            raise ValueError("a TRON chain is reached over its HTTP API: set http_urls, not rpc_urls")
        return urls


ChainConfig = Annotated[UtxoChainConfig | EvmChainConfig | TronChainConfig, Field(discriminator="family")]


class ApiConfig(_Strict):
    keys: list[ApiKey] = Field(default_factory=list)
    # With no keys: let loopback callers in with every scope (else start-up fails). Development only:
    # a reverse proxy on the same host is loopback too.
    dev_mode: bool = False
    # `/readyz` (no key) answers from a probe at most this old; concurrent calls share one probe.
    readyz_cache_seconds: float = Field(default=5.0, ge=0, le=300)


class CacheConfig(_Strict):
    final_ttl_seconds: int = Field(default=86_400, ge=0)
    # Short: a non-final verdict read from cache can only under-state progress, for at most this long.
    # A fraction of a second is allowed (the tests use one instead of waiting seconds for expiry).
    pending_ttl_seconds: float = Field(default=3, ge=0)


class WatchConfig(_Strict):
    """The watcher (needs REDIS_URL)."""

    poll_seconds: float = Field(default=2.0, gt=0, description="how often each follower asks for the tip")
    recheck_seconds: float = Field(
        default=15.0, gt=0, description="how often a tx not yet in a block is looked up again"
    )
    # Short: a tx a player just broadcast reaches a node's mempool within seconds, so a hash still unknown
    # after half an hour is a typo, another network, or invented. Anyone who can write a ticket can make
    # us watch a hash (docs/operations.md "Threat model"): every minute here is rechecks of made-up hashes.
    not_found_minutes: float = Field(
        default=30.0, gt=0, le=24 * 60, description="how long a hash nobody knows is looked for"
    )
    pending_hours: float = Field(default=72.0, gt=0, description="how long a mempool tx is followed before giving up")
    reorg_window_blocks: int = Field(default=100, ge=1, description="blocks a final deposit stays watched for reorgs")
    lease_seconds: float = Field(default=15.0, gt=1, description="a dead follower's chain is taken over after this")

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: object) -> object:
        if isinstance(data, dict) and "not_found_hours" in data:
            raise ValueError(
                "watch.not_found_hours was replaced by watch.not_found_minutes (default 30): an unknown hash is "
                "looked for minutes, not hours (docs/configuration.md)"
            )
        return data


class ExtendedKeyConfig(_Strict):
    """One extended public key whose addresses are the casino's, derived ahead of use."""

    # UTXO: xpub/ypub/zpub/tpub/upub/vpub (or Ltub/Mtub); EVM: the account xpub of m/44'/60'/0';
    # TRON: the account xpub of m/44'/195'/0'.
    key: str = Field(min_length=20, max_length=200)
    # Addresses derived past the highest index seen used, per branch.
    gap: int = Field(default=1_000, ge=1, le=1_000_000)
    branches: tuple[Annotated[int, Field(ge=0, le=255)], ...] = Field(
        default=(0, 1), min_length=1, description="0 receive, 1 change (EVM wallets: [0])"
    )
    # UTXO only; None: from the key's version bytes (zpub/vpub p2wpkh, ypub/upub p2sh-p2wpkh, xpub/tpub p2pkh).
    script: Literal["p2pkh", "p2sh-p2wpkh", "p2wpkh"] | None = None
    account: str | None = None  # one player account for every address of this key (opaque)


class OwnershipConfig(_Strict):
    """Which addresses are the casino's (docs/configuration.md): imported lists and extended keys."""

    # Keys the index (address hashes) and seals account references. Without it nothing can be
    # declared and every check answers `address_owner: unknown`. Changing it orphans the index.
    secret: str | None = Field(default=None, min_length=16)
    xpubs: dict[str, list[ExtendedKeyConfig]] = Field(default_factory=dict, description="by chain name")
    derive_batch: int = Field(default=2_000, ge=1, le=100_000, description="addresses written per step")


class LookupChainConfig(_Strict):
    """One chain's lookup sources (lookups/sources.py names them) and what each reads from the config."""

    sources: list[str] = Field(default_factory=lambda: ["watcher"], description="asked together, in this order")
    # By source name: the options its factory validates itself (a new source needs no change here).
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)


class LookupsConfig(_Strict):
    """`POST /v1/lookups`: find deposits by address (docs/configuration.md)."""

    max_results: int = Field(default=20, ge=1, le=200, description="deposits judged and answered per lookup")
    max_finds: int = Field(default=500, ge=1, le=100_000, description="finds asked of each source per lookup")
    # The follower records payments to owned addresses (needs [ownership] and REDIS_URL).
    watcher_index: bool = True
    watcher_window_hours: float = Field(default=72.0, gt=0, le=24 * 400, description="how long entries are kept")
    watcher_max_per_address: int = Field(default=10_000, ge=1, le=1_000_000, description="newest entries kept")
    # Chains not named here use the watcher's index alone.
    chains: dict[str, LookupChainConfig] = Field(default_factory=dict)

    def sources_of(self, chain: str) -> LookupChainConfig:
        return self.chains.get(chain) or LookupChainConfig()


class FileConfig(_Strict):
    api: ApiConfig = ApiConfig()
    cache: CacheConfig = CacheConfig()
    watch: WatchConfig = WatchConfig()
    ownership: OwnershipConfig = OwnershipConfig()
    lookups: LookupsConfig = LookupsConfig()
    chains: dict[str, ChainConfig] = Field(default_factory=dict)

    @field_validator("chains")
    @classmethod
    def _names(cls, chains: dict[str, ChainConfig]) -> dict[str, ChainConfig]:
        check_names("chain", chains)
        said: dict[str, str] = {}  # what a person reads (display name, else chain name) -> the chain
        for name, chain in chains.items():
            shown = (chain.display_name or name).casefold()
            if shown in said:
                # "sent on X, not on X" would tell a player nothing.
                raise ValueError(f"chains {said[shown]!r} and {name!r} would be shown to people by the same name")
            said[shown] = name
        return chains

    def display_names(self) -> dict[str, str]:
        """Each chain's name for people: its `display_name`, else its name."""
        return {name: chain.display_name or name for name, chain in self.chains.items()}

    @model_validator(mode="after")
    def _ownership_fits(self) -> "FileConfig":
        unknown = sorted(set(self.ownership.xpubs) - set(self.chains))
        if unknown:
            raise ValueError(f"ownership.xpubs names chains that are not configured: {', '.join(unknown)}")
        unknown = sorted(set(self.lookups.chains) - set(self.chains))
        if unknown:
            raise ValueError(f"lookups.chains names chains that are not configured: {', '.join(unknown)}")
        if self.ownership.xpubs and self.ownership.secret is None:
            raise ValueError("ownership.xpubs needs ownership.secret (it keys the address index)")
        return self


class Settings(BaseSettings):
    """Environment: where the file is and where Redis is."""

    model_config = SettingsConfigDict(extra="ignore")

    deposit_check_config: Path | None = None
    redis_url: str | None = None
    # Read by the app factory each `serve --workers N` process calls (the CLI sets it from --log-level).
    log_level: str = "info"


# Used when no file is named: the local dev chains the demo starts.
DEFAULT_CONFIG = """
[chains.litecoin]
family = "utxo"
network = "regtest"
rpc_urls = ["http://demo:demo@127.0.0.1:19443"]
confirmations = 6

[chains.ethereum]
family = "evm"
chain_id = 31337
rpc_urls = ["http://127.0.0.1:8545"]
confirmations = 12
"""


class AppConfig(BaseModel):
    """Everything the service needs, resolved once."""

    model_config = ConfigDict(frozen=True)

    file: FileConfig
    redis_url: str | None
    source: str


def parse_config(text: str, env: dict[str, str] | None = None) -> FileConfig:
    return FileConfig.model_validate(read_toml(text, dict(os.environ) if env is None else env))


def load_config(settings: Settings | None = None) -> AppConfig:
    settings = settings or Settings()
    if settings.deposit_check_config is not None:
        path = settings.deposit_check_config
        return AppConfig(file=parse_config(path.read_text()), redis_url=settings.redis_url, source=str(path))
    return AppConfig(file=parse_config(DEFAULT_CONFIG), redis_url=settings.redis_url, source="built-in defaults")
