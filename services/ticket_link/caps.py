"""Caps on the claims we check: per webhook, per ticket and per helpdesk per window.

Anyone who can write a ticket chooses how many hashes it names, and each claim checked costs a
node call, a watch and a note (docs/operations.md "Threat model"). The caps bound that work. The
windows are counted by the `limits` package, as the API keys' rates are (desk_common/auth.py), in
ticket_link's Redis under keys.CLAIM_LIMITS: fixed windows, one counter per ticket and per
helpdesk, each with its window as TTL (a moving window keeps a list entry per claim: more memory
for a precision a cap on abuse does not need).
"""

import math
import time
from dataclasses import dataclass

import redis.asyncio as redis
from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter

from desk_common.redis_connect import limits_storage
from ticket_link import keys
from ticket_link.config import ClaimsConfig
from ticket_link.errors import TicketLinkError


class ClaimsCapped(TicketLinkError):
    """A claim over a configured cap (429); the message names the cap, `retry_after` when one fits again."""

    status_code = 429
    code = "claims_capped"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Admission:
    """How many of the claims asked for may be checked, and the cap that stopped the others."""

    admitted: int
    cap: str | None = None  # e.g. 'claims.per_ticket = "10/minute"', as written in the config
    window: int = 0  # which window of that cap (for one note per ticket, cap and window)
    retry_after: int = 0  # seconds until the cap's window resets

    def refusal(self) -> ClaimsCapped:
        return ClaimsCapped(
            f"too many claims: the cap {self.cap} is reached; retry in {self.retry_after} s", self.retry_after
        )


@dataclass(frozen=True)
class _Cap:
    setting: str
    value: str
    item: RateLimitItem

    @property
    def name(self) -> str:
        return f'claims.{self.setting} = "{self.value}"'


class ClaimCaps:
    def __init__(self, config: ClaimsConfig, client: redis.Redis, redis_url: str = "redis://") -> None:
        """`redis_url`: the URL `client` was made from (a Cluster's counters need a client of their own)."""
        self.config = config
        self.per_webhook = f"claims.per_webhook = {config.per_webhook}"
        self._ticket = _Cap("per_ticket", config.per_ticket, parse(config.per_ticket))
        self._helpdesk = _Cap("per_helpdesk", config.per_helpdesk, parse(config.per_helpdesk))
        storage = limits_storage(client, keys.CLAIM_LIMITS, redis_url)
        self._limiter = FixedWindowRateLimiter(storage)

    async def admit(self, helpdesk: str, ticket_key: str, wanted: int) -> Admission:
        """Count up to `wanted` claims of one ticket against its cap and its helpdesk's; how many fit.

        Claim by claim (at most `per_webhook` of them): the ticket's cap first, so one noisy ticket
        does not spend its helpdesk's window; a claim refused by the helpdesk's cap has still used
        one of the ticket's, which only errs on the side of checking less."""
        for admitted in range(wanted):
            for cap, ids in ((self._ticket, (helpdesk, ticket_key)), (self._helpdesk, (helpdesk,))):
                if not await self._limiter.hit(cap.item, *ids):
                    stats = await self._limiter.get_window_stats(cap.item, *ids)
                    retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                    window = int(stats.reset_time // cap.item.get_expiry())
                    return Admission(admitted, cap.name, window, retry_after)
        return Admission(wanted)
