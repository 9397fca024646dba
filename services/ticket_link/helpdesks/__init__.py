"""Helpdesk adapters: one module per helpdesk behind the `Helpdesk` protocol (see base.py)."""

import httpx

from ticket_link.config import (
    DjangoHelpdeskConfig,
    FreshdeskConfig,
    HelpdeskConfig,
    RtConfig,
    ZammadConfig,
    ZendeskConfig,
)
from ticket_link.helpdesks.base import Helpdesk, TicketText
from ticket_link.helpdesks.django_helpdesk import DjangoHelpdesk
from ticket_link.helpdesks.freshdesk import Freshdesk
from ticket_link.helpdesks.rt import RequestTracker
from ticket_link.helpdesks.zammad import Zammad
from ticket_link.helpdesks.zendesk import Zendesk

__all__ = ["Helpdesk", "TicketText", "build_helpdesk"]


def build_helpdesk(name: str, config: HelpdeskConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> Helpdesk:
    """The adapter for `config.kind`; raises ValueError when its webhook secret cannot work."""
    if isinstance(config, DjangoHelpdeskConfig):
        return DjangoHelpdesk(name, config, transport=transport)
    if isinstance(config, ZendeskConfig):
        return Zendesk(name, config, transport=transport)
    if isinstance(config, FreshdeskConfig):
        return Freshdesk(name, config, transport=transport)
    if isinstance(config, ZammadConfig):
        return Zammad(name, config, transport=transport)
    if isinstance(config, RtConfig):
        return RequestTracker(name, config, transport=transport)
    raise ValueError(f"helpdesk {name}: unknown kind")
