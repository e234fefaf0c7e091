"""The shopper's chat screen (Gradio Blocks): streaming chat, product cards with feedback buttons, the cart,
filters, example prompts and "start over".

All logic lives in :class:`ui.chat.ChatService`; the callbacks here only map it onto components. Each browser
tab gets its own session id, issued and signed by the server (``service.sessions``) and kept in a ``gr.State``
on the server, so shoppers never see each other's chats and a client cannot pick one.
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

APP_CSS = (
    CARDS_CSS
    + """
#lt-chat { min-height: 320px; }
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

# System fonts only: the default theme would fetch Google Fonts from the shopper's browser.
THEME = gr.themes.Soft(
    primary_hue="violet",
    font=["system-ui", "-apple-system", "Segoe UI", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "monospace"],
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

    def cart_panel(session_id: str) -> tuple[Any, Any]:
        """The cart accordion's new title and contents (re-read after every turn: the turn may have added)."""
        try:
            cart = service.cart(session_id)
        except Exception:
            log.exception("could not read the cart of session %s", session_id)
            return gr.skip(), gr.skip()
        return gr.Accordion(label=cart_label(cart)), render_cart(cart)

    with gr.Blocks(title="Longtail shopping assistant", analytics_enabled=False) as demo:
        session = gr.State("")
        shown = gr.State([])  # the cards on screen (feedback is accepted for these only)
        pressed = gr.State({})  # item id -> feedback kinds given
        agent_seen = gr.State(0)

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
        with gr.Column(elem_id="lt-composer"), gr.Row(equal_height=True, elem_id="lt-composer-row"):
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
            clear = gr.Button("Start over", variant="secondary", scale=1, min_width=64, elem_id="lt-clear")
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
            if not service.sessions.verify(session_id):  # a new tab (or a state this server never issued)
                session_id = service.sessions.issue("web")
            client = getattr(getattr(request, "client", None), "host", None) or "unknown"
            filters = shop_filters(lo, hi, cat, stock)
            try:
                for n, u in enumerate(service.respond(session_id, text or "", history, filters, client)):
                    html = render_cards(u.cards, feedback, u.heading) if u.cards_changed else gr.skip()
                    on_screen = u.cards if u.cards_changed else gr.skip()
                    follow = render_chips(u.chips) if u.cards_changed and u.chips else gr.skip()
                    poll = gr.Timer(active=True) if u.ticket_id else gr.skip()
                    box, contents = cart_panel(session_id) if u.done else (gr.skip(), gr.skip())
                    # the textbox and the feedback note are cleared once, so a click mid-stream keeps its note
                    yield (
                        u.history,
                        html,
                        on_screen,
                        session_id,
                        "" if n == 0 else gr.skip(),
                        poll,
                        "" if n == 0 else gr.skip(),
                        box,
                        contents,
                        follow,
                    )
            except Exception:
                log.exception("chat turn failed")
                yield (
                    [*history, {"role": "assistant", "content": FRIENDLY_ERROR}],
                    gr.skip(),
                    gr.skip(),
                    session_id,
                    "",
                    gr.skip(),
                    "",
                    *cart_panel(session_id),
                    gr.skip(),
                )

        turn_outputs = [chatbot, cards, shown, session, message, timer, status, cart_box, cart_html, chips]
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
            if not service.sessions.verify(session_id) or item_id not in current:
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
            if not session_id:
                return gr.skip(), seen
            replies = service.agent_messages(session_id)
            if len(replies) <= seen:
                return gr.skip(), seen
            return [*history, *[agent_bubble(m) for m in replies[seen:]]], len(replies)

        timer.tick(
            on_tick,
            [session, chatbot, agent_seen],
            [chatbot, agent_seen],
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
                0,
                gr.Timer(active=False),
                "",
                gr.Accordion(label=cart_label(empty_cart)),
                render_cart(empty_cart),
                render_chips(EXAMPLES, "Try asking"),
            )

        clear.click(
            on_clear,
            None,
            [chatbot, cards, shown, pressed, session, agent_seen, timer, status, cart_box, cart_html, chips],
            api_visibility="private",
        )
    demo.queue(default_concurrency_limit=concurrency)
    return demo
