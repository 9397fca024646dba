"""Build the parts both the API and the worker use, once, from the config."""

from dataclasses import dataclass

import redis.asyncio as redis
from saq import Queue

from ticket_link.checker import DepositCheckClient
from ticket_link.config import AppConfig
from ticket_link.delivery import Delivery, open_queue
from ticket_link.helpdesks import build_helpdesk
from ticket_link.helpdesks.base import Helpdesk
from ticket_link.links import Links
from ticket_link.privacy import Pseudonymizer
from ticket_link.service import TicketService


@dataclass
class Components:
    config: AppConfig
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


def build_components(config: AppConfig) -> Components:
    file = config.file
    client = redis.Redis.from_url(config.redis_url, socket_timeout=5.0, socket_connect_timeout=2.0)
    privacy = Pseudonymizer(file.secret.get_secret_value())
    links = Links(client, privacy)
    queue = open_queue(config.redis_url)
    checker = DepositCheckClient(file.deposit_check)
    helpdesks = {name: build_helpdesk(name, cfg) for name, cfg in file.helpdesks.items()}
    service = TicketService(checker, links, Delivery(queue, privacy, file.delivery, links), file.notes, list(helpdesks))
    return Components(config, client, privacy, links, queue, checker, helpdesks, service)
