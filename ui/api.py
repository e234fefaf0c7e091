"""The web server: a FastAPI app with the documented HTTP API (OpenAPI at ``/docs`` and ``/openapi.json``),
the support console mounted at ``/console`` behind a login, and the shopper chat at ``/``.

API:
* ``POST /api/chat``: one chat turn. ``stream=true`` (default) answers NDJSON, one event per line, as the
  assistant produces them; ``stream=false`` answers one JSON object with all events and the reply text.
* ``GET /api/search``: products with their retrieval traces (impressions are logged for the session).
* ``POST /api/feedback``: thumbs up / down / more like this on a product.
* ``GET /api/cart``: the session's cart (what the assistant put in it), priced, with the total.
Limits: messages longer than ``settings.max_message_chars`` get 413, too many messages per session get 429,
each with a ``detail`` sentence that says what to do.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import gradio as gr
from fastapi import FastAPI, HTTPException, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel, Field

from .app import APP_CSS, THEME, build_app
from .cards import card_from_hit
from .chat import SESSION_ID, ChatService, make_filters, new_session_id
from .console import build_console
from .limits import RateLimiter
from .tracelog import TraceLog

if TYPE_CHECKING:  # the UI is typed against the assistant, imported only for type checkers
    from assistant import Assistant
    from longtail.config import Settings

log = logging.getLogger(__name__)


class FilterModel(BaseModel):
    min_price: float | None = Field(None, ge=0, description="Lowest price, in the store's currency.")
    max_price: float | None = Field(None, ge=0, description="Highest price, in the store's currency.")
    category: str | None = Field(None, description="Top-level category, e.g. 'Kitchen'.")
    in_stock: bool | None = Field(None, description="Only items in stock when true.")


class ChatRequest(BaseModel):
    message: str = Field(..., description="The shopper's message.", examples=["a gift for a hiker under $60"])
    session_id: str | None = Field(
        None,
        description="Continue this conversation; omit to start a new one (the new id is returned).",
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
    )
    filters: FilterModel | None = None
    stream: bool = Field(True, description="NDJSON stream of events (true) or one JSON answer (false).")


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
    return make_filters(f.min_price, f.max_price, f.category, f.in_stock) if f else None


def create_server(
    assistant: Assistant,
    settings: Settings,
    limiter: RateLimiter | None = None,
    traces: TraceLog | None = None,
    log_impressions: bool = False,
    concurrency: int = 16,
    mount_ui: bool = True,
    allowed_origins: Sequence[str] = (),
) -> FastAPI:
    """The whole web app for one assistant. ``traces`` defaults to a file under ``settings.store_dir``.

    ``allowed_origins``: the sites allowed to embed the chat with the ``<gradio-app>`` web component or call
    the API from their pages (CORS). Empty = Gradio's default: any site when served under a real host name,
    only localhost pages when served on localhost."""
    if traces is None:
        traces = (
            TraceLog(Path(settings.store_dir) / "ui_traces.sqlite")
            if settings.chroma_mode != "ephemeral"
            else TraceLog()
        )
    service = ChatService(assistant, settings.max_message_chars, limiter, traces, log_impressions)
    api = FastAPI(
        title="Longtail API",
        version="1.0",
        description="Chat with the Longtail shopping assistant, search the catalog (with retrieval "
        "traces) and send product feedback. The chat widget itself is served at `/`.",
    )
    api.state.service = service
    if allowed_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=list(allowed_origins),
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Session-Id"],
        )

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
            413: {"description": "Message too long."},
            429: {"description": "Rate limit."},
        },
    )
    def chat(req: ChatRequest):
        """One chat turn. Events: ``products`` (cards with explanation and trace) arrives as soon as retrieval
        returns, then ``text`` chunks, then ``done`` with the whole reply."""
        session_id = req.session_id or new_session_id("api")
        refuse(session_id, req.message)
        events = service.events(session_id, req.message, _filters(req.filters))
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

    @api.get("/api/search", tags=["search"])
    def search(
        q: str = Query(..., min_length=1, max_length=500, description="What the shopper wants."),
        k: int = Query(10, ge=1, le=50),
        min_price: float | None = Query(None, ge=0),
        max_price: float | None = Query(None, ge=0),
        category: str | None = None,
        in_stock: bool | None = None,
        lam: float | None = Query(None, ge=0, description="Long-tail knob."),
        session_id: str | None = Query(None, pattern=r"^[A-Za-z0-9_-]{8,64}$"),
    ) -> dict[str, Any]:
        """Products for a query, each with its card fields and full retrieval trace."""
        hits = assistant.store.search(q, make_filters(min_price, max_price, category, in_stock), k=k, lam=lam)
        sid = session_id or new_session_id("api")
        if hits:
            assistant.store.log_impressions(sid, hits, q, source="api")
        return {"session_id": sid, "query": q, "results": [card_from_hit(h) for h in hits]}

    @api.post("/api/feedback", response_model=FeedbackResponse, tags=["feedback"])
    def feedback(req: FeedbackRequest) -> FeedbackResponse:
        """Thumbs up / down, or "more like this" (which also returns similar products)."""
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
        session_id: str = Query(..., pattern=SESSION_ID.pattern, description="The conversation's id."),
    ) -> CartResponse:
        """The session's cart: the products the assistant added (``add_to_cart``), quantities and the total.
        An unknown session has an empty cart."""
        return CartResponse(session_id=session_id, **service.cart(session_id))

    @api.get("/api/health", tags=["meta"])
    def health() -> dict[str, Any]:
        return {"ok": True, "store": settings.store, "items": len(assistant.store.db)}

    if not mount_ui:
        return api
    if settings.admin_user:
        console = build_console(assistant, settings, traces)
        gr.mount_gradio_app(
            api,
            console,
            path="/console",
            auth=(settings.admin_user, settings.admin_password),
            auth_message="Support agents only. Sign in with the console credentials.",
            theme=THEME,
            css=APP_CSS,
            footer_links=[],
            show_error=False,
            ssr_mode=False,
            mcp_server=False,
        )
    else:

        @api.get("/console", include_in_schema=False)
        def console_off() -> PlainTextResponse:
            return PlainTextResponse(
                "The support console is off: set admin_user and admin_password "
                "(LONGTAIL_ADMIN_USER / LONGTAIL_ADMIN_PASSWORD) and restart.",
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
