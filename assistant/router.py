"""The deterministic router: picks the tool and its arguments from the shopper's words and the session state.

It is the safety net under the language model (a 135M model is not reliable at choosing tools): when the
model's tool call is missing or invalid after one repair, the router's plan runs instead. It also carries the
multi-turn refinement logic: "cheaper", "in blue", "more like the second one", "not that brand", "show more".

Session state (a JSON dict kept in the conversation store): ``query``, ``args`` (the last search arguments),
``shown`` (ids of the last results, in order), ``seen`` (every id shown in this session).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from retrieval import Item, ItemNames, StoreProfile

from . import replies
from .orders import EMAIL
from .prices import PriceBounds, read_prices, without_prices

ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
            "fifth": 4, "5th": 4, "last": -1}
ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\b|(?:#|number |no\. ?)(\d)\b",
                     re.IGNORECASE)

ESCALATE = re.compile(r"\b(human|real person|agent|representative|someone (real|from support)|speak (to|with)|"
                      r"talk (to|with)|customer service (staff|team|rep)|support staff|"
                      r"call me|manager|supervisor|complain|complaint)\b", re.IGNORECASE)
ORDER_WORDS = re.compile(r"\b(my order|my package|my parcel|order status|where is|where's|tracking|track|"
                         r"shipped yet|arrive|delivery status|status of)\b", re.IGNORECASE)
RETURN_WORDS = re.compile(r"\b(return|send (it|this) back|refund)\b", re.IGNORECASE)
START_RETURN = re.compile(r"\b(start|begin|open|initiate|make|want|like|need|would like) (a |to )?(return|refund)|"
                          r"\breturn (the|this|item|my)\b|\bsend (it|this|the \w+) back\b", re.IGNORECASE)
POLICY_WORDS = re.compile(
    r"\b(return|returns|refund|refunds|exchange|shipping|ship|deliver|delivery|express|free shipping|warranty|"
    r"guarantee|payment|pay|paypal|credit card|gift card|klarna|installments?|cancel|cancellation|change my order|"
    r"modify|address|international|tax|taxes|damaged|defective|broken|policy|policies|how long|how much does "
    r"shipping|restocking|receipt|invoice|price match)\b", re.IGNORECASE)
# the words a question starts with, as shoppers type them
_ASKING = r"how|hows|hw|what|whats|what's|wat|when|can|could|do|does|is|are|will|where|which|who|why"
QUESTION = re.compile(rf"\?|^({_ASKING})\b", re.IGNORECASE)
# a message that starts as a question ("hows much for ...", "which ones can i ...")
ASKS = re.compile(rf"(?i)^\s*({_ASKING})\b")
COMPARE = re.compile(r"\b(compare|comparison|difference between|versus|vs\.?)\b", re.IGNORECASE)
# the parts of "compare A and B": words first (titles may hold commas), then commas too
LIST_SPLITS = (re.compile(r"(?i)\s+(?:and|vs\.?|versus|with|or|to)\s+"),
               re.compile(r"(?i)\s*(?:,|;|\band\b|\bvs\.?|\bversus\b|\bwith\b|\bor\b|\bto\b)\s*"))
DETAILS = re.compile(r"\b(tell me (more )?about|more (details|info|information)|details (of|on|about|for)|"
                     r"specs?|specifications|what about the|describe)\b", re.IGNORECASE)
CHEAPER = re.compile(r"\b(cheaper|less expensive|lower price|more affordable|on a budget|budget[- ]friendly|"
                     r"too expensive|too pricey|too much money)\b",
                     re.IGNORECASE)
PRICIER = re.compile(r"\b(more expensive|higher end|premium|fancier|better quality)\b", re.IGNORECASE)
MORE_LIKE = re.compile(r"\b(more like|similar to|something like|like the|others like)\b", re.IGNORECASE)
NOT_BRAND = re.compile(r"\b(not|no|other than|without|exclude|hate|don'?t like|avoid)\b.{0,20}\b(that|this|the)?\s*"
                       r"brand\b|\bdifferent brand\b|\banother brand\b", re.IGNORECASE)
SHOW_MORE = re.compile(r"\b(show (me )?more|more options|other options|anything else|something else|"
                       r"more results|next ones?|different ones?)\b", re.IGNORECASE)
AGAIN = re.compile(r"\b(again|show (me )?(those|them|these)|previous results)\b", re.IGNORECASE)
IN_STOCK = re.compile(r"\b(in stock|available now|ships? now)\b", re.IGNORECASE)
GREETING = re.compile(r"^(hi|hello|hey|good (morning|afternoon|evening)|thanks|thank you|thx|ok|okay|great|"
                      r"cool|bye|goodbye)\b[\s!.,]*(there|so much|a lot)?[\s!.]*$", re.IGNORECASE)

RATING = re.compile(r"\b(\d(?:\.\d)?)\s*(?:\+|stars?|star and up|or more stars|and up)\b|\b(?:rated|rating)\s*"
                    r"(?:at least|over|above)?\s*(\d(?:\.\d)?)", re.IGNORECASE)
FILLER = re.compile(
    r"\b(i'?m|i am|i'?d|i would|would|like|looking|look|for|to|buy|find|show|me|some|any|a|an|the|please|can|"
    r"could|you|help|need|want|get|recommend|suggest|search|do|have|got|is|are|there|something|anything|good|"
    r"nice|great|options?|ideas?|what|which|one|ones|with|of|that|it|in stock|also|just|hey|hi|hello|and|my|"
    r"i|we|our|under|below|less than|over|above|between|dollars?|usd|bucks|max|budget)\b", re.IGNORECASE)


@dataclass
class Plan:
    kind: str  # "tool" | "clarify" | "chat"
    tool: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    reply: str = ""  # for clarify/chat
    refinement: str = ""  # which refinement produced the search, if any
    show_again: bool = False
    pending: dict[str, Any] | None = None  # an order look-up waiting for the missing id or email
    act: str = ""  # the dialogue act that produced the plan ("" when the rules alone decided)
    handoff: bool = False  # offer a person after the answer (a problem the policy alone may not solve)
    otherwise: Plan | None = None  # run when an ask_about_items plan finds no answer in the items' data


def ordinal(message: str) -> int | None:
    m = ORDINAL.search(message)
    if not m:
        return None
    if m.group(2):
        return int(m.group(2)) - 1
    return ORDINALS[m.group(1).lower()]


class Router:
    """Deterministic intent + argument extraction over one catalog (ids, order numbers, brands and colours come
    from the store's own data, via its :class:`~retrieval.StoreProfile` and :class:`~retrieval.ItemNames`)."""

    def __init__(self, items: Mapping[str, Item], profile: StoreProfile | None = None,
                 names: ItemNames | None = None):
        self.items = items
        self.profile = profile if profile is not None else StoreProfile.learn(items)
        self.names = names if names is not None else ItemNames(items)
        self.brands = sorted({i.brand for i in items.values() if i.brand}, key=len, reverse=True)
        colors: set[str] = set()
        for value in self.profile.colors:
            colors.add(value)
            colors.update(w for w in value.split() if len(w) > 2)
        colors.update({"blue", "red", "green", "black", "white", "gray", "grey", "pink", "purple", "yellow",
                       "orange", "brown", "silver", "gold", "beige"})
        self.colors = sorted(colors, key=len, reverse=True)

    # -- helpers -----------------------------------------------------------------------------------------------
    def find_brand(self, text: str) -> str | None:
        low = text.lower()
        for brand in self.brands:
            if re.search(r"(?<!\w)" + re.escape(brand.lower()) + r"(?!\w)", low):
                return brand
        return None

    def find_color(self, text: str) -> str | None:
        low = text.lower()
        for color in self.colors:
            if re.search(r"\b(in|color|colour|a)?\s*" + re.escape(color) + r"\b", low):
                return color
        return None

    def item_ids(self, message: str) -> list[str]:
        """Item ids written in the message: catalog ids in any case, then id-shaped tokens the catalog does not
        have (kept as written, so that the tool can say there is no such product)."""
        return self.names.ids_written(message, self.profile.item_ids)

    def referenced(self, message: str, state: Mapping[str, Any], by_title: bool = False) -> str | None:
        """The item a message points at: an id, an ordinal over the last results, (with ``by_title``) its title
        or a distinctive part of it, or None."""
        ids = self.item_ids(message)
        if ids:
            return ids[0]
        shown = state.get("shown") or []
        n = ordinal(message)
        if n is not None and shown and -len(shown) <= n < len(shown):
            return shown[n]
        if by_title:
            return next(iter(self.names.by_title(message, shown)), None)
        return None

    def _parts(self, body: str, state: Mapping[str, Any]) -> list[str]:
        """The items in "A and B (and C)": every separator splits first; when that does not name two items (a
        title with "and" or "with" in it), each single separator is tried as the one between two items."""
        def resolve(part: str) -> str | None:
            return self.referenced(part, state, by_title=True) if part.strip() else None

        for split in LIST_SPLITS:
            ids = [r for r in map(resolve, split.split(body)) if r]
            if len(set(ids)) >= 2:
                return ids
        for split in LIST_SPLITS:
            for m in split.finditer(body):
                left, right = resolve(body[:m.start()]), resolve(body[m.end():])
                if left and right and left != right:
                    return [left, right]
        return []

    def compared(self, message: str, state: Mapping[str, Any]) -> list[str]:
        """The items a comparison names: ids, else each part ("the first and the Billy Summers book") by ordinal
        or title, else the first two (three with "all three") of the last results."""
        shown = state.get("shown") or []
        ids = self._named_items(message, state)
        if len(ids) < 2 and shown and (re.search(r"(?i)\b(first|top) (two|2)\b|\bthose two\b|\bthe two\b|"
                                                 r"\bthem\b|\bthese\b|\bthose\b", message) or not ids):
            ids = shown[:3] if re.search(r"(?i)\b(three|3|all)\b", message) else shown[:2]
        return list(dict.fromkeys(ids))[:4]

    def prices(self, message: str) -> PriceBounds:
        return read_prices(message, self.profile.currency)

    def search_args(self, message: str) -> dict[str, Any]:
        bounds = self.prices(message)
        args: dict[str, Any] = {"query": self.query_text(message, bounds)}
        args.update(bounds.as_args())
        m = RATING.search(message)
        if m:
            value = float(m.group(1) or m.group(2))
            if 0 < value <= 5:
                args["min_rating"] = value
        if IN_STOCK.search(message):
            args["in_stock"] = True
        brand = self.find_brand(message)
        if brand:
            args["brand"] = brand
        return args

    def query_text(self, message: str, bounds: PriceBounds | None = None) -> str:
        text = without_prices(message, bounds if bounds is not None else self.prices(message))
        text = RATING.sub(" ", text)
        words = [w for w in re.findall(r"[\w'&-]+", text) if not FILLER.fullmatch(w)]
        return " ".join(words) or message.strip()

    # -- the plan ----------------------------------------------------------------------------------------------
    def plan(self, message: str, state: Mapping[str, Any] | None = None, act: str | None = None) -> Plan:
        """What to do with ``message``: decided by its dialogue ``act`` (:mod:`assistant.acts`) when one is given,
        else by the rules alone (:meth:`rules_plan`, the fallback and the baseline)."""
        state = state or {}
        if act is None:
            return self.rules_plan(message, state)
        pending = state.get("pending_order") or {}
        order_ids = self.profile.order_ids_in(message)
        email = EMAIL.search(message)
        if pending and (order_ids or email) and act not in ("human", "harmful"):
            # the shopper completes an order look-up started last turn, whatever else the words look like
            plan = self.rules_plan(message, state)
            plan.act = act
            return plan
        plan = self._act_plan(act, message, state, order_ids[0] if order_ids else None,
                              email.group(0) if email else None)
        plan.act = act
        return plan

    def rules_plan(self, message: str, state: Mapping[str, Any]) -> Plan:
        """The regular-expression plan (no act model): ordered rules over the message and the session state."""
        order_ids = self.profile.order_ids_in(message)
        order_id = order_ids[0] if order_ids else None
        email = EMAIL.search(message)
        if GREETING.match(message.strip()):
            return Plan("chat", reply=replies.WELCOME if re.match(r"(?i)(thanks|thank you|thx|bye|goodbye)",
                                                                  message.strip()) else replies.HELLO)
        if ESCALATE.search(message) and not ORDER_WORDS.search(message) or re.search(
                r"(?i)\b(escalate|human agent|live agent)\b", message):
            return Plan("tool", "escalate_to_human", {"summary": message[:300]})
        pending = state.get("pending_order") or {}
        if pending and (order_id or email):  # the shopper completes an order look-up started last turn
            message = f"{pending.get('message', '')} {message}"
            return self._order_plan(message, state, order_id or pending.get("order_id"),
                                    email.group(0) if email else pending.get("email"))
        details = bool(DETAILS.search(message))
        ref = None if order_id else self.referenced(message, state, by_title=details)
        if details and ref and not COMPARE.search(message):  # "about the ... Safety Track Tape": a product
            return Plan("tool", "product_details", {"item_id": ref})
        if order_id or (ORDER_WORDS.search(message) and not POLICY_WORDS.search(message)) or (
                RETURN_WORDS.search(message) and START_RETURN.search(message) and (order_id or email)):
            return self._order_plan(message, state, order_id, email.group(0) if email else None)
        if POLICY_WORDS.search(message) and (QUESTION.search(message) or not self._looks_like_shopping(message)):
            return Plan("tool", "policy_lookup", {"question": message})
        if COMPARE.search(message):
            ids = self.compared(message, state)
            if len(ids) >= 2:
                return Plan("tool", "compare_products", {"item_ids": ids})
        if ref and (details or not (MORE_LIKE.search(message) or NOT_BRAND.search(message)) and (
                self.item_ids(message) or re.search(r"(?i)\b(tell|details|about)\b", message))):
            return Plan("tool", "product_details", {"item_id": ref})
        named = self._named_on_screen(message, state) if ASKS.match(message) else []
        if len(named) == 1 and not COMPARATIVE.search(message):
            # "hows much for the brisa": a question about the one result on screen it names
            return Plan("tool", "ask_about_items", {"item_ids": named, "question": message})
        if state.get("query"):
            refined = self._refine(message, state, ref)
            if refined is not None:
                return refined
        if not self._looks_like_shopping(message) and len(message.split()) <= 2 and not self.find_brand(message):
            if not re.search(r"[a-z]{3,}", message.lower()):
                return Plan("chat", reply=replies.MORE_PLEASE)
        return Plan("tool", "search_products", self.search_args(message),
                    show_again=bool(AGAIN.search(message)))

    @staticmethod
    def _looks_like_shopping(message: str) -> bool:
        return bool(re.search(r"(?i)\b(looking for|need|want|buy|show me|find|recommend|suggest|gift|under \$?\d|"
                              r"any|best)\b", message))

    def _order_plan(self, message: str, state: Mapping[str, Any], order_id: str | None, email: str | None) -> Plan:
        if not order_id or not email:
            return Plan("clarify", reply=replies.ask_for_order(bool(order_id), bool(email),
                                                               self.profile.order_ids.example),
                        pending={"order_id": order_id, "email": email, "message": message[:300]})
        if RETURN_WORDS.search(message) and START_RETURN.search(message):
            item = next(iter(self.item_ids(message)), None)
            if item:
                reason = re.sub(r"(?i)^.*\b(because|since|reason:?|as)\b\s*", "", message).strip()
                reason = reason if reason and reason != message else "not specified"
                return Plan("tool", "start_return", {"order_id": order_id, "email": email,
                                                     "item_id": item, "reason": reason[:200]})
        return Plan("tool", "order_status", {"order_id": order_id, "email": email})

    def _refine(self, message: str, state: Mapping[str, Any], ref: str | None) -> Plan | None:
        last = dict(state.get("args") or {"query": state["query"]})
        shown = [self.items[i] for i in state.get("shown") or [] if i in self.items]
        args = dict(last)
        kind = ""
        bounds = self.prices(message)
        if bounds.unlimited:  # "budget is not a problem": the price limits go, the need stays
            args.pop("min_price", None)
            args.pop("max_price", None)
            kind = "any_price"
        elif bounds.as_args() and len(message.split()) <= 8:  # "only under 30", "around 600 then"
            args.pop("min_price", None)
            args.pop("max_price", None)
            args.update(bounds.as_args())
            kind = "cheaper" if bounds.max_price is not None and bounds.min_price is None else "price"
        elif CHEAPER.search(message):
            prices = [i.price for i in shown if i.price is not None]
            if prices:
                args["max_price"] = round(min(prices) - 0.01, 2)
            kind = "cheaper"
        elif PRICIER.search(message) and shown:
            prices = [i.price for i in shown if i.price is not None]
            if prices:
                args["min_price"] = round(statistics.median(prices), 2)
                args.pop("max_price", None)
            kind = "pricier"
        elif NOT_BRAND.search(message) or (re.search(r"(?i)\b(no|not|without)\b", message)
                                           and self.find_brand(message)):
            brand = self.find_brand(message)
            if not brand:
                target = self.items.get(ref) if ref else (shown[0] if shown else None)
                brand = target.brand if target else None
            if brand:
                args["exclude_brands"] = sorted(set(args.get("exclude_brands", [])) | {brand})
                if args.get("brand") == brand:
                    args.pop("brand")
            kind = "not_brand"
        elif MORE_LIKE.search(message) and (ref or shown):
            target = self.items.get(ref) if ref else shown[0]
            if target is not None:
                leaf = target.category[-1] if target.category else ""
                color = target.attributes.get("color", "")
                args = {k: v for k, v in last.items() if k not in ("query", "brand")}
                args["query"] = " ".join(x for x in (color, leaf, target.title) if x)
            kind = "more_like"
        elif SHOW_MORE.search(message):
            kind = "more"
        elif IN_STOCK.search(message) and len(message.split()) <= 6:
            args["in_stock"] = True
            kind = "in_stock"
        else:
            color = self.find_color(message)
            words = message.split()
            if color and len(words) <= 5 and re.search(r"(?i)^(in|any|how about|what about|maybe|do you have|"
                                                         r"something|only|the same|same)?\b", message):
                args["query"] = f"{last.get('query', '')} {color}".strip()
                kind = "color"
            elif len(words) <= 4 and re.match(r"(?i)^(in|with|for|made of|size|only)\b", message.strip()):
                args["query"] = f"{last.get('query', '')} {self.query_text(message)}".strip()
                kind = "attribute"
        if not kind:
            return None
        return Plan("tool", "search_products", args, refinement=kind, show_again=bool(AGAIN.search(message)))

    # -- the act's plan ------------------------------------------------------------------------------------------
    def _act_plan(self, act: str, message: str, state: Mapping[str, Any], order_id: str | None,
                  email: str | None) -> Plan:
        shown = list(state.get("shown") or [])
        if act in ("details", "ask_item", "new_need", "refine") and COMPARE.search(message):
            named = self._named_items(message, state)
            if len(named) >= 2:  # "compare <title> with <title>": the words name two items, whatever the act
                return self._comparison(message, named[:4])
        if shown and act in ("new_need", "refine") and self._over_shown(message, state):
            return Plan("tool", "ask_about_items", {"item_ids": shown[:5], "question": message})
        if shown:
            act = self._screen_act(act, message, state, order_id)
        if act == "greeting":
            return Plan("chat", reply=replies.greeting(message))
        if act == "smalltalk":
            return Plan("chat", reply=replies.SMALLTALK if shown else replies.SMALLTALK_EMPTY)
        if act in ("off_topic", "harmful"):
            from . import safety

            return Plan("chat", reply=safety.refusal_for(act))
        if act == "human":
            return Plan("tool", "escalate_to_human", {"summary": message[:300]})
        if act in ("order_status", "start_return") or (act in ("refund_status", "cancel_order") and order_id):
            return self._order_plan(message, state, order_id, email)
        if act in PROBLEM_TOPICS or act == "policy":
            topic = PROBLEM_TOPICS.get(act, "")
            policy = Plan("tool", "policy_lookup", {"question": f"{message} ({topic})" if topic else message},
                          handoff=act in PROBLEM_TOPICS)
            if shown and not order_id and (act == "policy" or QUESTION.search(message)) and self._on_screen(
                    message, state):
                # "how long is the guarantee on the 2nd one": the item's own data first, else the policy
                # ("the second one arrived broken" tells a problem: the policy at once); a policy act with no
                # policy word ("can the dell charge my laptop?") is the item's data alone
                fallback = policy if act in PROBLEM_TOPICS or POLICY_WORDS.search(message) else None
                return Plan("tool", "ask_about_items", {"item_ids": self._asked_about(message, state),
                                                        "question": message}, otherwise=fallback)
            return policy
        if act == "view_cart":
            return Plan("tool", "view_cart", {})
        if act == "remove_from_cart":
            cart = list(state.get("cart") or [])
            target = self._target(message, {"shown": cart}) or (cart[-1] if len(cart) == 1 else None)
            if target is None:
                return Plan("tool", "view_cart", {}) if cart else Plan("chat", reply="Your cart is empty.")
            return Plan("tool", "remove_from_cart", {"item_id": target})
        if act == "add_to_cart":
            target = self._target(message, state)
            if target is None:
                return Plan("clarify", reply=replies.WHAT_TO_ADD if not shown else replies.WHICH_ITEM)
            return Plan("tool", "add_to_cart", {"item_id": target, "quantity": quantity(message)})
        if act in ("ask_item", "details", "disambiguate", "compare") and not shown and not (
                self.item_ids(message) or self.names.by_title(message)):  # "tell me about <a title>" needs nothing shown
            return Plan("clarify", reply=replies.NOTHING_SHOWN)
        if act == "compare":
            ids = self.compared(message, state)
            if len(ids) >= 2:
                return self._comparison(message, ids)
            named = self.item_ids(message) or self.names.by_title(message, shown)[:1]
            if len(named) == 1:  # one item named and nothing to compare it with: its details
                return Plan("tool", "product_details", {"item_id": named[0]})
            return Plan("clarify", reply=replies.WHICH_ITEM)
        if act == "details":
            target = self._target(message, state) or next(iter(self.names.by_title(message)), None)
            return Plan("tool", "product_details", {"item_id": target}) if target else Plan(
                "clarify", reply=replies.WHICH_ITEM)
        if act == "disambiguate":
            target = self._target(message, state, default=False)
            question = state.get("question")
            if target and question:
                return Plan("tool", "ask_about_items", {"item_ids": [target], "question": question})
            if target:
                return Plan("tool", "product_details", {"item_id": target})
            return Plan("clarify", reply=replies.WHICH_ITEM)
        if act == "ask_item":
            question = state.get("question")
            if question and FOLLOW_UP.match(message):  # "and the other one?": the last question, another item
                return Plan("tool", "ask_about_items", {"item_ids": self._followed_up(message, state),
                                                        "question": question})
            policy = (Plan("tool", "policy_lookup", {"question": message}) if POLICY_WORDS.search(message)
                      else None)
            return Plan("tool", "ask_about_items", {"item_ids": self._asked_about(message, state),
                                                    "question": message}, otherwise=policy)
        if act == "new_need" and state.get("query") and not self._names_a_need(message):
            act = "refine"  # "cheaper pls, max 30": no product words of its own, so it changes the current need
        if act == "refine" and state.get("query"):
            return self._refined(message, state)
        return Plan("tool", "search_products", self.search_args(message), show_again=bool(AGAIN.search(message)))

    @staticmethod
    def _comparison(message: str, ids: list[str]) -> Plan:
        """Items compared: on what the shopper asks about ("which is cheaper?", "compare their prices"), the
        answer from their data with the winner named; else side by side."""
        from .answers import asks_for_values

        if asks_for_values(message):
            return Plan("tool", "ask_about_items", {"item_ids": ids, "question": message})
        return Plan("tool", "compare_products", {"item_ids": ids})

    def _screen_act(self, act: str, message: str, state: Mapping[str, Any], order_id: str | None) -> str:
        """The act, read again with results on screen: some turns the act model files elsewhere are questions
        about those results (or, for a return, about the policy)."""
        named_one = (THE_NAMED_ONE.search(message) and QUESTION.search(message)
                     and self._names_shown(message, state))
        if act in ("new_need", "refine") and (named_one or OF_THE_SHOWN.search(message)):
            return "ask_item"  # "the voltaic one available?", "any of these out of stock"
        if act in ("new_need", "refine") and ASKS.match(message) and len(self._named_on_screen(
                message, state)) == 1 and not COMPARATIVE.search(message):
            return "ask_item"  # "hows much for the purrington": a question about one result on screen
        if act == "add_to_cart" and ASKS.match(message):
            return "ask_item"  # "which ones can i order now?": a question, not an order to add
        if act in ("smalltalk", "off_topic") and QUESTION.search(message) and self._on_screen(
                message, state) and self._names_a_need(message):
            return "ask_item"  # "whats the heel drop on it": a question about what is on screen, not chat
        if not order_id and act in ("order_status", "start_return") and not ORDER_WORDS.search(
                message) and self._names_shown(message, state):
            # "is the slim power one in stock? need it by friday", "can i return the first one if it doesnt
            # fit?": about an item on screen, not an order the shopper placed
            return "ask_item" if act == "order_status" else "policy" if QUESTION.search(message) else act
        return act

    def _on_screen(self, message: str, state: Mapping[str, Any]) -> bool:
        """Whether a turn points at the results on screen: an ordinal, a title part, a value only one of them
        has ("the dell"), words only one title has, or a word like "it" / "these" / "the two"."""
        shown = list(state.get("shown") or [])
        return bool(shown) and bool(
            ON_SCREEN.search(message) or self.referenced(message, state, by_title=True)
            or self._by_value(message, shown) or self._named_on_screen(message, state))

    def _named_on_screen(self, message: str, state: Mapping[str, Any]) -> list[str]:
        """The results on screen the question names by words of their titles the others lack ("is the high
        speed one in stock? need it by friday"); [] when it says "it" (the item in focus) or names none.
        Colours are asked about, not names ("does the resonara come in sunburst?")."""
        asked = message.split("?")[0]
        if _PRONOUN.search(asked):
            return []
        colours = {w for c in self.colors for w in c.split()}
        return self.names.named_among(asked, list(state.get("shown") or []), ignore=colours)

    def _names_shown(self, message: str, state: Mapping[str, Any]) -> bool:
        """Whether a turn names a result on screen: an ordinal, a title, or words only its title has."""
        ref = self.referenced(message, state, by_title=True)
        return ref in (state.get("shown") or []) or bool(self._named_on_screen(message, state))

    def _over_shown(self, message: str, state: Mapping[str, Any]) -> bool:
        """A superlative about the results on screen ("cheapest of these?", "which is lightest", "cheapest
        pair?"): it points at them, or has no words of its own beyond theirs and the current need's."""
        shown = [self.items[i] for i in state.get("shown") or [] if i in self.items]
        if len(shown) < 2 or not SUPERLATIVE.search(message):
            return False
        if ON_SCREEN.search(message) or re.search(r"(?i)\b(which|whats?|what's)\b", message):
            return True
        known = " ".join([str(state.get("query") or ""), *(i.title for i in shown),
                          *(" ".join(i.category) for i in shown)]).lower()
        vocab = set(re.findall(r"[a-z']{2,}", known))
        words = re.findall(r"[a-z']{2,}", SUPERLATIVE.sub(" ", message.lower()))
        return all(w in vocab or w.rstrip("s") in vocab or w in GENERIC_NOUNS or w in REFINING_WORDS
                   or FILLER.fullmatch(w) for w in words)

    def _names_a_need(self, message: str) -> bool:
        """Whether the message has words of its own for a need (not only 'cheaper', a budget, 'pls')."""
        text = without_prices(message, self.prices(message)).lower()
        for value in (self.find_color(message), self.find_brand(message)):  # "samsung only", "in red"
            if value:
                text = text.replace(value.lower(), " ")
        words = re.findall(r"[a-z']{2,}", text)
        return any(w not in REFINING_WORDS and not FILLER.fullmatch(w) for w in words)

    def _named_items(self, message: str, state: Mapping[str, Any]) -> list[str]:
        """Items the message itself names (ids, or titles / ordinals in "A and B"), never defaults."""
        ids = self.item_ids(message)
        if len(ids) < 2:
            body = re.sub(r"(?i)^.*?\b(compare|comparison|difference between)\b", "", message)
            ids = self._parts(body, state)
        return list(dict.fromkeys(ids))

    def _target(self, message: str, state: Mapping[str, Any], default: bool = True) -> str | None:
        """The one item a turn points at: an id, an ordinal, a title part, a colour or brand that only one shown
        item has; else (``default``) the item in focus, or the only one shown."""
        shown = list(state.get("shown") or [])
        named = self._named_on_screen(message, state)
        ref = self.referenced(message, state) or (named[0] if len(named) == 1 else None)
        ref = ref or self.referenced(message, state, by_title=True)
        if ref:
            return ref
        distinct = self._by_value(message, shown)
        if distinct:
            return distinct
        if not default:
            return None
        focus = state.get("focus")
        if focus and (focus in shown or not shown):
            return focus
        return shown[0] if len(shown) == 1 or (shown and _SINGULAR.search(message)) else None

    def _by_value(self, message: str, shown: list[str]) -> str | None:
        """'the blue one', 'the Nike one', 'the cheaper one': a value only one shown item has."""
        items = [self.items[i] for i in shown if i in self.items]
        if not items:
            return None
        if re.search(r"(?i)\b(cheap|cheaper|cheapest|least expensive)\b", message):
            priced = [i for i in items if i.price is not None]
            return min(priced, key=lambda i: i.price).id if priced else None
        if re.search(r"(?i)\b(expensive|pricier|priciest|dearer)\b", message):
            priced = [i for i in items if i.price is not None]
            return max(priced, key=lambda i: i.price).id if priced else None
        color, brand = self.find_color(message), self.find_brand(message)
        for value, get in ((color, lambda i: " ".join([i.title, str(i.attributes.get("color", ""))]).lower()),
                           (brand, lambda i: (i.brand or "").lower())):
            if value:
                hits = [i.id for i in items if re.search(r"\b" + re.escape(value.lower()) + r"\b", get(i))]
                if len(hits) == 1:
                    return hits[0]
        return None

    def _asked_about(self, message: str, state: Mapping[str, Any]) -> list[str]:
        """The items a question is about: the ones it names; all shown ones for 'which one / any of them / those';
        else the item in focus, else the first shown."""
        shown = list(state.get("shown") or [])
        named = self.item_ids(message) or (self._parts(message, state) if COMPARE.search(message) else [])
        if len(named) >= 2:
            return named[:4]
        named = [] if self.referenced(message, state) else self._named_on_screen(message, state)
        if len(named) == 1 and THE_NAMED_ONE.search(message):
            return named  # "the furrow one - which colour?": that one, though "which" asks over a set
        if _PLURAL.search(message) and shown:
            return shown[:5]
        if len(named) >= 2:  # "is the reflective leash in stock?" with two reflective ones shown: both
            return named[:5]
        target = self._target(message, state)
        return [target] if target else shown[:1]

    def _followed_up(self, message: str, state: Mapping[str, Any]) -> list[str]:
        """The items of "and the other one?" / "what about the third?" / "and the rest?" after a question."""
        shown = list(state.get("shown") or [])
        focus = state.get("focus")
        if re.search(r"(?i)\b(others|rest)\b", message):
            return [i for i in shown if i != focus][:5]
        if re.search(r"(?i)\bother\b", message) and shown:
            return [next((i for i in shown if i != focus), shown[0])]
        return self._asked_about(message, state)

    def _refined(self, message: str, state: Mapping[str, Any]) -> Plan:
        """A refinement of the current need: the rules' refinements ('cheaper', 'in blue', 'not that brand',
        'more like the second'), else the new words and bounds added to the need ('it is for a girl of 7')."""
        plan = self._refine(message, state, self.referenced(message, state))
        if plan is not None:
            return plan
        last = dict(state.get("args") or {"query": state["query"]})
        new = self.search_args(message)
        args = {**last, **{k: v for k, v in new.items() if k != "query"}}
        if "max_price" in new or "min_price" in new:  # a stated budget replaces the old one, as stated
            for key in ("max_price", "min_price"):
                if key in new:
                    args[key] = new[key]
                else:
                    args.pop(key, None)
        old = last.get("query", "")
        words = [w for w in new["query"].split() if w.lower() not in old.lower().split()]
        if new["query"] == message.strip() and not re.search(r"[A-Za-z]{3,}", " ".join(words)):
            words = []
        args["query"] = " ".join([old, *words]).strip() or old
        return Plan("tool", "search_products", args, refinement="need", show_again=bool(AGAIN.search(message)))


# the support acts answered from a policy section, with the words that find that section
PROBLEM_TOPICS = {"damaged_item": "damaged, defective, wrong or missing item", "refund_status": "refund timing",
                  "payment_problem": "declined payment, charged twice", "cancel_order": "cancel or change an order"}
_PLURAL = re.compile(r"(?i)\b(which|any of (them|these|those)|those|these|them|they|all|both|either|each|"
                     r"\w+est)\b")
# a word for the item in focus ("is it waterproof?"): the words around it are asked about, they name no item
_PRONOUN = re.compile(r"(?i)\b(it|its|it's|they|them|their)\b")
# a superlative over a set of items ("the cheapest", "least pricey", "top rated")
SUPERLATIVE = re.compile(r"(?i)\b(cheapest|priciest|dearest|lightest|heaviest|biggest|smallest|largest|"
                         r"longest|shortest|thickest|thinnest|highest|lowest|fastest|quickest|strongest|"
                         r"warmest|newest|oldest|(?:best|top|highest)[- ]rated|best reviewed|"
                         r"(?:most|least) [a-z]+)\b")
# "the voltaic one", "the high-speed ones": a result on screen named by words of its title
THE_NAMED_ONE = re.compile(r"(?i)\bthe\s+(?:[\w&'-]+\s+){1,3}ones?\b")
# words that change the need rather than ask about a result ("what about cheaper brisa ones")
COMPARATIVE = re.compile(r"(?i)\b(cheaper|pricier|bigger|smaller|larger|lighter|heavier|newer|older|better|"
                         r"more|less|other|others|else|similar|like)\b")
# a question over the results on screen as a set ("any of these out of stock", "are they all in stock?")
OF_THE_SHOWN = re.compile(r"(?i)\b(?:any|all|none|some|each|either|both|which|one) of (?:these|those|them|"
                          r"the (?:two|three|four|five|[2-5]))\b|"
                          r"^(?:are|is|do|does|can|will) (?:they|these|those|both)\b")
# words that point at the results on screen
ON_SCREEN = re.compile(r"(?i)\b(it|its|they|them|their|these|those|this one|that one|both|either|"
                       r"the (?:two|three|four|five|[2-5]))\b")
# nouns that name no need of their own ("cheapest pair?", "which box")
GENERIC_NOUNS = frozenset("""pair pairs one ones option options item items product products thing things
set sets box boxes model models version versions kind kinds choice choices""".split())
# words that change a need without naming one ("cheaper pls", "more expensive ones", "ok bigger")
REFINING_WORDS = frozenset("""cheaper cheap cheapest pricier expensive less more bigger smaller larger lighter
heavier newer older better pls plz please ok okay maybe something bit little lot much too tops max min most least
at least around about roughly than no not way cost costs price priced only size sizes color colour ones
brand""".split())

# a turn that only points at other items: the last question is asked again about them
FOLLOW_UP = re.compile(r"(?i)^\W*(and|but|what about|how about|same (?:question )?for|same with|ok|then)?\W*"
                       r"(the|that|this|those)?\s*(other|others|rest|first|1st|second|2nd|third|3rd|fourth|fifth|"
                       r"last|next|one)(?:\s+(one|ones|item|book|pair|set))?\s*(then|too|as well)?\W*$")
_SINGULAR = re.compile(r"(?i)\b(it|this|that|this one|that one)\b")
_QUANTITY = re.compile(r"(?i)\b(\d{1,2}|two|three|four|five)\s*(?:x\b|of\b|pieces|units|copies|pairs)|"
                       r"\b(?:add|buy|take|get|order)\s+(\d{1,2}|two|three|four|five)\b")
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5}


def quantity(message: str) -> int:
    """'two of those', 'add 3', '2x': how many; 1 when not said."""
    m = _QUANTITY.search(message)
    if not m:
        return 1
    word = (m.group(1) or m.group(2)).lower()
    return _NUMBERS.get(word) or max(1, min(99, int(word)))


def rules_act(plan: Plan) -> str:
    """The act a rules-only plan amounts to (for the side-by-side evaluation)."""
    if plan.kind == "chat":
        return "greeting" if plan.reply in (replies.HELLO, replies.WELCOME) else "smalltalk"
    if plan.kind == "clarify":
        return "order_status" if plan.pending is not None else "smalltalk"
    if plan.tool == "search_products":
        return "refine" if plan.refinement else "new_need"
    return {"product_details": "details", "compare_products": "compare", "policy_lookup": "policy",
            "order_status": "order_status", "start_return": "start_return",
            "escalate_to_human": "human"}.get(plan.tool, plan.tool)
