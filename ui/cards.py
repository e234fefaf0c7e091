"""Product cards: plain dicts built from search hits, rendered as escaped HTML.

Every piece of item text is escaped (catalogs come from outside), so a product title can never inject markup
or script into the shopper's page. Each card carries real ``<button>`` elements for thumbs up / down and
"more like this" (focusable, Enter/Space work), wired to Python by the app through ``data-fb`` attributes.
The cart panel (:func:`render_cart`) is escaped the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from retrieval.catalog import format_price

FEEDBACK_KINDS = ("up", "down", "more_like_this")
GEM_LABEL = "Hidden gem"


def card_from_hit(hit: Any, explanation: str = "") -> dict[str, Any]:
    """A JSON-safe card for one ``retrieval.SearchHit`` (what the UI draws and the API returns)."""
    item, trace = hit.item, hit.trace
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
        "bucket": trace.bucket,
        "long_tail": bool(trace.long_tail),
        "hidden_gem": bool(trace.long_tail),
        "explanation": explanation,
        "trace": trace.to_dict(),
    }


def cards_from_products(event: Any) -> list[dict[str, Any]]:
    """Cards for an ``assistant.events.Products`` event, in ranking order, with their explanations."""
    return [card_from_hit(h, event.explanations.get(h.item.id, "")) for h in event.hits]


def format_rating(rating: float | None, count: int) -> str:
    if rating is None:
        return "no ratings yet"
    return f"★ {rating:.1f} ({count} rating{'s' if count != 1 else ''})"


def render_card(card: Mapping[str, Any], pressed: Iterable[str] = ()) -> str:
    """One card's HTML; ``pressed`` lists the feedback kinds already given (shown as pressed)."""
    pressed = set(pressed)
    title = escape(str(card["title"]))
    item_id = escape(str(card["id"]), quote=True)
    gem = (
        f'<span class="lt-gem" title="A relevant item few shoppers have seen yet">💎 {GEM_LABEL}</span>'
        if card.get("hidden_gem")
        else ""
    )
    stock = "" if card.get("in_stock", True) else '<span class="lt-oos">out of stock</span>'
    meta = " · ".join(
        p
        for p in (
            f'<span class="lt-price">{escape(format_price(card.get("price"), card.get("currency") or "USD"))}</span>',
            f'<span class="lt-rating">{escape(format_rating(card.get("rating"), int(card.get("rating_count") or 0)))}'
            f"</span>",
            escape(str(card.get("brand") or "")),
        )
        if p
    )
    why = escape(str(card.get("explanation") or ""))
    buttons = []
    for kind, label, aria in (
        ("up", "👍 Good pick", "Good pick"),
        ("down", "👎 Not for me", "Not for me"),
        ("more_like_this", "More like this", "More like this"),
    ):
        state = "true" if kind in pressed else "false"
        buttons.append(
            f'<button type="button" class="lt-fb lt-fb-{kind}" data-fb="{kind}" data-item="{item_id}" '
            f'aria-pressed="{state}" aria-label="{escape(aria, quote=True)}: {title}">{label}</button>'
        )
    return (
        f'<article class="lt-card{" lt-card-gem" if card.get("hidden_gem") else ""}" role="listitem" '
        f'data-item-id="{item_id}" data-bucket="{escape(str(card.get("bucket", "")), quote=True)}">'
        f'<div class="lt-card-head"><h4 class="lt-title">{title}</h4>{gem}</div>'
        f'<div class="lt-meta">{meta} {stock}</div>'
        f'<p class="lt-why">{why}</p>'
        f'<div class="lt-actions">{"".join(buttons)}</div></article>'
    )


def render_cards(
    cards: list[Mapping[str, Any]], feedback: Mapping[str, Iterable[str]] | None = None, heading: str = ""
) -> str:
    """The card panel's HTML (empty string when there are no cards, so the panel collapses)."""
    if not cards:
        return ""
    feedback = feedback or {}
    head = f'<h3 class="lt-cards-heading">{escape(heading)}</h3>' if heading else ""
    body = "".join(render_card(c, feedback.get(str(c["id"]), ())) for c in cards)
    return (
        f'<section class="lt-cards-wrap" aria-label="Recommended products">{head}'
        f'<div class="lt-cards" role="list">{body}</div></section>'
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
.lt-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px; }
.lt-card { border: 1px solid var(--border-color-primary, #ddd); border-radius: 10px; padding: 12px;
           background: var(--background-fill-primary, #fff); display: flex; flex-direction: column; gap: 6px; }
.lt-card-gem { border-color: #7c3aed; box-shadow: 0 0 0 1px #7c3aed33; }
.lt-card-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 8px; }
.lt-title { margin: 0; font-size: 1rem; line-height: 1.3; }
.lt-gem { background: #ede9fe; color: #5b21b6; border-radius: 999px; padding: 2px 8px; font-size: .75rem;
          white-space: nowrap; font-weight: 600; }
.lt-meta { font-size: .85rem; color: var(--body-text-color-subdued, #555); }
.lt-price { font-weight: 700; color: var(--body-text-color, #111); }
.lt-oos { color: #b91c1c; font-weight: 600; }
.lt-why { margin: 0; font-size: .9rem; }
.lt-actions { display: flex; gap: 6px; flex-wrap: wrap; margin-top: auto; }
.lt-fb { border: 1px solid var(--border-color-primary, #ccc); border-radius: 8px; padding: 6px 10px;
         background: var(--button-secondary-background-fill, #f4f4f5); cursor: pointer; min-height: 36px; }
.lt-fb:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
.lt-fb[aria-pressed="true"] { background: #dbeafe; border-color: #2563eb; }
@media (max-width: 480px) { .lt-cards { grid-template-columns: 1fr; } }
.lt-cart-lines { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.lt-cart-line { display: flex; gap: 6px; align-items: baseline; flex-wrap: wrap; font-size: .9rem; }
.lt-cart-title { flex: 1 1 12em; min-width: 0; overflow-wrap: anywhere; }
.lt-cart-total { margin-top: 8px; padding-top: 6px; border-top: 1px solid var(--border-color-primary, #ddd);
                 text-align: right; }
.lt-cart-empty { margin: 0; font-size: .9rem; color: var(--body-text-color-subdued, #555); }
"""

# Event delegation on the component root survives re-renders of the card HTML.
CARDS_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-fb]');
  if (!b) return;
  b.setAttribute('aria-pressed', 'true');
  trigger('click', {item_id: b.dataset.item, kind: b.dataset.fb});
});
"""
