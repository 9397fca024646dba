"""The agent web form: sign in, check a deposit, follow it live, post it to a ticket."""

import hashlib
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from desk_common.redis_connect import connect
from ticket_link.config import WebConfig
from ticket_link.web.auth import Agents
from ticket_link.web.dependencies import WebContext
from ticket_link.web.headers import SecurityHeaders
from ticket_link.web.limiter import Keyed, SignInLimiter
from ticket_link.web.router import router
from ticket_link.web.sessions import SessionVersions

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE = "tl_session"
REDIS_TIMEOUT_SECONDS = 2.0


def install_web(app: FastAPI, config: WebConfig | None, redis_url: str | None) -> None:
    """Serve the form on `app`; without a [web] section, say so and serve nothing (404).

    With `redis_url` the sign-in counters and session versions are in Redis, shared by every
    process (ticket_link always has one); without, in this process (tests, a single process).
    """
    if config is None:
        log.info("web form disabled: no [web] section in the config")
        return
    secret = config.session_secret.get_secret_value()
    keyed = Keyed(hashlib.sha256(b"ticket_link web keys\x00" + secret.encode()).digest())
    client = None
    if redis_url is not None:
        # Short timeouts: a sign-in or a page waits on this, and a Redis that does not answer is a 503.
        client = connect(
            redis_url,
            retry_timeouts=False,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
    limiter = SignInLimiter(config.sign_in, redis_url, client, keyed)
    app.state.web = WebContext(
        config,
        Agents(config.users, keyed, limiter, config.sign_in),
        SessionVersions(client, keyed, config.session_max_age_seconds),
        Jinja2Templates(directory=HERE / "templates"),
        client,
    )
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
    log.info("web form on at / for %d agent(s), sign-ins counted in %s", len(config.users), limiter.storage_kind)
