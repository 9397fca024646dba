"""The agent web form: sign in, check a deposit, follow it live, post it to a ticket."""

import hashlib
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from ticket_link.config import WebConfig
from ticket_link.web.auth import Agents
from ticket_link.web.dependencies import WebContext
from ticket_link.web.headers import SecurityHeaders
from ticket_link.web.router import router

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE = "tl_session"


def install_web(app: FastAPI, config: WebConfig | None) -> None:
    """Serve the form on `app`; without a [web] section, say so and serve nothing (404)."""
    if config is None:
        log.info("web form disabled: no [web] section in the config")
        return
    secret = config.session_secret.get_secret_value()
    log_key = hashlib.sha256(b"ticket_link web log mask\x00" + secret.encode()).digest()
    app.state.web = WebContext(config, Agents(config.users, log_key), Jinja2Templates(directory=HERE / "templates"))
    app.include_router(router)
    app.mount("/web/static", StaticFiles(directory=HERE / "static"), name="web-static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=config.session_max_age_seconds,
        same_site="lax",
        https_only=config.cookie_secure,
    )
    log.info("web form on at / for %d agent(s)", len(config.users))
