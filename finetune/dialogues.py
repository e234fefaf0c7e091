"""Training dialogues in exactly the assistant's format, with the real tools and the real tool results.

Every example is the list of chat messages the assistant's model sees (``assistant.dialogue``): the system prompt
with the tool list, up to a few earlier turns, the shopper's message, the model's ``<tool_call>`` line, the tool
result (compact JSON inside ``<tool_result>``, run for real against the store, the orders and the policy index),
and the grounded reply. Replies after search / details / compare are written from the returned items and must pass
the assistant's own :class:`~assistant.explain.FactChecker` (an example whose reply does not is dropped); replies
after policy / order / escalation tools and refusals are the assistant's own templates.

Partitioning is enforced here: each example is generated for one part (train, val, test or a fold) from that
part's templates, items (other parts' items are excluded from every search) and customers.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from assistant import safety
from assistant.calls import format_tool_call
from assistant.dialogue import Assistant
from assistant.replies import HISTORY_CHARS, ask_for_order, escalated, order_not_found, system_prompt
from assistant.events import TOOL_RESULT_CLOSE, TOOL_RESULT_OPEN
from assistant.explain import FactChecker, facts_for, matched_terms
from assistant.orders import OrderBook
from assistant.policies import PolicyIndex
from assistant.router import Router
from assistant.tools import ToolContext, ToolError, compact_result, run_tool
from retrieval import Item, SearchHit, Store
from retrieval.catalog import format_amount, format_price

from . import templates as T
from .support import ORDER_INTENTS, SupportPlan, SupportRow, store_values, support_plan

ORDINALS = ("first", "second", "third")
# share of single-turn examples that get an earlier, unrelated search turn as context: after a search the next
# message often changes topic (a policy question, an order, a human) or names a shown item by its id, and the model
# must pick the tool from the new message, not repeat the search
SWITCH_SHARE = 0.3
SWITCH_FAMILIES = frozenset({"policy", "order_status", "order_missing_email", "order_missing_both", "start_return",
                             "escalate", "off_topic", "harmful", "injection", "other_customers"})
SHOWN_ID_SHARE = 0.5  # details / compare by id: share whose ids come from the earlier search's results


def clip(history: list[dict[str, str]]) -> list[dict[str, str]]:
    """Earlier messages as the assistant keeps them (:data:`HISTORY_CHARS` of each)."""
    return [{"role": m["role"], "content": m["content"][:HISTORY_CHARS]} for m in history]


def _price(row: dict[str, Any]) -> str:
    return format_price(row["price"], row.get("currency") or "USD")


def _in_brackets(item: Item) -> str:
    """" ($19.99)" after a title, or nothing when the item has no price."""
    return f" ({format_price(item.price, item.currency)})" if item.price is not None else ""


@dataclass
class Example:
    messages: list[dict[str, str]]
    kind: str  # template family or "bitext:<intent>"
    template: str  # template id
    part: str
    items: tuple[str, ...] = ()  # items whose catalog text appears in the example
    customers: tuple[str, ...] = ()
    train_from: int = 1  # assistant messages before this index are context (not trained)
    source: str = "catalog"

    def key(self) -> str:
        text = json.dumps([[m["role"], " ".join(m["content"].lower().split())] for m in self.messages[1:]])
        return hashlib.sha1(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {"messages": self.messages, "kind": self.kind, "template": self.template, "part": self.part,
                "items": list(self.items), "customers": list(self.customers), "train_from": self.train_from,
                "source": self.source}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Example":
        return cls(d["messages"], d["kind"], d["template"], d["part"], tuple(d.get("items", ())),
                   tuple(d.get("customers", ())), int(d.get("train_from", 1)), d.get("source", "catalog"))


@dataclass
class Sources:
    """The store and its support data, as the assistant sees them."""
    store: Store
    orders: OrderBook
    policies: PolicyIndex
    facts: dict[str, Any]
    items: dict[str, Item] = field(init=False)
    system: str = field(init=False)

    def __post_init__(self) -> None:
        self.items = self.store.db.items()
        self.system = system_prompt(self.facts.get("store_name", self.store.config.name))
        self.checker = FactChecker(self.items, self.store.names)
        self.router = Router(self.items, names=self.store.names)
        self.values = store_values({**self.facts, "order_id_example": self.orders.example_id})
        self.customers: dict[str, list[dict]] = {}
        for oid in self.orders.order_ids():
            order = self.orders.raw(oid) or {}
            self.customers.setdefault(order.get("customer_id", ""), []).append(order)


def ticket_for(session_id: str, summary: str) -> str:
    """Deterministic ticket ids for the data (same shape as the conversation store's)."""
    return "T-" + hashlib.sha1(f"{session_id}|{summary}".encode()).hexdigest()[:8].upper()


def typo(text: str, rng: random.Random) -> str:
    """One or two keyboard slips in words of 5+ letters (swap, drop or double a letter)."""
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    for i in rng.sample(spots, min(len(spots), rng.choice((1, 2)))):
        w, j = words[i], rng.randrange(1, len(words[i]) - 2)
        op = rng.choice(("swap", "drop", "double"))
        words[i] = (w[:j] + w[j + 1] + w[j] + w[j + 2:] if op == "swap" else
                    w[:j] + w[j + 1:] if op == "drop" else w[:j] + w[j] + w[j:])
    return " ".join(words)


class DialogueMaker:
    """Makes examples for one part; ``other_items`` are never shown (they belong to other parts)."""

    def __init__(self, src: Sources, part: str, items: Sequence[str], customers: Sequence[str],
                 other_items: Sequence[str], rng: random.Random):
        self.src, self.part, self.rng = src, part, rng
        self.item_ids = sorted(items)
        self.customer_ids = sorted(c for c in customers if c in src.customers)
        self.other = tuple(other_items)
        self.dropped = 0
        by_leaf: dict[str, list[str]] = {}
        for i in self.item_ids:
            it = src.items[i]
            by_leaf.setdefault(it.category[-1] if it.category else "", []).append(i)
        self.by_leaf = by_leaf

    # -- plumbing ------------------------------------------------------------------------------------------------
    def title(self, item_id: str) -> str:
        """Replies name items by title, as the assistant does."""
        item = self.src.items.get(item_id)
        return item.title if item is not None else item_id

    def ctx(self, exclude: Sequence[str] = ()) -> ToolContext:
        return ToolContext(self.src.store, self.src.orders, self.src.policies, session_id=f"ft-{self.part}",
                           escalate=ticket_for, exclude=self.other + tuple(exclude), k=5)

    def turn(self, name: str, args: dict[str, Any], exclude: Sequence[str] = (),
             mutate: Callable[[str], str] | None = None) -> tuple[list[dict[str, str]], Any]:
        """The assistant's tool call and the real tool result, as two messages; plus the raw result."""
        result = run_tool(self.ctx(exclude), name, args)
        content = compact_result(name, result)
        if mutate is not None:
            content = mutate(content)
        return [{"role": "assistant", "content": format_tool_call(name, args)},
                {"role": "tool", "content": TOOL_RESULT_OPEN + safety.as_data(content) + TOOL_RESULT_CLOSE}], result

    def with_context(self, example: Example | None) -> Example | None:
        """``example`` (single-turn) after an earlier search turn, :data:`SWITCH_SHARE` of the time."""
        if example is None or example.train_from != 1:
            return example
        history, shown = self.maybe_context()
        if not history:
            return example
        hist = clip(history)
        example.messages = [example.messages[0], *hist, *example.messages[1:]]
        example.train_from = 1 + len(hist)
        example.items = tuple(dict.fromkeys([*(i.id for i in shown), *example.items]))
        return example

    def example(self, kind: str, template: str, history: list[dict[str, str]], user: str,
                tail: list[dict[str, str]], items: Sequence[str] = (), customers: Sequence[str] = (),
                source: str = "catalog") -> Example:
        hist = clip(history)
        messages = [{"role": "system", "content": self.src.system}, *hist, {"role": "user", "content": user}, *tail]
        return Example(messages, kind, template, self.part, tuple(dict.fromkeys(items)), tuple(customers),
                       train_from=1 + len(hist), source=source)

    def grounded(self, reply: str, items: Sequence[Item], texts: Sequence[str]) -> bool:
        ok = self.src.checker.check(reply, facts_for(items, texts)).ok
        self.dropped += not ok
        return ok

    # -- replies -------------------------------------------------------------------------------------------------
    # Replies answer what was asked from the tool result and name items by title (never by internal id): the
    # best match and why it fits (the words of the request it carries, the stated budget), a lesser-known find;
    # the details that matter; for a comparison, which one is cheaper and which is rated higher.
    @staticmethod
    def search_reply(hits: Sequence[SearchHit], query: str, args: dict[str, Any] | None = None, said: str = ""
                     ) -> str:
        """``said``: the shopper's words; a price limit is called "your limit" only when they wrote it."""
        if not hits:
            return (f"I found no new matches for \"{query}\" with these filters. Try other words, a wider price "
                    f"range, or ask to see earlier results again.")
        args = args or {}
        a = hits[0].item
        why = []
        terms = matched_terms(query, a)
        if terms:
            why.append(f"it matches {', '.join(terms[:3])}")
        limit = args.get("max_price")
        if limit is not None and a.price is not None and a.price <= limit and f"{limit:g}" in said:
            why.append(f"it is within your {format_amount(limit, a.currency)} limit")
        text = f"{a.title}{_in_brackets(a)} is the closest match" + (f": {' and '.join(why)}." if why else ".")
        if len(hits) > 1:
            b = hits[1].item
            text += (f" For something fewer shoppers have found, try {b.title}{_in_brackets(b)}."
                     if hits[1].trace.long_tail else f" {b.title}{_in_brackets(b)} is another good fit.")
        return text

    @staticmethod
    def details_reply(row: dict[str, Any]) -> str:
        text = f"The {row['title']}" + (f" costs {_price(row)}" if row.get("price") is not None else "")
        if row.get("rating") is not None and row.get("rating_count"):
            text += f"{' and' if row.get('price') is not None else ''} is rated {row['rating']:.1f}/5 by " \
                    f"{row['rating_count']} shopper{'s' if row['rating_count'] != 1 else ''}"
        text += "." if text != f"The {row['title']}" else " is in our catalog."
        attrs = [f"{k.replace('_', ' ')} {v}" for k, v in list(row.get("attributes", {}).items())[:3]
                 if v and len(str(v)) <= 40]
        if attrs:
            text += f" It has {', '.join(attrs)}."
        return text + (" It is in stock." if row.get("in_stock", True) else " It is out of stock right now.")

    @staticmethod
    def compare_reply(rows: list[dict[str, Any]]) -> str:
        priced = [r for r in rows if r.get("price") is not None]
        if len(priced) < 2:
            return " ".join(DialogueMaker.details_reply(r) for r in rows)
        each = [f"the {r['title']} costs {_price(r)}" for r in priced]
        text = ", ".join(each[:-1]) + f" and {each[-1]}"
        cheapest = min(priced, key=lambda r: r["price"])
        text = text[0].upper() + text[1:] + f". The {cheapest['title']} is the cheaper one."
        rated = [r for r in rows if r.get("rating") is not None and r.get("rating_count")]
        if len(rated) >= 2 and len({r["rating"] for r in rated}) > 1:
            best = max(rated, key=lambda r: r["rating"])
            text += f" The {best['title']} is rated higher, {best['rating']:.1f}/5."
        return text

    # -- the product phrase ----------------------------------------------------------------------------------------
    def seed_item(self) -> Item:
        return self.src.items[self.rng.choice(self.item_ids)]

    def search_context(self) -> tuple[list[dict[str, str]], list[Item]]:
        """An earlier search turn (the shopper's request and the reply the assistant gave) and the items it showed;
        empty when the search finds fewer than two items."""
        family = self.rng.choice(("search", "search_price", "search"))
        args, slots = self.search_args(family, self.seed_item())
        hits = run_tool(self.ctx(), "search_products", args)
        if len(hits) < 2:
            return [], []
        user = self.rng.choice(T.FAMILIES[family]).format(**slots)
        reply = self.search_reply(hits, args["query"], args, user)
        return [{"role": "user", "content": user}, {"role": "assistant", "content": reply}], [h.item for h in hits][:3]

    def maybe_context(self, share: float = SWITCH_SHARE) -> tuple[list[dict[str, str]], list[Item]]:
        return self.search_context() if self.rng.random() < share else ([], [])

    def phrase(self, item: Item) -> str:
        leaf = (item.category[-1] if item.category else item.title).lower()
        options = [leaf]
        for key in ("color", "material"):
            value = item.attributes.get(key, "")
            if value and len(value) < 25:
                options.append(f"{value.lower()} {leaf}")
        return self.rng.choice(options)

    @staticmethod
    def nice(value: float, up: bool) -> float:
        step = 5 if value < 100 else 10 if value < 300 else 50
        return float((math.ceil if up else math.floor)(value / step) * step) or float(step)

    def search_args(self, family: str, item: Item) -> tuple[dict[str, Any], dict[str, Any]]:
        """(arguments, slots) for a search family built around ``item``."""
        q = self.phrase(item)
        args: dict[str, Any] = {"query": q}
        slots: dict[str, Any] = {"q": q}
        price = item.price or 50.0
        if family in ("search_price",):
            p = self.nice(price * self.rng.uniform(1.05, 1.6), True)
            args["max_price"], slots["p"] = p, f"{p:g}"
        elif family == "search_range":
            lo, hi = self.nice(price * self.rng.uniform(0.5, 0.9), False), self.nice(price * self.rng.uniform(1.1, 1.5), True)
            args["min_price"], args["max_price"], slots["lo"], slots["hi"] = lo, hi, f"{lo:g}", f"{hi:g}"
        elif family == "search_min":
            p = self.nice(price * self.rng.uniform(0.6, 0.95), False)
            args["min_price"], slots["p"] = p, f"{p:g}"
        elif family == "search_brand" and item.brand:
            args["brand"], slots["brand"] = item.brand, item.brand
        elif family == "search_rating":
            r = self.rng.choice((3.5, 4.0, 4.5))
            args["min_rating"], slots["r"] = r, f"{r:g}"
        elif family == "search_stock":
            args["in_stock"] = True
        return args, slots

    # -- families ----------------------------------------------------------------------------------------------
    def make(self, family: str, index: int) -> Example | None:
        template = T.FAMILIES[family][index]
        tid = f"{family}.{index}"
        try:
            if family.startswith("search"):
                return self._search(family, template, tid)
            if family.startswith("refine"):
                return self._refine(family, template, tid)
            made = getattr(self, "_" + family)(family, template, tid)
            return self.with_context(made) if family in SWITCH_FAMILIES else made
        except ToolError:
            self.dropped += 1
            return None

    def _search(self, family: str, template: str, tid: str) -> Example | None:
        item = self.seed_item()
        fam = "search" if family in ("search_injection",) else family
        args, slots = self.search_args(fam, item)
        if "{brand}" in template and "brand" not in slots:
            return None
        user = template.format(**slots)
        if family != "search_injection" and self.rng.random() < 0.2:
            user = typo(user, self.rng)
        mutate = None
        if family == "search_injection":
            injection = self.rng.choice(T.INJECTIONS)
            mutate = lambda c: re.sub(r'("title":")', lambda m: m.group(1) + injection.replace('"', "'") + " ", c, 1)
        tail, hits = self.turn("search_products", args, mutate=mutate)
        reply = self.search_reply(hits, args["query"], args, user)
        items = [h.item for h in hits][:3]  # what the model sees (compact_result keeps three)
        if family == "search_injection" and not hits:
            return None
        if not self.grounded(reply, items, [user, json.dumps(args)]):
            return None
        return self.example(family, tid, [], user, [*tail, {"role": "assistant", "content": reply}],
                            [i.id for i in items])

    def _refine(self, family: str, template: str, tid: str) -> Example | None:
        first_family = self.rng.choice(("search", "search_price", "search"))
        item = self.seed_item()
        args1, slots = self.search_args(first_family, item)
        user1 = self.rng.choice(T.FAMILIES[first_family]).format(**slots)
        hits1 = run_tool(self.ctx(), "search_products", args1)
        if len(hits1) < 2:
            return None
        reply1 = self.search_reply(hits1, args1["query"], args1, user1)
        shown = [h.item for h in hits1]
        history = [{"role": "user", "content": user1}, {"role": "assistant", "content": reply1}]
        args = dict(args1)
        exclude: list[str] = []
        fill: dict[str, Any] = {}
        if family == "refine_cheaper":
            args["max_price"] = round(min(i.price for i in shown[:2] if i.price is not None) - 0.01, 2)
        elif family == "refine_under":
            p = self.nice(min(i.price or 0 for i in shown[:2]) * self.rng.uniform(0.6, 0.95), False)
            args["max_price"], fill["p"] = p, f"{p:g}"
        elif family == "refine_color":
            leaf_items = self.by_leaf.get(item.category[-1] if item.category else "", [])
            colors = sorted({self.src.items[i].attributes.get("color", "").lower() for i in leaf_items} - {""})
            if not colors:
                return None
            fill["color"] = self.rng.choice(colors)
            args["query"] = f"{args1['query']} {fill['color']}"
        elif family == "refine_not_brand":
            fill["brand"] = shown[0].brand
            args["exclude_brands"] = [shown[0].brand]
            args.pop("brand", None)
        elif family == "refine_more":
            exclude = [i.id for i in shown]
        elif family == "refine_details":
            n = self.rng.randrange(min(3, len(shown)))
            fill["ord"], args = ORDINALS[n], {"item_id": shown[n].id}
        elif family == "refine_compare":
            a, b = sorted(self.rng.sample(range(min(3, len(shown))), 2)) if "{ord}" in template else (0, 1)
            fill["ord"], fill["ord2"], args = ORDINALS[a], ORDINALS[b], {"item_ids": [shown[a].id, shown[b].id]}
        elif family == "refine_more_like":
            n = self.rng.randrange(min(2, len(shown)))
            target = shown[n]
            leaf = target.category[-1] if target.category else ""
            args = {k: v for k, v in args1.items() if k not in ("query", "brand")}
            args = {"query": " ".join(x for x in (target.attributes.get("color", ""), leaf, target.title) if x),
                    **args}
            fill["ord"] = ORDINALS[n]
        user = template.format(**fill)
        name = {"refine_details": "product_details", "refine_compare": "compare_products"}.get(family,
                                                                                               "search_products")
        tail, result = self.turn(name, args, exclude=exclude)
        if name == "search_products":
            reply, items = self.search_reply(result, args["query"], args, user1 + " " + user), [h.item for h in result][:3]
        elif name == "product_details":
            reply, items = self.details_reply(result), [self.src.items[result["id"]]]
        else:
            reply, items = self.compare_reply(result), [self.src.items[r["id"]] for r in result]
        if not self.grounded(reply, items, [user, json.dumps(args)]):
            return None
        return self.example(family, tid, history, user, [*tail, {"role": "assistant", "content": reply}],
                            [i.id for i in shown[:3]] + [i.id for i in items])

    def _details(self, family: str, template: str, tid: str, inject: bool = False) -> Example | None:
        history, shown = self.maybe_context(SHOWN_ID_SHARE)
        item = self.rng.choice(shown) if shown else self.seed_item()
        user = template.format(id=item.id)
        mutate = None
        if inject:
            injection = self.rng.choice(T.INJECTIONS).replace('"', "'")
            mutate = lambda c: c.replace('"description":"', '"description":"' + injection + " ", 1)
        tail, row = self.turn("product_details", {"item_id": item.id}, mutate=mutate)
        reply = self.details_reply(row)
        if not self.grounded(reply, [item], [user]):
            return None
        return self.example(family, tid, history, user, [*tail, {"role": "assistant", "content": reply}],
                            [i.id for i in shown] + [item.id])

    def _item_injection(self, family: str, template: str, tid: str) -> Example | None:
        return self._details(family, template, tid, inject=True)

    def _compare(self, family: str, template: str, tid: str) -> Example | None:
        history, shown = self.maybe_context(SHOWN_ID_SHARE)
        if shown:
            a, b = self.rng.sample(shown, 2)
        else:
            a = self.seed_item()
            leaf = self.by_leaf.get(a.category[-1] if a.category else "", [])
            others = [i for i in leaf if i != a.id] or [i for i in self.item_ids if i != a.id]
            b = self.src.items[self.rng.choice(others)]
        user = template.format(id=a.id, id2=b.id)
        tail, rows = self.turn("compare_products", {"item_ids": [a.id, b.id]})
        reply = self.compare_reply(rows)
        if not self.grounded(reply, [a, b], [user]):
            return None
        return self.example(family, tid, history, user, [*tail, {"role": "assistant", "content": reply}],
                            [i.id for i in shown] + [a.id, b.id])

    def _policy(self, family: str, template: str, tid: str) -> Example | None:
        user = typo(template, self.rng) if self.rng.random() < 0.15 else template
        tail, passages = self.turn("policy_lookup", {"question": user})
        return self.example(family, tid, [], user,
                            [*tail, {"role": "assistant", "content": Assistant._policy_reply(user, passages)}])

    def _order(self) -> tuple[dict[str, Any], str] | None:
        if not self.customer_ids:
            return None
        cid = self.rng.choice(self.customer_ids)
        return self.rng.choice(self.src.customers[cid]), cid

    def _wrong_email(self, right: str) -> str:
        emails = sorted({o["email"] for c in self.customer_ids for o in self.src.customers[c]} - {right})
        return self.rng.choice(emails) if emails else "someone.else@example.com"

    def _order_status(self, family: str, template: str, tid: str) -> Example | None:
        picked = self._order()
        if picked is None:
            return None
        order, cid = picked
        email = order["email"] if self.rng.random() < 0.5 else self._wrong_email(order["email"])
        oid = order["order_id"]
        if self.rng.random() < 0.15:  # shoppers type ids and emails in any case; the call copies what they wrote
            oid, email = self.rng.choice(((oid.lower(), email.upper()), (oid.lower(), email), (oid, email.upper())))
        user = template.format(oid=oid, email=email)
        args = {"order_id": oid, "email": email}
        tail, result = self.turn("order_status", args)
        reply = Assistant._order_reply("order_status", result, self.title)
        return self.example(family, tid, [], user, [*tail, {"role": "assistant", "content": reply}],
                            customers=[cid])

    def _order_missing_email(self, family: str, template: str, tid: str) -> Example | None:
        picked = self._order()
        if picked is None:
            return None
        user = template.format(oid=picked[0]["order_id"])
        reply = ask_for_order(True, False)
        return self.example(family, tid, [], user, [{"role": "assistant", "content": reply}], customers=[picked[1]])

    def _order_missing_both(self, family: str, template: str, tid: str) -> Example | None:
        reply = ask_for_order(False, False, self.src.orders.example_id)
        return self.example(family, tid, [], template, [{"role": "assistant", "content": reply}])

    def _start_return(self, family: str, template: str, tid: str) -> Example | None:
        picked = self._order()
        if picked is None:
            return None
        order, cid = picked
        email = order["email"] if self.rng.random() < 0.6 else self._wrong_email(order["email"])
        item_id = self.rng.choice(order["items"])["item_id"]
        reason = self.rng.choice(T.RETURN_REASONS)
        user = template.format(id=item_id, oid=order["order_id"], email=email, reason=reason)
        args = {"order_id": order["order_id"], "email": email, "item_id": item_id, "reason": reason}
        tail, result = self.turn("start_return", args)
        reply = result.get("message", order_not_found(self.src.orders.example_id))
        return self.example(family, tid, [], user, [*tail, {"role": "assistant", "content": reply}],
                            customers=[cid])

    def _escalate(self, family: str, template: str, tid: str) -> Example | None:
        tail, result = self.turn("escalate_to_human", {"summary": template[:300]})
        reply = escalated(result["ticket_id"])
        return self.example(family, tid, [], template, [*tail, {"role": "assistant", "content": reply}])

    def _refusal(self, family: str, template: str, tid: str) -> Example | None:
        picked = self._order()
        user = template.format(email=picked[0]["email"] if picked else "jane@example.com",
                               oid=picked[0]["order_id"] if picked else self.src.orders.example_id, id=self.seed_item().id)
        kind = safety.classify(user)
        reply = safety.refusal_for(kind if kind != "ok" else "off_topic")
        return self.example(family, tid, [], user, [{"role": "assistant", "content": reply}])

    _off_topic = _harmful = _injection = _other_customers = _refusal

    def _greeting(self, family: str, template: str, tid: str) -> Example | None:
        plan = self.src.router.plan(template)
        return self.example(family, tid, [], template, [{"role": "assistant", "content": plan.reply}])

    # -- Bitext rows -------------------------------------------------------------------------------------------
    def support(self, row: SupportRow) -> Example | None:
        picked = self._order() if row.intent in ("track_order", "cancel_order", "change_order") and \
            self.rng.random() < 0.3 else None
        order = {"order_id": picked[0]["order_id"], "email": picked[0]["email"]} if picked else None
        user, plan = support_plan(row, self.src.values, order)
        if not plan.tool and row.intent in ORDER_INTENTS:
            routed = self.src.router.plan(user)  # "how do I change the address?" is a policy question
            if routed.kind == "tool" and routed.tool == "policy_lookup":
                plan = SupportPlan("policy_lookup", {"question": user}, "")
        kind = f"bitext:{row.intent}"
        customers = [picked[1]] if picked else []
        if not plan.tool:
            return self.example(kind, row.template_id, [], user, [{"role": "assistant", "content": plan.reply}],
                                customers=customers, source="bitext")
        try:
            tail, result = self.turn(plan.tool, plan.arguments)
        except ToolError:
            self.dropped += 1
            return None
        if plan.tool == "policy_lookup":
            reply = Assistant._policy_reply(user, result)
        elif plan.tool == "escalate_to_human":
            reply = escalated(result["ticket_id"])
        else:
            reply = Assistant._order_reply(plan.tool, result, self.title)
        return self.example(kind, row.template_id, [], user, [*tail, {"role": "assistant", "content": reply}],
                            customers=customers, source="bitext")
