"""Configuration: a TOML file (env TICKET_LINK_CONFIG) plus env for Redis (REDIS_URL, and
DEPOSIT_EVENTS_REDIS_URL when deposit_check has a Redis of its own) and secrets.

Built once at start-up and passed down; nothing below reads the environment. `${NAME}` in any
string of the file is replaced by the env variable NAME.
"""

import os
from pathlib import Path
from typing import Annotated, Literal

from limits import parse, parse_many
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from desk_common.config import ApiKey, check_names, read_toml
from desk_common.config import Strict as _Strict

Language = Literal["en", "fr", "pl", "ru"]
WebhookScheme = Literal["path_secret", "zendesk", "zammad", "standard_webhooks", "none"]


class _HelpdeskBase(_Strict):
    base_url: str
    timeout_seconds: float = Field(default=10.0, gt=0)
    # How incoming webhooks are authenticated; each kind has a sensible default (see docs).
    webhook_scheme: WebhookScheme | None = None
    webhook_secret: SecretStr | None = None
    # Replay window for signed webhooks that carry a timestamp.
    webhook_tolerance_seconds: int = Field(default=300, ge=1)
    # Where the webhook payload holds the ticket's player account (the casino's opaque reference),
    # keys joined by dots, e.g. "ticket.custom_fields.player_account"; unset: webhooks carry none.
    account_field: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[^.\s]+(\.[^.\s]+)*$")


class DjangoHelpdeskConfig(_HelpdeskBase):
    kind: Literal["django_helpdesk"]
    username: str
    password: SecretStr


class ZendeskConfig(_HelpdeskBase):
    kind: Literal["zendesk"]
    email: str
    api_token: SecretStr


class FreshdeskConfig(_HelpdeskBase):
    kind: Literal["freshdesk"]
    api_key: SecretStr


class ZammadConfig(_HelpdeskBase):
    kind: Literal["zammad"]
    token: SecretStr


class RtConfig(_HelpdeskBase):
    kind: Literal["rt"]
    token: SecretStr


HelpdeskConfig = Annotated[
    DjangoHelpdeskConfig | ZendeskConfig | FreshdeskConfig | ZammadConfig | RtConfig,
    Field(discriminator="kind"),
]


class DepositCheckConfig(_Strict):
    url: str = "http://127.0.0.1:8080"
    api_key: SecretStr | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)


class ApiConfig(_Strict):
    keys: list[ApiKey] = Field(default_factory=list)
    # With no keys: let loopback callers in with every scope (else start-up fails). Development only:
    # a reverse proxy on the same host is loopback too.
    dev_mode: bool = False
    # `/readyz` (no key) answers from a probe at most this old; concurrent calls share one probe.
    readyz_cache_seconds: float = Field(default=5.0, ge=0, le=300)


class NotesConfig(_Strict):
    language: Language = "en"  # the desk's language, for internal notes
    public: bool = False  # post as public replies: only if the operator really wants that
    # Link per chain for notes, "{tx_hash}" is replaced, e.g. {"litecoin": "https://.../tx/{tx_hash}"}
    explorer_tx_urls: dict[str, str] = Field(default_factory=dict)


class DeliveryConfig(_Strict):
    # A job running longer than this is taken for dead (its worker killed) and retried elsewhere.
    job_timeout_seconds: int = Field(default=60, ge=1)
    retries: int = Field(default=12, ge=1)
    retry_delay_seconds: float = Field(default=5.0, ge=0)
    max_retry_delay_seconds: float = Field(default=600.0, ge=1)
    # A deposit event read by a worker and not acknowledged for this long is claimed by another worker
    # (its reader taken for dead). Shorter: a dead worker's notes come sooner, and a slow live worker's
    # events are handled twice more often (harmless: each note is posted once; docs/configuration.md).
    claim_idle_seconds: int = Field(default=60, ge=1, le=3600)


class ClaimsConfig(_Strict):
    """Caps on the claims anyone who can write a ticket makes us check (docs/operations.md "Threat model").

    Each cap is named in the note that says claims were dropped, and in the bot API's 429."""

    # A message naming more hashes than this: the first ones are checked, the rest named as not checked.
    per_webhook: int = Field(default=5, ge=1, le=100)
    # Fixed windows (the `limits` package, counters in Redis with their window as TTL), e.g. "10/minute".
    per_ticket: str = Field(default="10/minute", description="claims checked per ticket")
    per_helpdesk: str = Field(default="120/minute", description="claims checked per helpdesk, all its tickets")

    @field_validator("per_ticket", "per_helpdesk")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            item = parse(value)
        except ValueError:
            raise ValueError(f'claims cap {value!r}: write e.g. "10/minute" or "600/hour"') from None
        if item.amount < 1:
            raise ValueError(f"claims cap {value!r}: at least 1 claim per period")
        return value


class WebUser(_Strict):
    name: str = Field(min_length=1, max_length=64)
    password_hash: str = Field(pattern=r"^scrypt\$", description="made by `ticket-link hash-password`")


def _rates(value: str) -> str:
    try:
        items = parse_many(value)
    except ValueError:
        raise ValueError(f'{value!r}: write e.g. "5/minute", "60/hour" or both: "5/minute; 20/hour"') from None
    if any(item.amount < 1 for item in items):
        raise ValueError(f"{value!r}: at least 1 attempt per period")
    return value


class SignInConfig(_Strict):
    """Limits on sign-in attempts (moving windows, counted before the password is checked; docs/web-form.md)."""

    # Windows, `;` between several: each must have room.
    per_agent_and_source: str = "5/minute; 20/hour"  # one name from one address
    per_source: str = "20/minute"  # any names from one address (spraying names)
    per_agent: str = "60/hour"  # one name from addresses it has not signed in from lately (the ceiling)
    known_source_days: int = Field(default=30, ge=1, le=400)  # how long a sign-in makes its address "known"
    password_checks: int = Field(default=2, ge=1, le=64)  # scrypt checks at once in a process (32 MiB each)
    password_queue: int = Field(default=16, ge=0, le=10_000)  # waiting for one; beyond: 503 at once

    @field_validator("per_agent_and_source", "per_source", "per_agent")
    @classmethod
    def _limits(cls, value: str) -> str:
        return _rates(value)


class WebConfig(_Strict):
    """The agent web form; without this section it is off (404)."""

    session_secret: SecretStr = Field(description="Signs the session cookie; at least 32 characters")
    users: list[WebUser] = Field(min_length=1)
    cookie_secure: bool = True  # send the cookie over HTTPS only; false only for local http
    session_max_age_seconds: int = Field(default=12 * 3600, ge=60)
    refresh_seconds: float = Field(default=5.0, gt=0)  # how often an open card re-asks deposit_check
    sign_in: SignInConfig = SignInConfig()

    @field_validator("session_secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr) -> SecretStr:
        if len(secret.get_secret_value()) < 32:
            raise ValueError("web.session_secret must be at least 32 characters")
        return secret


class FileConfig(_Strict):
    secret: SecretStr = Field(description="Key for ticket-reference hashes and for encrypting queued jobs")
    deposit_check: DepositCheckConfig = DepositCheckConfig()
    api: ApiConfig = ApiConfig()
    notes: NotesConfig = NotesConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    claims: ClaimsConfig = ClaimsConfig()
    helpdesks: dict[str, HelpdeskConfig] = Field(default_factory=dict)
    web: WebConfig | None = None

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr) -> SecretStr:
        if len(secret.get_secret_value()) < 32:
            raise ValueError(
                "secret must be at least 32 characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return secret

    @field_validator("helpdesks")
    @classmethod
    def _names(cls, helpdesks: dict[str, HelpdeskConfig]) -> dict[str, HelpdeskConfig]:
        check_names("helpdesk", helpdesks)
        return helpdesks


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    ticket_link_config: Path | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Where deposit_check writes its event streams, when that is not ticket_link's own Redis.
    deposit_events_redis_url: str | None = None
    # Read by the app factory each `serve --workers N` process calls (the CLI sets it from --log-level).
    log_level: str = "info"


class AppConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: FileConfig
    redis_url: str
    source: str
    deposit_events_redis_url: str | None = None  # None: deposit_check shares ticket_link's Redis

    @property
    def events_redis_url(self) -> str:
        """The Redis holding deposit_check's event streams (read by the worker and the form's live card)."""
        return self.deposit_events_redis_url or self.redis_url


def parse_config(text: str, env: dict[str, str] | None = None) -> FileConfig:
    return FileConfig.model_validate(read_toml(text, dict(os.environ) if env is None else env))


def load_config(settings: Settings | None = None) -> AppConfig:
    settings = settings or Settings()
    if settings.ticket_link_config is None:
        raise ValueError("set TICKET_LINK_CONFIG to the path of the config file (see docs/configuration.md)")
    path = settings.ticket_link_config
    return AppConfig(
        file=parse_config(path.read_text()),
        redis_url=settings.redis_url,
        source=str(path),
        deposit_events_redis_url=settings.deposit_events_redis_url or None,
    )
