"""The shopper's chat screen (Gradio Blocks): streaming chat, product cards with feedback buttons, the cart,
filters, example prompts and "start over", a typing indicator while a turn runs, a retry after a failed one.

All logic lives in :class:`ui.chat.ChatService`; the callbacks here only map it onto components. Each browser
page gets its own session id, issued and signed by the server (``service.sessions``) and kept in a
server-side ``gr.State``, with a copy in the browser's localStorage (``gr.BrowserState``) that a reloaded page
reads back to resume the conversation from the stores (``on_load``). The copy is verified before use: a client
cannot pick an id, and shoppers never see each other's chats.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import uuid
from typing import TYPE_CHECKING, Any

import gradio as gr

from retrieval.catalog import SYMBOLS

from .cards import (CARD_ACTIONS, CARDS_CSS, CARDS_JS, CHIPS_JS, cart_label, render_cards, render_cart,
                    render_chips)
from .chat import FRIENDLY_ERROR, ChatService, agent_bubble, cards_bubble, make_filters

if TYPE_CHECKING:  # the UI is typed against the assistant, imported only for type checkers
    from assistant import Assistant

log = logging.getLogger(__name__)

EXAMPLES = [
    "I need a gift for a friend who loves hiking, under $60",
    "Show me a saucepan that works on induction",
    "What is your return policy?",
    "Where is my order?",
]

SESSION_KEY = "longtail-session"  # the browser's localStorage key for the session id
NO_SESSION = "none"  # the browser's value after "Start over": Gradio's BrowserState never stores an empty one
TYPING = (
    '<div class="lt-typing" role="status" aria-live="polite"><span class="lt-dots" aria-hidden="true">'
    "<i></i><i></i><i></i></span> The assistant is typing…</div>"
)
# after a failed turn, in the same place: a button that sends the message again (the typing area's script)
RETRY = '<button type="button" id="lt-retry" class="lt-retry" data-retry="1">↻ Try again</button>'
RETRY_JS = """
element.addEventListener('click', (e) => {
  if (e.target.closest('button[data-retry]')) trigger('click', {});
});
"""

APP_CSS = (
    CARDS_CSS
    + """
#lt-chat { min-height: 320px; }
#lt-cards { display: none !important; }  /* the card buttons' bridge: nothing to see */
/* a bubble of cards takes the chat's width */
#lt-chat .message-row:has(.lt-cards-wrap) { max-width: 100% !important; width: 100%; box-sizing: border-box; }
#lt-chat .component-wrap:has(.lt-cards-wrap) { width: 100%; max-width: 100% !important; min-width: 0; }
#lt-chat .lt-cards-wrap { box-sizing: border-box; width: calc(100% - 28px); min-width: 0; }
#lt-chat .message.html:has(.lt-cards-wrap) { width: 100%; max-width: 100% !important; padding: 4px 0 !important;
                                             border: none !important; background: none !important; }
#lt-typing:not(:has(.lt-typing)):not(:has(.lt-retry)) { display: none; }  /* Gradio's wrapper is never :empty */
.lt-typing { display: flex; align-items: center; gap: 8px; font-size: .9rem; color: #374151;
             padding: 0 2px 6px; }
.lt-dots { display: inline-flex; gap: 3px; }
.lt-dots i { width: 7px; height: 7px; border-radius: 50%; background: #6d28d9;
             animation: lt-blink 1.2s infinite; }
.lt-dots i:nth-child(2) { animation-delay: .2s; }
.lt-dots i:nth-child(3) { animation-delay: .4s; }
@keyframes lt-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .lt-dots i { animation: none; } }
#lt-composer { gap: 6px !important; }
.lt-retry { border: 1px solid var(--border-color-primary, #ccc); border-radius: 8px; padding: 4px 10px;
             background: var(--button-secondary-background-fill, #f4f4f5); cursor: pointer; font-size: .85rem;
             min-height: 32px; margin-bottom: 6px; }
/* WCAG AA: every focusable thing shows where the keyboard is */
.gradio-container :is(button, a, input, textarea, select, summary, [tabindex]):focus-visible {
  outline: 3px solid #2563eb !important; outline-offset: 2px; }
#lt-status:not(:has(.lt-status)) { display: none; }  /* Gradio's wrapper is never :empty */
.lt-status { padding: 6px 10px; border-radius: 8px; background: #ecfdf5; color: #065f46; }
/* The page (the chat column) scrolls; the composer (message box, Send, Start over) stays at the bottom of the
   viewport, on a phone and in a small iframe too. */
#lt-composer { position: sticky; bottom: 0; z-index: 20; background: var(--background-fill-primary, #fff);
               padding: 8px 0 6px; border-top: 1px solid var(--border-color-primary, #e4e4e7);
               box-shadow: 0 -6px 12px -10px rgba(0, 0, 0, .35); }
.gradio-container, .gradio-container .main, .gradio-container .wrap, .gradio-container .contain,
#lt-root { overflow: visible !important; }
#lt-composer-row { flex-wrap: nowrap !important; gap: 8px; align-items: stretch; }
#lt-chips:empty { display: none; }
@media (max-width: 640px) {
  .gradio-container { padding: 6px !important; }
  #lt-send, #lt-clear { min-width: 64px !important; white-space: nowrap; padding-left: 8px; padding-right: 8px; }
  #lt-clear { font-size: .85rem; }
  #lt-chat { min-height: 220px; }
  #lt-chat { height: min(540px, 62vh) !important; }
  /* the follow-up chips in one row that scrolls sideways, so the chat keeps the height */
  .lt-chips { flex-wrap: nowrap; overflow-x: auto; padding-bottom: 4px; }
  .lt-chip { flex: none; white-space: nowrap; }
}
@media (max-height: 700px) { #lt-chat { height: min(420px, 55vh) !important; } }
"""
)

# System fonts only: the default theme would fetch Google Fonts from the shopper's browser. Colours darkened
# where Soft's fall short of WCAG AA (4.5:1 for text): the Send button's violet-500 (4.2:1 with white), the
# block labels' and form titles' violet-500 on violet-100 (3.6:1), the footer's gray-400 (2.4:1).
THEME = gr.themes.Soft(
    primary_hue="violet",
    font=["system-ui", "-apple-system", "Segoe UI", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "monospace"],
).set(
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    block_label_text_color="*primary_700",
    block_title_text_color="*primary_700",
    body_text_color_subdued="*neutral_600",
)


def price_box(value: Any) -> float | None:
    """A price typed in a filter box ("40", "$40", "1,200.50"); None when empty or not a number."""
    if value is None:
        return None
    text = re.sub(r"[^\d.]", "", str(value).replace(",", ""))
    try:
        return float(text) if text else None
    except ValueError:
        return None


def shop_filters(lo: Any, hi: Any, cat: str, stock: bool):
    """The Filters panel's filters: None until the shopper sets one."""
    return make_filters(price_box(lo), price_box(hi), cat, stock)


@functools.cache
def _html_props() -> dict[str, Any]:
    return gr.HTML("", render=False).get_config()


def html_content(html: str) -> dict[str, Any]:
    """A chat message's content that the Chatbot shows as an HTML component: our own markup, not sanitised
    (:func:`ui.cards.render_cards` escapes every item text), so the cards keep their buttons. Written as
    Gradio's component message, so no component is built for it on every streamed update."""
    return {
        "type": "component",
        "component": "html",
        "value": html,
        "constructor_args": {"render": False},
        "props": {**_html_props(), "value": html},
    }


def screen(
    history: list[dict[str, Any]], feedback: dict[str, Any], rendered: dict[int, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The chat history as the Chatbot shows it: each cards entry (:func:`ui.chat.cards_bubble`) rendered,
    with the buttons already pressed shown pressed; everything else as it is. ``rendered`` keeps each entry's
    rendering for the next update of the same turn (its cards do not change while its words stream)."""
    rendered = {} if rendered is None else rendered

    def shown(m: dict[str, Any]) -> dict[str, Any]:
        if id(m) not in rendered:
            html = render_cards(m["cards"], feedback, m.get("heading", ""), m.get("chips", ()))
            rendered[id(m)] = {"role": m["role"], "content": html_content(html)}
        return rendered[id(m)]

    return [shown(m) if "cards" in m else m for m in history]


def on_cards(shown: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every card the conversation shows after ``new`` arrived (a card shown twice: its newest data)."""
    merged = {str(c["id"]): c for c in shown or []}
    merged.update({str(c["id"]): c for c in new})
    return list(merged.values())


def status_html(text: str) -> str:
    from html import escape

    return f'<div class="lt-status" role="status" aria-live="polite">{escape(text)}</div>' if text else ""


def build_app(
    assistant: Assistant, settings: Any, service: ChatService | None = None, concurrency: int = 16
) -> gr.Blocks:
    """The shopper app for ``assistant`` (queue configured for ``concurrency`` simultaneous turns)."""
    service = service or ChatService(assistant, settings.max_message_chars)
    categories = sorted({i.top_category for i in assistant.store.db.items().values() if i.top_category})
    empty_cart = service.cart("")
    _html_props()  # built here, outside any request: Gradio cannot build a component config inside one

    # bubbles a card button added while that session's answer still streams ("More like this"): the stream
    # repaints the chat from its own history, so it takes them into that history at its next update
    streaming: dict[str, list[dict[str, Any]]] = {}
    streaming_lock = threading.Lock()

    def mine(session_id: Any) -> str:
        """``session_id`` when this server issued it, else "" (the browser's copy may be stale or made up)."""
        return session_id if service.sessions.verify(session_id) else ""

    with gr.Blocks(title="Longtail shopping assistant", analytics_enabled=False) as demo:
        # The page's session id is server-side (gr.State: each page, and each gradio_client Client, is one
        # session; the /chat API keeps its parameters). A copy lives in the browser's localStorage (saved),
        # read once when the page loads, so a reload resumes the conversation; it is signed by the server and
        # checked (mine). The browser state's key is no secret (Gradio sends it to the page), it only has to
        # stay the same across restarts: a digest of the server's session secret.
        session = gr.State("")
        saved = gr.BrowserState("", storage_key=SESSION_KEY, secret=service.sessions.digest("browser-state"))
        shown = gr.State([])  # the cards on screen (feedback is accepted for these only)
        pressed = gr.State({})  # item id -> feedback kinds given
        agent_seen = gr.State(0)
        failed_turn = gr.State(None)  # {"text", "at"}: the message whose turn failed, and where it started
        cart_seen = gr.State(render_cart(empty_cart))  # the cart as the page shows it
        chips_seen = gr.State(render_chips(EXAMPLES, "Try asking"))  # the chips as the page shows them
        ticket = gr.State(False)  # a turn opened a ticket: the screen polls for the agents' replies

        gr.Markdown(
            "## 🛍️ Shopping assistant\nAsk for products or for help with an order. "
            "Picks marked 💎 are relevant items few shoppers have found yet."
        )
        with gr.Accordion("Filters", open=False, elem_id="lt-filters"), gr.Row():
            money = SYMBOLS.get(assistant.profile.currency, assistant.profile.currency)
            # text boxes, empty until the shopper types: an untouched box sends no filter (a gr.Number shows 0
            # and sent it as a $0-$0 range); "$40", "1,200" and "40.5" are read as numbers by price_box
            min_price = gr.Textbox(
                label=f"Min price ({money})",
                placeholder="Any",
                lines=1,
                max_lines=1,
                min_width=120,
                elem_id="lt-min-price",
            )
            max_price = gr.Textbox(
                label=f"Max price ({money})",
                placeholder="Any",
                lines=1,
                max_lines=1,
                min_width=120,
                elem_id="lt-max-price",
            )
            category = gr.Dropdown(
                ["", *categories], value="", label="Category", min_width=160, elem_id="lt-category"
            )
            in_stock = gr.Checkbox(label="In stock only", min_width=120, elem_id="lt-in-stock")
        chatbot = gr.Chatbot(
            label="Chat",
            elem_id="lt-chat",
            height=560,
            buttons=["copy"],
            feedback_options=None,
            placeholder="Ask me anything about our products.",
            group_consecutive_messages=False,
        )
        # no panel: a bridge that carries the card buttons' presses (the cards live in the chat's bubbles)
        cards = gr.HTML("", js_on_load=CARDS_JS, elem_id="lt-cards")
        with gr.Accordion(cart_label(empty_cart), open=False, elem_id="lt-cart") as cart_box:
            cart_html = gr.HTML(render_cart(empty_cart), elem_id="lt-cart-lines")
        status = gr.HTML("", js_on_load=None, elem_id="lt-status")
        # the four examples until the first answer with products; then each answer has its own follow-ups
        chips = gr.HTML(chips_seen.value, js_on_load=CHIPS_JS, elem_id="lt-chips")
        with gr.Column(elem_id="lt-composer"):
            # in the composer, so it stays in view: "typing..." while a turn runs, a retry after a failed one
            typing = gr.HTML("", js_on_load=RETRY_JS, elem_id="lt-typing")
            with gr.Row(equal_height=True, elem_id="lt-composer-row"):
                message = gr.Textbox(
                    show_label=False,
                    placeholder="Type your message and press Enter",
                    scale=8,
                    min_width=140,
                    autofocus=True,
                    elem_id="lt-message",
                    max_length=settings.max_message_chars * 2,
                )
                send = gr.Button("Send", variant="primary", scale=1, min_width=64, elem_id="lt-send")
                clear = gr.Button(
                    "Start over", variant="secondary", scale=1, min_width=64, elem_id="lt-clear"
                )
        timer = gr.Timer(3.0, active=False)

        def cart_update(session_id: str, before: str) -> dict[Any, Any]:
            """The cart accordion's title and contents, and the rendered cart kept for the next turn; nothing
            when the cart is as the page shows it (``before``, its last rendering)."""
            try:
                cart = service.cart(session_id)
            except Exception:
                log.exception("could not read the cart of session %s", session_id)
                return {}
            contents = render_cart(cart)
            if contents == before:
                return {}
            return {cart_box: gr.Accordion(label=cart_label(cart)), cart_html: contents, cart_seen: contents}

        def on_message(
            text: str,
            history: list,
            session_id: str,
            lo: Any,
            hi: Any,
            cat: str,
            stock: bool,
            feedback: dict,
            on_screen: list,
            chips_now: str,
            request: gr.Request,
        ):
            """One turn, streamed. Every update carries a value for each of the screen's streamed outputs: an
            output left out is a "skip", for which Gradio builds a new component per session and update (a
            third of a turn's CPU with ten shoppers at once, `longtail bench ui`). The message box and the
            note are cleared once (a click mid-stream keeps its note); the rest of the screen follows in
            :func:`after_turn`."""
            known = mine(session_id)
            session_id = known or service.sessions.issue("web")  # a new browser, or a stale id
            client = getattr(getattr(request, "client", None), "host", None) or "unknown"
            filters = shop_filters(lo, hi, cat, stock)
            history = history or []
            now, cards_now, chips_html = history, list(on_screen or []), chips_now
            rendered: dict[int, dict[str, Any]] = {}  # this turn's cards bubbles, rendered once
            extra: list[dict[str, Any]] = []
            with streaming_lock:
                streaming[session_id] = []
            try:
                for n, u in enumerate(service.respond(session_id, text or "", history, filters, client)):
                    with streaming_lock:
                        extra += streaming.get(session_id, [])
                        streaming[session_id] = []
                    if extra:  # after the turn's own bubbles, in every later update too
                        u.history = [*u.history, *extra]
                    now = u.history
                    if u.cards_changed:
                        cards_now = on_cards(cards_now, u.cards)
                        if u.cards:  # from now on the follow-ups sit under each answer, not in the row
                            chips_html = ""
                    out: dict[Any, Any] = {
                        chatbot: screen(u.history, feedback, rendered),
                        chips: chips_html,
                        chips_seen: chips_html,
                        typing: (RETRY if u.failed else "") if u.done else TYPING,
                        saved: session_id,
                        shown: cards_now,
                        session: session_id,
                    }
                    if n == 0:
                        out |= {message: "", status: ""}
                    if u.ticket_id:
                        out[ticket] = True
                    if u.done and u.failed:
                        out[failed_turn] = {"text": text, "at": len(history)}
                    yield out
            except Exception:
                log.exception("chat turn failed")
                yield {
                    chatbot: screen([*now, {"role": "assistant", "content": FRIENDLY_ERROR}], feedback,
                                    rendered),
                    chips: chips_html,
                    typing: RETRY,
                    saved: session_id,
                    shown: cards_now,
                    session: session_id,
                    message: "",
                    status: "",
                    failed_turn: {"text": text, "at": len(history)},
                }
            finally:
                with streaming_lock:
                    streaming.pop(session_id, None)

        def after_turn(session_id: str, cart_before: str, polling: bool):
            """The end of a turn: the cart when the turn changed it, polling for a human agent's replies once a
            ticket is open."""
            session_id = mine(session_id)
            out: dict[Any, Any] = {cart_seen: cart_before}  # (never an empty dict: Gradio reads that as a value)
            if polling:
                out[timer] = gr.Timer(active=True)
            return out | (cart_update(session_id, cart_before) if session_id else {})

        turn_outputs = [
            chatbot, chips, typing, saved, shown, session, message, status, failed_turn, ticket, chips_seen
        ]
        turn_inputs = [
            message, chatbot, session, min_price, max_price, category, in_stock, pressed, shown, chips_seen
        ]
        end_inputs = [session, cart_seen, ticket]
        end_outputs = [timer, cart_box, cart_html, cart_seen]

        def turn(trigger: Any, **kwargs: Any) -> None:
            """``trigger`` runs a turn, then :func:`after_turn`. always_last: a message sent while the previous
            answer still streams runs right after it (not dropped)."""
            trigger(on_message, turn_inputs, turn_outputs, trigger_mode="always_last", **kwargs).then(
                after_turn, end_inputs, end_outputs, api_visibility="private", show_progress="hidden"
            )

        turn(message.submit, api_name="chat")
        turn(send.click, api_visibility="private")

        def on_chip(evt: gr.EventData):  # the chip's text becomes the message, then sent as typed
            data = getattr(evt, "_data", None) or {}
            return str(data.get("text", ""))[: settings.max_message_chars]

        turn(chips.click(on_chip, None, message, api_visibility="private", queue=False).then,
             api_visibility="private")

        def on_retry(failed: dict | None, history: list):
            """The failed turn's message back in the box and the chat as it was before it; then sent again."""
            if not failed:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return failed["text"], (history or [])[: failed["at"]], "", None

        turn(typing.click(on_retry, [failed_turn, chatbot], [message, chatbot, typing, failed_turn],
                          api_visibility="private", queue=False).then, api_visibility="private")

        def on_card(
            evt: gr.EventData,
            session_id: str,
            on_screen: list,
            feedback: dict,
            history: list,
            cart_before: str,
            lo: Any,
            hi: Any,
            cat: str,
            stock: bool,
        ):
            """A card's button: add to cart, 👍 / 👎, or more like this (a new bubble with similar items). Each
            answer writes a new value into the bridge, so the page's script puts the keyboard focus back."""
            data = getattr(evt, "_data", None) or {}
            item_id, kind = str(data.get("item_id", "")), str(data.get("kind", ""))
            current = {str(c["id"]): c for c in on_screen or []}
            answered = {cards: f'<span hidden data-press="{uuid.uuid4().hex}"></span>'}
            if not mine(session_id) or item_id not in current or kind not in CARD_ACTIONS:
                gone = "That product is no longer on screen; ask again to see it."
                return answered | {status: status_html(gone)}
            try:
                if kind == "add_to_cart":
                    note = service.add_to_cart(session_id, item_id)
                    return answered | {status: status_html(note)} | cart_update(session_id, cart_before)
                note = service.feedback(session_id, item_id, kind)
                kinds = set(feedback.get(item_id, []))
                if kind in ("up", "down"):  # one or the other, as the buttons show
                    kinds -= {"up", "down"}
                feedback = {**feedback, item_id: sorted({*kinds, kind})}
                answered |= {pressed: feedback}
                if kind != "more_like_this":
                    return answered | {status: status_html(note)}
                more = service.more_like_this(
                    session_id, item_id, shop_filters(lo, hi, cat, stock), shown=tuple(current)
                )
                if not more:
                    none = "I couldn't find anything else quite like that one."
                    return answered | {status: status_html(none)}
                bubble = cards_bubble(more, f"More like “{current[item_id]['title']}”")
                with streaming_lock:
                    if session_id in streaming:  # the streaming answer would paint over it
                        streaming[session_id].append(bubble)
                return answered | {
                    status: status_html(note),
                    shown: on_cards(on_screen, more),
                    chatbot: screen([*(history or []), bubble], feedback),
                }
            except Exception:
                log.exception("card button failed")
                return answered | {status: status_html("Sorry, that didn't work. Please try again.")}

        cards.click(
            on_card,
            [session, shown, pressed, chatbot, cart_seen, min_price, max_price, category, in_stock],
            [status, cards, shown, pressed, chatbot, cart_box, cart_html, cart_seen],
            api_name="feedback",
        )

        def on_tick(session_id: str, history: list, seen: int):
            session_id = mine(session_id)
            if not session_id:
                return gr.skip(), seen
            replies = service.agent_messages(session_id)
            if len(replies) <= seen:
                return gr.skip(), seen
            return [*(history or []), *[agent_bubble(m) for m in replies[seen:]]], len(replies)

        timer.tick(
            on_tick,
            [session, chatbot, agent_seen],
            [chatbot, agent_seen],
            api_visibility="private",
            show_progress="hidden",
        )

        def on_load(session_id: str):  # the id saved in the browser
            """A reloaded page (or a new tab of the same browser): the conversation as the stores have it,
            with the human agents' replies sent meanwhile, the last cards, the cart; polling again if a ticket
            is open."""
            session_id = mine(session_id)
            if not session_id:
                return {saved: NO_SESSION}  # nothing to resume (a stale or made-up id is forgotten)
            try:
                feedback = service.pressed(session_id)
                bubbles = service.history(session_id)
                out = {
                    session: session_id,
                    chatbot: screen(bubbles, feedback),
                    shown: on_cards([], [c for b in bubbles for c in b.get("cards", [])]),
                    agent_seen: len(service.agent_messages(session_id)),
                    timer: gr.Timer(active=service.awaits_agent(session_id)),
                    pressed: feedback,
                }
            except Exception:
                log.exception("could not resume session %s", session_id)
                return {status: status_html("Your earlier conversation could not be loaded; go on here.")}
            if any(b.get("cards") for b in bubbles):  # the follow-ups are under the answers
                out[chips] = out[chips_seen] = ""
            return out | cart_update(session_id, "")

        demo.load(
            on_load,
            [saved],
            [
                session, saved, chatbot, agent_seen, timer, pressed, shown, chips, chips_seen, cart_box,
                cart_html, cart_seen, status,
            ],
            api_visibility="private",
            show_progress="hidden",
        )

        def on_clear():  # a new session: a new, empty cart
            return (
                [],
                "",
                [],
                {},
                "",
                NO_SESSION,
                0,
                gr.Timer(active=False),
                "",
                gr.Accordion(label=cart_label(empty_cart)),
                render_cart(empty_cart),
                render_chips(EXAMPLES, "Try asking"),
                "",
                None,
                render_cart(empty_cart),
                render_chips(EXAMPLES, "Try asking"),
                False,
            )

        clear.click(
            on_clear,
            None,
            [
                chatbot, cards, shown, pressed, session, saved, agent_seen, timer, status, cart_box,
                cart_html, chips, typing, failed_turn, cart_seen, chips_seen, ticket,
            ],
            api_visibility="private",
        )
    demo.queue(default_concurrency_limit=concurrency)
    return demo
