"""Build the parts both the API and the worker use, once, from the config."""

from dataclasses import dataclass

import redis.asyncio as redis
from saq import Queue

from desk_common.redis_connect import connect, parse
from ticket_link.caps import ClaimCaps
from ticket_link.checker import DepositCheckClient
from ticket_link.config import AppConfig
from ticket_link.delivery import Delivery
from ticket_link.helpdesks import build_helpdesk
from ticket_link.helpdesks.base import Helpdesk
from ticket_link.job_queue import open_queue
from ticket_link.links import Links
from ticket_link.privacy import Pseudonymizer
from ticket_link.service import TicketService


@dataclass
class Components:
    config: AppConfig
    events_redis: redis.Redis  # deposit_check's event streams: `redis` below itself unless configured apart
    redis: redis.Redis
    privacy: Pseudonymizer
    links: Links
    queue: Queue
    checker: DepositCheckClient
    helpdesks: dict[str, Helpdesk]
    service: TicketService

    async def aclose(self) -> None:
        for helpdesk in self.helpdesks.values():
            await helpdesk.aclose()
        await self.checker.aclose()
        await self.queue.disconnect()
        await self.redis.aclose()
        if self.events_redis is not self.redis:
            await self.events_redis.aclose()


def build_components(config: AppConfig) -> Components:
    file = config.file
    client = _redis(config.redis_url)
    events = client if config.events_redis_url == config.redis_url else _redis(config.events_redis_url)
    privacy = Pseudonymizer(file.secret.get_secret_value())
    links = Links(client, privacy, parse(config.redis_url))
    queue = open_queue(config.redis_url)  # a client of its own: saq closes it on disconnect
    checker = DepositCheckClient(file.deposit_check)
    helpdesks = {name: build_helpdesk(name, cfg) for name, cfg in file.helpdesks.items()}
    delivery = Delivery(queue, privacy, file.delivery, links)
    service = TicketService(
        checker, links, delivery, file.notes, list(helpdesks), events, ClaimCaps(file.claims, client, config.redis_url)
    )
    return Components(config, events, client, privacy, links, queue, checker, helpdesks, service)


def _redis(url: str) -> redis.Redis:
    # The socket timeout stays above the event readers' longest block (follow.py MAX_BLOCK_MS).
    return connect(url, socket_timeout=5.0, socket_connect_timeout=2.0)
