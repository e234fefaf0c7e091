"""The shopper chat, without any web framework: one turn of the conversation as a stream of UI updates.

:class:`ChatService` wraps an ``assistant.Assistant`` for the front ends. ``respond`` turns the assistant's
events into Gradio-style message lists and product cards (the Gradio callback only forwards them), ``events``
turns them into JSON-safe dicts (the HTTP API streams them), ``feedback`` / ``more_like_this`` handle the
buttons on the cards and ``cart`` reads the session's cart. ``history`` and ``last_cards`` read a
conversation back from the stores (a reloaded page resumes it). Every path applies the abuse limits and turns
any failure into a friendly sentence (the traceback goes to the server log, never to the shopper);
``Update.failed`` tells the screen to offer a retry.

Session ids come from :attr:`ChatService.sessions` (signed by the server, :mod:`ui.sessions`); each turn runs
with :data:`ui.limits.REQUESTER` set to the client's address and the session, which the order guard reads.
"""

from __future__ import annotations

import contextvars
import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from retrieval import Filters, SearchHit, Trace

from .cards import FEEDBACK_KINDS, card_from_hit, cards_from_products, follow_up_chips, in_stock_first
from .limits import REQUESTER, RateLimiter, Requester, check_message
from .sessions import SessionSigner
from .tracelog import TraceLog

if TYPE_CHECKING:  # the UI is typed against the assistant, imported only for type checkers
    from assistant import Assistant

log = logging.getLogger(__name__)

FRIENDLY_ERROR = (
    "Sorry, something went wrong on our side and I couldn't finish that answer. "
    "Please try again in a moment, or ask for a human agent."
)
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Interaction logged for each kind of card feedback (user = the session); "down" is kept as feedback only,
# because the interaction log counts popularity and a thumbs-down must not make an item more popular.
FEEDBACK_EVENTS = {"up": "like", "more_like_this": "view"}


def valid_session_id(session_id: str) -> bool:
    """The shape of a session id (whether this server issued it is ``ChatService.sessions.verify``)."""
    return bool(SESSION_ID.match(session_id or ""))


def make_filters(
    min_price: float | None = None,
    max_price: float | None = None,
    category: str | None = None,
    in_stock: bool | None = None,
    min_rating: float | None = None,
) -> Filters | None:
    """Filters from the shopper's controls (blank controls mean "no filter"); None when nothing is set.
    A number that is not finite or negative (the chat screen's own inputs) counts as blank; the API refuses
    those with 422 before they get here."""

    def number(value: Any) -> float | None:
        if value in (None, ""):
            return None
        try:
            x = float(value)
        except (TypeError, ValueError):
            return None
        return x if math.isfinite(x) and x >= 0 else None

    lo, hi = number(min_price), number(max_price)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    rating = number(min_rating)
    filters = Filters(
        min_price=lo,
        max_price=hi,
        category=category or None,
        in_stock=True if in_stock else None,
        min_rating=min(rating, 5.0) if rating is not None else None,
    )
    return None if filters.is_empty() else filters


@dataclass
class Update:
    """The state of the chat screen after one step of a turn."""

    history: list[dict[str, Any]]
    cards: list[dict[str, Any]] = field(default_factory=list)
    cards_changed: bool = False
    heading: str = ""
    chips: list[str] = field(default_factory=list)  # follow-up messages built from the cards
    ticket_id: str = ""
    done: bool = False
    failed: bool = False  # the turn ended in an error: the screen offers to send the message again


WORDS_SLOT = {"role": "assistant", "content": "…"}  # the reply's place above its cards until its words come


def cards_heading(query: str, source: str = "chat") -> str:
    if source == "more_like_this":
        return "Similar items"
    return f"Picks for “{query}”" if query else "Picks for you"


def logged_chips(cards: list[dict[str, Any]], query: str, source: str) -> list[str]:
    """The follow-up chips of cards read back from the trace log: those of their answer ("More like this"
    bubbles have none)."""
    return [] if source == "more_like_this" else follow_up_chips(cards, query)


def cards_bubble(cards: list[dict[str, Any]], heading: str, chips: Sequence[str] = ()) -> dict[str, Any]:
    """A reply's cards as an entry of the chat history, with the follow-up chips built from them: the screen
    renders ``cards`` and ``chips`` (its ``content`` is empty, so anything that reads only role and content
    sees no text)."""
    return {"role": "assistant", "content": "", "cards": cards, "heading": heading, "chips": list(chips)}


def policy_bubble(passage: Mapping[str, Any]) -> dict[str, Any]:
    """A store-policy passage the answer rests on, as a titled, collapsible chat bubble."""
    title = " › ".join(x for x in (passage.get("source", ""), passage.get("section", "")) if x)
    return {
        "role": "assistant",
        "content": passage.get("text", ""),
        "metadata": {"title": f"📄 Store policy: {title}", "status": "done"},
    }


def event_to_dict(event: Any) -> dict[str, Any]:
    """A JSON-safe dict for one ``assistant.events`` event (the HTTP API's wire format)."""
    kind = type(event).__name__
    if kind == "ToolCall":
        return {
            "type": "tool_call",
            "name": event.name,
            "arguments": event.arguments,
            "error": event.error,
            "fallback": event.fallback,
        }
    if kind == "Products":
        cards = cards_from_products(event)
        return {
            "type": "products",
            "query": event.query,
            "cards": cards,
            "suggestions": follow_up_chips(cards, event.query),
        }
    if kind == "Policy":
        return {"type": "policy", "passages": list(event.passages)}
    if kind == "Queued":
        return {"type": "queued", "place": event.place, "text": event.text}
    if kind == "TextDelta":
        return {"type": "text", "text": event.text}
    if kind == "Escalated":
        return {"type": "escalated", "ticket_id": event.ticket_id, "summary": event.summary}
    if kind == "Error":
        return {"type": "error", "message": event.message}
    if kind == "Done":
        return {"type": "done", "text": event.text, "message_id": event.message_id}
    return {"type": "unknown", "repr": repr(event)[:200]}


def _as(requester: Requester, events: Iterator[Any]) -> Iterator[Any]:
    """``events``, each step run with :data:`REQUESTER` set to ``requester``. A context of its own, entered for
    every ``next``: the web server may run each step in another worker thread."""
    ctx = contextvars.copy_context()
    ctx.run(REQUESTER.set, requester)
    while True:
        try:
            event = ctx.run(next, events)
        except StopIteration:
            return
        yield event


def agent_bubble(message: dict[str, Any]) -> dict[str, Any]:
    name = message.get("agent") or "Support"
    return {"role": "assistant", "content": f"**{name} (support agent):** {message['content']}"}


class ChatService:
    def __init__(
        self,
        assistant: Assistant,
        max_message_chars: int = 2000,
        limiter: RateLimiter | None = None,
        traces: TraceLog | None = None,
        log_impressions: bool = False,
        sessions: SessionSigner | None = None,
    ):
        """``log_impressions``: log shown cards to the store's impression log here (only when the assistant
        does not already do it, so nothing is counted twice). ``sessions``: issues and verifies session ids
        (a random secret when not given)."""
        self.assistant = assistant
        self.store = assistant.store
        self.conversations = assistant.conversations
        self.max_message_chars = max_message_chars
        self.limiter = limiter or RateLimiter()
        self.traces = traces or TraceLog()
        self.log_impressions = log_impressions
        self.sessions = sessions or SessionSigner()

    # -- limits ------------------------------------------------------------------------------------------
    def refusal(self, session_id: str, message: str) -> str | None:
        """Why this message is not accepted (size, then rate), or None."""
        return check_message(message, self.max_message_chars) or self.limiter.check(session_id)

    # -- one turn for the API -----------------------------------------------------------------------------
    def events(
        self, session_id: str, message: str, filters: Filters | None = None, client: str = "unknown"
    ) -> Iterator[dict[str, Any]]:
        """The turn's events as JSON-safe dicts. Limits must be checked by the caller (the API answers them
        with a status code); failures become an ``error`` event then ``done``. ``client``: the shopper's
        address, for the order look-up limits."""
        try:
            for event in _as(
                Requester(client, session_id), self.assistant.respond(session_id, message, filters)
            ):
                data = event_to_dict(event)
                yield data  # the cards go out first; their traces are logged right after
                if data["type"] == "products":
                    self._shown(session_id, event.query, data["cards"], event.hits, "chat")
        except Exception:
            log.exception("assistant failed for session %s", session_id)
            yield {"type": "error", "message": FRIENDLY_ERROR}
            yield {"type": "done", "text": FRIENDLY_ERROR, "message_id": ""}

    # -- one turn for the chat screen ---------------------------------------------------------------------
    def respond(
        self,
        session_id: str,
        message: str,
        history: list[dict[str, Any]] | None,
        filters: Filters | None = None,
        client: str = "unknown",
    ) -> Iterator[Update]:
        """Stream one turn as screen updates: the user's bubble at once, cards the moment retrieval returns,
        then the reply growing as text arrives. Refusals and failures are bubbles in the chat."""
        history = [dict(m) for m in (history or [])]
        history.append({"role": "user", "content": message})
        refusal = self.refusal(session_id, message)
        if refusal:
            history.append({"role": "assistant", "content": refusal})
            yield Update(history, done=True)
            return
        yield Update(list(history))
        reply: dict[str, Any] | None = None
        reply_at = -1
        # With the cards comes a slot for the words above them ("…" until the text streams in): the cards
        # bubble keeps its place in the list, so each update changes only the words (a bubble inserted above
        # the cards made the chat send and draw them again).
        slot_at: int | None = None
        cards_at: int | None = None

        def place(bubble: dict[str, Any]) -> int:
            """Add ``bubble`` above this turn's words slot and cards (below them: nothing of this turn)."""
            nonlocal slot_at, cards_at
            above = slot_at if slot_at is not None else cards_at
            if above is None:
                history.append(bubble)
                return len(history) - 1
            history.insert(above, bubble)
            slot_at, cards_at = (None if slot_at is None else slot_at + 1), (cards_at or 0) + 1
            return above

        def fill(bubble: dict[str, Any]) -> int:
            """``bubble`` in the words slot when there is one (the words of this turn), else placed."""
            nonlocal slot_at
            if slot_at is None:
                return place(bubble)
            at, slot_at = slot_at, None
            history[at] = bubble
            return at

        failed = False
        update = Update(history)
        for data in self.events(session_id, message, filters, client):
            kind = data["type"]
            update = Update(history, failed=failed)
            if kind == "products":
                update.cards, update.cards_changed = data["cards"], True
                update.chips = list(data.get("suggestions") or follow_up_chips(data["cards"], data["query"]))
                update.heading = cards_heading(data["query"])
                if data["cards"]:
                    if reply is None and slot_at is None:
                        history.append(dict(WORDS_SLOT))
                        slot_at = len(history) - 1
                    history.append(cards_bubble(data["cards"], update.heading, update.chips))
                    cards_at = len(history) - 1
            elif kind == "policy":
                for p in data["passages"]:
                    place(policy_bubble(p))
                reply = None
            elif kind == "queued":  # the place in the model's line, under the words so far, until more come
                if reply is None:
                    reply = {"role": "assistant", "content": ""}
                    reply_at = fill(reply)
                words = reply["content"]
                history[reply_at] = {"role": "assistant", "content": f"{words}\n\n{data['text']}" if words
                                     else data["text"]}
            elif kind == "text":  # a new dict each time: earlier updates keep the text they had
                if reply is None:
                    reply = {"role": "assistant", "content": ""}
                    reply_at = fill(reply)
                reply = {"role": "assistant", "content": reply["content"] + data["text"]}
                history[reply_at] = reply
            elif kind == "escalated":  # the assistant's own reply says so; the screen starts polling
                update.ticket_id = data["ticket_id"]
            elif kind == "error":
                error = {"role": "assistant", "content": data["message"]}
                if reply is not None and not reply["content"]:  # only a place in line was showing
                    history[reply_at] = error
                else:
                    if reply is not None:
                        history[reply_at] = reply
                    fill(error)
                reply = None
                failed = True
            elif kind == "done":
                if reply is not None:
                    history[reply_at] = reply  # no place in line left on screen
                if (
                    reply is None
                    and not failed  # the error bubble already said it
                    and data["text"]
                    and not any(
                        m["role"] == "assistant" and m.get("content") == data["text"] for m in history[-3:]
                    )
                ):
                    fill({"role": "assistant", "content": data["text"]})
                if slot_at is not None:  # no words came: no empty bubble
                    del history[slot_at]
                    slot_at = None
                update.done = True
            else:
                continue
            update.history, update.failed = list(history), failed
            yield update
        if not update.done:
            yield Update(list(history), done=True, failed=failed)

    def _shown(
        self, session_id: str, query: str, cards: list[dict[str, Any]], hits: list[Any], source: str
    ) -> None:
        try:
            self.traces.log(session_id, query, cards, source)
            if self.log_impressions and hits:
                self.store.log_impressions(session_id, hits, query)
        except Exception:
            log.exception("could not log recommendations for session %s", session_id)

    # -- the buttons on the cards -------------------------------------------------------------------------
    def feedback(self, session_id: str, item_id: str, kind: str) -> str:
        """Record thumbs up/down or "more like this" (feedback table + interaction log); the confirmation."""
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"Unknown feedback kind {kind!r}: use one of {', '.join(FEEDBACK_KINDS)}.")
        item = self.store.db.get(item_id)
        if item is None:
            raise KeyError(f"No product {item_id!r} in this store.")
        first_time = self.conversations.add_feedback(session_id, item_id, kind)
        event = FEEDBACK_EVENTS.get(kind)
        if event and first_time:  # once per item per session: repeating it moves nothing in the ranking
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            self.store.db.add_interactions([(session_id, item_id, event, stamp)])
        return {
            "up": f"Thanks! Noted that you like “{item.title}”.",
            "down": f"Got it, fewer picks like “{item.title}”.",
            "more_like_this": f"More like “{item.title}”:",
        }[kind]

    def add_to_cart(self, session_id: str, item_id: str) -> str:
        """A card's "Add to cart": one unit, by the assistant's own ``add_to_cart`` tool (so its rules hold,
        e.g. nothing out of stock); the confirmation, or why not."""
        from assistant.tools import ToolContext, ToolError, add_to_cart

        a = self.assistant
        ctx = ToolContext(a.store, a.orders, a.policies, session_id, cart=a.conversations.cart)
        try:
            added = add_to_cart(ctx, item_id)["added"]
        except ToolError as exc:
            return str(exc)
        return f"Added “{added['title']}” to your cart."

    def more_like_this(
        self,
        session_id: str,
        item_id: str,
        filters: Filters | None = None,
        shown: tuple[str, ...] = (),
        k: int = 4,
    ) -> list[dict[str, Any]]:
        """Cards for items similar to ``item_id`` (its title and category as the query), impressions logged."""
        item = self.store.db.get(item_id)
        if item is None:
            raise KeyError(f"No product {item_id!r} in this store.")
        query = f"{item.title} {item.category[-1] if item.category else ''}".strip()
        hits = self.store.search(query, filters, exclude=(item_id, *shown), k=k)
        cards = []
        for hit in hits:
            why = f"Similar to “{item.title}”"
            if hit.item.category and hit.item.category == item.category:
                why += f", also in {hit.item.category[-1]}"
            cards.append(card_from_hit(hit, why + "."))
        cards = in_stock_first(cards)  # out of stock never first; impressions logged in the order shown
        order = {c["id"]: n for n, c in enumerate(cards)}
        hits = sorted(hits, key=lambda h: order.get(h.item.id, len(order)))
        self.traces.log(session_id, query, cards, "more_like_this")
        if hits:
            self.store.log_impressions(session_id, hits, query)  # this search is ours: always log it
        return cards

    # -- the session's cart --------------------------------------------------------------------------------------
    def cart(self, session_id: str) -> dict[str, Any]:
        """The session's cart, priced: lines (item_id, title, quantity, unit_price, currency, line_total),
        count, total, currency, total_text (see ``assistant.cart.Cart.view``)."""
        return self.conversations.cart.view(session_id, self.store.db.items())

    # -- a human agent's replies reach the shopper ------------------------------------------------------------
    def agent_messages(self, session_id: str) -> list[dict[str, Any]]:
        return [m for m in self.conversations.messages(session_id) if m["role"] == "agent"]

    def awaits_agent(self, session_id: str) -> bool:
        """Whether the session has a ticket that is not closed (the screen then polls for agents' replies)."""
        return any(t["session_id"] == session_id for t in self.conversations.escalations(None)
                   if t["status"] != "closed")

    # -- a conversation read back (the page was reloaded) -------------------------------------------------
    def history(self, session_id: str) -> list[dict[str, Any]]:
        """The conversation as chat bubbles, from the stores: the shopper's messages, the assistant's replies
        (after the store-policy passages they rest on) each followed by the cards it showed (from the trace
        log, with today's item data), and the human agents' replies (also those sent while the page was
        closed). Tool results stay out, as in the live chat; the limits' refusals were never stored."""
        batches = self.traces.batches(session_id)
        bubbles: list[dict[str, Any]] = []

        def cards_until(ts: float) -> None:  # the cards shown before ``ts``, each set as one bubble
            while batches and batches[0]["ts"] <= ts:
                batch = batches.pop(0)
                cards = self._cards(batch["rows"])
                if cards:
                    bubbles.append(cards_bubble(cards, cards_heading(batch["query"], batch["source"]),
                                                logged_chips(cards, batch["query"], batch["source"])))

        for m in self.conversations.messages(session_id):
            if m["role"] == "user":
                cards_until(m["ts"])
            if m["role"] == "agent":
                bubbles.append(agent_bubble(m))
            elif m["role"] in ("user", "assistant") and m["content"]:
                bubbles.extend(policy_bubble(p) for p in m.get("passages") or [])  # what the answer rests on
                bubble = {"role": m["role"], "content": m["content"]}
                if bubble["role"] == "user" and bubbles and bubbles[-1] == bubble:
                    continue  # a failed turn sent again (it stored no reply): shown once, as on screen
                bubbles.append(bubble)
                if m["role"] == "assistant":  # the reply's words, then its cards
                    cards_until(m["ts"])
        cards_until(float("inf"))
        return bubbles

    def _cards(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Cards for logged rows (item_id, explanation, trace), with today's item data; items since removed
        from the store, or logged with another trace format, are left out."""
        cards = []
        for row in rows:
            item = self.store.db.get(row["item_id"])
            try:
                trace = Trace(**row["trace"])
            except TypeError:  # logged by an older version with other trace fields
                trace = None
            if item is not None and trace is not None:
                cards.append(card_from_hit(SearchHit(item, trace), row["explanation"]))
        return cards

    def pressed(self, session_id: str) -> dict[str, list[str]]:
        """The feedback the session gave, as the cards show it: item id -> the kinds pressed."""
        given: dict[str, set[str]] = {}
        for f in self.conversations.feedback(session_id):
            given.setdefault(f["item_id"], set()).add(f["kind"])
        return {item: sorted(kinds) for item, kinds in given.items()}

    def last_cards(self, session_id: str) -> tuple[list[dict[str, Any]], str, list[str]]:
        """The cards the session was shown last (from the trace log, with today's item data), their heading
        and follow-up chips; ([], "", []) when it was shown none."""
        rows = self.traces.last_shown(session_id)
        cards = self._cards(rows)
        if not cards:
            return [], "", []
        query, source = rows[0]["query"], rows[0]["source"]
        return cards, cards_heading(query, source), logged_chips(cards, query, source)
