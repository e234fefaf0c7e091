"""Does the reply answer the question? Held-out questions about items on screen, each with checks written per case.

``evaluation/data/question_turns.jsonl`` (written apart from the assistant's code and training phrasings; never
trained on) puts a shopper in front of 2-4 items of one of the evaluation shops and asks one question about them:
a yes / no about a property, a value ("how many pages?"), a comparison ("which one is lighter?"), or something no
shown item's data says. Each case carries its own checks, scored on the reply the shopper reads:

- ``expect_any``: at least one of these strings (the value as the listing writes it, or the winner's title);
- ``expect_all``: every one of these; ``must_not``: none of these (case-insensitive substrings);
- ``not_said`` cases pass when the reply tells the shopper the listing does not say and offers a person
  (:data:`assistant.replies.NOT_SAID_OFFER`), and every other kind fails when it does;
- a reply that ran a new product search fails whatever it says (the shopper asked about what is on screen).

The checks are plain substring rules, not a model's judgement, so the figure is reproducible and cannot flatter
the model that wrote the reply.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .metrics import wilson

KINDS = ("yes_no", "value", "compare", "not_said")


@dataclass
class QuestionResult:
    case: str
    store: str
    kind: str
    text: str
    reply: str
    tools: list[str]
    ok: bool
    why: str  # "" when ok, else the first check that failed


def check(case: Mapping[str, Any], reply: str, tools: Sequence[str]) -> str:
    """The first check the reply fails ("" when it passes them all)."""
    from assistant.replies import NOT_SAID_OFFER

    low = reply.lower()
    if "search_products" in tools:
        return "ran a new search"
    offered = NOT_SAID_OFFER.lower() in low
    if case["kind"] == "not_said":
        if not offered:
            return "did not say the listing does not say"
    elif offered and not any(s.lower() in low for s in case.get("expect_any") or []):
        return "said the listing does not say"
    any_of = case.get("expect_any") or []
    if any_of and not any(s.lower() in low for s in any_of):
        return f"none of {any_of}"
    missing = [s for s in case.get("expect_all") or [] if s.lower() not in low]
    if missing:
        return f"missing {missing}"
    wrong = [s for s in case.get("must_not") or [] if s.lower() in low]
    if wrong:
        return f"said {wrong}"
    return ""


def resolve(items: Mapping[str, Any], titles: Sequence[str]) -> list[str]:
    """Item ids (of ``items``, id -> item) of the shown titles: the exact title, the first item of that title
    when variants share it."""
    by_title: dict[str, str] = {}
    for item in items.values():
        by_title.setdefault(item.title, item.id)
    missing = [t for t in titles if t not in by_title]
    if missing:
        raise ValueError(f"question case names titles that are not in the shop: {missing}")
    return [by_title[t] for t in titles]


def ask(assistant: Any, session_id: str, case: Mapping[str, Any]) -> QuestionResult:
    """Put the case's items on screen as a search would have, then ask its question."""
    from assistant.events import Done, ToolCall

    items = assistant.store.db.items()
    ids = resolve(items, case["shown"])
    first = assistant.store.db.get(ids[0])
    need = (first.category[-1] if first.category else first.title).lower()
    conv = assistant.conversations
    conv.add_message(session_id, "user", f"show me some {need}")
    conv.add_message(session_id, "assistant", f"Here are {len(ids)} picks for you.", tool="search_products",
                     items=ids)
    conv.set_state(session_id, {"query": need, "args": {"query": need}, "shown": ids, "seen": ids})
    tools, reply = [], ""
    for event in assistant.respond(session_id, case["text"]):
        if isinstance(event, ToolCall) and not event.error:
            tools.append(event.name)
        elif isinstance(event, Done):
            reply = event.text
    why = check(case, reply, tools)
    return QuestionResult(case["id"], case["store"], case["kind"], case["text"], reply, tools, not why, why)


def run(shops: Mapping[str, Any], make_assistant: Callable[[Any, Any], Any], cases: Sequence[Mapping[str, Any]],
        acts: Any = "shipped", tag: str = "q") -> list[QuestionResult]:
    """Every case in its own shop (``shops[case["store"]]``), one fresh conversation per case."""
    missing = sorted({c["store"] for c in cases} - set(shops))
    if missing:
        raise ValueError(f"no shop for the question cases of {missing}")
    out = []
    for name, store in shops.items():
        mine = [c for c in cases if c["store"] == name]
        if mine:
            assistant = make_assistant(store, acts)
            out += [ask(assistant, f"{tag}-{c['id']}", c) for c in mine]
    return out


def _share(hits: int, n: int) -> dict[str, Any]:
    lo, hi = wilson(hits, n)
    return {"n": n, "share": round(hits / n, 4) if n else None, "ci95": [round(lo, 4), round(hi, 4)]}


def figures(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """The share answered right, overall, per kind and per shop, and the failures."""
    by_kind: dict[str, list[bool]] = defaultdict(list)
    by_store: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r.ok)
        by_store[r.store].append(r.ok)
    return {**_share(sum(r.ok for r in results), len(results)),
            "answerable": _share(sum(r.ok for r in results if r.kind != "not_said"),
                                 sum(r.kind != "not_said" for r in results)),
            "per_kind": {k: _share(sum(v), len(v)) for k, v in sorted(by_kind.items())},
            "per_store": {k: _share(sum(v), len(v)) for k, v in sorted(by_store.items())},
            "failures": [{"case": r.case, "text": r.text, "why": r.why, "reply": r.reply[:240]}
                         for r in results if not r.ok]}
