"""How well shoppers can name a store's items: by id (typed as shown, in lower or upper case), by title, by a
distinctive part of the title, and two at once in a comparison; measured through the assistant's router on any
catalog file (`longtail eval references CATALOG`).

For each sampled item the cases are:

* ``id``, ``id_lower``, ``id_upper``: "tell me more about <id>" in the three spellings;
* ``title``: "tell me more about the <title>" (items whose title another item has too are left out: the words
  cannot tell them apart; their number is reported);
* ``short_title``: "tell me more about the <words>", where <words> is the shortest run of the title's first
  words (two or more) that no other title starts with, as people shorten "Billy Summers: A Novel" to
  "Billy Summers"; items whose title has no such prefix are left out of this case;
* ``compare_ids`` and ``compare_titles``: "compare A and B" with the ids / the titles of two sampled items.

A case is right when the router plans ``product_details`` (``compare_products``) with exactly the named item(s).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from typing import Any, Mapping

from retrieval import Item, ItemNames

from .metrics import wilson

KINDS = ("id", "id_lower", "id_upper", "title", "short_title", "compare_ids", "compare_titles")


def short_title(item: Item, names: ItemNames, by_prefix: Mapping[str, int]) -> str | None:
    words = item.title.split()
    for n in range(2, min(len(words), 6) + 1):
        prefix = " ".join(words[:n]).rstrip(",:;-")
        if by_prefix.get(prefix.lower(), 0) == 1 and len(prefix) < len(item.title):
            return prefix
    return None


def reference_cases(items: Mapping[str, Item], n: int = 300, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` sampled items' cases (deterministic for a seed)."""
    rng = random.Random(seed)
    ids = sorted(items)
    picked = rng.sample(ids, min(n, len(ids)))
    names = ItemNames(items)
    by_prefix: dict[str, int] = defaultdict(int)
    titles = Counter(item.title.lower() for item in items.values())
    for item in items.values():
        words = item.title.split()
        for k in range(2, min(len(words), 6) + 1):
            by_prefix[" ".join(words[:k]).rstrip(",:;-").lower()] += 1
    cases = []
    for a, b in zip(picked, picked[1:] + picked[:1]):
        item = items[a]
        cases += [{"kind": "id", "message": f"tell me more about {a}", "want": [a]},
                  {"kind": "id_lower", "message": f"tell me more about {a.lower()}", "want": [a]},
                  {"kind": "id_upper", "message": f"tell me more about {a.upper()}", "want": [a]}]
        unique = titles[item.title.lower()] == 1 and titles[items[b].title.lower()] == 1
        if titles[item.title.lower()] == 1:
            cases.append({"kind": "title", "message": f"tell me more about the {item.title}", "want": [a]})
        short = short_title(item, names, by_prefix)
        if short:
            cases.append({"kind": "short_title", "message": f"tell me more about the {short}", "want": [a]})
        if a != b:
            cases.append({"kind": "compare_ids", "message": f"compare {a} and {b}", "want": [a, b]})
            if unique:
                cases.append({"kind": "compare_titles", "want": [a, b],
                              "message": f"compare the {item.title} with the {items[b].title}"})
    return cases


def evaluate_references(items: Mapping[str, Item], n: int = 300, seed: int = 0) -> dict[str, Any]:
    """Accuracy per kind of reference, with counts, a Wilson 95% interval and a few misses."""
    from assistant.router import Router

    router = Router(items)
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    misses: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in reference_cases(items, n, seed):
        plan = router.plan(case["message"], {})
        got = plan.arguments.get("item_ids") or ([plan.arguments["item_id"]] if "item_id" in plan.arguments else [])
        ok = plan.tool in ("product_details", "compare_products") and got == case["want"]
        total[case["kind"]] += 1
        right[case["kind"]] += ok
        if not ok and len(misses[case["kind"]]) < 5:
            misses[case["kind"]].append({"message": case["message"][:160], "tool": plan.tool, "got": got})
    titles = Counter(item.title.lower() for item in items.values())
    shared = sum(1 for item in items.values() if titles[item.title.lower()] > 1)
    out: dict[str, Any] = {"items": len(items), "sampled": min(n, len(items)), "seed": seed,
                           "items_sharing_a_title": shared, "kinds": {}}
    for kind in KINDS:
        if total[kind]:
            lo, hi = wilson(right[kind], total[kind])
            out["kinds"][kind] = {"right": right[kind], "cases": total[kind], "accuracy": right[kind] / total[kind],
                                  "ci95": [round(lo, 4), round(hi, 4)], "misses": misses[kind]}
    return out


def format_references(result: Mapping[str, Any]) -> str:
    lines = [f"references: {result['sampled']} sampled items of {result['items']} (seed {result['seed']}; "
             f"{result['items_sharing_a_title']} items share their title with another and are not asked by title)",
             f"{'kind':16} {'right':>7} {'cases':>6} {'accuracy':>9}  95% CI"]
    for kind, r in result["kinds"].items():
        lines.append(f"{kind:16} {r['right']:7} {r['cases']:6} {r['accuracy']:9.1%}  "
                     f"{r['ci95'][0]:.1%}-{r['ci95'][1]:.1%}")
    for kind, r in result["kinds"].items():
        for miss in r["misses"][:2]:
            lines.append(f"  miss ({kind}): {miss['message']!r} -> {miss['tool']} {miss['got']}")
    return "\n".join(lines)
