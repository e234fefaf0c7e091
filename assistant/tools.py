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

from . import safety
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
    exclude: tuple[str, ...] = ()  # items already shown (not repeated unless asked)
    k: int = 5


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
    return ctx.store.search(query, filters, exclude=ctx.exclude, k=ctx.k)


def product_details(ctx: ToolContext, item_id: str) -> dict[str, Any]:
    """Show all details of one product by its id (as shown in the search results) or its title."""
    item = ctx.store.find_item(item_id)
    if item is None:
        raise ToolError(f"There is no product {item_id!r}; use an id from the search results "
                        f"(like {_example_ids(ctx)[0]}) or the product's title.")
    return item.to_dict()


def compare_products(ctx: ToolContext, item_ids: list[str]) -> list[dict[str, Any]]:
    """Compare two to four products side by side by their ids."""
    if not 2 <= len(item_ids) <= 4:
        raise ToolError(f"compare_products needs 2 to 4 item ids, e.g. {{\"item_ids\": {json.dumps(_example_ids(ctx))}}}.")
    return [product_details(ctx, i) for i in item_ids]


def _example_ids(ctx: ToolContext) -> list[str]:
    """Two of the store's own ids, for messages that show what an id looks like."""
    shown = [h for h in ctx.exclude[-2:]]
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


TOOLS: dict[str, Callable[..., Any]] = {f.__name__: f for f in (
    search_products, product_details, compare_products, policy_lookup, order_status, start_return,
    escalate_to_human)}
TOOL_NAMES = tuple(TOOLS)


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


def tools_prompt() -> str:
    """The tool list as it appears in the system prompt: one compact line per tool."""
    return "\n".join(f"- {s.signature}: {s.description}" for s in SPECS.values())


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
    else:
        content = result
    return json.dumps({"name": name, "content": content}, ensure_ascii=False, separators=(",", ":"))
