"""TOML config files with `${NAME}` taken from the environment, and the API-key model."""

import re
import tomllib
from typing import Any

from limits import parse
from pydantic import BaseModel, ConfigDict, Field, field_validator

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
NAME_PATTERN = r"[a-z][a-z0-9_-]{0,31}"


class Strict(BaseModel):
    """Config sections refuse unknown keys, so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiKey(Strict):
    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the key")
    # None: every scope the service has (configs written before scopes existed keep working).
    scopes: tuple[str, ...] | None = Field(default=None, description="what the key may do; each service names its own")
    rate_limit: str = Field(default="120/minute", description='e.g. "60/minute", "1000/hour"; a moving window')

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            item = parse(value)
        except ValueError:
            raise ValueError(f'rate_limit {value!r}: write e.g. "60/minute" or "1000/hour"') from None
        if item.amount < 1:
            raise ValueError(f"rate_limit {value!r}: at least 1 request per period")
        return value


def expand_env(value: Any, env: dict[str, str]) -> Any:
    """Replace `${NAME}` in every string of `value` by env[NAME]; a missing NAME is an error naming it."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise ValueError(f"config refers to ${{{name}}} but it is not set in the environment")
            return env[name]

        return _ENV_REF.sub(sub, value)
    if isinstance(value, list):
        return [expand_env(v, env) for v in value]
    if isinstance(value, dict):
        return {k: expand_env(v, env) for k, v in value.items()}
    return value


def read_toml(text: str, env: dict[str, str]) -> dict[str, Any]:
    expanded: dict[str, Any] = expand_env(tomllib.loads(text), env)
    return expanded


def check_names(kind: str, names: Any) -> None:
    for name in names:
        if not re.fullmatch(NAME_PATTERN, name):
            raise ValueError(f"{kind} name {name!r}: use lower-case letters, digits, - or _")
