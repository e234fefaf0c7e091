"""The dialogue loop: ``Assistant.respond(session_id, message) -> Iterator[Event]``.

One turn: guards (length, shape, off-topic, harmful, injection) -> the tool decision -> the tool -> events ->
the reply. The tool decision is the model's ``<tool_call>`` when the model is trusted with tools (a scripted
model, an OpenAI-compatible server, a fine-tuned adapter); an invalid call gets the error back for one repair,
then the deterministic :class:`~assistant.router.Router` plan runs instead (``ToolCall.fallback``). For the
base local model the router decides and the model writes the words around grounded facts.

Products are yielded the moment retrieval returns, with template explanations that are true by construction;
the model's reply streams after, sentence by sentence, and every sentence is fact-checked against the items /
tool result / the shopper's words before it is shown; unsupported ones are dropped and counted.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from retrieval import Filters, SearchHit, Store, StoreProfile
from retrieval.catalog import format_price

from . import replies, safety
from .acts import ActModel, Context, shipped
from .calls import CALL_TOKENS, best_effort, format_tool_call, ground, parse_tool_call
from .conversations import ConversationStore
from .events import (
    TOOL_CALL_CLOSE,
    TOOL_CALL_OPEN,
    TOOL_RESULT_CLOSE,
    TOOL_RESULT_OPEN,
    Done,
    Error,
    Escalated,
    Event,
    Policy,
    Products,
    Queued,
    TextDelta,
    ToolCall,
)
from .explain import Check, FactChecker, facts_for, gem_reason, split_sentences, template_explanation
from .models import ChatModel
from .orders import OrderBook
from .policies import PolicyIndex
from .replies import FAILED, system_prompt
from .router import Plan, Router
from .tools import CART_TOOLS, MODEL_TOOLS, ToolContext, ToolError, compact_result, run_tool

log = logging.getLogger(__name__)

MODEL_REPLIES = ("search_products", "product_details", "compare_products")
# below this probability an off-topic / harmful act does not refuse a shopper (the safety rules still do)
REFUSE_BELOW = 0.6
# below this probability the act model abstains and the rules decide the turn (measured with `longtail eval
# dialogue`: abstaining below 0.4 lost 4 points of act accuracy to the rules, below 0.2 none)
ABSTAIN_BELOW = 0.2
# acts that lead to the same kind of plan: their probabilities add up when the model decides whether to abstain
SAME_PLAN = {a: group for group in (("smalltalk", "greeting"), ("new_need", "refine")) for a in group}
QUEUE_POLL_S = 0.5  # how often a shopper waiting for the local model hears their place when it changed


class TurnModel:
    """The model's line for one turn. A local model with a line (:mod:`assistant.line`) is held from the turn's
    first call to the turn's end, so the shopper waits once, told their place while they do. Models with no line
    (scripted, a server) are called as they are."""

    def __init__(self, line: Any = None):
        self.line = line
        self.place: Any = None

    def take(self) -> Iterator[Event]:
        """Wait for the model (yielding :class:`Queued` each time the place changes); raises
        :class:`~assistant.line.ModelBusy` when the line is full."""
        if self.line is None or self.place is not None:
            return
        self.place = self.line.join()
        told = 0
        while (number := self.place.number) > 0:
            if number != told:
                told = number
                yield Queued(number, replies.in_line(number))
            self.place.wait(QUEUE_POLL_S)

    @property
    def options(self) -> dict[str, Any]:
        """What the model's calls take to run on this turn's place."""
        return {"place": self.place} if self.place is not None else {}

    def release(self) -> None:
        if self.place is not None:
            self.place.leave()


@dataclass
class Outcome:
    name: str
    arguments: dict[str, Any]
    result: Any
    fallback: bool
    preface: str = ""  # said before the reply: what the items' own data did not say, when the policy answers


class Assistant:
    def __init__(self, store: Store, model: ChatModel, conversations: ConversationStore, orders: OrderBook,
                 policies: PolicyIndex, profile: StoreProfile | None = None, tool_mode: str = "auto",
                 max_message_chars: int = 2000, k: int = 5, reply_tokens: int = 100,
                 acts: ActModel | None | str = "shipped"):
        if tool_mode not in ("auto", "model", "router"):
            raise ValueError(f"tool_mode={tool_mode!r}: use 'auto', 'model' or 'router'.")
        self.store = store
        self.model = model
        self.conversations = conversations
        self.orders = orders
        self.policies = policies
        self.profile = profile if profile is not None else StoreProfile.learn(store.db.items(), orders.id_shape)
        self.store_name = self.profile.name
        self.tool_mode = tool_mode if tool_mode != "auto" else (
            "model" if getattr(model, "reliable_tools", True) else "router")
        self.max_message_chars = max_message_chars
        self.k = k
        self.reply_tokens = reply_tokens
        items = store.db.items()
        self.router = Router(items, self.profile, store.names)
        # the dialogue-act model decides what each turn does; None = the rules alone (the baseline)
        self.acts = shipped(store.embedder) if acts == "shipped" else (None if acts in ("none", None) else acts)
        self.checker = FactChecker(items, store.names, self.profile)
        self.system = system_prompt(self.store_name)
        self.stats: Counter[str] = Counter()
        if hasattr(model, "prefix_cache"):  # compute the system prompt's KV cache now, not in the first turn
            prefix, _ = model.render([{"role": "system", "content": self.system}, {"role": "user", "content": "hi"}])
            if prefix:
                model.prefix_cache(prefix)

    # -- the public entry point ----------------------------------------------------------------------------------
    def respond(self, session_id: str, message: str, filters: Filters | None = None) -> Iterator[Event]:
        """Handle one shopper message; never raises (failures come as :class:`Error` events)."""
        try:
            yield from self._respond(session_id, message, filters or Filters())
        except Exception as exc:  # the front end must never see a traceback
            log.exception("assistant turn failed")
            yield Error(FAILED)  # the exception and its traceback go to the log, not to the shopper
            yield Done(FAILED)

    # -- one turn ------------------------------------------------------------------------------------------------
    def _respond(self, session_id: str, message: Any, filters: Filters) -> Iterator[Event]:
        problem = safety.check_message(message, self.max_message_chars)
        if problem:
            self.stats["rejected_messages"] += 1
            if isinstance(message, str) and message.strip():
                self.conversations.add_message(session_id, "user", message[:self.max_message_chars],
                                               truncated=len(message) > self.max_message_chars)
            yield from self._say(session_id, problem, refusal="message")
            return
        text = safety.clean(message)
        self.conversations.add_message(session_id, "user", text)
        if self.conversations.is_taken(session_id):
            yield Done("", "")  # a human agent answers this session now
            return
        kind = safety.classify(text)
        if kind != "ok":
            self.stats[f"refused_{kind}"] += 1
            yield from self._say(session_id, safety.refusal_for(kind), refusal=kind)
            return
        turn = TurnModel(getattr(self.model, "line", None))
        try:  # a shopper who leaves closes this generator: their place in the model's line is given up
            yield from self._understood(session_id, text, filters, turn)
        finally:
            turn.release()

    def _understood(self, session_id: str, text: str, filters: Filters, turn: TurnModel) -> Iterator[Event]:
        state = self.conversations.state(session_id)
        state["cart"] = [line["item_id"] for line in self.conversations.cart.lines(session_id)]
        history = self._history(session_id)
        act = self._act(text, state, history)
        plan = self.router.plan(text, state, act)
        if plan.pending is not None or state.get("pending_order"):  # remember / clear a half-given order look-up
            state = {k: v for k, v in state.items() if k != "pending_order"}
            if plan.pending is not None:
                state["pending_order"] = {k: v for k, v in plan.pending.items() if v}
            self.conversations.set_state(session_id, state)
        ctx = ToolContext(self.store, self.orders, self.policies, session_id, self.conversations.escalate,
                          filters, seen=() if plan.show_again else tuple(state.get("seen", [])),
                          new_first=plan.refinement in ("more", "more_like"), k=self.k,
                          cart=self.conversations.cart)
        outcome = yield from self._decide(text, plan, history, ctx, turn)
        if outcome is not None and plan.otherwise is not None and outcome.name != plan.tool:
            plan = plan.otherwise  # the reply is that of the plan that ran (a policy may offer a person)
        if outcome is None:
            yield from self._say(session_id, plan.reply or replies.HOW_CAN_I_HELP, act=plan.act)
            return
        yield from self._after_tool(session_id, text, outcome, plan, state, history, filters, turn)

    def _act(self, text: str, state: dict[str, Any], history: list[dict[str, str]]) -> str | None:
        """The turn's dialogue act in its context (None without an act model); timed in ``stats``. The previous
        reply comes from the history the model sees (agents' messages count as replies there too)."""
        if self.acts is None:
            return None
        t0 = time.perf_counter()
        previous = next((m["content"] for m in reversed(history) if m["role"] == "assistant"), "")
        ctx = Context(previous, bool(state.get("shown")), bool(state.get("query")),
                      bool(state.get("pending_order")), bool(state.get("cart")))
        probs = dict(zip(self.acts.labels, self.acts.probabilities([text], [ctx])[0].tolist()))
        act = max(probs, key=probs.__getitem__)
        if act in ("off_topic", "harmful") and probs[act] < REFUSE_BELOW:  # not sure enough to refuse a shopper
            act = max((a for a in probs if a not in ("off_topic", "harmful")), key=probs.__getitem__)
        p = sum(probs.get(a, 0.0) for a in SAME_PLAN.get(act, (act,)))  # acts that do the same count together
        self.stats["act_ms"] += round(elapsed(t0) * 1000)
        if p < ABSTAIN_BELOW:
            self.stats["act_abstained"] += 1
            return None
        self.stats[f"act_{act}"] += 1
        return act

    def _history(self, session_id: str) -> list[dict[str, str]]:
        """The last few user/assistant/agent texts (without the current message), clipped as in training."""
        msgs = [m for m in self.conversations.messages(session_id) if m["role"] in ("user", "assistant", "agent")]
        return replies.clip_history([{"role": "assistant" if m["role"] == "agent" else m["role"],
                                      "content": m["content"]} for m in msgs[:-1]])

    def _messages(self, history: list[dict[str, str]], text: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, *history, {"role": "user", "content": text}]

    # -- the tool decision ---------------------------------------------------------------------------------------
    def _decide(self, text: str, plan: Plan, history: list[dict[str, str]], ctx: ToolContext, turn: TurnModel
                ) -> Iterator[Event]:
        """Yields ToolCall events; returns the :class:`Outcome` (or None when no tool is needed)."""
        # the model picks among its tools when the act needs one of them (or an order look-up, or there is no
        # act); small talk, cart and shown-item questions are the act's alone
        if self.tool_mode == "model" and (not plan.act or plan.tool in MODEL_TOOLS or plan.pending is not None):
            messages = self._messages(history, text)
            for attempt in range(2):
                if plan.kind != "tool" and hasattr(self.model, "choose"):
                    break  # constrained mode: the router decides whether a tool is needed at all
                try:
                    yield from turn.take()
                    raw = self._generate_call(messages, turn)
                except RuntimeError as exc:  # the model server is down or busy: the router carries the turn
                    log.warning("model failed, using the router: %s", exc)
                    self.stats["model_errors"] += 1
                    break
                try:
                    parsed = parse_tool_call(raw)
                    if parsed is None:
                        break
                    name, args = parsed
                    args = self._grounded(name, args, text, history, plan)
                    result = run_tool(ctx, name, args)
                except ToolError as exc:
                    self.stats["invalid_tool_calls"] += 1
                    name_, args_ = best_effort(raw)
                    yield ToolCall(name_, args_, error=str(exc))
                    messages = messages + [
                        {"role": "assistant", "content": raw + (TOOL_CALL_CLOSE if TOOL_CALL_OPEN in raw else "")},
                        {"role": "tool", "content": f"{TOOL_RESULT_OPEN}{json.dumps({'error': str(exc)})}"
                                                    f"{TOOL_RESULT_CLOSE}"}]
                    continue
                self.stats["model_tool_calls"] += 1
                yield ToolCall(name, args, result=_light(result))
                return Outcome(name, dict(args), result, False)
        if plan.kind != "tool":
            return None
        outcome = yield from self._run(plan, ctx)
        unanswered = isinstance(outcome.result, dict) and not outcome.result.get("found", True)
        if plan.otherwise is not None and unanswered:  # the items' data does not say: the policy does
            said = outcome.result.get("answer", "")
            outcome = yield from self._run(plan.otherwise, ctx)
            outcome.preface = said
        return outcome

    def _run(self, plan: Plan, ctx: ToolContext) -> Iterator[Event]:
        """The router's plan run as it is; returns its :class:`Outcome`."""
        fallback = self.tool_mode == "model"
        self.stats["fallback_tool_calls" if fallback else "router_tool_calls"] += 1
        try:
            result = run_tool(ctx, plan.tool, plan.arguments)
        except ToolError as exc:
            yield ToolCall(plan.tool, plan.arguments, error=str(exc), fallback=fallback)
            return Outcome(plan.tool, plan.arguments, exc, fallback)
        yield ToolCall(plan.tool, plan.arguments, result=_light(result), fallback=fallback)
        return Outcome(plan.tool, dict(plan.arguments), result, fallback)

    def _grounded(self, name: str, args: Any, text: str, history: list[dict[str, str]], plan: Plan) -> Any:
        """The model's arguments grounded in the shopper's words (:func:`~assistant.calls.ground`); the changes
        are counted as ``grounded_arguments``."""
        out, changed = ground(name, args, text, history, plan)
        self.stats["grounded_arguments"] += changed
        return out

    def _generate_call(self, messages: list[dict[str, str]], turn: TurnModel) -> str:
        """The model's tool call. Models with ``choose`` (local ones) are constrained: the tool name is picked
        from the valid names by log-likelihood, then the model writes the JSON arguments."""
        if not hasattr(self.model, "choose"):
            return "".join(self.model.stream(messages, max_new_tokens=CALL_TOKENS, stop=(TOOL_CALL_CLOSE,),
                                             **turn.options))
        # the options and the forced head end where the training text's tokens end: `",` is one token and so is
        # ` {"` (a head ending in a space would leave a lone-space token the model never saw before the arguments)
        start = TOOL_CALL_OPEN + '{"name": "'
        scores = self.model.choose(messages, start, [f'{n}",' for n in MODEL_TOOLS], **turn.options)
        name = MODEL_TOOLS[max(range(len(scores)), key=scores.__getitem__)]
        head = f'{start}{name}", "arguments":'
        body = "".join(self.model.stream(messages, max_new_tokens=CALL_TOKENS, stop=(TOOL_CALL_CLOSE, "\n"),
                                         suffix=head, **turn.options))
        return head + body

    # -- after the tool ------------------------------------------------------------------------------------------
    def _after_tool(self, session_id: str, text: str, out: Outcome, plan: Plan, state: dict[str, Any],
                    history: list[dict[str, str]], filters: Filters, turn: TurnModel) -> Iterator[Event]:
        meta: dict[str, Any] = {"tool": out.name, "arguments": out.arguments, "fallback": out.fallback,
                                "act": plan.act}
        facts_texts = [text, json.dumps(out.arguments)]
        items: list = []
        if isinstance(out.result, ToolError):
            yield from self._say(session_id, str(out.result), **meta)
            return
        if out.name == "search_products":
            hits: list[SearchHit] = out.result
            query = out.arguments.get("query", text)
            max_price = out.arguments.get("max_price", filters.max_price)
            min_price = out.arguments.get("min_price", filters.min_price)
            explanations = {h.item.id: template_explanation(h, query, max_price, min_price) for h in hits}
            yield Products(hits, explanations, {i: False for i in explanations}, query)
            if hits:
                self.store.log_impressions(session_id, hits, query)
            ids = [h.item.id for h in hits]
            state = dict(state, query=query, args=out.arguments, shown=ids or state.get("shown", []),
                         seen=list(dict.fromkeys([*state.get("seen", []), *ids])), focus=None)
            self.conversations.set_state(session_id, state)
            meta.update(items=ids, explanations=explanations)
            items = [h.item for h in hits]
            template = self._search_reply(hits, query, plan)
        elif out.name == "policy_lookup":
            passages = out.result
            yield Policy(passages)
            meta.update(passages=passages)  # stored with the reply: a reloaded chat shows what the shopper saw
            facts_texts += [p["text"] for p in passages]
            template = self._policy_reply(text, passages, has_policies=bool(self.policies.passages))
            if plan.handoff and passages:
                template = f"{template} {replies.HANDOFF_OFFER}"
            if out.preface and passages:  # the item's data, the store's policy, then a person for the rest
                offer = "" if plan.handoff else f" {replies.NOT_SAID_OFFER}"
                template = f"{out.preface} {template}{offer}"
        elif out.name == "ask_about_items":
            template = out.result["answer"] + ("" if out.result["found"] else f" {replies.NOT_SAID_OFFER}")
            self.conversations.set_state(session_id, dict(
                state, question=text, focus=out.result["items"][0] if len(out.result["items"]) == 1
                else state.get("focus")))
            meta.update(items=out.result["items"], answered=out.result["found"])
        elif out.name in CART_TOOLS:
            template = replies.cart_reply(out.result)
            if out.name == "add_to_cart":
                self.conversations.set_state(session_id, dict(state, focus=out.result["added"]["item_id"]))
        elif out.name == "escalate_to_human":
            ticket = out.result["ticket_id"]
            yield Escalated(ticket, out.arguments.get("summary", ""))
            template = replies.escalated(ticket)
        elif out.name in ("order_status", "start_return"):
            template = self._order_reply(out.name, out.result, self._title)
        else:  # product_details / compare_products
            rows = out.result if isinstance(out.result, list) else [out.result]
            items = [self.store.db.get(r["id"]) for r in rows]
            template = self._details_reply(rows)
            if out.name == "product_details":
                self.conversations.set_state(session_id, dict(state, focus=rows[0]["id"]))
        if out.name in MODEL_REPLIES and items:
            call = format_tool_call(out.name, out.arguments)
            messages = self._messages(history, text) + [
                {"role": "assistant", "content": call},
                {"role": "tool", "content": TOOL_RESULT_OPEN + safety.as_data(compact_result(out.name, out.result))
                                            + TOOL_RESULT_CLOSE}]
            facts = facts_for(items, facts_texts)
            yield from self._say(session_id, template, model_messages=messages, facts=facts, turn=turn, **meta)
        else:
            yield from self._say(session_id, template, **meta)

    # -- replies -------------------------------------------------------------------------------------------------
    def _say(self, session_id: str, template: str, model_messages: list[dict[str, str]] | None = None,
             facts: Any = None, turn: TurnModel | None = None, **meta: Any) -> Iterator[Event]:
        """Stream the reply, store it, then Done. Search results: the grounded one-line intro at once, then the
        model's fact-checked sentences. Other replies: the model's checked sentences, else the template."""
        shown: list[str] = []
        if meta.get("tool") == "search_products":
            yield TextDelta(template)
            shown.append(template)
        turn = turn or TurnModel()
        if model_messages is not None:
            try:
                yield from turn.take()
            except RuntimeError as exc:  # the line is full: the template answers at once
                log.warning("model busy, the template answers: %s", exc)
                self.stats["model_busy"] += 1
                model_messages = None
        if model_messages is not None:
            check = Check()
            kept = 0
            for sentence in self._checked(model_messages, facts, check, turn, meta.get("explanations")):
                yield TextDelta((" " if shown else "") + sentence)
                shown.append(sentence)
                kept += 1
            meta["claims"] = [check.claims, check.supported]
            if check.unsupported:
                meta["unsupported"] = check.unsupported
            if not kept:
                self.stats["template_replies"] += 1
        if not shown:
            yield TextDelta(template)
            shown = [template]
        reply = " ".join(shown)
        message_id = self.conversations.add_message(session_id, "assistant", reply, **meta)
        yield Done(reply, message_id)

    def _checked(self, messages: list[dict[str, str]], facts: Any, check: Check, turn: TurnModel,
                 explanations: dict[str, str] | None = None) -> Iterator[str]:
        """The model's reply, one fact-checked sentence at a time. An unsupported sentence about a shown item is
        replaced by that item's template explanation; other unsupported sentences are dropped."""
        buffer = ""
        boundary = re.compile(r"(?<=[.!?])\s")
        used: set[str] = set()

        def judged(sentence: str) -> str | None:
            if self._accept(sentence, facts, check):
                return sentence
            swap = self._replacement(sentence, explanations or {}, used)
            if swap:
                self.stats["replaced_sentences"] += 1
            return swap

        stream = self.model.stream(messages, max_new_tokens=self.reply_tokens, stop=(TOOL_CALL_OPEN, "<|"),
                                   **turn.options)
        while True:
            try:
                chunk = next(stream)
            except StopIteration:
                break
            except RuntimeError as exc:  # the model failed mid-reply: keep what was checked, then the template
                log.warning("model failed while replying: %s", exc)
                self.stats["model_errors"] += 1
                break
            buffer += chunk
            while True:
                m = boundary.search(buffer)
                if not m:
                    break
                sentence, buffer = buffer[:m.start()].strip(), buffer[m.end():]
                out = judged(sentence)
                if out:
                    yield out
        for sentence in split_sentences(buffer):  # an unfinished last fragment (token limit) is not shown
            if len(sentence) > 3 and sentence[-1] in ".!?":
                out = judged(sentence)
                if out:
                    yield out

    def _accept(self, sentence: str, facts: Any, check: Check) -> bool:
        """Fact-check one sentence; counts kept ("sentences") and dropped ("dropped_sentences") ones."""
        if not sentence or safety.looks_like_injection(sentence) or TOOL_CALL_OPEN in sentence:
            self.stats["dropped_sentences"] += 1
            return False
        result = self.checker.check(sentence, facts)
        check += result
        self.stats["claims"] += result.claims
        self.stats["supported_claims"] += result.supported
        if not result.ok:
            self.stats["dropped_sentences"] += 1
            return False
        self.stats["sentences"] += 1
        return True

    def _replacement(self, sentence: str, explanations: dict[str, str], used: set[str]) -> str | None:
        """The template explanation of the shown item an unsupported sentence talks about (once per item)."""
        low = sentence.lower()
        for item_id, text in explanations.items():
            item = self.store.db.get(item_id)
            if item is None or item_id in used:
                continue
            title = {w for w in re.findall(r"[a-z]{4,}", item.title.lower())}
            if item_id.lower() in low or (item.brand and item.brand.lower() in low) or len(
                    title & set(re.findall(r"[a-z]{4,}", low))) >= 2:
                used.add(item_id)
                return f"{item.title}: {text}"
        return None

    @staticmethod
    def _search_reply(hits: Sequence[SearchHit], query: str, plan: Plan) -> str:
        if not hits:
            return (f"I found no new matches for \"{query}\" with these filters. Try other words, a wider price "
                    f"range, or ask to see earlier results again.")
        lead = {"cheaper": "Here are cheaper options", "pricier": "Here are higher-end options",
                "not_brand": "Here are options from other brands", "more_like": "Here are similar items",
                "more": "Here are more options", "color": "Here are options in that colour"}.get(plan.refinement)
        gems = sum(bool(gem_reason(h.item, h.trace)) for h in hits)  # the cards' own rule for the badge
        note = f", including {gems} hidden gem{'s' if gems != 1 else ''}" if gems else ""
        return f"{lead or Assistant._picks(hits)}{note}."

    @staticmethod
    def _picks(hits: Sequence[SearchHit]) -> str:
        """"Here are 5 running shoes for you" when most picks share a category, else "5 picks"."""
        leaves = Counter(h.item.category[-1] for h in hits if h.item.category)
        leaf, n = leaves.most_common(1)[0] if leaves else ("", 0)
        kind = leaf.lower() if n * 2 > len(hits) and len(leaf) <= 30 and len(hits) > 1 else (
            "picks" if len(hits) > 1 else "pick")
        return f"Here {'are' if len(hits) > 1 else 'is'} {len(hits) if len(hits) > 1 else 'one'} {kind} for you"

    @staticmethod
    def _policy_reply(question: str, passages: list[dict[str, str]], has_policies: bool = True) -> str:
        if not passages:
            return replies.POLICY_NOT_FOUND if has_policies else replies.NO_POLICIES
        best = passages[0]  # the whole section: a policy answer is never cut mid-rule
        text = " ".join(best["text"].split())
        return f"{text} (from our {best['source'].removesuffix('.md')} policy: {best['section']})"

    def _title(self, item_id: str) -> str:
        item = self.store.db.get(item_id)
        return item.title if item is not None else item_id

    @staticmethod
    def _order_reply(name: str, result: dict[str, Any], title: Any = str) -> str:
        if name == "start_return" or not result.get("found"):
            return result.get("message", "")
        o = result["order"]
        parts = [f"Order {o['order_id']} (placed {o.get('created', '?')}) is {o.get('status', 'unknown')}."]
        if o.get("carrier") and o.get("tracking_number") and o.get("status") in ("shipped", "delivered"):
            parts.append(f"It travels with {o['carrier']}, tracking number {o['tracking_number']}.")
        if o.get("estimated_delivery") and o.get("status") in ("placed", "shipped"):
            parts.append(f"Estimated delivery: {o['estimated_delivery']}.")
        n = sum(i.get("quantity", 1) for i in o.get("items", []))
        parts.append(f"It has {n} item{'s' if n != 1 else ''} ({', '.join(title(i['item_id']) for i in o['items'])}), "
                     f"total {o.get('total')} {o.get('currency', '')}.".replace(" .", "."))
        return " ".join(parts)

    @staticmethod
    def _details_reply(rows: list[dict[str, Any]]) -> str:
        lines = []
        for r in rows:  # items are named by title: internal ids stay out of the shopper's text
            bits = [r["title"]]
            if r.get("price") is not None:
                bits.append(format_price(r["price"], r.get("currency") or "USD"))
            if r.get("rating") is not None:
                bits.append(f"rated {r['rating']:.1f}/5 by {r.get('rating_count', 0)}")
            attrs = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in list(r.get("attributes", {}).items())[:4])
            if attrs:
                bits.append(attrs)
            bits.append("in stock" if r.get("in_stock", True) else "out of stock")
            lines.append(": ".join([bits[0], ", ".join(bits[1:])]) + ".")
        return " ".join(lines)


def _light(result: Any) -> Any:
    """Tool results for ToolCall events: hits become compact dicts (the full hits travel in Products)."""
    if isinstance(result, list) and result and isinstance(result[0], SearchHit):
        return [{"id": h.item.id, "title": h.item.title} for h in result]
    return result


def elapsed(t0: float) -> float:
    return time.perf_counter() - t0
