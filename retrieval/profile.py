"""What a store's own data says about it: how its ids look, its currency, its attribute vocabulary, and how a
shopper can name one of its items (by id in any case, by title or a distinctive part of it).

Nothing here knows any particular store: the id shapes are learned from the ids themselves
(:meth:`IdShape.learn`: ``LT-00042`` -> ``LT-\\d{5}``, ``#1001`` -> ``\\#\\d{4}``, Shopify handles, ASINs), the
currency and attribute values from the items. Every part of the product that needs to recognise an id, print a
price or list a store's colours asks a :class:`StoreProfile`.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Collection, Iterable, Mapping, Sequence

from .catalog import Item

RUN = re.compile(r"[A-Za-z0-9]+|[^A-Za-z0-9]")
WORD = re.compile(r"[a-z0-9]+")
# candidate id tokens in a message: runs of letters, digits and the separators ids use
TOKEN = re.compile(r"[#A-Za-z0-9][A-Za-z0-9_\-./:#]*[A-Za-z0-9]|[A-Za-z0-9]")
LITERAL_MAX = 12  # a letter run with at most this many distinct values is kept literally (LT, PHONE|BOOK|...)
STOP = frozenset("a an and or the for with of in on to from by at this that it its is are be your you our my "
                 "me about tell more details compare one ones item product book please what which how does do "
                 "vs versus between".split())
ATTRIBUTE_VALUE_MAX = 30  # longer attribute values are free text, not a vocabulary


def _kind(run: str) -> str:
    if run.isdigit():
        return "D"
    if run.isalpha():
        return "A"
    if run.isalnum():
        return "X"
    return "P"


@dataclass(frozen=True)
class IdShape:
    """A learned regular expression for one kind of id; ``generic`` when it also matches ordinary words or
    numbers (plain digits, plain words), so that a match needs context before it is trusted."""
    pattern: str
    generic: bool
    example: str

    @classmethod
    def learn(cls, ids: Iterable[str], coverage: float = 0.98, max_shapes: int = 4, mask: bool = False
              ) -> "IdShape":
        """The shapes covering ``coverage`` of ``ids``. With ``mask`` the example's digits are made up
        ("#1001" -> "#1234"): an order number in a hint must not be a real one."""
        ids = [i.strip() for i in ids if i and i.strip()]
        if not ids:
            return cls("(?!)", True, "")
        groups: dict[tuple[str, ...], list[list[str]]] = defaultdict(list)
        for item_id in ids:
            runs = RUN.findall(item_id)
            groups[tuple(_kind(r) if _kind(r) != "P" else r for r in runs)].append(runs)
        ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
        chosen, covered = [], 0
        for key, members in ordered[:max_shapes]:
            chosen.append((key, members))
            covered += len(members)
            if covered >= coverage * len(ids):
                break
        alternatives, generic = [], False
        for key, members in chosen:
            parts, specific = [], False
            for pos, kind in enumerate(key):
                values = [m[pos] for m in members]
                lo, hi = min(map(len, values)), max(map(len, values))
                span = f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
                if kind == "A":
                    distinct = sorted({v.upper() for v in values}, key=lambda v: (-len(v), v))
                    if len(distinct) <= LITERAL_MAX and len(members) >= 2 * len(distinct) or len(distinct) == 1:
                        parts.append("(?:" + "|".join(re.escape(v) for v in distinct) + ")")
                        specific = True
                    else:
                        parts.append(f"[A-Za-z]{span}")
                elif kind == "D":
                    parts.append(f"\\d{span}")
                elif kind == "X":  # letters and digits mixed (ASINs): demand at least one of each
                    parts.append(f"(?=[A-Za-z]*\\d)(?=\\d*[A-Za-z])[A-Za-z0-9]{span}")
                    specific = True
                else:
                    parts.append(re.escape(kind))
            if len(key) > 1 and any(k in ("D", "X") for k in key) and any(k not in ("A", "D", "X") for k in key):
                specific = True  # digits joined by a separator or a literal: 'sport-002', '#1001'
            generic = generic or not specific
            alternatives.append("".join(parts))
        pattern = r"(?<![\w\-])(?:" + "|".join(alternatives) + r")(?![\w\-])"
        example = ids[0]
        if mask:
            known = {i.lower() for i in ids}
            for sequence in ("1234567890", "9876543210", "5555555555"):
                digits = iter(sequence * 4)
                example = re.sub(r"\d", lambda _: next(digits), ids[0])
                if example.lower() not in known:
                    break
        return cls(pattern, generic, example)

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE)

    def findall(self, text: str) -> list[str]:
        return [m.group(0) for m in self.regex.finditer(text)]

    def matches(self, text: str) -> bool:
        return self.regex.fullmatch(text.strip()) is not None


class ItemNames:
    """How shoppers name items: their id in any case ("sport-002" for "SPORT-002"), or their title or a
    distinctive part of it ("the Billy Summers book")."""

    def __init__(self, items: Mapping[str, Item]):
        self.items = items
        self.by_key = {item_id.lower(): item_id for item_id in items}
        self.title_words: dict[str, list[str]] = {}
        self.df: Counter[str] = Counter()
        for item_id, item in items.items():
            words = [w for w in WORD.findall(item.title.lower()) if w not in STOP]
            self.title_words[item_id] = words
            self.df.update(set(words))
        self.postings: dict[str, list[str]] = defaultdict(list)
        for item_id, words in self.title_words.items():
            for w in set(words):
                self.postings[w].append(item_id)
        self.rare = max(3, int(0.002 * len(items)))
        n = len(items) or 1
        self.idf = {w: math.log(1 + n / df) for w, df in self.df.items()}  # rare title words weigh more

    def canonical(self, ref: str) -> str | None:
        """The catalog id ``ref`` names, in any case and with stray quotes or brackets around it."""
        ref = ref.strip().strip("'\"()[]<>.,;!?")
        return self.by_key.get(ref.lower())

    def ids_in(self, text: str) -> list[str]:
        """Catalog ids written in ``text``, in order, each once. An id that is an ordinary word (a handle such
        as 'socks') counts only when the whole message is that id."""
        out: list[str] = []
        whole = self.canonical(text)
        if whole:
            return [whole]
        for m in TOKEN.finditer(text):
            token = m.group(0)
            for candidate in (token, token.rstrip(".:/"), token.lstrip("#")):
                item_id = self.by_key.get(candidate.lower())
                if item_id and self._plausible(candidate, text[:m.start()]):
                    if item_id not in out:
                        out.append(item_id)
                    break
        return out

    def ids_written(self, text: str, shape: IdShape) -> list[str]:
        """:meth:`ids_in`, then the tokens of the catalog's id ``shape`` that the catalog does not have, as written
        (a shopper's typo or a model's invented id: the tool can say there is no such product, the checker can
        flag it). A generic shape adds nothing: it would take ordinary words for ids."""
        ids = self.ids_in(text)
        if not shape.generic:
            known = {i.lower() for i in ids}
            ids += [t for t in dict.fromkeys(shape.findall(text)) if t.lower() not in known]
        return ids

    @staticmethod
    def _plausible(token: str, before: str) -> bool:
        """An id that is also an ordinary word or number ('socks', '1200') needs 'item' / 'id' / '#' before it."""
        if token.isalpha() and not (token.isupper() and len(token) > 3) or token.isdigit():
            return re.search(r"(?i)(\b(item|product|id|sku|number|no\.?)\s*[:#]?|#)\s*$", before) is not None
        return True

    def by_title(self, text: str, among: Sequence[str] = ()) -> list[str]:
        """Items ``text`` names by title, best first. A title is named when most of its weight (rare words weigh
        more) is in the text; or when the text is mostly words of that title and only that title has them all
        ("the Billy Summers book", "the Rok Hardware #6 x 5/8"); or by one word only that title has. Ties go to
        the title that explains more of the text, then to the items in ``among`` (those on screen)."""
        present = {w for w in WORD.findall(text.lower()) if w not in STOP and self.df[w]}
        if not present:
            return []
        idf = self.idf
        rarest = sorted(present, key=lambda w: self.df[w])[:3]
        candidates = {i for w in rarest for i in self.postings[w]}
        shown = set(among)
        scored = []
        for item_id in candidates:
            title = set(self.title_words[item_id])
            matched = title & present
            coverage = sum(idf[w] for w in matched) / (sum(idf[w] for w in title) or 1)
            explained = sum(idf[w] for w in matched) / sum(idf[w] for w in present)
            rare = [w for w in matched if self.df[w] <= self.rare]
            named = (coverage >= 0.75
                     or len(matched) >= 2 and explained >= 0.6 and (rare or len(matched) >= 3)
                     and self._only_title_with(matched) == item_id
                     or len(matched) == 1 and rare and self.df[rare[0]] == 1 and len(rare[0]) >= 4)
            if named:
                scored.append((coverage + 0.5 * explained + (0.01 if item_id in shown else 0.0), item_id))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [item_id for _, item_id in scored]

    def named_among(self, text: str, among: Sequence[str], ignore: Collection[str] = ()) -> list[str]:
        """The items of ``among`` (the items on screen) that ``text`` names by words of their title or
        brand that the others lack ("the saltmarsh one", "is the high speed one in stock?", "the reflective
        ones" when two of three are), in screen order; [] when no word tells them apart. Words in ``ignore``
        never name (a colour asked about: "does the resonara come in sunburst?")."""
        words = {i: (set(self.title_words[i]) | set(WORD.findall((self.items[i].brand or "").lower()))) - STOP
                 for i in among if i in self.title_words}
        if len(words) < 2:
            return []
        score: Counter[str] = Counter()
        for w in {w for w in WORD.findall(text.lower()) if w not in STOP and w not in ignore}:
            having = [i for i, ws in words.items() if w in ws]
            if 0 < len(having) < len(words):
                for i in having:
                    score[i] += self.idf.get(w, 1.0)
        top = max(score.values(), default=0.0)
        return [i for i in words if top and score[i] >= top - 1e-9]

    def distinct_among(self, text: str, among: Sequence[str], ignore: Collection[str] = ()) -> str | None:
        """The one item of :meth:`named_among`, or None when the words name none or several."""
        named = self.named_among(text, among, ignore)
        return named[0] if len(named) == 1 else None

    def _only_title_with(self, words: set[str]) -> str | None:
        """The one item whose title has all of ``words`` (None when none or several do)."""
        ordered = sorted(words, key=lambda w: self.df[w])
        common = set(self.postings[ordered[0]])
        for w in ordered[1:]:
            common &= set(self.postings[w])
            if len(common) <= 1:
                break
        return next(iter(common)) if len(common) == 1 else None


def _currency(items: Iterable[Item]) -> str:
    counts = Counter(i.currency for i in items if i.currency)
    return counts.most_common(1)[0][0] if counts else "USD"


def _attribute_values(items: Iterable[Item]) -> dict[str, tuple[str, ...]]:
    values: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        for key, value in item.attributes.items():
            if isinstance(value, str) and 0 < len(value) <= ATTRIBUTE_VALUE_MAX:
                values[key.lower()][value.lower()] += 1
    # a vocabulary is a key whose values repeat (colours, materials, sizes), not a per-item free text
    return {k: tuple(sorted(c)) for k, c in values.items() if len(c) <= max(2, 0.5 * sum(c.values()))}


@dataclass
class StoreProfile:
    """One store, as learned from its own catalog and order book."""
    name: str
    item_ids: IdShape
    order_ids: IdShape
    currency: str = "USD"
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def learn(cls, items: Mapping[str, Item], order_ids: IdShape | Iterable[str] = (), name: str = ""
              ) -> "StoreProfile":
        """From the catalog and the order book's ids (or the shape the order book learned from them)."""
        values = list(items.values())
        orders = order_ids if isinstance(order_ids, IdShape) else IdShape.learn(order_ids, mask=True)
        return cls(name or "our store", IdShape.learn(items), orders, _currency(values), _attribute_values(values))

    @property
    def colors(self) -> tuple[str, ...]:
        return self.vocabulary("color", "colour")

    def vocabulary(self, *words: str) -> tuple[str, ...]:
        """The values of every attribute whose key contains one of ``words`` ("Color", "frame_colour", ...)."""
        return tuple(sorted({v for k, values in self.attributes.items() if any(w in k for w in words)
                             for v in values}))

    def order_ids_in(self, text: str) -> list[str]:
        """Order numbers written in ``text``. When the store's order numbers look like ordinary numbers or words,
        only those after 'order' / 'order number' / 'order #' count ("phones under 1200" is not an order)."""
        if not self.order_ids.example:
            return []
        if not self.order_ids.generic:
            return self.order_ids.findall(text)
        context = re.compile(r"(?i)\border(?:\s*(?:number|no\.?|num|id))?(?:\s+(?:is|was))?\s*[:#]?\s*(" +
                             self.order_ids.pattern + ")")
        return [m.group(1) for m in context.finditer(text)]

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "item_id_example": self.item_ids.example, "item_id_pattern": self.item_ids.pattern,
                "order_id_example": self.order_ids.example, "order_id_pattern": self.order_ids.pattern,
                "currency": self.currency,
                "attributes": {k: len(v) for k, v in self.attributes.items()}}
