"""The web server: a FastAPI app with the documented HTTP API (OpenAPI at ``/docs``, ``/redoc`` and
``/openapi.json``; the docs pages load Swagger UI and ReDoc from the ``fastapi-offline`` package, so they work
with no internet), the support console mounted at ``/console`` behind a login, the shopper chat at ``/`` and
the ``<gradio-app>`` web component's script at ``/gradio.js`` (Gradio's own bundled file: no CDN).

API:
* ``POST /api/chat``: one chat turn. ``stream=true`` (default) answers NDJSON, one event per line, as the
  assistant produces them; ``stream=false`` answers one JSON object with all events and the reply text.
* ``GET /api/search``: products with their retrieval traces (impressions are logged for the session).
* ``POST /api/feedback``: thumbs up / down / more like this on a product.
* ``GET /api/cart``: the session's cart (what the assistant put in it), priced, with the total.
* ``POST /api/session``: a new session id.
Session ids are issued and signed by the server (:mod:`ui.sessions`): ``/api/chat`` without one starts a
conversation and returns its id; an id the server did not issue gets 403.
Limits: request bodies over 64 KiB get 413 before they are read (:mod:`ui.security`), messages longer than
``settings.max_message_chars`` get 413, too many messages per session get 429, NaN / infinite / out-of-range
filters get 422, each with a ``detail`` sentence that says what to do. Order look-ups and returns are limited
per client address, order number and session, with a lock-out after repeated failures
(:class:`ui.limits.OrderGuard`); cross-origin requests are refused unless allowed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import gradio as gr
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from .agents import AgentStore, agents_path, authenticator
from .app import APP_CSS, THEME, build_app
from .cards import card_from_hit
from .chat import SESSION_ID, ChatService, make_filters
from .console import CONSOLE_CSS, build_console
from .limits import LoginGuard, LookupPolicy, OrderGuard, RateLimiter

SESSIONS_PER_HOUR = 120  # new session ids per client address per hour (POST /api/session)
from .security import KIB, WebGuard
from .sessions import FORGED, SessionSigner, signer_for
from .tracelog import TraceLog

if TYPE_CHECKING:  # the UI is typed against the assistant, imported only for type checkers
    from assistant import Assistant
    from longtail.config import Settings

log = logging.getLogger(__name__)


MAX_PRICE = 1e9  # a filter above this is a mistake (or a probe), not a budget
# The web component's loader from Gradio's own build (it imports ./assets/index-<hash>.js, which Gradio
# serves at /assets/): served at /gradio.js, so the embed needs no CDN and matches the server's Gradio.
GRADIO_JS = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"
DOCS_ASSETS = "/static-offline-docs"  # where fastapi-offline serves Swagger UI's and ReDoc's files


class FilterModel(BaseModel):
    min_price: float | None = Field(
        None, ge=0, le=MAX_PRICE, allow_inf_nan=False, description="Lowest price, in the store's currency."
    )
    max_price: float | None = Field(
        None, ge=0, le=MAX_PRICE, allow_inf_nan=False, description="Highest price, in the store's currency."
    )
    min_rating: float | None = Field(
        None, ge=0, le=5, allow_inf_nan=False, description="Lowest average rating, 0 to 5."
    )
    category: str | None = Field(None, max_length=200, description="Top-level category, e.g. 'Kitchen'.")
    in_stock: bool | None = Field(None, description="Only items in stock when true.")


class ChatRequest(BaseModel):
    message: str = Field(..., description="The shopper's message.", examples=["a gift for a hiker under $60"])
    session_id: str | None = Field(
        None,
        description="Continue this conversation (an id this server returned); omit to start a new one (the "
        "new id is returned). An id the server did not issue gets 403.",
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
    )
    filters: FilterModel | None = None
    stream: bool = Field(True, description="NDJSON stream of events (true) or one JSON answer (false).")


class SessionResponse(BaseModel):
    session_id: str = Field(description="A new conversation's id, signed by this server.")


class ChatResponse(BaseModel):
    session_id: str
    text: str
    events: list[dict[str, Any]]


class FeedbackRequest(BaseModel):
    session_id: str = Field(..., pattern=r"^[A-Za-z0-9_-]{8,64}$")
    item_id: str
    kind: Literal["up", "down", "more_like_this"]


class FeedbackResponse(BaseModel):
    ok: bool
    message: str
    cards: list[dict[str, Any]] = []


class CartLine(BaseModel):
    item_id: str
    title: str
    quantity: int
    unit_price: float | None = Field(
        description="Price of one, in ``currency``; null when the item has none."
    )
    currency: str
    line_total: float | None
    in_stock: bool


class CartResponse(BaseModel):
    session_id: str
    lines: list[CartLine]
    count: int = Field(description="Units in the cart (quantities added up).")
    total: float | None = Field(description="Sum of the line totals; null when a line has no price.")
    currency: str
    total_text: str = Field(description="The total as shoppers read it, e.g. '$42.50'.")


def _filters(f: FilterModel | None):
    return make_filters(f.min_price, f.max_price, f.category, f.in_stock, f.min_rating) if f else None


def validation_answer(exc: RequestValidationError) -> JSONResponse:
    """422 for a request the API cannot take: ``detail`` lists each problem (where, what), ``message`` says it
    in one sentence. The offending input is not echoed (a NaN in it made the default answer itself fail)."""
    problems = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query"))
        problems.append(
            {
                "loc": [str(x) for x in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
        )
        problems[-1]["field"] = where
    sentence = "; ".join(f"{p['field'] or 'request'}: {p['msg']}" for p in problems) or "invalid request"
    return JSONResponse(
        status_code=422, content={"detail": problems, "message": f"Invalid request ({sentence})."}
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def create_server(
    assistant: Assistant,
    settings: Settings,
    limiter: RateLimiter | None = None,
    traces: TraceLog | None = None,
    log_impressions: bool = False,
    concurrency: int = 16,
    mount_ui: bool = True,
    allowed_origins: Sequence[str] = (),
    console_origins: Sequence[str] = (),
    sessions: SessionSigner | None = None,
    lookup_policy: LookupPolicy | None = None,
    login_guard: LoginGuard | None = None,
    agents: AgentStore | None = None,
    max_api_body: int = 64 * KIB,
    max_body: int = 1024 * KIB,
) -> FastAPI:
    """The whole web app for one assistant. ``traces`` defaults to a file under ``settings.store_dir``.

    ``allowed_origins``: the sites allowed to embed the chat with the ``<gradio-app>`` web component or call
    the API from their pages (CORS). Empty = this site only: a request with any other ``Origin`` gets 403.
    ``console_origins``: the same for the support console (never opened by ``allowed_origins``).
    ``sessions``: signs session ids (default: the secret from ``signer_for(settings)``). ``lookup_policy``,
    ``login_guard``: the limits on order look-ups and console sign-ins (defaults in :mod:`ui.limits`).
    ``agents``: the console's accounts (default: ``data_dir/agents.sqlite`` when that file exists); the
    console is served when there is an account file or an ``admin_user``, who keeps working as a fallback.
    ``max_api_body`` / ``max_body``: request body caps in bytes for ``/api/*`` / everything else."""
    if traces is None:
        traces = (
            TraceLog(Path(settings.store_dir) / "ui_traces.sqlite")
            if settings.chroma_mode != "ephemeral"
            else TraceLog()
        )
    sessions = sessions or signer_for(settings)
    service = ChatService(assistant, settings.max_message_chars, limiter, traces, log_impressions, sessions)
    session_limiter = RateLimiter(SESSIONS_PER_HOUR, 3600.0)
    # order look-ups and returns: limited per client address, order number and session, audited
    assistant.orders.guard = OrderGuard(traces, sessions.digest, lookup_policy or LookupPolicy())
    login_guard = login_guard or LoginGuard(traces, sessions.digest)
    if agents is None and agents_path(settings).exists():
        agents = AgentStore(agents_path(settings))
    console_on = bool(settings.admin_user) or agents is not None
    # FastAPIOffline: /docs (Swagger UI) loads its script and styles from the fastapi-offline package, not a
    # CDN; /redoc below does too
    api = FastAPIOffline(
        redoc_url=None,
        static_url=DOCS_ASSETS,
        title="Longtail API",
        version="1.0",
        description="Chat with the Longtail shopping assistant, search the catalog (with retrieval "
        "traces) and send product feedback. The chat widget itself is served at `/`.",
    )
    api.add_exception_handler(RequestValidationError, lambda request, exc: validation_answer(exc))
    api.state.service = service
    api.state.sessions = sessions
    api.state.login_guard = login_guard
    if allowed_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=list(allowed_origins),
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Session-Id"],
        )
    # outermost: the body cap, cross-origin refusal, CSRF, cookie flags and the login lock-out (ui.security)
    api.add_middleware(
        WebGuard,
        allowed_origins=list(allowed_origins),
        console_origins=list(console_origins),
        login=login_guard if console_on else None,
        max_body=max_body,
        max_api_body=max_api_body,
    )

    @api.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        """ReDoc from the fastapi-offline package. Its policy keeps images on this site: ReDoc's "powered by"
        logo would be fetched from ReDoc's CDN otherwise (the page makes no request to another host)."""
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{api.openapi_url}",
            title=f"{api.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = "img-src 'self' data:"
        return page

    def issued(session_id: str, request: Request) -> str:
        """``session_id`` when this server issued it; else 403 (and an audit line)."""
        if not sessions.verify(session_id):
            try:
                traces.audit(
                    "session_refused", client_address(request), "", sessions.digest(session_id), "refused"
                )
            except Exception:
                log.exception("could not write the audit log")
            raise HTTPException(status_code=403, detail=FORGED)
        return session_id

    def refuse(session_id: str, message: str) -> None:
        reason = service.refusal(session_id, message)
        if reason:
            status = 413 if len(message) > settings.max_message_chars else 429 if message.strip() else 422
            raise HTTPException(status_code=status, detail=reason)

    @api.post(
        "/api/chat",
        response_model=ChatResponse,
        tags=["chat"],
        responses={
            200: {
                "content": {"application/x-ndjson": {}},
                "description": "With stream=true: one JSON event per line (session, tool_call, products, "
                "policy, text, escalated, error, done).",
            },
            403: {"description": "A session id this server did not issue."},
            413: {"description": "Message (or request body) too long."},
            422: {"description": "Invalid request, e.g. a NaN or negative price filter."},
            429: {"description": "Rate limit."},
        },
    )
    def chat(req: ChatRequest, request: Request):
        """One chat turn. Events: ``products`` (cards with explanation and trace) arrives as soon as retrieval
        returns, then ``text`` chunks, then ``done`` with the whole reply."""
        session_id = issued(req.session_id, request) if req.session_id else sessions.issue("api")
        refuse(session_id, req.message)
        events = service.events(session_id, req.message, _filters(req.filters), client_address(request))
        if not req.stream:
            got = list(events)
            text = next((e["text"] for e in reversed(got) if e["type"] == "done"), "")
            return ChatResponse(session_id=session_id, text=text, events=got)

        def lines() -> Iterator[str]:
            yield json.dumps({"type": "session", "session_id": session_id}) + "\n"
            for event in events:
                yield json.dumps(event, default=str, ensure_ascii=False) + "\n"

        return StreamingResponse(
            lines(),
            media_type="application/x-ndjson",
            headers={"X-Session-Id": session_id, "Cache-Control": "no-store"},
        )

    @api.post("/api/session", response_model=SessionResponse, tags=["chat"], responses={429: {"description":
                                                                                         "Too many new sessions."}})
    def new_session(request: Request) -> SessionResponse:
        """A new conversation's id, signed by this server (``/api/chat`` without a session_id also makes one).
        At most :data:`SESSIONS_PER_HOUR` new ids per client address an hour (each new id could otherwise add one
        impression per item to the exposure counts)."""
        refusal = session_limiter.check(client_address(request))
        if refusal:
            raise HTTPException(status_code=429, detail="Too many new conversations from this address; "
                                                        "please reuse your session id or try again later.")
        return SessionResponse(session_id=sessions.issue("api"))

    @api.get("/api/search", tags=["search"])
    def search(
        request: Request,
        q: str = Query(..., min_length=1, max_length=500, description="What the shopper wants."),
        k: int = Query(10, ge=1, le=50),
        min_price: float | None = Query(None, ge=0, le=MAX_PRICE, allow_inf_nan=False),
        max_price: float | None = Query(None, ge=0, le=MAX_PRICE, allow_inf_nan=False),
        min_rating: float | None = Query(None, ge=0, le=5, allow_inf_nan=False),
        category: str | None = Query(None, max_length=200),
        in_stock: bool | None = None,
        lam: float | None = Query(None, ge=0, le=100, allow_inf_nan=False, description="Long-tail knob."),
        session_id: str | None = Query(None, pattern=r"^[A-Za-z0-9_-]{8,64}$"),
    ) -> dict[str, Any]:
        """Products for a query, each with its card fields and full retrieval trace."""
        sid = issued(session_id, request) if session_id else sessions.issue("api")
        filters = make_filters(min_price, max_price, category, in_stock, min_rating)
        hits = assistant.store.search(q, filters, k=k, lam=lam)
        if hits and session_id:  # exposure counts only for a conversation's own searches, never anonymous ones
            assistant.store.log_impressions(sid, hits, q, source="api")
        return {"session_id": sid, "query": q, "results": [card_from_hit(h) for h in hits]}

    @api.post("/api/feedback", response_model=FeedbackResponse, tags=["feedback"])
    def feedback(req: FeedbackRequest, request: Request) -> FeedbackResponse:
        """Thumbs up / down, or "more like this" (which also returns similar products)."""
        issued(req.session_id, request)
        try:
            message = service.feedback(req.session_id, req.item_id, req.kind)
            cards = (
                service.more_like_this(req.session_id, req.item_id) if req.kind == "more_like_this" else []
            )
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from None
        return FeedbackResponse(ok=True, message=message, cards=cards)

    @api.get("/api/cart", response_model=CartResponse, tags=["cart"])
    def cart(
        request: Request,
        session_id: str = Query(..., pattern=SESSION_ID.pattern, description="The conversation's id."),
    ) -> CartResponse:
        """The session's cart: the products the assistant added (``add_to_cart``), quantities and the total.
        A session without one has an empty cart; an id the server did not issue gets 403."""
        issued(session_id, request)
        return CartResponse(session_id=session_id, **service.cart(session_id))

    @api.get("/api/health", tags=["meta"])
    def health() -> dict[str, Any]:
        return {"ok": True, "store": settings.store, "items": len(assistant.store.db)}

    if not mount_ui:
        return api

    @api.get("/gradio.js", include_in_schema=False)
    def widget_script() -> Any:
        """The ``<gradio-app>`` web component, from this server (the documented embed loads it here)."""
        if not GRADIO_JS.exists():
            return PlainTextResponse(
                f"This Gradio install has no web component loader ({GRADIO_JS}); reinstall gradio "
                f"(`pip install --force-reinstall 'gradio=={gr.__version__}'`) or embed the chat in an "
                "iframe.",
                404,
            )
        # no-cache: after a Gradio upgrade the loader names other hashed assets
        return FileResponse(GRADIO_JS, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    if console_on:
        api.state.agents = agents

        @api.get("/console", include_in_schema=False)
        def console_slash(request: Request) -> RedirectResponse:
            """``/console`` (the URL ``serve`` prints) -> ``/console/``, relative so a path prefix survives."""
            query = request.url.query
            return RedirectResponse("console/" + (f"?{query}" if query else ""), status_code=307)

        console = build_console(assistant, settings, traces, agents)
        gr.mount_gradio_app(
            api,
            console,
            path="/console",
            auth=authenticator(agents, settings),
            auth_message="Support agents only. Sign in with the console credentials.",
            theme=THEME,
            css=APP_CSS + CONSOLE_CSS,
            footer_links=[],
            show_error=False,
            ssr_mode=False,
            mcp_server=False,
        )
    else:

        @api.get("/console", include_in_schema=False)
        def console_off() -> PlainTextResponse:
            return PlainTextResponse(
                "The support console is off: add an agent with `longtail agents add NAME`, or set "
                "admin_user and admin_password (LONGTAIL_ADMIN_USER / LONGTAIL_ADMIN_PASSWORD), and restart.",
                404,
            )

    shop = build_app(assistant, settings, service, concurrency)
    gr.mount_gradio_app(
        api,
        shop,
        path="",
        theme=THEME,
        css=APP_CSS,
        footer_links=["api"],
        show_error=False,
        ssr_mode=False,
        mcp_server=False,
    )
    return api
