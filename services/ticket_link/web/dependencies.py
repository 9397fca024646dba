"""What the form's routes need: the web context, the signed-in agent, a checked form (CSRF)."""

from dataclasses import dataclass
from typing import Annotated, Any

import redis.asyncio as redis
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from desk_common.auth import AuthFailed
from ticket_link.config import WebConfig
from ticket_link.dependencies import get_service
from ticket_link.service import TicketService
from ticket_link.web.auth import Agents
from ticket_link.web.sessions import SessionVersions


@dataclass
class WebContext:
    config: WebConfig
    agents: Agents
    sessions: SessionVersions
    templates: Jinja2Templates
    redis: redis.Redis | None  # the limiter's and the session versions' Redis

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def web_context(request: Request) -> WebContext:
    web: WebContext = request.app.state.web
    return web


async def current_agent(request: Request, web: Annotated[WebContext, Depends(web_context)]) -> str | None:
    """The signed-in agent's name; None when nobody is, or the session was ended (sign-out, a new password,
    the agent removed from the config): then the cookie is cleared too."""
    session = request.session
    name: Any = session.get("agent")
    if name is None:
        return None
    if (
        web.agents.is_agent(name)
        and session.get("pw") == web.agents.fingerprint(name)
        and session.get("v") == await web.sessions.current(name)
    ):
        return str(name)
    session.clear()
    return None


def required_agent(agent: Annotated[str | None, Depends(current_agent)]) -> str:
    """For the event stream: no page to send a stranger to, just 401."""
    if agent is None:
        raise AuthFailed("sign in to the web form first")
    return agent


Web = Annotated[WebContext, Depends(web_context)]
Agent = Annotated[str | None, Depends(current_agent)]
Service = Annotated[TicketService, Depends(get_service)]
