"""Why each item is suggested, and the fact checker for anything the model writes.

:func:`template_explanation` writes one or two sentences from the item's own fields and its retrieval trace:
what in the request it matches (words in its title / attributes / category), how its price relates to the
shopper's limit, its rating; and for long-tail picks, why it is worth a look although few people bought it.
Every sentence is built from facts, so it is true by construction (the checker confirms it in tests).

:class:`FactChecker` extracts factual claims from free text (prices, ratings, other numbers, brands, colours
and materials, item ids) and checks each against the facts it is given (the items shown, the tool result, the
shopper's own words). Unsupported claims make a sentence unsupported; the dialogue then drops or replaces it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Iterable, Mapping, Sequence

from retrieval import Item, ItemNames, SearchHit, StoreProfile
from retrieval.catalog import format_amount, format_price

WORD = re.compile(r"[a-z0-9]+")
CURRENCY = r"(?:\$|€|£|¥|₹|usd|eur|gbp|jpy|inr|chf|cad|aud)"
MONEY = re.compile(rf"{CURRENCY}\s*(\d+(?:,\d{{3}})*(?:\.\d{{1,2}})?)|(\d+(?:,\d{{3}})*(?:\.\d{{1,2}})?)\s*"
                   rf"(?:dollars|euros?|pounds|{CURRENCY})(?![a-z])", re.I)
RATING = re.compile(r"(\d(?:\.\d)?)\s*(?:/\s*5|out of 5|stars?|★)", re.I)
NUMBER = re.compile(r"(?<![\w.-])(\d+(?:\.\d+)?)(?![\w-])")
CLAUSE = re.compile(r"\s*(?:[;:,()]|\s-\s|\band\b|\bor\b|\bvs\.?|\bthan\b)\s*")
# three or more capitalised words in a row (small words may sit between them): how a title is written
TITLE_CASE = re.compile(r"\b[A-Z][\w'&-]*(?:\s+(?:(?:of|the|and|&|for|in|on|a|an|to|with)\s+)?[A-Z][\w'&-]*){2,}")
STOP = frozenset("a an and or the for with of in on to from by at this that it its is are be your you our my "
                 "i we me it's".split())


def fmt_price(item: Item) -> str:
    return format_price(item.price, item.currency)


def _words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 1}


def matched_terms(query: str, item: Item) -> list[str]:
    """Query words found in the item's title, brand, category or attribute values (in query order)."""
    fields = _words(" ".join([item.title, item.brand, " ".join(item.category), " ".join(item.attributes.values())]))
    out = []
    for w in WORD.findall(query.lower()):
        if w in fields and w not in STOP and len(w) > 2 and w not in out:
            out.append(w)
        elif w.endswith("s") and w[:-1] in fields and w[:-1] not in out:
            out.append(w[:-1])
    return out


def template_explanation(hit: SearchHit, query: str = "", max_price: float | None = None,
                         min_price: float | None = None) -> str:
    """One or two true sentences on why ``hit`` fits ``query`` (and why a long-tail pick is worth a look)."""
    item, trace = hit.item, hit.trace
    leaf = item.category[-1] if item.category else "product"
    terms = matched_terms(query, item)
    parts = []
    if terms:
        parts.append(f"Matches \"{' '.join(terms[:4])}\"")
    else:
        parts.append(f"A close match for your request in {leaf}")
    if item.price is not None:
        if max_price is not None and item.price <= max_price:
            parts.append(f"at {fmt_price(item)} it is within your {format_amount(max_price, item.currency)} limit")
        elif min_price is not None and item.price >= min_price:
            parts.append(f"at {fmt_price(item)} it is above {format_amount(min_price, item.currency)} as asked")
        else:
            parts.append(f"priced at {fmt_price(item)}")
    first = ", ".join(parts[:1]) + ("; " + parts[1] if len(parts) > 1 else "") + "."
    if trace.long_tail:
        if item.rating is not None and item.rating_count > 0:
            why = f"it is rated {item.rating:.1f}/5 by the {item.rating_count} who reviewed it"
        elif item.attributes:
            k, v = next(iter(item.attributes.items()))
            why = f"it fits what you asked for ({k.replace('_', ' ')}: {v})"
        else:
            why = f"it fits what you asked for in {leaf}"
        second = f"Few shoppers have found it yet, but {why}."
    elif item.rating is not None and item.rating_count > 0:
        second = f"Rated {item.rating:.1f}/5 by {item.rating_count} shoppers."
    else:
        second = ""
    return (first + " " + second).strip()


# --------------------------------------------------------------------------------------------- hidden gems
# The badge's evidence: a tail item (the least popular items that together hold the bottom ``tail_share`` of
# interactions, retrieval.popularity) that buyers rated at least GEM_MIN_RATING, by at least GEM_MIN_RATINGS.
GEM_MIN_RATING = 4.0
GEM_MIN_RATINGS = 3
NEW_DAYS = 90  # "new to our shop": added (a date in the item's extra fields) within this many days
FEW_SHOPPERS = 3  # at most this many interactions: "few shoppers have found it yet"
ADDED_KEYS = ("date_added", "added_at", "added", "created_at", "first_available", "date_first_available")


def _added(item: Any) -> date | None:
    extra = getattr(item, "extra", None) or {}
    for key in ADDED_KEYS:
        value = extra.get(key)
        if not value:
            continue
        try:
            return datetime.fromisoformat(str(value)[:10]).date()
        except ValueError:
            continue
    return None


def gem_reason(item: Any, trace: Any, today: date | None = None) -> str:
    """Why ``item`` is a hidden gem, in a shopper's words, from its real data; "" when it is not one.

    A gem is in the *tail* bucket (not just "not head": that is nearly the whole catalog) and has evidence
    that it is good: a rating of at least GEM_MIN_RATING from at least GEM_MIN_RATINGS buyers. An item with
    no rating, or too few ratings, never gets the badge."""
    if getattr(trace, "bucket", "") != "tail":
        return ""
    rating, count = getattr(item, "rating", None), int(getattr(item, "rating_count", 0) or 0)
    if rating is None or not math.isfinite(float(rating)) or count < GEM_MIN_RATINGS or rating < GEM_MIN_RATING:
        return ""
    evidence = f"rated {float(rating):.1f} by {count} buyers"
    added = _added(item)
    today = today or datetime.now(UTC).date()
    if added is not None and 0 <= (today - added).days <= NEW_DAYS:
        return f"New to our shop, {evidence}"
    interactions = float(getattr(trace, "popularity", 0.0) or 0.0)
    seen = int(getattr(trace, "exposure", 0) or 0)
    if interactions <= 0 and seen <= 0:
        return f"No one here has found it yet, but it's {evidence}"
    if interactions <= FEW_SHOPPERS:
        return f"Few shoppers have found it yet, {evidence}"
    return f"Less known than our bestsellers, {evidence}"


# --------------------------------------------------------------------------------------------- fact checking
@dataclass
class Check:
    claims: int = 0
    supported: int = 0
    unsupported: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unsupported

    def __iadd__(self, other: "Check") -> "Check":
        self.claims += other.claims
        self.supported += other.supported
        self.unsupported += other.unsupported
        return self


@dataclass
class Facts:
    """What a text may claim: numbers, words and ids from the items, the tool result and the shopper's words."""
    numbers: set[float] = field(default_factory=set)
    ratings: set[float] = field(default_factory=set)
    prices: set[float] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)  # lower-case: ids match in any case
    texts: list[str] = field(default_factory=list)  # an id written in one of these (a tool result) is supported
    per_item: dict[str, "Facts"] = field(default_factory=dict)  # each item's own facts, by lower-case id
    said: "Facts | None" = None  # the facts of the texts alone (the shopper's words, the tool call), no item

    def add_text(self, text: str, ids: bool = True) -> None:
        self.words |= _words(text)
        for m in NUMBER.finditer(text.replace(",", "")):
            self.numbers.add(round(float(m.group(1)), 2))
        if ids:
            self.texts.append(text.lower())
            if self.said is None:
                self.said = Facts()
            self.said.add_text(text, ids=False)
            self.said.texts.append(text.lower())

    def add_item(self, item: Item) -> None:
        own = Facts()
        own._add_item(item)
        self.per_item[item.id.lower()] = own
        self._add_item(item)

    def _add_item(self, item: Item) -> None:
        self.ids.add(item.id.lower())
        if item.price is not None:
            self.prices.add(round(item.price, 2))
            self.numbers.add(round(item.price, 2))
        if item.rating is not None:
            self.ratings.add(round(item.rating, 1))
            self.numbers.add(round(item.rating, 1))
        self.numbers.add(float(item.rating_count))
        # an item's own text never vouches for other item ids (a description may name any id)
        self.add_text(" ".join([item.title, item.brand, " ".join(item.category), item.description,
                                " ".join(f"{k} {v}" for k, v in item.attributes.items())]), ids=False)

    def has_id(self, item_id: str) -> bool:
        value = item_id.lower()
        token = re.compile(r"(?<![\w\-])" + re.escape(value) + r"(?![\w\-])")
        return value in self.ids or any(token.search(t) for t in self.texts)


def facts_for(items: Iterable[Item] = (), texts: Iterable[str] = ()) -> Facts:
    facts = Facts()
    for item in items:
        facts.add_item(item)
    for text in texts:
        facts.add_text(text)
    return facts


class FactChecker:
    """Checks the factual claims of a text against :class:`Facts`; vocabularies (brands, colours, materials, how
    ids look) come from the catalog."""

    def __init__(self, items: Mapping[str, Item], names: ItemNames | None = None, profile: StoreProfile | None = None):
        self.brands = {i.brand.lower() for i in items.values() if i.brand}
        self.names = names if names is not None else ItemNames(items)
        profile = profile if profile is not None else StoreProfile.learn(items)
        self.id_shape = profile.item_ids
        # what a sentence may misstate: colours, materials and who wrote or made it
        self.attributes = set(profile.vocabulary("color", "colour", "material", "author", "artist", "publisher"))

    def ids_in(self, text: str) -> list[str]:
        """Ids a text claims: the catalog's own in any case, and id-shaped tokens the catalog does not have."""
        return list(dict.fromkeys(i.lower() for i in self.names.ids_written(text, self.id_shape)))

    def claims(self, text: str) -> list[tuple[str, str]]:
        """(kind, value) pairs: money, rating, number, brand, attribute, id."""
        out: list[tuple[str, str]] = []
        rest = text
        for m in MONEY.finditer(text):
            out.append(("money", (m.group(1) or m.group(2)).replace(",", "")))
        rest = MONEY.sub(" ", rest)
        for m in RATING.finditer(rest):
            out.append(("rating", m.group(1)))
        rest = RATING.sub(" ", rest)
        for item_id in self.ids_in(rest):
            out.append(("id", item_id))
            rest = re.sub(r"(?i)(?<![\w\-])" + re.escape(item_id) + r"(?![\w\-])", " ", rest)
        for m in NUMBER.finditer(re.sub(r"(?<=\d),(?=\d{3}\b)", "", rest)):  # "1,000 pieces" is the fact 1000
            out.append(("number", m.group(1)))
        low = text.lower()
        for brand in self.brands:
            if re.search(r"(?<!\w)" + re.escape(brand) + r"(?!\w)", low):
                out.append(("brand", brand))
        for value in self.attributes:
            if re.search(r"(?<!\w)" + re.escape(value) + r"(?!\w)", low):
                out.append(("attribute", value))
        return out

    def check(self, text: str, facts: Facts) -> Check:
        """Every claim must be in the facts; in a sentence about one item (named by its title or id) every claim
        must be that item's own, or the shopper's words: no price, brand, author or colour borrowed from another
        item. A title named with another item's id, and a title-like name no item has, are unsupported too."""
        sentences = split_sentences(text)
        if len(sentences) > 1:  # which item a claim is about is decided sentence by sentence
            total = Check()
            for sentence in sentences:
                total += self.check(sentence, facts)
            return total
        result = Check()
        named = self._named(text, facts)
        one = facts.per_item.get(named[0]) if len(named) == 1 and facts.per_item else None
        for kind, value in self.claims(text):
            result.claims += 1
            ok = self._supported(kind, value, facts) and (
                one is None or kind == "id" or self._supported(kind, value, one)
                or (facts.said is not None and self._supported(kind, value, facts.said)))
            if ok:
                result.supported += 1
            else:
                result.unsupported.append(f"{kind}:{value}")
        for problem in self._mispaired(text, facts) + self._unknown_titles(text, facts):
            result.claims += 1
            result.unsupported.append(problem)
        return result

    def _titled(self, text: str, facts: Facts) -> list[str]:
        """Items of the facts the text names by title (lower-case ids), clause by clause ("yes for A; no for B")."""
        out: list[str] = []
        for clause in [text, *CLAUSE.split(text)]:
            out += [i.lower() for i in self.names.by_title(clause, list(facts.per_item)) if i.lower() in facts.per_item]
        return list(dict.fromkeys(out))

    def _named(self, text: str, facts: Facts) -> list[str]:
        ids = [i for i in self.ids_in(text) if i in facts.per_item]
        return list(dict.fromkeys([*ids, *self._titled(text, facts)]))

    def _mispaired(self, text: str, facts: Facts) -> list[str]:
        """'<title A> (id of B)': a title written with another item's id."""
        titled = self._titled(text, facts)
        ids = [i for i in self.ids_in(text) if self.names.canonical(i) is not None]
        if len(titled) == 1 and len(ids) == 1 and ids[0] != titled[0]:
            return [f"pair:{titled[0]}/{ids[0]}"]
        return []

    def _unknown_titles(self, text: str, facts: Facts) -> list[str]:
        """A name in title case (three or more capitalised words) whose words no item or the shopper used."""
        out = []
        for m in TITLE_CASE.finditer(text):
            content = [w for w in re.findall(r"[A-Za-z][\w'&-]*", m.group(0)) if w.lower() not in STOP]
            unknown = [w for w in content if not _words(w) <= facts.words]
            if len(content) >= 3 and len(unknown) >= 2:
                out.append(f"title:{m.group(0)}")
        return out

    @staticmethod
    def _supported(kind: str, value: str, facts: Facts) -> bool:
        if kind == "money":
            v = round(float(value), 2)
            return any(abs(v - p) < 0.011 for p in facts.prices | facts.numbers)
        if kind == "rating":
            return round(float(value), 1) in facts.ratings or round(float(value), 1) in facts.numbers
        if kind == "number":
            return round(float(value), 2) in facts.numbers
        if kind == "id":
            return facts.has_id(value)
        return _words(value) <= facts.words


def split_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def check_explanations(checker: FactChecker, explanations: Mapping[str, str], hits: Sequence[SearchHit],
                       query: str = "") -> Check:
    """Check each item's explanation against that item alone (plus the query)."""
    total = Check()
    by_id = {h.item.id: h.item for h in hits}
    for item_id, text in explanations.items():
        if item_id in by_id:
            total += checker.check(text, facts_for([by_id[item_id]], [query]))
    return total


def describe_facts(hits: Sequence[SearchHit]) -> list[dict[str, Any]]:
    return [{"id": h.item.id, "title": h.item.title, "price": h.item.price, "rating": h.item.rating}
            for h in hits]
