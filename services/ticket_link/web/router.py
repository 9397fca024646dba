"""HTTP only: the form's pages, its POSTs (each checked for the session's CSRF token), the live card."""

from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.datastructures import FormData

from desk_common.chain_text import Address, ChainName, TxHash
from ticket_link.errors import AddressNeeded, ClaimDeferred, TicketLinkError
from ticket_link.locate import Outcome
from ticket_link.schemas import DECIMAL_STRING
from ticket_link.service import ClaimOutcome, TicketService
from ticket_link.texts import DEFAULT_LANGUAGE, LANGUAGES
from ticket_link.web.auth import csrf_ok, csrf_token, start_session
from ticket_link.web.card import Card, build_card
from ticket_link.web.dependencies import Agent, Service, Web, WebContext, required_agent
from ticket_link.web.forms import DepositForm, read_deposit_form
from ticket_link.web.limiter import SignInBusy, SignInUnavailable, TooManyAttempts
from ticket_link.web.located import INCOMPLETE, LocatedCard, build_located_card, outcome_of
from ticket_link.web.lookup_form import Candidates, candidates, read_lookup_form

router = APIRouter(include_in_schema=False)

SIGN_IN = "/web/sign-in"
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "pl": "Polski", "ru": "Русский"}
EXPIRED = "This form has expired or did not come from this page. Please try again."
TOO_MANY = {
    "agent and source": "Too many sign-ins for this name from your address. Wait a minute, then try again.",
    "source": "Too many sign-ins from your address. Wait a minute, then try again.",
    "agent": "Too many sign-ins for this name from new addresses. Sign in from an address you used before, "
    "or wait and try again.",
}
BUSY = "Sign-in is busy. Try again in a moment."
UNAVAILABLE = "Sign-in is unavailable right now. Try again in a moment."
_EMPTY = DepositForm(tx_hash="", address="")


@dataclass(frozen=True)
class Posted:
    """What became of "post to ticket"."""

    ticket: str  # as agents know it, e.g. "desk #123"
    note: str  # queued | already_posted | later (deposit_check could not answer: checked and noted later)
    verdict: dict[str, Any] | None
    earlier_ticket: str | None  # another ticket claimed this tx first

    @classmethod
    def of(cls, ticket: str, outcome: ClaimOutcome) -> "Posted":
        """A claim's answer as the form shows it (the form always asks for the note)."""
        answer = outcome.answer
        note = answer.ticket_note.status if answer.ticket_note is not None else "queued"
        return cls(ticket, note, answer.model_dump(exclude={"note", "duplicate_claim"}), outcome.earlier_ticket)


def _page(request: Request, web: WebContext, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context["csrf"] = csrf_token(request.session)
    return web.templates.TemplateResponse(request, f"web/{template}", context, status_code=status_code)


def _deposit_page(
    request: Request,
    web: WebContext,
    service: TicketService,
    agent: str,
    *,
    form: DepositForm = _EMPTY,
    errors: list[str] | None = None,
    card: Card | None = None,
    posted: Posted | None = None,
    found: Candidates | None = None,
    located: LocatedCard | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _page(
        request,
        web,
        "form.html",
        status_code,
        agent=agent,
        form=form,
        errors=errors or [],
        card=card,
        posted=posted,
        found=found,
        located=located,
        events_url=f"/web/events?{urlencode(card.follow)}" if card and card.follow else None,
        helpdesks=service.helpdesk_names,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )


def _card(service: TicketService, verdict: dict[str, Any], lang: str, located: bool = False) -> Card:
    return build_card(verdict, lang=lang, explorer_urls=service.explorer_tx_urls, located=located)


def _located_card(service: TicketService, answer: dict[str, Any], tx_hash: str) -> LocatedCard:
    outcome, _, _ = outcome_of(answer)
    return build_located_card(answer, tx_hash=tx_hash, outcome=outcome, explorer_urls=service.explorer_tx_urls)


async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=20)


def _to_sign_in() -> RedirectResponse:
    return RedirectResponse(SIGN_IN, status_code=303)


@router.get("/")
@router.get("/check")
async def form_page(request: Request, web: Web, agent: Agent, service: Service) -> Response:
    if agent is None:
        return _to_sign_in()
    return _deposit_page(request, web, service, agent)


async def _posted_form(
    request: Request, web: Web, agent: Agent, service: Service
) -> tuple[DepositForm, str] | Response:
    """The submitted deposit form and the signed-in agent, or the page that says why not (sign-in, CSRF, 422)."""
    data = await _form(request)
    if agent is None:
        return _to_sign_in()
    if not csrf_ok(request.session, data):
        return _deposit_page(request, web, service, agent, errors=[EXPIRED], status_code=403)
    form, errors = read_deposit_form(data)
    if errors:
        return _deposit_page(request, web, service, agent, form=form, errors=errors, status_code=422)
    return form, agent


async def _lookup(request: Request, web: Web, agent: Agent, service: Service) -> Response | None:
    """A pasted line with an address and no hash: the deposits to that address, listed (None: not such a line)."""
    data = await _form(request)
    form = read_lookup_form(data, datetime.now(UTC)) if agent is not None and csrf_ok(request.session, data) else None
    if form is None or agent is None:
        return None
    shown = DepositForm("", form.address, form.ticket_ref, form.expected_amount, form.lang, form.helpdesk)
    try:
        answer = await service.lookup(
            form.address, asset=form.asset, expected_amount=form.expected_amount or None, since=form.since
        )
    except TicketLinkError as exc:
        return _deposit_page(
            request, web, service, agent, form=shown, errors=[exc.message], status_code=exc.status_code
        )
    found = candidates(form, answer, service.explorer_tx_urls)
    return _deposit_page(request, web, service, agent, form=shown, found=found)


@router.post("/check")
async def check_deposit(request: Request, web: Web, agent: Agent, service: Service) -> Response:
    listed = await _lookup(request, web, agent, service)
    if listed is not None:
        return listed
    posted_form = await _posted_form(request, web, agent, service)
    if isinstance(posted_form, Response):
        return posted_form
    form, name = posted_form
    if form.hash_only:
        return await _check_hash_only(request, web, service, name, form)
    try:
        # Asking deposit_check to watch the deposit, so its events follow the card.
        verdict = await service.check(
            form.tx_hash, form.address, chain=None, expected_amount=form.expected_amount or None, watch=True
        )
    except TicketLinkError as exc:
        return _deposit_page(request, web, service, name, form=form, errors=[exc.message], status_code=exc.status_code)
    return _deposit_page(request, web, service, name, form=form, card=_card(service, verdict, form.lang))


async def _check_hash_only(
    request: Request, web: WebContext, service: TicketService, name: str, form: DepositForm
) -> Response:
    """A hash pasted with no address: located on every chain (deposit_check's `/v1/locate`). One casino address paid
    on one chain: the usual card of that address's check, saying the address was found from the hash. Anything else:
    the card of what was found, asking for the address (503 when no chain holds it and one did not answer)."""
    try:
        answer = await service.locate(form.tx_hash)
        outcome, chain, address = outcome_of(answer)
        if outcome is Outcome.PAIRED and address is not None:
            verdict = await service.check(
                form.tx_hash, address, chain=chain, expected_amount=form.expected_amount or None, watch=True
            )
            card = _card(service, verdict, form.lang, located=True)
            return _deposit_page(request, web, service, name, form=form, card=card)
    except TicketLinkError as exc:
        return _deposit_page(request, web, service, name, form=form, errors=[exc.message], status_code=exc.status_code)
    located = _located_card(service, answer, form.tx_hash)
    status = 503 if outcome == INCOMPLETE else 200
    return _deposit_page(request, web, service, name, form=form, located=located, status_code=status)


@router.post("/web/post")
async def post_to_ticket(request: Request, web: Web, agent: Agent, service: Service) -> Response:
    posted_form = await _posted_form(request, web, agent, service)
    if isinstance(posted_form, Response):
        return posted_form
    form, name = posted_form
    if not form.ticket_ref:
        errors = ["Enter the ticket number to post to."]
        return _deposit_page(request, web, service, name, form=form, errors=errors, status_code=422)
    try:
        ref = service.ticket(form.helpdesk or None, form.ticket_ref)
        answer = await service.claim(ref, form.claim())  # the bot API's path: check, link, queue the note
    except ClaimDeferred as exc:  # queued by the service: checked and noted when deposit_check answers
        posted = Posted(ref.label, "later", None, None)
        return _deposit_page(request, web, service, name, form=form, posted=posted, status_code=exc.status_code)
    except AddressNeeded as exc:  # a hash alone that pairs no address: the located note is queued, its card shown
        if exc.located is None:
            return _deposit_page(request, web, service, name, form=form, errors=[exc.message], status_code=422)
        posted = Posted(ref.label, "queued" if exc.noted else "already_posted", None, None)
        located = _located_card(service, exc.located, form.tx_hash)
        return _deposit_page(request, web, service, name, form=form, located=located, posted=posted)
    except TicketLinkError as exc:
        return _deposit_page(request, web, service, name, form=form, errors=[exc.message], status_code=exc.status_code)
    posted = Posted.of(ref.label, answer)
    card = _card(service, posted.verdict, form.lang, located=form.hash_only) if posted.verdict else None
    return _deposit_page(request, web, service, name, form=form, card=card, posted=posted)


@router.get("/web/events", response_class=EventSourceResponse)
async def card_events(
    web: Web,
    service: Service,
    _agent: Annotated[str, Depends(required_agent)],
    tx_hash: Annotated[TxHash, Query()],
    address: Annotated[Address, Query()],
    chain: Annotated[ChainName | None, Query()] = None,
    expected_amount: Annotated[str | None, Query(max_length=80, pattern=DECIMAL_STRING)] = None,
    lang: Annotated[str, Query(max_length=16)] = DEFAULT_LANGUAGE,
    located: Annotated[bool, Query()] = False,
) -> AsyncIterable[ServerSentEvent]:
    """The card, re-rendered each time the deposit changes; then `end` (final, or followed long enough)."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    template = web.templates.get_template("web/_card.html")
    final = False
    async for verdict in service.follow(
        tx_hash, address, chain, expected_amount, refresh_seconds=web.config.refresh_seconds
    ):
        final = bool(verdict.get("final"))
        card = _card(service, verdict, lang, located=located)
        yield ServerSentEvent(event="card", raw_data=template.render(card=card), retry=5000)
    yield ServerSentEvent(event="end", raw_data="final" if final else "stopped")


@router.get(SIGN_IN)
async def sign_in_page(request: Request, web: Web, agent: Agent) -> Response:
    if agent is not None:
        return RedirectResponse("/", status_code=303)
    return _page(request, web, "sign_in.html", agent=None, error=None, name="")


@router.post(SIGN_IN)
async def sign_in(request: Request, web: Web) -> Response:
    data = await _form(request)
    name = str(data.get("name") or "").strip()[:64]
    password = str(data.get("password") or "")[:1024]
    if not csrf_ok(request.session, data):
        return _page(request, web, "sign_in.html", 403, agent=None, error=EXPIRED, name=name)
    # The address uvicorn reports: behind a proxy, the one it forwarded (docs/web-form.md).
    source = request.client.host if request.client else "unknown"
    try:
        signed_in = await web.agents.sign_in(name, password, source)
    except TooManyAttempts as exc:
        return _refused(request, web, name, 429, TOO_MANY[exc.scope], exc.retry_after)
    except SignInBusy:
        return _refused(request, web, name, 503, BUSY, 1)
    except SignInUnavailable:
        return _refused(request, web, name, 503, UNAVAILABLE, 5)
    if not signed_in:
        return _page(request, web, "sign_in.html", 401, agent=None, error="Wrong name or password.", name=name)
    version = await web.sessions.begin(name)
    start_session(request.session, name, version, web.agents.fingerprint(name))
    return RedirectResponse("/", status_code=303)


def _refused(request: Request, web: WebContext, name: str, status: int, error: str, retry_after: int) -> Response:
    page = _page(request, web, "sign_in.html", status, agent=None, error=error, name=name)
    page.headers["Retry-After"] = str(retry_after)
    return page


@router.post("/web/sign-out")
async def sign_out(request: Request, web: Web, agent: Agent, service: Service) -> Response:
    data = await _form(request)
    if agent is not None and not csrf_ok(request.session, data):
        return _deposit_page(request, web, service, agent, errors=[EXPIRED], status_code=403)
    if agent is not None:
        await web.sessions.revoke(agent)  # every session of this agent ends, copies of the cookie included
    request.session.clear()
    return _to_sign_in()
