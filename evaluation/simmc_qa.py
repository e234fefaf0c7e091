"""Questions about shown items in real words: SIMMC 2.1's questions answered from the items' own data.

SIMMC 2.1 dev (``../shared/data/simmc2.1-dev``) has no catalogs here, but its assistant turns carry the values
they told the shopper (``"Object ID: 37": {"price": 24.99, "size": "XXL"}``). Each object a dialogue mentions
becomes an :class:`~retrieval.catalog.Item` holding every value the dialogue's annotations give it (its type,
colour, pattern, brand, price, rating, size, sizes in stock, ...). Each shopper question (``ASK:GET`` and
``REQUEST:COMPARE`` turns with requested slots: "Do you have the cost and size of the blue and white shirt and
the grey and black?") is then put to :func:`assistant.answers.answer_question` about the objects the dialogue
resolved it to, and it counts as answered when the reply states every value the SIMMC assistant gave. This
scores the answering on real phrasing; which item a spatial reference ("the one on the left rack") means is
outside it (the scene is not in the data).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval.catalog import Item


SIMMC_FILE = "simmc2.1-dev/simmc2.1_dials_dstc11_dev.json"
ASKS = ("ASK:GET", "REQUEST:COMPARE")
_OBJECT = re.compile(r"Object ID: (\d+)")
# SIMMC slot -> the attribute key a shop would use ("availableSizes" stays camelCase, as exports often have it)
ATTRIBUTES = ("color", "pattern", "sleeveLength", "size", "availableSizes", "materials", "type")


@dataclass
class Question:
    dialogue: int
    text: str
    slots: list[str]  # the requested slots: price, brand, customerReview, size, availableSizes
    items: list[Item]  # the objects it was resolved to
    gold: dict[str, dict[str, Any]]  # object id -> slot -> the value the SIMMC assistant gave


def _object_values(slot_values: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, value in slot_values.items():
        m = _OBJECT.fullmatch(key)
        if m and isinstance(value, dict):
            yield m.group(1), value


def _item(dialogue: int, obj: str, values: Mapping[str, Any]) -> Item:
    kind = str(values.get("type") or values.get("assetType", "").split("_")[0] or "item")
    colour = str(values.get("color", ""))
    title = " ".join(w for w in (colour, kind) if w).strip().capitalize() or f"Item {obj}"
    attributes = {}
    for key in ATTRIBUTES:
        if key in values and values[key] not in ("", None, []):
            v = values[key]
            attributes[key] = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
    price = values.get("price")
    rating = values.get("customerReview")
    return Item(id=f"simmc-{dialogue}-{obj}", title=title, brand=str(values.get("brand", "")),
                price=float(price) if isinstance(price, (int, float)) else None,
                rating=float(rating) if isinstance(rating, (int, float)) else None,
                category=("fashion", kind), attributes=attributes)


def questions(path: str | Path) -> list[Question]:
    """Every question with requested slots whose answer the dialogue gives, with its items."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for dialogue in data["dialogue_data"]:
        idx = dialogue["dialogue_idx"]
        turns = dialogue["dialogue"]
        values: dict[str, dict[str, Any]] = defaultdict(dict)
        for t in turns:  # everything the dialogue says about each object
            for side in ("transcript_annotated", "system_transcript_annotated"):
                attrs = t[side]["act_attributes"]
                for obj, v in _object_values(attrs["slot_values"]):
                    values[obj].update(v)
                flat = {k: v for k, v in attrs["slot_values"].items() if not _OBJECT.fullmatch(k)}
                if flat and len(attrs["objects"]) == 1 and side == "system_transcript_annotated":
                    values[str(attrs["objects"][0])].update(flat)
        for n, t in enumerate(turns):
            user = t["transcript_annotated"]
            slots = user["act_attributes"]["request_slots"]
            if user["act"] not in ASKS or not slots:
                continue
            # the answer: this turn's reply, or (after "which one?") the reply to the shopper's clarification
            for later in turns[n:n + 3]:
                told = dict(_object_values(later["system_transcript_annotated"]["act_attributes"]["slot_values"]))
                gold = {o: {s: v[s] for s in slots if s in v} for o, v in told.items()}
                gold = {o: g for o, g in gold.items() if g}
                if gold:
                    items = [_item(idx, o, values[o]) for o in gold]
                    out.append(Question(idx, t["transcript"], list(slots), items,
                                        {f"simmc-{idx}-{o}": g for o, g in gold.items()}))
                    break
    return out


def _stated(value: Any, text: str) -> bool:
    """Whether the answer states a value: a number as written ("24.99", "4.7"), a size or brand as a word."""
    low = text.lower()
    if isinstance(value, list):
        return all(_stated(v, text) for v in value)
    if isinstance(value, float):
        return re.search(rf"(?<![\d.]){re.escape(f'{value:g}')}(?![\d])", low.replace(",", "")) is not None or \
            f"{value:.2f}" in low or f"{value:.1f}" in low
    return re.search(rf"(?<![\w]){re.escape(str(value).lower())}(?![\w])", low) is not None


def score(qs: Sequence[Question], embedder: Any) -> dict[str, Any]:
    """Questions whose answer states every value SIMMC's assistant gave; per requested slot as well."""
    from assistant.answers import answer_question

    hits, per_slot, misses = 0, defaultdict(lambda: [0, 0]), []
    for q in qs:
        answer = answer_question(q.text, q.items, embedder)
        ok_all = True
        for slot in q.slots:
            values = [g[slot] for g in q.gold.values() if slot in g]
            if not values:
                continue
            ok = answer.found and all(_stated(v, answer.text) for v in values)
            per_slot[slot][0] += ok
            per_slot[slot][1] += 1
            ok_all &= ok
        hits += ok_all
        if not ok_all and len(misses) < 30:
            misses.append({"question": q.text, "slots": q.slots, "answer": answer.text})
    from .dialogue import share

    return {**share(hits, len(qs)), "per_slot": {s: round(h / n, 4) for s, (h, n) in sorted(per_slot.items())},
            "misses": misses}


def simmc_answers(data_dir: str | Path, embedder: Any) -> dict[str, Any] | None:
    """The figure for ``longtail eval dialogue``; None without the SIMMC file."""
    path = Path(data_dir) / SIMMC_FILE
    if not path.exists():
        return None
    return score(questions(path), embedder)
