"""Product cards: plain dicts built from search hits, rendered as escaped HTML.

Every piece of item text is escaped (catalogs come from outside), so a product title can never inject markup
or script into the shopper's page. Each card carries real ``<button>`` elements for thumbs up / down and
"more like this" (focusable, Enter/Space work), wired to Python by the app through ``data-fb`` attributes.
The cart panel (:func:`render_cart`) is escaped the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import urlsplit

from assistant.explain import gem_reason
from retrieval.catalog import format_amount, format_price

FEEDBACK_KINDS = ("up", "down", "more_like_this")
CARD_ACTIONS = ("add_to_cart", *FEEDBACK_KINDS)  # what a card's buttons send (data-fb)
GEM_LABEL = "Hidden gem"
COLOR_KEYS = ("color", "colour")


def _web(url: Any) -> str:
    """``url`` when it is an http(s) address (anything else, e.g. ``javascript:``, is dropped)."""
    text = str(url or "").strip()
    try:
        return text if urlsplit(text).scheme in ("http", "https") and urlsplit(text).netloc else ""
    except ValueError:
        return ""


def card_from_hit(hit: Any, explanation: str = "") -> dict[str, Any]:
    """A JSON-safe card for one ``retrieval.SearchHit`` (what the UI draws and the API returns)."""
    item, trace = hit.item, hit.trace
    reason = gem_reason(item, trace)
    attributes = getattr(item, "attributes", None) or {}
    return {
        "id": item.id,
        "title": item.title,
        "brand": item.brand,
        "category": item.category_path,
        "price": item.price,
        "currency": item.currency,
        "rating": item.rating,
        "rating_count": item.rating_count,
        "in_stock": item.in_stock,
        "image_url": _web(getattr(item, "image_url", "")),
        "url": _web(getattr(item, "url", "")),
        "color": next((str(attributes[k]) for k in COLOR_KEYS if attributes.get(k)), ""),
        "bucket": trace.bucket,
        "long_tail": bool(trace.long_tail),
        "hidden_gem": bool(reason),
        "gem_reason": reason,
        "explanation": explanation,
        "trace": trace.to_dict(),
    }


def in_stock_first(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``cards`` with the in-stock ones first (each group keeps its ranking order): an out-of-stock item is
    kept, but never the first pick while something in stock was found."""
    return [c for c in cards if c.get("in_stock", True)] + [c for c in cards if not c.get("in_stock", True)]


def cards_from_products(event: Any) -> list[dict[str, Any]]:
    """Cards for an ``assistant.events.Products`` event, in ranking order (in-stock items first), with their
    explanations."""
    return in_stock_first([card_from_hit(h, event.explanations.get(h.item.id, "")) for h in event.hits])


def _cheaper_limit(prices: list[float]) -> float | None:
    """A round limit below the middle shown price (below the cheapest when fewer than three have a price)."""
    prices = sorted(p for p in prices if p is not None and math.isfinite(p) and p > 0)
    if not prices:
        return None
    target = prices[len(prices) // 2] if len(prices) >= 3 else prices[0]
    step = 5 if target <= 50 else 10 if target <= 200 else 50
    limit = math.floor((target - 0.01) / step) * step
    if limit <= 0 or limit >= target:
        return None
    return float(limit)


def follow_up_chips(cards: list[Mapping[str, Any]], query: str = "", limit: int = 4) -> list[str]:
    """Follow-up messages built from the shown results: a cheaper range, a colour and a brand that occur in
    them, "compare the first two". Each is a message the shopper can send as is."""
    if not cards:
        return []
    # the topic: the shown items' most common kind ("running shorts"), else the search words
    leaves = [str(c.get("category") or "").split(">")[-1].strip().lower() for c in cards]
    leaves = [x for x in leaves if x]
    topic = max(leaves, key=lambda x: (leaves.count(x), -leaves.index(x))) if leaves else ""
    if not topic:
        topic = re.sub(r"\s+", " ", (query or "").strip())
        topic = re.sub(r"\b(under|below|less than|cheaper than|up to)\b.*$", "", topic, flags=re.I).strip()
    topic = topic or "these"
    chips: list[str] = []
    currency = next((str(c.get("currency") or "USD") for c in cards if c.get("price") is not None), "USD")
    cheaper = _cheaper_limit([c.get("price") for c in cards if c.get("currency", "USD") == currency])
    if cheaper is not None:
        chips.append(f"Show me {topic} under {format_amount(cheaper, currency)}")
    colors = [str(c.get("color") or "").strip().lower() for c in cards]
    color = next((x for x in colors if x), "")
    if color:
        chips.append(f"Show me {topic} in {color}")
    brands = [str(c.get("brand") or "").strip() for c in cards]
    brand = next((b for b in brands if b), "")
    if brand:
        chips.append(f"More from {brand}")
    if len(cards) >= 2:
        chips.append("Compare the first two")
    seen: set[str] = set()
    unique = [c for c in chips if not (c.lower() in seen or seen.add(c.lower()))]
    return unique[:limit]


def render_chips(chips: Iterable[str], label: str = "Suggestions") -> str:
    """The chip row's HTML: real buttons, each sending its text as the shopper's next message."""
    buttons = "".join(
        f'<button type="button" class="lt-chip" data-chip="{escape(c, quote=True)}">{escape(c)}</button>'
        for c in chips
    )
    if not buttons:
        return ""
    return f'<nav class="lt-chips" aria-label="{escape(label, quote=True)}">{buttons}</nav>'


def format_rating(rating: float | None, count: int) -> str:
    if rating is None:
        return "no ratings yet"
    return f"★ {rating:.1f} ({count} rating{'s' if count != 1 else ''})"


def render_card(card: Mapping[str, Any], pressed: Iterable[str] = ()) -> str:
    """One card's HTML; ``pressed`` lists the feedback kinds already given (shown as pressed)."""
    pressed = set(pressed)
    title = escape(str(card["title"]))
    item_id = escape(str(card["id"]), quote=True)
    reason = str(card.get("gem_reason") or "")
    gem = (
        f'<span class="lt-gem" title="{escape(reason or "Well rated, and few shoppers have found it yet", quote=True)}">'
        f"💎 {GEM_LABEL}</span>"
        if card.get("hidden_gem")
        else ""
    )
    image = _web(card.get("image_url"))
    picture = (
        f'<img class="lt-img" src="{escape(image, quote=True)}" alt="{title}" loading="lazy" '
        f'referrerpolicy="no-referrer">'
        if image
        else f'<div class="lt-img lt-img-none" aria-hidden="true">{escape(_initials(card))}</div>'
    )
    link = _web(card.get("url"))
    heading = (
        f'<a class="lt-link" href="{escape(link, quote=True)}" target="_blank" rel="noopener noreferrer">'
        f"{title}</a>"
        if link
        else title
    )
    in_stock = card.get("in_stock", True)
    stock = (
        '<span class="lt-stock lt-ok">In stock</span>' if in_stock else '<span class="lt-oos">Out of stock</span>'
    )
    meta = " · ".join(
        p
        for p in (
            f'<span class="lt-price">{escape(format_price(card.get("price"), card.get("currency") or "USD"))}</span>',
            f'<span class="lt-rating">{escape(format_rating(card.get("rating"), int(card.get("rating_count") or 0)))}'
            f"</span>",
            escape(str(card.get("brand") or "")),
            stock,
        )
        if p
    )
    why = escape(str(card.get("explanation") or ""))
    gem_why = f'<p class="lt-gem-why">{escape(reason)}.</p>' if gem and reason else ""
    buttons = [
        f'<button type="button" class="lt-fb lt-add" data-fb="add_to_cart" data-item="{item_id}" '
        f'aria-label="Add to cart: {title}">🛒 Add to cart</button>'
        if in_stock
        else ""
    ]
    for kind, label, aria in (
        ("up", "👍", "Good pick"),
        ("down", "👎", "Not for me"),
        ("more_like_this", "More like this", "More like this"),
    ):
        state = "true" if kind in pressed else "false"
        buttons.append(
            f'<button type="button" class="lt-fb lt-fb-{kind}" data-fb="{kind}" data-item="{item_id}" '
            f'aria-pressed="{state}" title="{escape(aria, quote=True)}" '
            f'aria-label="{escape(aria, quote=True)}: {title}">{label}</button>'
        )
    classes = "lt-card" + (" lt-card-gem" if gem else "") + ("" if in_stock else " lt-card-oos")
    return (
        f'<article class="{classes}" role="listitem" '
        f'data-item-id="{item_id}" data-bucket="{escape(str(card.get("bucket", "")), quote=True)}">'
        f"{picture}"
        f'<div class="lt-card-head"><h4 class="lt-title">{heading}</h4>{gem}</div>'
        f'<div class="lt-meta">{meta}</div>{gem_why}'
        f'<p class="lt-why">{why}</p>'
        f'<div class="lt-actions">{"".join(buttons)}</div></article>'
    )


def _initials(card: Mapping[str, Any]) -> str:
    """The placeholder's letters: the category's last word (or the title's first) initial, e.g. "R"."""
    words = [w for w in re.split(r"[^\w]+", str(card.get("category") or card.get("title") or "")) if w]
    return words[-1][0].upper() if words else "?"


def render_cards(
    cards: list[Mapping[str, Any]],
    feedback: Mapping[str, Iterable[str]] | None = None,
    heading: str = "",
    chips: Iterable[str] = (),
) -> str:
    """One answer's cards, then its follow-up chips (empty string when there are no cards)."""
    if not cards:
        return ""
    feedback = feedback or {}
    head = f'<h3 class="lt-cards-heading">{escape(heading)}</h3>' if heading else ""
    body = "".join(render_card(c, feedback.get(str(c["id"]), ())) for c in cards)
    return (
        f'<section class="lt-cards-wrap" aria-label="Recommended products">{head}'
        f'<div class="lt-cards" role="list">{body}</div>{render_chips(chips, "Follow-up suggestions")}</section>'
    )


def cart_label(cart: Mapping[str, Any]) -> str:
    """The cart panel's title: "Cart (3)", the number of units in it."""
    return f"Cart ({int(cart.get('count') or 0)})"


def render_cart(cart: Mapping[str, Any]) -> str:
    """The cart panel's HTML for a priced cart (``ChatService.cart``): one row per line, then the total."""
    lines = cart.get("lines") or []
    if not lines:
        return '<p class="lt-cart-empty">Your cart is empty. Ask me to add a product you like.</p>'
    rows = []
    for line in lines:
        price = (
            format_price(line["line_total"], line.get("currency") or "USD")
            if line.get("line_total") is not None
            else "price on request"
        )
        stock = "" if line.get("in_stock", True) else ' <span class="lt-oos">out of stock</span>'
        rows.append(
            f'<li class="lt-cart-line" data-item-id="{escape(str(line["item_id"]), quote=True)}">'
            f'<span class="lt-cart-qty">{int(line["quantity"])} ×</span> '
            f'<span class="lt-cart-title">{escape(str(line["title"]))}</span>{stock} '
            f'<span class="lt-price">{escape(price)}</span></li>'
        )
    return (
        f'<section class="lt-cart" aria-label="Your cart"><ul class="lt-cart-lines">{"".join(rows)}</ul>'
        f'<div class="lt-cart-total">Total: <span class="lt-price">{escape(str(cart.get("total_text", "")))}'
        f"</span></div></section>"
    )


CARDS_CSS = """
.lt-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px; }
.lt-card { border: 1px solid var(--border-color-primary, #ddd); border-radius: 10px; padding: 10px;
           background: var(--background-fill-primary, #fff); display: flex; flex-direction: column; gap: 5px;
           font-size: .9rem; line-height: 1.35; }
.lt-card :is(h3, h4, p) { margin: 0; }
.lt-card img.lt-img { margin: 0; max-height: 140px; }
.lt-card-gem { border-color: #7c3aed; box-shadow: 0 0 0 1px #7c3aed33; }
.lt-img { width: 100%; aspect-ratio: 4 / 3; object-fit: contain; border-radius: 8px; background: #f4f4f5; }
.lt-img-none { display: flex; align-items: center; justify-content: center; font-size: 1.5rem; font-weight: 700;
               color: #6b7280; background: linear-gradient(135deg, #f4f4f5, #e4e4e7); aspect-ratio: 5 / 1; }
.lt-link { color: inherit; text-decoration: underline; text-underline-offset: 2px; }
.lt-link:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
.lt-ok { color: #166534; }
.lt-gem-why { margin: 0; font-size: .85rem; color: #5b21b6; }
.lt-chips { display: flex; flex-wrap: wrap; gap: 8px; }
.lt-chip { border: 1px solid #7c3aed; color: #5b21b6; background: #faf5ff; border-radius: 999px; padding: 6px 12px;
           cursor: pointer; min-height: 36px; font-size: .9rem; }
.lt-chip:hover { background: #ede9fe; }
.lt-chip:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
.lt-card-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 8px; }
.lt-title { margin: 0; font-size: 1rem; line-height: 1.3; }
.lt-gem { background: #ede9fe; color: #5b21b6; border-radius: 999px; padding: 2px 8px; font-size: .75rem;
          white-space: nowrap; font-weight: 600; }
.lt-meta { font-size: .85rem; color: #4b5563; }
.lt-price { font-weight: 700; color: var(--body-text-color, #111); }
.lt-oos { color: #b91c1c; font-weight: 600; }
.lt-why { margin: 0; font-size: .85rem; display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical;
          overflow: hidden; }
.lt-actions { display: flex; gap: 6px; flex-wrap: wrap; margin-top: auto; }
.lt-fb { border: 1px solid var(--border-color-primary, #ccc); border-radius: 8px; padding: 4px 9px;
         background: var(--button-secondary-background-fill, #f4f4f5); cursor: pointer; min-height: 34px;
         font-size: .85rem; line-height: 1.2; margin: 0; }
.lt-add { flex: 1 0 100%; }
.lt-fb:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
.lt-fb[aria-pressed="true"] { background: #dbeafe; border-color: #2563eb; }
.lt-add { background: #5b21b6; border-color: #5b21b6; color: #fff; font-weight: 600; }
.lt-add:hover { background: #4c1d95; }
.lt-cards-wrap { width: 100%; }
.lt-cards-heading { margin: 0 0 8px; font-size: 1rem; }
@media (max-width: 640px) {
  .lt-cards { display: flex; overflow-x: auto; scroll-snap-type: x mandatory; padding-bottom: 6px; }
  .lt-card { flex: 0 0 78%; scroll-snap-align: start; }
  .lt-img-none { aspect-ratio: 4 / 1; font-size: 1.4rem; }
}
.lt-cart-lines { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.lt-cart-line { display: flex; gap: 6px; align-items: baseline; flex-wrap: wrap; font-size: .9rem; }
.lt-cart-title { flex: 1 1 12em; min-width: 0; overflow-wrap: anywhere; }
.lt-cart-total { margin-top: 8px; padding-top: 6px; border-top: 1px solid var(--border-color-primary, #ddd);
                 text-align: right; }
.lt-cart-empty { margin: 0; font-size: .9rem; color: var(--body-text-color-subdued, #555); }
"""

# The cards live in the chat's bubbles; this script runs once in a hidden bridge component and listens on the
# page (event delegation survives every re-render of the chat). A press marks its button at once (👍 / 👎 are
# exclusive) and is sent to Python through the bridge. When the chat re-renders after a press and the keyboard
# focus was lost, it goes back to the same button, or to the newest cards' heading when that button is gone;
# only then, so a new answer never pulls focus out of the message box. The server answers each press by
# writing a new value into the bridge (``watch``).
CARDS_JS = """
let last = null;
document.addEventListener('click', (e) => {
  const b = e.target.closest('#lt-chat button[data-fb]');
  if (!b) return;
  const card = b.closest('.lt-card');
  if (b.dataset.fb === 'up' || b.dataset.fb === 'down') {
    card?.querySelectorAll('button[data-fb="up"], button[data-fb="down"]')
      .forEach((x) => x.setAttribute('aria-pressed', 'false'));
  }
  if (b.hasAttribute('aria-pressed')) b.setAttribute('aria-pressed', 'true');
  last = {item: b.dataset.item, kind: b.dataset.fb};
  trigger('click', {item_id: b.dataset.item, kind: b.dataset.fb});
});
watch('value', () => {
  const was = last;
  last = null;
  setTimeout(() => {
    const now = document.activeElement;
    if (!was || (now && now !== document.body && now.isConnected)) return;
    const chat = document.getElementById('lt-chat');
    if (!chat) return;
    const same = chat.querySelector(`button[data-fb="${was.kind}"][data-item="${CSS.escape(was.item)}"]`);
    const headings = chat.querySelectorAll('.lt-cards-heading');
    const target = same || headings[headings.length - 1];
    if (!target) return;
    if (!same) target.setAttribute('tabindex', '-1');
    target.focus({preventScroll: true});
  }, 50);
});
"""

# A chip sends its text as the shopper's next message: the examples' row above the input and the chips under
# each answer (in the chat's bubbles).
CHIPS_JS = """
document.addEventListener('click', (e) => {
  const b = e.target.closest('#lt-chips button[data-chip], #lt-chat button[data-chip]');
  if (!b) return;
  trigger('click', {text: b.dataset.chip});
});
"""
