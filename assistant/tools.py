"""The assistant's tools: plain typed functions whose docstrings are what the model reads.

Each tool takes a :class:`ToolContext` first (the store, orders, policies and the session; never shown to the
model) and then its own arguments. :func:`tool_specs` builds, from the signatures, the compact descriptions put in
the system prompt and a pydantic model per tool with ``extra="forbid"``: :func:`validate_call` rejects unknown
tools, unknown or missing arguments and wrong types with a message that says how to fix the call.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from typing import Any, Callable, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from retrieval import Filters, SearchHit, Store
from retrieval.catalog import Item

from . import safety
from .cart import Cart
from .orders import OrderBook
from .policies import PolicyIndex


@dataclass
class ToolContext:
    store: Store
    orders: OrderBook
    policies: PolicyIndex
    session_id: str = ""
    escalate: Callable[[str, str], str] | None = None  # (session_id, summary) -> ticket id
    base_filters: Filters = field(default_factory=Filters)  # filters set in the UI, applied to every search
    exclude: tuple[str, ...] = ()  # items never to show (e.g. another data split's)
    seen: tuple[str, ...] = ()  # items already shown in this conversation: ranked lower (see search_products)
    new_first: bool = False  # "show me more": every unseen match before any seen one
    k: int = 5
    cart: Cart = field(default_factory=Cart)  # the conversations' cart (an in-memory one when not given)


class ToolError(ValueError):
    """A tool call the assistant cannot run; the message goes back to the model so it can repair the call."""


# ------------------------------------------------------------------------------------------------ the tools
def search_products(ctx: ToolContext, query: str, max_price: float | None = None, min_price: float | None = None,
                    category: str | None = None, brand: str | None = None,
                    exclude_brands: list[str] | None = None, in_stock: bool | None = None,
                    min_rating: float | None = None) -> list[SearchHit]:
    """Find products in the catalog matching the shopper's words and optional filters (price in the store's
    currency)."""
    if not query.strip():
        raise ToolError("search_products needs a non-empty query, e.g. {\"query\": \"waterproof hiking boots\"}.")
    b = ctx.base_filters
    filters = Filters(
        min_price=_tighter(b.min_price, min_price, max),
        max_price=_tighter(b.max_price, max_price, min),
        category=category or b.category,
        brand=brand or b.brand,
        exclude_brands=tuple(b.exclude_brands) + tuple(exclude_brands or ()),
        in_stock=in_stock if in_stock is not None else b.in_stock,
        min_rating=_tighter(b.min_rating, min_rating, max),
    )
    # what the shopper put in the cart is their history: with the store's purchase model trained, it ranks too
    history = [line["item_id"] for line in ctx.cart.lines(ctx.session_id)] if ctx.session_id else []
    if not ctx.seen:
        return _in_stock_first(ctx.store.search(query, filters, exclude=ctx.exclude, k=ctx.k, history=history))
    # items already shown are ranked lower, not removed: a small catalog never runs dry
    hits = ctx.store.search(query, filters, exclude=ctx.exclude, k=ctx.k + min(len(ctx.seen), 50),
                            history=history)
    seen = set(ctx.seen)
    fresh = [h for h in hits if h.item.id not in seen]
    again = [h for h in hits if h.item.id in seen]
    return _in_stock_first((fresh + again if ctx.new_first else _demote_seen(fresh, again))[:ctx.k])


SEEN_WEIGHT = 0.75  # a shown item goes before an unseen one only when it is clearly closer to the need


def _closeness(hit: SearchHit) -> float:
    return hit.trace.dense_score or 0.0


def _demote_seen(fresh: list[SearchHit], again: list[SearchHit]) -> list[SearchHit]:
    """Both lists in the search's order, merged so that a shown item comes after the unseen ones unless its
    similarity to the need, discounted by :data:`SEEN_WEIGHT`, still beats theirs: "size L" after five helmets
    shows helmets again, not the next-closest footballs."""
    out: list[SearchHit] = []
    while fresh or again:
        if again and (not fresh or SEEN_WEIGHT * _closeness(again[0]) > _closeness(fresh[0])):
            out.append(again.pop(0))
        else:
            out.append(fresh.pop(0))
    return out


def _in_stock_first(hits: list[SearchHit]) -> list[SearchHit]:
    """Out-of-stock items are kept but never before an in-stock one (the order the shopper sees and refers to:
    "the second one")."""
    return [h for h in hits if h.item.in_stock] + [h for h in hits if not h.item.in_stock]


def product_details(ctx: ToolContext, item_id: str) -> dict[str, Any]:
    """Show all details of one product by its id (as shown in the search results) or its title."""
    return _item(ctx, item_id).to_dict()


def compare_products(ctx: ToolContext, item_ids: list[str]) -> list[dict[str, Any]]:
    """Compare two to four products side by side by their ids."""
    if not 2 <= len(item_ids) <= 4:
        raise ToolError(f"compare_products needs 2 to 4 item ids, e.g. {{\"item_ids\": {json.dumps(_example_ids(ctx))}}}.")
    return [product_details(ctx, i) for i in item_ids]


def _example_ids(ctx: ToolContext) -> list[str]:
    """Two of the store's own ids, for messages that show what an id looks like."""
    shown = list(ctx.seen[-2:])
    return shown if len(shown) == 2 else (list(ctx.store.db.items())[:2] or ["ITEM-1", "ITEM-2"])


def policy_lookup(ctx: ToolContext, question: str) -> list[dict[str, str]]:
    """Answer questions about returns, shipping, payment, warranty and order changes from the store policies."""
    if not question.strip():
        raise ToolError("policy_lookup needs the shopper's question.")
    return [p.to_dict() for p in ctx.policies.search(question, k=2)]


def order_status(ctx: ToolContext, order_id: str, email: str) -> dict[str, Any]:
    """Look up an order's status and tracking; needs the order number and the email used to order."""
    return ctx.orders.status(order_id, email)


def start_return(ctx: ToolContext, order_id: str, email: str, item_id: str, reason: str) -> dict[str, Any]:
    """Start a return for one item of a delivered order; needs the order number, the order's email, the item id
    and the reason."""
    return ctx.orders.start_return(order_id, email, item_id, reason)


def escalate_to_human(ctx: ToolContext, summary: str) -> dict[str, Any]:
    """Hand the conversation to a human support agent, with a one-line summary of the problem."""
    if ctx.escalate is None:
        raise ToolError("Escalation is not available in this session.")
    return {"ticket_id": ctx.escalate(ctx.session_id, summary[:500] or "Shopper asked for a human.")}


def add_to_cart(ctx: ToolContext, item_id: str, quantity: int = 1) -> dict[str, Any]:
    """Put a product in the shopper's cart by its id (as shown in the search results) or its title; returns the
    cart."""
    item = _item(ctx, item_id)
    if not item.in_stock:
        raise ToolError(f"Sorry, {item.title} is out of stock right now, so I can't add it to your cart. Ask me "
                        f"for something similar and I'll find one that is in stock.")
    try:
        ctx.cart.add(ctx.session_id, item.id, quantity)
    except (TypeError, ValueError) as exc:
        raise ToolError(str(exc)) from None
    return {"added": {"item_id": item.id, "title": item.title, "quantity": quantity}, **view_cart(ctx)}


def view_cart(ctx: ToolContext) -> dict[str, Any]:
    """Show what is in the shopper's cart: each product with its quantity and price, and the total."""
    return ctx.cart.view(ctx.session_id, ctx.store.db.items())


def remove_from_cart(ctx: ToolContext, item_id: str) -> dict[str, Any]:
    """Take a product out of the shopper's cart by its id or its title; returns the cart."""
    in_cart = [line["item_id"] for line in ctx.cart.lines(ctx.session_id)]
    item = ctx.store.find_item(item_id)
    ref = (item.id if item is not None else item_id.strip()).lower()  # an id gone from the catalog still works
    target = next((i for i in in_cart if i.lower() == ref), None)
    if target is None:
        raise ToolError(f"{item.id if item is not None else repr(item_id)} is not in the cart; "
                        + (f"remove one of: {', '.join(in_cart)}." if in_cart else "the cart is empty."))
    ctx.cart.remove(ctx.session_id, target)
    return {"removed": {"item_id": target, "title": item.title if item is not None else target}, **view_cart(ctx)}


def ask_about_items(ctx: ToolContext, item_ids: list[str], question: str) -> dict[str, Any]:
    """Answer the shopper's question about products already shown (a feature, a value, which one is lighter)
    from their own attributes and description, by their ids; says so when the listing does not."""
    from .answers import answer_question

    if not item_ids or not question.strip():
        raise ToolError("ask_about_items needs the shown items' ids and the question, e.g. "
                        f"{{\"item_ids\": [\"{_example_ids(ctx)[0]}\"], \"question\": \"is it waterproof?\"}}.")
    items = [_item(ctx, i) for i in dict.fromkeys(item_ids)][:5]
    answer = answer_question(question, items, ctx.store.embedder)
    return {"answer": answer.text, "found": answer.found, "items": [i.id for i in items],
            "evidence": [list(e) for e in answer.evidence]}


def _item(ctx: ToolContext, ref: str) -> Item:
    item = ctx.store.find_item(ref)
    if item is None:
        raise ToolError(f"There is no product {ref!r}; use an id from the search results "
                        f"(like {_example_ids(ctx)[0]}) or the product's title.")
    return item


TOOLS: dict[str, Callable[..., Any]] = {f.__name__: f for f in (
    search_products, product_details, compare_products, policy_lookup, order_status, start_return,
    escalate_to_human, add_to_cart, view_cart, remove_from_cart, ask_about_items)}
CART_TOOLS = ("add_to_cart", "view_cart", "remove_from_cart")
TOOL_NAMES = tuple(TOOLS)
# the tools the language model chooses among (those its fine-tuning data has); the dialogue acts run the others
MODEL_TOOLS = ("search_products", "product_details", "compare_products", "policy_lookup", "order_status",
               "start_return", "escalate_to_human")


def _tighter(a: float | None, b: float | None, pick: Callable[[float, float], float]) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return pick(a, b)


# ------------------------------------------------------------------------------------------------ schemas
@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    signature: str  # compact, for the prompt: name(arg: type, opt: type = None)
    model: type[BaseModel]
    required: tuple[str, ...]

    def json_schema(self) -> dict[str, Any]:
        """OpenAI-style function schema (for OpenAI-compatible servers and the fine-tuning data)."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.model.model_json_schema()}}


def _type_name(tp: Any) -> str:
    text = getattr(tp, "__name__", None) if not getattr(tp, "__args__", None) else None
    return text or str(tp).replace("typing.", "").replace(" | None", "")


def _spec(fn: Callable[..., Any]) -> ToolSpec:
    hints = get_type_hints(fn)
    params = list(inspect.signature(fn).parameters.values())[1:]  # drop ctx
    fields: dict[str, Any] = {}
    parts, required = [], []
    for p in params:
        tp = hints[p.name]
        if p.default is inspect.Parameter.empty:
            fields[p.name] = (tp, ...)
            parts.append(f"{p.name}: {_type_name(tp)}")
            required.append(p.name)
        else:
            fields[p.name] = (tp, p.default)
            parts.append(f"{p.name}?: {_type_name(tp)}")
    model = create_model(f"{fn.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields)
    doc = " ".join((fn.__doc__ or "").split())
    return ToolSpec(fn.__name__, doc, f"{fn.__name__}({', '.join(parts)})", model, tuple(required))


SPECS: dict[str, ToolSpec] = {name: _spec(fn) for name, fn in TOOLS.items()}


def tools_prompt(names: tuple[str, ...] = MODEL_TOOLS) -> str:
    """The tool list as it appears in the system prompt: one compact line per tool the model chooses among."""
    return "\n".join(f"- {SPECS[n].signature}: {SPECS[n].description}" for n in names)


def validate_call(name: Any, arguments: Any) -> dict[str, Any]:
    """Validated arguments (defaults dropped), or :class:`ToolError` saying how to fix the call."""
    if name not in SPECS:
        raise ToolError(f"Unknown tool {name!r}. Use one of: {', '.join(TOOL_NAMES)}.")
    if not isinstance(arguments, dict):
        raise ToolError(f"{name}: \"arguments\" must be a JSON object like {{\"query\": \"...\"}}.")
    spec = SPECS[name]
    try:
        parsed = spec.model.model_validate(arguments)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'arguments'}: {e['msg']}"
                             for e in exc.errors())
        raise ToolError(f"Invalid arguments for {spec.signature}: {problems}.") from None
    return parsed.model_dump(exclude_defaults=True)


def run_tool(ctx: ToolContext, name: str, arguments: dict[str, Any]) -> Any:
    """Validate and run one call; raises :class:`ToolError` for anything the model should repair."""
    args = validate_call(name, arguments)
    return TOOLS[name](ctx, **args)


# ------------------------------------------------------------------------------------------------ results
def compact_hit(hit: SearchHit) -> dict[str, Any]:
    item = hit.item
    out: dict[str, Any] = {"id": item.id, "title": item.title}
    if item.price is not None:
        out["price"] = item.price
    if item.rating is not None:
        out["rating"] = item.rating
    return out


def compact_result(name: str, result: Any, limit: int = 3) -> str:
    """The tool result as the model sees it: short JSON, long texts cut, at most ``limit`` products."""
    if name == "search_products":
        content: Any = [compact_hit(h) for h in result[:limit]]
    elif name in ("product_details", "compare_products"):
        rows = result if isinstance(result, list) else [result]
        content = [{k: (safety.strip_instructions(v)[:160] if isinstance(v, str) else v) for k, v in r.items()
                    if k in ("id", "title", "brand", "price", "rating", "rating_count", "attributes", "in_stock",
                             "description")} for r in rows[:4]]
        content = content if isinstance(result, list) else content[0]
    elif name == "policy_lookup":
        content = [{"section": p["section"], "text": p["text"][:400]} for p in result[:limit]]
    elif name in CART_TOOLS:  # titles are catalog text: cut and cleaned like product details
        content = {k: v for k, v in result.items() if k not in ("lines", "added", "removed")}
        for key in ("added", "removed"):
            if key in result:
                content[key] = {k: v for k, v in result[key].items() if k != "title"}
        content["lines"] = [{"item_id": x["item_id"], "title": safety.strip_instructions(x["title"])[:80],
                             "quantity": x["quantity"], "line_total": x["line_total"]} for x in result["lines"][:10]]
    else:
        content = result
    return json.dumps({"name": name, "content": content}, ensure_ascii=False, separators=(",", ":"))
