"""The shopper's chat screen (Gradio Blocks): streaming chat, product cards with feedback buttons, the cart,
filters, example prompts and "start over", a typing indicator while a turn runs, a retry after a failed one.

All logic lives in :class:`ui.chat.ChatService`; the callbacks here only map it onto components. Each browser
page gets its own session id, issued and signed by the server (``service.sessions``) and kept in a
server-side ``gr.State``, with a copy in the browser's localStorage (``gr.BrowserState``) that a reloaded page
reads back to resume the conversation from the stores (``on_load``). The copy is verified before use: a client
cannot pick an id, and shoppers never see each other's chats.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import gradio as gr

from retrieval.catalog import SYMBOLS

from .cards import CARDS_CSS, CARDS_JS, CHIPS_JS, cart_label, render_cards, render_cart, render_chips
from .chat import FRIENDLY_ERROR, ChatService, agent_bubble, make_filters

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

APP_CSS = (
    CARDS_CSS
    + """
#lt-chat { min-height: 320px; }
#lt-typing:not(:has(.lt-typing)) { display: none; }  /* Gradio's wrapper is never :empty */
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
#lt-retry { align-self: flex-start; width: auto !important; flex: none !important; }
/* WCAG AA: every focusable thing shows where the keyboard is */
.gradio-container :is(button, a, input, textarea, select, summary, [tabindex]):focus-visible {
  outline: 3px solid #2563eb !important; outline-offset: 2px; }
#lt-status:empty { display: none; }
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
  #lt-chat { height: min(420px, 55vh) !important; }
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

    def mine(session_id: Any) -> str:
        """``session_id`` when this server issued it, else "" (the browser's copy may be stale or made up)."""
        return session_id if service.sessions.verify(session_id) else ""

    def cart_panel(session_id: str) -> tuple[Any, Any]:
        """The cart accordion's new title and contents (re-read after every turn: the turn may have added)."""
        try:
            cart = service.cart(session_id)
        except Exception:
            log.exception("could not read the cart of session %s", session_id)
            return gr.skip(), gr.skip()
        return gr.Accordion(label=cart_label(cart)), render_cart(cart)

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
            height=420,
            buttons=["copy"],
            feedback_options=None,
            placeholder="Ask me anything about our products.",
            group_consecutive_messages=False,
        )
        cards = gr.HTML("", js_on_load=CARDS_JS, elem_id="lt-cards")
        with gr.Accordion(cart_label(empty_cart), open=False, elem_id="lt-cart") as cart_box:
            cart_html = gr.HTML(render_cart(empty_cart), elem_id="lt-cart-lines")
        status = gr.HTML("", js_on_load=None, elem_id="lt-status")
        # the four examples until the first answer with products, then follow-ups built from its results
        chips = gr.HTML(render_chips(EXAMPLES, "Try asking"), js_on_load=CHIPS_JS, elem_id="lt-chips")
        with gr.Column(elem_id="lt-composer"):
            # in the composer, so it stays in view: "typing..." while a turn runs, a retry after a failed one
            typing = gr.HTML("", js_on_load=None, elem_id="lt-typing")
            retry = gr.Button("↻ Try again", visible=False, size="sm", elem_id="lt-retry")
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

        def on_message(
            text: str,
            history: list,
            session_id: str,
            lo: Any,
            hi: Any,
            cat: str,
            stock: bool,
            feedback: dict,
            request: gr.Request,
        ):
            session_id = mine(session_id) or service.sessions.issue("web")  # a new browser, or a stale id
            client = getattr(getattr(request, "client", None), "host", None) or "unknown"
            filters = shop_filters(lo, hi, cat, stock)
            history = history or []
            now = history
            try:
                for n, u in enumerate(service.respond(session_id, text or "", history, filters, client)):
                    now = u.history
                    out: dict[Any, Any] = {chatbot: u.history}
                    if n == 0:  # the textbox and the feedback note are cleared once (a click mid-stream
                        # keeps its note)
                        out |= {
                            session: session_id,
                            saved: session_id,
                            message: "",
                            status: "",
                            typing: "" if u.done else TYPING,
                            retry: gr.Button(visible=False),
                            failed_turn: None,
                        }
                    if u.cards_changed:
                        out |= {cards: render_cards(u.cards, feedback, u.heading), shown: u.cards}
                        if u.chips:
                            out[chips] = render_chips(u.chips)
                    if u.ticket_id:
                        out[timer] = gr.Timer(active=True)
                    if u.done:
                        box, contents = cart_panel(session_id)
                        out |= {typing: "", cart_box: box, cart_html: contents}
                        if u.failed:
                            out[retry] = gr.Button(visible=True)
                            out[failed_turn] = {"text": text, "at": len(history)}
                    yield out
            except Exception:
                log.exception("chat turn failed")
                box, contents = cart_panel(session_id)
                yield {
                    chatbot: [*now, {"role": "assistant", "content": FRIENDLY_ERROR}],
                    session: session_id,
                    saved: session_id,
                    message: "",
                    status: "",
                    typing: "",
                    cart_box: box,
                    cart_html: contents,
                    retry: gr.Button(visible=True),
                    failed_turn: {"text": text, "at": len(history)},
                }

        turn_outputs = [
            chatbot, cards, shown, session, saved, message, timer, status, cart_box, cart_html, chips, typing,
            retry, failed_turn,
        ]
        turn_inputs = [message, chatbot, session, min_price, max_price, category, in_stock, pressed]
        # always_last: a message sent while the previous answer still streams runs right after it (not dropped)
        message.submit(on_message, turn_inputs, turn_outputs, api_name="chat", trigger_mode="always_last")
        send.click(
            on_message, turn_inputs, turn_outputs, api_visibility="private", trigger_mode="always_last"
        )

        def on_chip(evt: gr.EventData):  # the chip's text becomes the message, then sent as typed
            data = getattr(evt, "_data", None) or {}
            return str(data.get("text", ""))[: settings.max_message_chars]

        chips.click(on_chip, None, message, api_visibility="private", queue=False).then(
            on_message, turn_inputs, turn_outputs, api_visibility="private", trigger_mode="always_last"
        )

        def on_retry(turn: dict | None, history: list):
            """The failed turn's message back in the box and the chat as it was before it; then sent again."""
            if not turn:
                return gr.skip(), gr.skip()
            return turn["text"], (history or [])[: turn["at"]]

        retry.click(on_retry, [failed_turn, chatbot], [message, chatbot], api_visibility="private",
                    queue=False).then(
            on_message, turn_inputs, turn_outputs, api_visibility="private", trigger_mode="always_last"
        )

        def on_card(
            evt: gr.EventData,
            session_id: str,
            on_screen: list,
            feedback: dict,
            lo: Any,
            hi: Any,
            cat: str,
            stock: bool,
        ):
            data = getattr(evt, "_data", None) or {}
            item_id, kind = str(data.get("item_id", "")), str(data.get("kind", ""))
            current = {str(c["id"]): c for c in on_screen or []}
            if not mine(session_id) or item_id not in current:
                return (
                    status_html("That product is no longer on screen; ask again to see it."),
                    gr.skip(),
                    gr.skip(),
                    gr.skip(),
                )
            try:
                note = service.feedback(session_id, item_id, kind)
                feedback = {**feedback, item_id: sorted({*feedback.get(item_id, []), kind})}
                if kind != "more_like_this":
                    return status_html(note), render_cards(on_screen, feedback), gr.skip(), feedback
                more = service.more_like_this(
                    session_id, item_id, shop_filters(lo, hi, cat, stock), shown=tuple(current)
                )
                if not more:
                    return (
                        status_html("I couldn't find anything else quite like that one."),
                        render_cards(on_screen, feedback),
                        gr.skip(),
                        feedback,
                    )
                heading = f"More like “{current[item_id]['title']}”"
                return status_html(note), render_cards(more, feedback, heading), more, feedback
            except Exception:
                log.exception("card feedback failed")
                return (
                    status_html("Sorry, that didn't work. Please try again."),
                    gr.skip(),
                    gr.skip(),
                    gr.skip(),
                )

        cards.click(
            on_card,
            [session, shown, pressed, min_price, max_price, category, in_stock],
            [status, cards, shown, pressed],
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
                shown_cards, heading, follow = service.last_cards(session_id)
                feedback = service.pressed(session_id)
                out = {
                    session: session_id,
                    chatbot: service.history(session_id),
                    agent_seen: len(service.agent_messages(session_id)),
                    timer: gr.Timer(active=service.awaits_agent(session_id)),
                    pressed: feedback,
                }
            except Exception:
                log.exception("could not resume session %s", session_id)
                return {status: status_html("Your earlier conversation could not be loaded; go on here.")}
            if shown_cards:
                out |= {cards: render_cards(shown_cards, feedback, heading), shown: shown_cards}
            if follow:
                out[chips] = render_chips(follow)
            out[cart_box], out[cart_html] = cart_panel(session_id)
            return out

        demo.load(
            on_load,
            [saved],
            [
                session, saved, chatbot, agent_seen, timer, pressed, cards, shown, chips, cart_box, cart_html,
                status,
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
                gr.Button(visible=False),
                None,
            )

        clear.click(
            on_clear,
            None,
            [
                chatbot, cards, shown, pressed, session, saved, agent_seen, timer, status, cart_box,
                cart_html, chips, typing, retry, failed_turn,
            ],
            api_visibility="private",
        )
    demo.queue(default_concurrency_limit=concurrency)
    return demo
