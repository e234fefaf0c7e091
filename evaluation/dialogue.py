"""``longtail eval dialogue``: how well the assistant understands shoppers, learned acts against the rules.

- **SIMMC 2.1 and Bitext** (``../shared/data``): out-of-fold act predictions, k folds by dialogue / template, so
  every turn is predicted by a head that never saw its dialogue; the rules read the same turns.
- **Held-out data written apart from the training phrasings** (``evaluation/data``, never trained on):
  multi-turn shopping dialogues run end to end through the assistant on two stores with different id formats
  (the acts, what ran, whether questions about shown items were answered from the items' data, whether small
  talk ran no tool), support messages in ordinary words, and budgets as shoppers state them.
- **Latency** the act model adds per turn (median over the dialogue turns, several runs).

Every share comes with its 95% Wilson interval.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import questions
from .metrics import classification_report, wilson

DATA = Path(__file__).resolve().parent / "data"
NO_TOOL = ("smalltalk", "greeting")
# the dialogues' shops (evaluation/data/stores, written apart from the dialogues), each in another export format
STORES = {"books": "books.csv", "phones": "phones.jsonl", "sports": "sports.csv", "office": "office.jsonl",
          "fashion": "fashion.csv"}


def store_catalogs(stores: Mapping[str, str] = STORES, data: Path = DATA) -> dict[str, Path]:
    """Each dialogue shop's catalog file."""
    return {name: data / "stores" / file for name, file in stores.items()}


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def share(hits: int, n: int) -> dict[str, Any]:
    lo, hi = wilson(hits, n)
    return {"n": n, "share": round(hits / n, 4) if n else None, "ci95": [round(lo, 4), round(hi, 4)]}


@dataclass
class TurnResult:
    text: str
    gold: str
    act: str  # what the assistant's act model said ("" without one)
    rules: str  # what the rules alone amount to
    tools: list[str]
    answered: bool | None  # ask_about_items found the answer in the item's data
    reply: str


def rules_only(router: Any, text: str, state: Mapping[str, Any]) -> str:
    """The act the rules alone give a turn: the safety rules first, then the router's ordered rules."""
    from assistant import safety
    from assistant.router import rules_act

    kind = safety.classify(text)
    if kind != "ok":
        return "harmful" if kind == "harmful" else "off_topic"
    return rules_act(router.rules_plan(text, state))


def run_dialogue(assistant: Any, session_id: str, turns: Sequence[Mapping[str, Any]]) -> list[TurnResult]:
    """Feed the shopper's turns one by one; record what the assistant did with each."""
    from assistant.events import Done, ToolCall

    out = []
    for turn in turns:
        text = turn["text"]
        state = assistant.conversations.state(session_id)
        rules = rules_only(assistant.router, text, state)
        tools, answered, reply = [], None, ""
        for event in assistant.respond(session_id, text):
            if isinstance(event, ToolCall) and not event.error:
                tools.append(event.name)
                if event.name == "ask_about_items" and isinstance(event.result, dict):
                    answered = bool(event.result.get("found"))
            elif isinstance(event, Done):
                reply = event.text
        said = next((m for m in reversed(assistant.conversations.messages(session_id)) if m["role"] == "assistant"),
                    {})
        # the act the turn was handled as: the model's, or the rules' when it abstained or a safety rule answered
        out.append(TurnResult(text, turn["act"], said.get("act") or rules, rules, tools, answered, reply))
    return out


def end_to_end(assistant: Any, dialogues: Sequence[Mapping[str, Any]], tag: str) -> list[TurnResult]:
    results = []
    for d in dialogues:
        results += run_dialogue(assistant, f"eval-{tag}-{d['id']}", d["turns"])
    return results


def dialogues_in_their_shops(shops: Mapping[str, Any], make_assistant: Any, dialogues: Sequence[Mapping[str, Any]],
                             acts: str | None, progress: bool = False) -> list[TurnResult]:
    """Every dialogue end to end in its own shop (``shops[d["store"]]``)."""
    results = []
    for name, store in shops.items():
        mine = [d for d in dialogues if d["store"] == name]
        if mine:
            if progress:
                print(f"{len(mine)} dialogues in the {name!r} shop ({'learned acts' if acts else 'rules only'})")
            results += end_to_end(make_assistant(store, acts), mine, f"{name}-{acts or 'rules'}")
    missing = {d["store"] for d in dialogues} - set(shops)
    if missing:
        raise ValueError(f"no shop for the dialogues of {sorted(missing)}: add their catalogs to STORES")
    return results


def behaviour(results: Sequence[TurnResult]) -> dict[str, Any]:
    """What the turns did: questions about shown items handled as such (no new search) and answered from the
    item's data; small talk and greetings with no tool; cart turns that reached the cart."""
    ask = [r for r in results if r.gold == "ask_item"]
    talk = [r for r in results if r.gold in NO_TOOL]
    cart = [r for r in results if r.gold in ("add_to_cart", "view_cart", "remove_from_cart")]
    return {
        "ask_item_no_new_search": share(sum("search_products" not in r.tools for r in ask), len(ask)),
        "ask_item_answered_from_data": share(sum(bool(r.answered) for r in ask), len(ask)),
        "small_talk_no_tool": share(sum(not r.tools for r in talk), len(talk)),
        "cart_turns_reached_cart": share(sum(any(t.endswith("cart") for t in r.tools) for r in cart), len(cart)),
    }


def support_results(assistant: Any, messages: Sequence[Mapping[str, Any]]) -> list[TurnResult]:
    return end_to_end(assistant, [{"id": f"s{i}", "turns": [m]} for i, m in enumerate(messages)], "support")


def support_figures(results: Sequence[TurnResult], learned: bool) -> dict[str, Any]:
    pred = [r.act if learned else r.rules for r in results]
    return {"acts": classification_report([r.gold for r in results], pred),
            "no_product_list": share(sum("search_products" not in r.tools for r in results), len(results))}


def price_figures(phrases: Sequence[Mapping[str, Any]], currency: str = "USD") -> dict[str, Any]:
    """Price bounds read from budget phrasings: both bounds (and 'no budget') right, within a cent."""
    from assistant.prices import read_prices

    def close(a: Any, b: Any) -> bool:
        return (a is None and b is None) or (a is not None and b is not None and abs(float(a) - float(b)) < 0.011)

    wrong = []
    for p in phrases:
        got = read_prices(p["text"], currency)
        if not (close(got.min_price, p.get("min_price")) and close(got.max_price, p.get("max_price"))
                and got.unlimited == bool(p.get("no_budget"))):
            wrong.append({"text": p["text"], "got": [got.min_price, got.max_price, got.unlimited],
                          "want": [p.get("min_price"), p.get("max_price"), bool(p.get("no_budget"))]})
    return {**share(len(phrases) - len(wrong), len(phrases)), "wrong": wrong}


def corpus_figures(data_dir: str | Path, embedder: Any, router: Any, folds: int, cache: Path | None,
                   progress: bool, limit: int = 0) -> dict[str, Any]:
    """SIMMC and Bitext: out-of-fold learned acts against the rules, per corpus."""
    from assistant.acts import HeadConfig
    from finetune.acts import Embeddings, all_turns, cross_validate

    turns = all_turns(data_dir)
    if limit:
        turns = turns[:: max(1, len(turns) // limit)]
    embed = Embeddings(embedder, cache, progress)
    pred = cross_validate(turns, embed, folds, HeadConfig(), progress)
    out = {}
    shown_ids = list(router.items)[:3]
    for source in ("simmc", "bitext"):
        idx = [i for i, t in enumerate(turns) if t.source == source]
        if not idx:
            continue
        gold = [turns[i].act for i in idx]
        rules = []
        for i in idx:
            c = turns[i].context
            state = {"shown": shown_ids, "query": "items"} if c.shown and c.has_need else (
                {"shown": shown_ids} if c.shown else {})
            rules.append(rules_only(router, turns[i].text, state))
        out[source] = {"learned": classification_report(gold, [pred[i] for i in idx]),
                       "rules": classification_report(gold, rules)}
    return out


def latency(model: Any, texts: Sequence[str], runs: int = 3) -> dict[str, Any]:
    """Milliseconds the act model adds to a turn (one message + its context), median over turns and runs."""
    from assistant.acts import Context

    model.predict("warm up", Context("Here are 5 picks.", True, True))
    times = []
    for _ in range(runs):
        for text in texts:
            t0 = time.perf_counter()
            model.predict(text, Context("Here are 5 picks for you.", True, True))
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"turns": len(times), "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}


def evaluate(shops: Mapping[str, Any], stores: Mapping[str, Any], make_assistant: Any, data_dir: str | Path | None,
             embedder: Any, folds: int = 5, cache: Path | None = None, progress: bool = False,
             corpus_limit: int = 0, data: Path = DATA, answers_dir: str | Path | None = None,
             ask_assistant: Any = None) -> dict[str, Any]:
    """All the figures. The dialogues run in their own ``shops`` (by the dialogue's ``store``), the support
    messages in each of ``stores`` (with orders and policies). ``make_assistant(store, acts)`` builds an
    assistant (acts="shipped" or None). SIMMC's questions about shown items are answered from ``answers_dir``
    (seconds, so also without the corpora's cross-validation). The held-out questions about shown items
    (:mod:`evaluation.questions`) run with ``ask_assistant(store, acts)`` (default ``make_assistant``: templates
    only; pass one over a real model to score the model's replies)."""
    dialogues = read_jsonl(data / "shopping_dialogues.jsonl")
    support = read_jsonl(data / "support_messages.jsonl")
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                              "data": {"dialogues": len(dialogues), "dialogue_turns": sum(len(d["turns"]) for d in
                                                                                          dialogues),
                                       "support_messages": len(support), "shops": list(shops),
                                       "stores": list(stores)}}
    support_learned: list[TurnResult] = []
    support_rules: list[TurnResult] = []
    model = None
    for name, store in stores.items():
        if progress:
            print(f"support messages on store {name!r}")
        a = make_assistant(store, "shipped")
        model = a.acts
        if model is None:
            raise FileNotFoundError("No act model is shipped: train one with `longtail acts train`.")
        support_learned += support_results(a, support)
        support_rules += support_results(make_assistant(store, None), support)
    learned_turns = dialogues_in_their_shops(shops, make_assistant, dialogues, "shipped", progress)
    rules_turns = dialogues_in_their_shops(shops, make_assistant, dialogues, None, progress)
    gold = [t.gold for t in learned_turns]
    report["dialogues"] = {
        "learned": {"acts": classification_report(gold, [t.act for t in learned_turns]),
                    **behaviour(learned_turns)},
        "rules": {"acts": classification_report([t.gold for t in rules_turns], [t.rules for t in rules_turns]),
                  **behaviour(rules_turns)},
    }
    report["support"] = {"learned": support_figures(support_learned, True),
                         "rules": support_figures(support_rules, False)}
    report["prices"] = price_figures(read_jsonl(data / "price_phrases.jsonl"))
    report["latency"] = latency(model, [t["text"] for d in dialogues for t in d["turns"]])
    cases = read_jsonl(data / "question_turns.jsonl")
    if progress:
        print(f"{len(cases)} held-out questions about shown items")
    report["questions"] = {"learned": questions.figures(questions.run(shops, ask_assistant or make_assistant, cases)),
                           "rules": questions.figures(questions.run(shops, make_assistant, cases, None, "qr"))}
    report["errors"] = [{"text": t.text, "gold": t.gold, "act": t.act} for t in learned_turns if t.act != t.gold][:40]
    if answers_dir is not None:
        from .simmc_qa import simmc_answers

        report["simmc_answers"] = simmc_answers(answers_dir, embedder)
    if data_dir is not None and Path(data_dir).exists():
        if progress:
            print(f"SIMMC and Bitext: {folds}-fold out-of-fold acts")
        router = make_assistant(next(iter(stores.values())), None).router
        report["corpora"] = corpus_figures(data_dir, embedder, router, folds, cache, progress, corpus_limit)
    return report


def _acc(r: Mapping[str, Any]) -> str:
    return f"{r['accuracy']:.3f} [{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}] macro-F1 {r['macro_f1']:.3f} (n={r['n']})"


def _share(s: Mapping[str, Any]) -> str:
    if not s["n"]:
        return "-"
    return f"{s['share']:.3f} [{s['ci95'][0]:.3f}, {s['ci95'][1]:.3f}] (n={s['n']})"


def format_report(r: Mapping[str, Any]) -> str:
    lines = [f"longtail eval dialogue ({r['date']}); dialogues in their shops: {', '.join(r['data']['shops'])}; "
             f"support messages on: {', '.join(r['data']['stores'])}", ""]
    rows: list[tuple[str, str, str]] = []
    for source, c in (r.get("corpora") or {}).items():
        rows.append((f"{source} acts (held-out folds)", _acc(c["learned"]), _acc(c["rules"])))
    d = r["dialogues"]
    rows.append(("own dialogues: acts", _acc(d["learned"]["acts"]), _acc(d["rules"]["acts"])))
    for key, label in (("ask_item_no_new_search", "shown-item questions: no new search"),
                       ("ask_item_answered_from_data", "shown-item questions: answered from data"),
                       ("small_talk_no_tool", "small talk / greetings: no tool"),
                       ("cart_turns_reached_cart", "cart turns reached the cart")):
        rows.append((label, _share(d["learned"][key]), _share(d["rules"][key])))
    s = r["support"]
    q = r.get("questions")
    if q:
        rows.append(("shown-item questions: answered right", _share(q["learned"]), _share(q["rules"])))
        rows.append(("  of those the data answers", _share(q["learned"]["answerable"]),
                     _share(q["rules"]["answerable"])))
    rows.append(("support messages: acts", _acc(s["learned"]["acts"]), _acc(s["rules"]["acts"])))
    rows.append(("support messages: no product list", _share(s["learned"]["no_product_list"]),
                 _share(s["rules"]["no_product_list"])))
    width = max(len(x[0]) for x in rows) + 2
    lines.append(f"{'':<{width}}{'learned':<58}rules only")
    lines += [f"{a:<{width}}{b:<58}{c}" for a, b, c in rows]
    qa = r.get("simmc_answers")
    if qa:
        slots = ", ".join(f"{k} {v:.3f}" for k, v in qa["per_slot"].items())
        lines += ["", f"SIMMC 2.1 questions about shown items, every value its assistant gave stated: {_share(qa)}",
                  f"  per requested slot: {slots}"]
    lines += ["", f"price bounds (both bounds right): {_share(r['prices'])}",
              f"act model latency per turn: median {r['latency']['median_ms']} ms, p95 {r['latency']['p95_ms']} ms "
              f"over {r['latency']['turns']} turns", "", "weakest acts (own dialogues, learned):"]
    per = r["dialogues"]["learned"]["acts"]["per_label"]
    for act, v in sorted(((a, v) for a, v in per.items() if v["support"]), key=lambda kv: kv[1]["f1"])[:5]:
        lines.append(f"  {act:<18} F1 {v['f1']:.3f} (precision {v['precision']:.3f}, recall {v['recall']:.3f}, "
                     f"n={v['support']})")
    if q:
        kinds = ", ".join(f"{k} {v['share']:.3f} (n={v['n']})" for k, v in q["learned"]["per_kind"].items())
        lines.append(f"shown-item questions answered right, per kind (learned): {kinds}")
    if r["prices"]["wrong"]:
        lines.append("price phrasings read wrong: " + "; ".join(
            f"{w['text']!r} -> {w['got'][:2]}" for w in r["prices"]["wrong"][:8]))
    return "\n".join(lines)

