"""What the form's routes need: the web context, the signed-in agent, a checked form (CSRF)."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from desk_common.auth import AuthFailed
from ticket_link.config import WebConfig
from ticket_link.dependencies import get_service
from ticket_link.service import TicketService
from ticket_link.web.auth import Agents


@dataclass
class WebContext:
    config: WebConfig
    agents: Agents
    templates: Jinja2Templates


def web_context(request: Request) -> WebContext:
    web: WebContext = request.app.state.web
    return web


def current_agent(request: Request, web: Annotated[WebContext, Depends(web_context)]) -> str | None:
    """The signed-in agent's name, None when nobody (or an agent since removed from the config) is."""
    name: Any = request.session.get("agent")
    return name if web.agents.is_agent(name) else None


def required_agent(agent: Annotated[str | None, Depends(current_agent)]) -> str:
    """For the event stream: no page to send a stranger to, just 401."""
    if agent is None:
        raise AuthFailed("sign in to the web form first")
    return agent


Web = Annotated[WebContext, Depends(web_context)]
Agent = Annotated[str | None, Depends(current_agent)]
Service = Annotated[TicketService, Depends(get_service)]
