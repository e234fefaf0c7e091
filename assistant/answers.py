"""Answers to a shopper's question about items already shown, from each item's own data (never a new search).

:func:`answer_question` reads, in this order:

1. **Comparisons** over two or more items ("which is cheaper / lighter / higher rated / has more pages"): the
   numeric field (price, rating, review count) or attribute (parsed with its unit: "1.2 kg" vs "350 g",
   "3 lb 4 oz", "2 x 10 lb", "8 hours") of each item, and the winner named by title.
2. **Structured fields**: price, brand, rating and reviews, stock, category / genre, and any attribute whose key
   words (or a synonym, plural or unit: "pages" -> ``page_count``, "lighter" -> ``weight``, "battery" ->
   ``battery_life``) are in the question, or that a phrase of it names ("how big" -> size / dimensions /
   capacity, "how long" -> length / inseam / pages / play time, "made of" -> material, "can it get wet" ->
   waterproof / water resistance). Attribute keys are matched by their words, not from a fixed list, so any
   store's keys work; filler ("exactly", "lol", "on it", "the first one") never names one. An open question
   that names no key of the item is answered by the key nearest in meaning ("what kind of gas does it use?" ->
   ``fuel``) when the embedder puts it near enough and clearly ahead of the next. A yes/no question about a
   value ("does it come in blue?", "is it a thriller?") is checked against the item's attributes, brand,
   category, title and description and answered yes / no with the field that says so; a value named nowhere is
   a "no" when the item states its own value of that property ("no (color white)"; for "is it a hardcover?" the
   property nearest in meaning: "format paperback"). A judgement ("too heavy for a kid?") or a value only near
   the listed one ("is the handle wooden?": "handle walnut") gets the value without a verdict, and so does
   "water resistant" from "waterproof: no" (or "waterproof" from a water resistance rating).
3. **The description**: its sentences are embedded with the question; the best one above a similarity
   threshold that shares a content word with the question is the evidence, quoted.
4. Otherwise the answer says the listing does not say (``found=False``), so the assistant can offer to ask a
   person.

Every claim in :attr:`Answer.text` is a value copied from the evidence (prices through ``format_price``,
ratings as "4.5/5", attribute values as written), items are named by title, never by id, so the text passes
:class:`assistant.explain.FactChecker` against ``facts_for(items, [question])``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from retrieval.catalog import Item, format_amount, format_price
from retrieval.embed import Embedder

# Cosine between a question and a description sentence (all-MiniLM-L6-v2) above which the sentence may answer
# it; a shared content word is required as well. Tuned on two dozen question / sentence pairs (some are in
# tests/test_answers.py): sentences that answer score 0.33..0.72, ones that only share a word ("is it waterproof?"
# / "Water bottle holder on the side.", "can I wash it in the machine?" / "The machine-made stitching ...")
# 0.06..0.29. A sentence holding the very words asked about ("waterproof") needs only LITERAL_SHARE of it:
# "does it come with a case?" is not answered by "In case of rain, zip the hood." (0.06).
MIN_SIMILARITY = 0.32
LITERAL_SHARE = 0.6
MAX_QUOTE = 200  # a longer sentence is cut to its clause that holds the matched word

Evidence = tuple[str, str, str]  # (item id, field name / "attributes.<key>" / "description", value or sentence)


@dataclass
class Answer:
    """``text`` names items by title; ``found`` is True when every item's own data answered (for a comparison:
    when a winner could be named); ``unanswered`` lists the ids of items whose data does not say, for whom the
    assistant can offer to ask a person."""
    text: str
    found: bool
    evidence: list[Evidence] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ words
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?(?:'[a-z]+)?")
STOP = frozenset(
    ["a", "an", "and", "or", "the", "for", "with", "of", "in", "on", "to", "from", "by", "at", "as", "this", "that", "these", "those", "it", "its", "it's", "is", "are", "was", "were", "be", "been", "being", "your", "you", "our", "my", "me", "i", "we", "they", "them", "their", "there", "here", "do", "does", "did", "doesn't", "don't", "can", "could", "will", "would", "should", "has", "have", "had", "any", "some", "also", "really", "actually", "just", "please", "tell", "about", "know", "say", "says", "said", "what", "what's", "which", "who", "whom", "how", "much", "many", "one", "ones", "first", "second", "third", "fourth", "fifth", "last", "other", "both", "either", "each", "item", "items", "product", "products", "thing", "things", "come", "comes", "coming", "came", "offer", "offered", "offers", "include", "includes", "included", "including", "got", "get", "gets", "available", "availability", "make", "makes", "option", "options", "version", "versions", "same", "too", "very", "so", "but", "then", "than", "if", "whether", "like"])
# words a shopper adds that never name what is asked about ("whats it made of exactly", "battery on it lol")
FILLER = frozenset(
    ["exactly", "exact", "precisely", "specifically", "roughly", "approximately", "approx", "basically",
     "honestly", "literally", "kinda", "sorta", "lol", "lmao", "haha", "hmm", "um", "uh", "pls", "plz", "thanks",
     "thank", "thx", "btw", "tho", "though", "anyway", "anyways", "hey", "hi", "hello", "yeah", "yep",
     "guess", "wondering", "wonder", "curious", "quick", "question", "mate", "u", "ur", "enough", "wat",
     "wot", "all", "now", "today", "currently", "still"])
# shoppers' spellings of question words ("hw much", "hows much for", "wat colour")
SPELLINGS = ((re.compile(r"\bhows? much\b|\bhw much\b"), "how much"), (re.compile(r"\bhw\b"), "how"),
             (re.compile(r"\bwats?\b|\bwots?\b"), "what"))
STOP = STOP | FILLER
NEGATIONS = frozenset(["no", "not", "without", "lacks", "lack", "lacking", "never", "none", "non", "cannot", "isn't", "doesn't", "don't", "aren't", "won't", "can't", "wasn't", "hasn't", "haven't"])
NEGATIVE_VALUES = frozenset(["no", "n", "false", "0", "none", "not", "included", "n/a", "na", "without", "absent"])
POSITIVE_VALUES = frozenset(["yes", "y", "true", "1", "included"])
AUX = frozenset(["do", "does", "did", "is", "are", "was", "were", "can", "could", "will", "would", "has", "have", "had", "should", "isn't", "doesn't", "don't", "aren't"])
NOT_VALUES = frozenset(["made", "under", "below", "over", "above", "less", "least", "most", "up", "more",
                        "than", "lighter", "heavier", "cheaper", "order", "buy", "purchase"])
OPINION = frozenset(["good", "great", "nice", "best", "better", "worth", "suitable", "ok", "okay", "decent", "quality", "recommend", "recommended", "gift", "worthwhile"])
# key words that name no property by themselves ("skin_type", "temperature_rating", "battery_life")
# properties an item has one value (or a list of values) of: a value not among them is a "no"
EXCLUSIVE_KEY_WORDS = frozenset(["color", "size", "material", "format", "fit", "style", "flavor", "scent", "genre",
                                 "pattern", "finish", "fabric", "language", "edition", "age", "gender", "cover",
                                 "binding", "shape"])
GENERIC_KEY_WORDS = frozenset(["type", "types", "life", "count", "number", "no", "num", "level", "rating", "total", "item", "product", "max", "min", "value", "kind"])
COLOURS = frozenset(
    ["black", "white", "red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "gray", "grey", "silver", "gold", "beige", "navy", "teal", "olive", "maroon", "burgundy", "tan", "cream", "ivory", "charcoal", "graphite", "khaki", "turquoise", "lavender", "violet", "indigo", "coral", "mint", "sage", "rose", "copper", "bronze", "multicolor", "multicolour", "clear", "transparent", "natural"])
SIZE_ORDER = {s: i for i, s in enumerate(["xxs", "xs", "s", "m", "l", "xl", "xxl", "xxxl"])}
SIZE_ORDER.update({"small": 2, "medium": 3, "large": 4, "2xl": 6, "3xl": 7})
UK_TO_US = {"colour": "color", "grey": "gray", "centre": "center", "metre": "meter", "litre": "liter",
            "flavour": "flavor", "favour": "favor"}


NOT_PLURAL = frozenset(["does", "has", "was", "is", "this", "yes", "plus", "gas", "bus", "lens", "series", "news",
                        "species", "canvas", "chassis", "less", "its", "us", "wireless", "cordless"])


def _singular(word: str) -> str:
    word = UK_TO_US.get(word, word)
    if word in NOT_PLURAL:
        return word
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return UK_TO_US.get(word, word)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


def _norm_words(text: str) -> list[str]:
    return [_singular(w) for w in _tokens(text)]


def _key_words(key: str) -> list[str]:
    """ "headphone_jack" -> [headphone, jack], "BatteryLife" -> [battery, life], "Item Weight" -> [item, weight]"""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", key)
    return [_singular(w) for w in re.findall(r"[a-z0-9]+", spaced.lower())]


def _label(key: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", key).lower())) or key


# Words that name the same property: a question word and a key word match when they share a group.
CONCEPTS: list[frozenset[str]] = [frozenset(_singular(w) for w in group.split()) for group in (
    "weight weigh weighs heavy heavier heaviest light lighter lightest mass",
    "page pages pagecount print",
    "battery charge runtime mah",
    "waterproof water watertight ipx",
    "headphone earphone audio aux",
    "color colour colors colours shade hue colorway",
    "size sizes sizing",
    "length long longer longest short shorter shortest inseam",
    "height tall taller tallest",
    "width wide wider widest narrow",
    "thickness thick thicker thin thinner",
    "capacity volume hold holds storage",
    "material materials fabric",
    "age ages old kid kids child children toddler toddlers baby babies teen teens",
    "storage memory ram",
    "screen display",
    "warranty guarantee",
    "dimension dimensions measurement measurements size",
    "depth deep deeper deepest",
    "scent smell smells aroma fragrance perfume",
    "flavor flavour taste tastes tasting",
    "heat spicy spicier spiciest spiciness spice",
    "player players people",
    "origin country",
    "range distance reach",
    "power watt watts wattage output",
    "voltage volt volts",
    "brightness bright brighter brightest lumen lumens",
    "author writer wrote written",
    "format binding cover",
    "care wash washable washing laundry",
    "speed fast faster fastest",
    "resolution megapixel",
)]


def _related(q: str, k: str) -> float:
    """How well question word ``q`` names key word ``k``: 1 the same word, 0.9 the same word family
    ("resistant" / "resistance"), 0.8 the same property ("lighter" / "weight"), else 0."""
    if q == k:
        return 1.0
    if len(q) >= 5 and len(k) >= 5:
        common = len(os.path.commonprefix([q, k]))
        if common >= 5 and common >= min(len(q), len(k)) - 3:
            return 0.9
    if any(q in group and k in group for group in CONCEPTS):
        return 0.8
    return 0.0


def _overlaps(words: Iterable[str], other: Iterable[str]) -> set[str]:
    """Words of ``words`` found in ``other``: the same or a related word, or a 5+ letter prefix ("waterproofing")."""
    other = set(other)
    out = set()
    for w in words:
        related = any(_related(w, o) > 0 for o in other)
        prefix = len(w) >= 5 and any(len(o) >= 5 and (o.startswith(w) or w.startswith(o)) for o in other)
        if w in other or related or prefix:
            out.add(w)
    return out


# ------------------------------------------------------------------------------------------------ fields
FIELD_PATTERNS: dict[str, re.Pattern[str]] = {
    "price": re.compile(r"\b(price|prices|priced|pricing|cost|costs|expensive|cheap|pay|dollars|euros)\b|[$€£]|"
                        r"\bhow much\b(?! (?:water|liquid|coffee|fluid|space|room|weight|does (?:it|this|that|"
                        r"each|one) weigh|do (?:they|these|those) weigh|can|will|would|is left|longer|bigger|"
                        r"smaller|heavier|lighter|more|less|time|power|storage|memory|ram|battery|range|noise|"
                        r"sugar|protein|caffeine|fat|salt))"),
    "brand": re.compile(r"\b(brand|brands|maker|manufacturer|manufactured|made by|who makes|who made|"
                        r"who produces|company|what make)\b"),
    "rating": re.compile(r"\b(rating|ratings|rated|review|reviews|reviewed|stars?|score|scores|feedback|"
                         r"(?:customers|people|others|buyers|shoppers) (?:think|say|said|thought))\b"),
    "in_stock": re.compile(r"\b(in stock|stock|sold out|out of stock|availability|can i buy|in store)\b|"
                           r"\bavailable\s*(\?|$|now|today|to order)|\bcan i (?:order|buy|get)\b.{0,40}"
                           r"\b(?:now|today)\b|\border(?:ed)? (?:now|today)\b"),
    "category": re.compile(r"\b(category|categories|genre|genres|kind of|type of|department|section|"
                           r"what sort)\b"),
}
FIELD_WORDS = {w for p in ("price prices priced pricing cost costs expensive cheap pay dollars euros",
                           "brand brands maker manufacturer manufactured company",
                           "rating ratings rated review reviews reviewed star stars score scores feedback",
                           "stock sold out availability buy store",
                           "category categories genre genres kind type department section sort")
               for w in p.split()}


def _fmt_rating(item: Item) -> str:
    if item.rating is None:
        return "no reviews yet"
    if not item.rating_count:  # a store that exports the average without the number of reviews
        return f"rated {item.rating:.1f}/5"
    who = "shopper" if item.rating_count == 1 else "shoppers"
    return f"rated {item.rating:.1f}/5 by {item.rating_count} {who}"


def _rating_value(item: Item) -> str:
    if item.rating is None:
        return "none"
    return f"{item.rating:.1f}/5 ({item.rating_count})" if item.rating_count else f"{item.rating:.1f}/5"


def _attr_text(value: object) -> str:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return str(value).strip()


def _fact(key: str, value: str) -> str:
    """ "pages", "192 pages" -> "192 pages"; "weight", "350 g" -> "weight 350 g"; "waterproof: yes"."""
    label = _label(key)
    if value.lower() in NEGATIVE_VALUES | POSITIVE_VALUES:
        return f"{label}: {value}"
    if set(_key_words(key)) - GENERIC_KEY_WORDS <= set(_norm_words(value)):
        return value
    return f"{label} {value}"


def _names(items: Sequence[Item]) -> dict[str, str]:
    """How each item is named: its title up to the first comma or dash when that is still unique, else the
    full title."""
    cut = re.compile(r"\s*(?:,|\s[-–|]\s|\()\s*")
    short = {i.id: cut.split(i.title.strip(), maxsplit=1)[0] or i.title for i in items}
    full = {i.id: i.title.strip() or "this item" for i in items}
    shorts = list(short.values())
    return {k: (v if shorts.count(v) == 1 and len(v.split()) >= 2 else full[k]) for k, v in short.items()}


# ------------------------------------------------------------------------------------------------ quantities
_UNITS: dict[str, tuple[str, float]] = {}
for _dim, _table in {
    "mass": {"mg": 0.001, "g": 1, "gr": 1, "gram": 1, "grams": 1, "kg": 1000, "kgs": 1000, "kilo": 1000,
             "kilos": 1000, "kilogram": 1000, "kilograms": 1000, "oz": 28.3495, "ounce": 28.3495,
             "ounces": 28.3495, "lb": 453.592, "lbs": 453.592, "pound": 453.592, "pounds": 453.592},
    "length": {"mm": 0.001, "cm": 0.01, "m": 1, "meter": 1, "meters": 1, "km": 1000, "in": 0.0254,
               "inch": 0.0254, "inches": 0.0254, '"': 0.0254, "ft": 0.3048, "foot": 0.3048, "feet": 0.3048,
               "yd": 0.9144, "yard": 0.9144, "yards": 0.9144, "mi": 1609.34, "mile": 1609.34, "miles": 1609.34},
    "volume": {"ml": 0.001, "cl": 0.01, "l": 1, "liter": 1, "liters": 1, "litre": 1, "litres": 1,
               "fl oz": 0.0295735, "cup": 0.236588, "cups": 0.236588, "qt": 0.946353, "quart": 0.946353,
               "quarts": 0.946353, "gal": 3.78541, "gallon": 3.78541, "gallons": 3.78541, "cu ft": 28.3168},
    "time": {"s": 1 / 3600, "sec": 1 / 3600, "min": 1 / 60, "mins": 1 / 60, "minute": 1 / 60,
             "minutes": 1 / 60, "h": 1, "hr": 1, "hrs": 1, "hour": 1, "hours": 1, "day": 24, "days": 24,
             "week": 168, "weeks": 168},
    "charge": {"mah": 1, "ah": 1000},
    "energy": {"wh": 1, "kwh": 1000},
    "power": {"w": 1, "watt": 1, "watts": 1, "kw": 1000},
    "data": {"kb": 0.001, "mb": 1, "gb": 1000, "tb": 1_000_000},
}.items():
    for _unit, _factor in _table.items():
        _UNITS[_unit] = (_dim, _factor)
_UNIT_RE = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_QUANTITY = re.compile(rf"(?<![\w.])(\d+(?:[.,]\d+)?)\s*(?:({_UNIT_RE})(?![a-z])|([a-z]+))?", re.IGNORECASE)
_TIMES = re.compile(r"(?<![\w.])(\d+)\s*[x×]\s*(?=\d)", re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    value: float  # in the dimension's base unit (g, m, l, hours, ...)
    dim: str  # "mass", "length", ..., a counted word ("page", "port"), "size" (S < M < L) or "" (a bare number)


def parse_quantity(text: str, volume: bool = False) -> Quantity | None:
    """The first quantity in an attribute value: "1.2 kg", "350 g", "3 lb 4 oz" (summed), "2 x 10 lb" (times),
    "8 hours (32 with case)" (the first), "192 pages", "US 9", "XL". ``volume`` reads "oz" as fluid ounces."""
    text = text.strip().lower().split("(")[0]
    if not text:
        return None
    if text in SIZE_ORDER:
        return Quantity(float(SIZE_ORDER[text]), "size")
    times = 1.0
    m = _TIMES.search(text)
    if m:
        times = float(m.group(1))
        text = text[:m.start()] + text[m.end():]
    total, dim = None, None
    for m in _QUANTITY.finditer(text):
        number = float(m.group(1).replace(",", "."))
        unit, word = (m.group(2) or "").lower(), (m.group(3) or "").lower()
        if unit:
            d, factor = _UNITS[unit]
            if unit == "oz" and volume:
                d, factor = _UNITS["fl oz"]
        else:
            d, factor = (_singular(word) if word else ""), 1.0
        if total is None:
            total, dim = number * factor, d
        elif d == dim and d in ("mass", "length", "volume", "time"):
            total += number * factor  # "3 lb 4 oz", "5 ft 2 in"
        else:
            break
        if dim not in ("mass", "length", "volume", "time"):
            break
    if total is None or dim is None:
        return None
    return Quantity(total * times, dim)


# ------------------------------------------------------------------------------------------------ the question
@dataclass
class _Question:
    text: str
    low: str
    words: list[str]  # normalised
    yes_no: bool
    which: bool
    fields: list[str]
    values: list[str]  # the value asked about in a yes/no question ("blue", "thriller", "waterproof")
    content: list[str]  # the question's content words, for the description overlap
    limit: tuple[str, float, str] | None  # ("max"/"min", amount, unit) from "under $50" / "over 300 g"
    # key words a phrase of the question names ("how big" -> size, dimension, capacity, volume), each with the
    # question words that named it; they match keys a little below the key's own words (never "exact")
    topics: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    label: str = ""  # what the first such phrase asks about ("size"), for "the listing does not mention size"
    # "resistant" in "water resistant": names a key only together with its head word ("water_resistance", not
    # the resistance of a resistance band)
    bound: dict[str, str] = field(default_factory=dict)
    said: frozenset[str] = frozenset()  # the words of those phrases: they name keys only through the phrase
    water: int = 0  # how much water the question asks the item to take: 2 waterproof, 1 water resistant / rain
    named: frozenset[str] = frozenset()  # words naming the item ("the officina one"), not asked about


# "what is it about?", "tell me about it", "describe the second one": the description's first sentence
ABOUT = re.compile(r"\b(?:what(?:'s| is| are)\s+(?:it|this|that|they|these|the\s+\w+)(?:\s+one)?\s+about|"
                   r"tell me (?:more )?about|describe|what(?:'s| is) the (?:plot|story)|summary|summari[sz]e)\b")
# Phrases that name a property without its key's words: (pattern, unless, label, key words it names). A phrase's
# words (but a number in it: "for a 4 year old") are then the property, not a value asked about.
TOPIC_PHRASES: list[tuple[re.Pattern[str], re.Pattern[str] | None, str, list[str]]] = [
    (re.compile(p), re.compile(u) if u else None, label, words.split()) for p, u, label, words in (
    ((r"\bmade (?:of|from|out of|with)\b|"
     r"\bwhat(?:'s| is| are)? (?:it|they|this|that|these|the (?P<x1>\w+)) made\b|"
     r"\bwhat (?:material|fabric)s?\b|\bmaterials?\b"), "", "material", "material fabric"),
    ((r"\bhow (?:big|large|small|roomy|spacious|tiny|huge)\b|\b(?:big|large|small|roomy) enough\b|"
     r"\btoo (?:big|large|small)\b|\bhow much (?:space|room)\b|\bwhat size\b"), "", "size",
     "size dimension capacity volume"),
    (r"\bhow long\b", (r"\b(?:ship|ships|shipping|shipped|deliver|delivery|arrive|arrival|take|takes|return|returns|"
     r"refund|warranty|guarantee|last|lasts|charge|charging|battery|wait)\b"), "length",
     "length inseam page runtime duration play"),
    (r"\bhow long\b.*\bto (?:read|finish|get through)\b", "", "length", "page"),
    (r"\bhow long\b.*\bto play\b|\bhow long (?:does|do) (?:a|one) (?:game|round|match)\b", "", "play time",
     "play duration"),
    ((r"\bhow long (?:does|do|will|would|can|could) (?:it|they|this|that|these|the (?P<x1>\w+))(?P<x2> \w+)? "
     r"last\b|"
     r"\blasts? (?:on )?(?:a|one) (?:single |full )?charge\b|\brun ?time\b"), "", "battery life",
     "battery runtime duration"),
    ((r"\b(?:get|gets|getting) wet\b|\b(?:in|survive|handle|withstand|take|through) (?:the |heavy |light )?"
     r"(?:rain|downpours?|showers?|wet|snow)\b|\brain ?proof\b|\bsplash ?proof\b"), "", "water resistance",
     "waterproof water"),
    ((r"\bhow (?:warm|cold)\b|\bwarm enough\b|\bwarmth\b|\bkeeps? (?:me|you|us|them|him|her) warm\b|"
     r"\bcold weather\b|\bfor winter\b"), "", "warmth", "temperature insulation warmth"),
    (r"\bhow far\b|\bhow much range\b", "", "range", "range distance reach"),
    ((r"\bwhere (?:is|are|was|were|does|do) (?:it|they|this|that|these|the (?P<x1>\w+))(?P<x2> \w+)? "
     r"(?:from|made|grown|"
     r"sourced|produced|come from)\b|\bwhere\b.*\bfrom\b|\bcountry of origin\b|\bmade in\b|"
     r"\b(?:what|which) country\b"), "", "origin", "origin country region"),
    (r"\bhow (?:spicy|hot)\b|\btoo (?:spicy|hot)\b", "", "heat", "heat spiciness"),
    ((r"\bunscented\b|\b(?:scent|fragrance|perfume)[\s-]?free\b|\bwithout (?:a |any )?(?:scent|fragrance|perfume)\b|"
     r"\bno (?:scent|fragrance|perfume)\b"), "", "fragrance", "fragrance scent"),
    ((r"\bhow many (?:people|persons|players|kids|children|guests|adults)\b(?: (?:can|does it|do they|will it|"
     r"would it|is it for)(?: \w+)?)?|\bhow many (?:can|does it|will it) (?:sleep|seat|fit|hold|serve)s?\b"),
     "", "capacity", "player capacity person occupant seat sleep serving"),
    ((r"\b(?:runs?|running|fits?|fitting) (?:small|large|big|true|tight|loose|snug)(?: to size)?\b|"
     r"\btrue to size\b|"
     r"\bhow (?:does|do|will|would) (?:it|they|this|these|the (?P<x1>\w+)) fit\b"), "", "fit", "fit sizing"),
    ((r"\bsizes\b|\bsize (?:range|options?|availability|choices?|run)\b|\bsizing\b|"
      r"\bwhat sizes?\b.{0,30}\b(?:available|come in|have|carry|stock)\b"), "", "sizes", "available size"),
    (r"\b\d+[\s-]*(?:years?|yrs?)[\s-]*olds?\b|\bhow old\b|\bwhat ages?\b|\bage (?:range|group)\b", "", "age",
     "age"),
    (r"\bhow loud\b|\bloudness\b|\bdecibels?\b", "", "loudness", "loudness noise decibel db output sound"),
    (r"\bhow much (?:water|liquid|coffee|fluid)\b", "", "capacity", "reservoir tank capacity volume"),
    (r"\bback support\b", "", "lumbar support", "lumbar support"),
)]
# "too heavy for a kid?", "big enough for two?": the shopper judges; the answer is the property's value
JUDGEMENT = re.compile(r"\btoo\s+([a-z]+)|\b([a-z]+)\s+enough\b")
_BOUND = re.compile(r"\b(water|weather|wind|rain|splash|dust|stain|scratch|rust|corrosion|heat|fire|flame|shock|"
                    r"impact|uv|sweat|tear|wrinkle|fade|slip|abrasion|moisture|mildew|mold|mould|odor|odour|"
                    r"crush|tamper|chew|puncture)[\s-]+(resistant|resistance|repellent|repellant|proof)\b")
_WATERPROOF = re.compile(r"\bwater ?proof|\bwatertight\b|\bsubmersible\b")
_WATER_RESISTANT = re.compile(r"\bwater[\s-]*(?:resistant|resistance|repellent|repellant)\b")


def _water_level(text: str) -> int:
    """2 for waterproof, 1 for water resistant, 0 when water is not asked about or named."""
    return 2 if _WATERPROOF.search(text) else 1 if _WATER_RESISTANT.search(text) else 0


LITERAL_PHRASES = frozenset(["fragrance"])  # "unscented" is also a value a description may state


def _topics(low: str) -> tuple[list[tuple[str, frozenset[str]]], str, set[str], frozenset[str]]:
    """The key words the question's phrases name, the first phrase's label, the words that named a property
    (not a value to look for: "can it get wet?" is not answered by "grips wet rock"), and all the phrases'
    words ("how many people can play": players, not play_time)."""
    topics: list[tuple[str, frozenset[str]]] = []
    label, said_all, words_all = "", set(), set()
    for pattern, unless, name, words in TOPIC_PHRASES:
        m = pattern.search(low)
        if not m:
            continue
        if unless is not None and unless.search(low):  # "how long is shipping?": not the length
            words_all |= {_singular(t) for t in _tokens(m.group(0))}
            continue
        # a noun inside the phrase ("how long does the filter last") still names keys by itself
        inside = {t for name_, text in m.groupdict().items() if name_.startswith("x") and text for t in _tokens(text)}
        said = frozenset(_singular(t) for t in _tokens(m.group(0)) if not t.isdigit() and t not in inside)
        topics += [(_singular(w), said) for w in words]
        label = label or name
        words_all |= said
        if name not in LITERAL_PHRASES:
            said_all |= said
    return topics, label, said_all, frozenset(words_all)


_LIMIT = re.compile(r"\b(under|below|less than|cheaper than|lighter than|at most|up to|no more than|over|above|"
                    r"more than|heavier than|at least)\s*(?:[$€£]\s*)?(\d+(?:[.,]\d+)?)\s*"
                    rf"({_UNIT_RE})?(?![a-z])", re.IGNORECASE)


LEAD_FILLER = frozenset(["and", "so", "but", "ok", "okay", "hey", "then", "also", "well", "now", "great", "oh",
                         "hm", "hmm", "alright", "please", "actually", "first"])
WH = frozenset(["what", "what's", "whats", "which", "how", "who", "where", "when"])
# "do you have / can I get / could you tell me / I'd like to know" before what is asked
REQUEST_FRAME = re.compile(
    r"^(?:(?:and|so|but|ok|okay|hey|then|also|well|now|great|oh|hm+|alright|actually|first)\W+)*"
    r"(?:(?:do|can|could|would|will|may) (?:you|u|i|we) (?:please |also |just |\w+ly )?(?:have|get|know|tell|give|"
    r"show|list|share|provide|find|check|see|hear|ask|repeat|compare|describe|explain|let me know|pull up|"
    r"look up)(?: me| us)?(?: know)?(?: about)?|"
    r"(?:please )?(?:tell|give|show|get) me|i(?:'d| would) (?:like|love) to (?:know|hear|see)|"
    r"i (?:want|need) to know|let me know)\b\W*(?P<rest>.*)")
_ENDS_WITH_VALUE = re.compile(r"\bin (?:a |an )?[a-z]+\W*$")  # "do you have the shirt in blue?"


def _parse_question(question: str) -> _Question:
    low = " ".join(question.lower().replace("\u2019", "'").split())
    for pattern, spelled in SPELLINGS:
        low = pattern.sub(spelled, low)
    low = re.sub(r"\b(water|rain|splash|weather|wind)[\s-]+(proof|tight)\b", r"\1\2", low)  # "water proof"
    tokens = _tokens(low)
    frame = REQUEST_FRAME.match(low)
    asked = _tokens(frame.group("rest")) if frame else tokens
    lead = [t for t in asked if t not in LEAD_FILLER]
    # "do you have the cost and size of ...", "can you tell me what sizes ...": a request for values, not yes/no
    request = bool(frame) and bool(lead) and (lead[0] in WH or (lead[0] in ("the", "their", "its", "his", "her")
                                                                and not _ENDS_WITH_VALUE.search(low)))
    if not request:
        lead = [t for t in (asked if lead and lead[0] in ("if", "whether") else tokens) if t not in LEAD_FILLER]
    yes_no = not request and bool(lead) and lead[0] in AUX | {"if", "whether"}
    which = bool(lead) and lead[0] == "which"
    fields = [name for name, pattern in FIELD_PATTERNS.items() if pattern.search(low)]
    if "in_stock" in fields and re.search(r"\bavailable in\b", low):
        fields.remove("in_stock")
    limit = None
    m = _LIMIT.search(low)
    if m:
        direction = "min" if m.group(1) in ("over", "above", "more than", "heavier than", "at least") else "max"
        unit = "" if re.search(r"[$€£]", m.group(0)) else (m.group(3) or "").lower()
        limit = (direction, float(m.group(2).replace(",", ".")), unit)
    words = [_singular(t) for t in tokens]
    content = [_singular(t) for t in tokens if t not in STOP and _singular(t) not in STOP]
    values = [w for w in content if w not in FIELD_WORDS and w not in AUX and w not in NOT_VALUES]
    if m:  # "under 300 g": the limit, not a value asked about
        said = set(_norm_words(m.group(0)))
        values = [w for w in values if w not in said]
    topics, label, said, phrase_words = _topics(low)
    values = [w for w in values if w not in said]
    bound = {_singular(m.group(2)): _singular(m.group(1)) for m in _BOUND.finditer(low)}
    water = 1 if any(t == "waterproof" for t, _ in topics) else _water_level(low)
    return _Question(question, low, words, yes_no, which, fields, values, content, limit, topics, label, bound,
                     phrase_words, water)


@dataclass(frozen=True)
class _KeyMatch:
    key: str
    used: frozenset[str]  # the question words that named it
    exact: bool  # named by its own words ("headphone jack"), not only related ones ("waterproof": water_resistance)


TOPIC_WEIGHT = 0.95  # a key named by a phrase ("how big" -> size): below its own words, above a related word


def _match_keys(q: _Question, item: Item, words: Iterable[str] | None = None) -> list[_KeyMatch]:
    """The item's attribute keys the question names, best first: by the question's words (or ``words``) and,
    for the question's own words, by the key words its phrases name (``q.topics``)."""
    # (word, most it can score, what it is counted as for "one key per property", question words it stands for)
    entries: list[tuple[str, float, str, frozenset[str]]]
    if words is not None:
        entries = [(w, 1.0, w, frozenset([w])) for w in dict.fromkeys(words)]
    else:
        entries = [(w, 1.0, w, frozenset([w])) for w in dict.fromkeys(q.words) if w not in q.said]
        entries += [(t, TOPIC_WEIGHT, t, said) for t, said in q.topics]
    scored = []
    for key in item.attributes:
        kw = _key_words(key)
        if not kw:
            continue
        matched, best, used, names = 0.0, 0.0, set(), set()
        for k in kw:
            weight, by, said = 0.0, "", frozenset()
            for w, cap, name, stands in entries:
                head = q.bound.get(w) if words is None else None
                if head and not any(_related(head, other) for other in kw):
                    continue  # "water resistant" is not a resistance band's "resistance"
                score = _related(w, k)
                # a phrase's key words name keys of those words (or their family), not related ones
                score = min(cap, score) if cap == 1.0 or score >= 0.9 else 0.0
                if score > weight:
                    weight, by, said = score, name, stands
            if weight:
                matched += weight
                names.add(by)
                used |= said
                if k not in GENERIC_KEY_WORDS:
                    best = max(best, weight)
        if not best and not (matched and matched == len(kw)):  # only generic words matched, and not all
            continue
        scored.append((max(best, matched / len(kw)), matched / len(kw), key, used, names, len(names) == len(kw)))
    if not scored:
        return []
    top = max(s[0] for s in scored)
    kept = sorted((s for s in scored if s[0] >= top), key=lambda s: -s[1])
    # one key per property: "battery" names battery_life or battery, not both; a key the question names word
    # for word is kept as well ("the size and the available sizes")
    out, seen = [], set()
    for top_score, _, key, used, names, whole in kept:
        if not names & seen or (whole and len(names) > 1):
            out.append(_KeyMatch(key, frozenset(used), top_score >= 1.0))
            seen |= names
    return out


# ------------------------------------------------------------------------------------------------ description
def split_sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?;])\s+|\s*\n+\s*|\s+[•·]\s+|^\s*[-*•]\s+", text.strip())
    return [p.strip(" -*•") for p in parts if p and len(p.strip(" -*•")) > 2]


def _clip(sentence: str, words: set[str]) -> str:
    if len(sentence) <= MAX_QUOTE:
        return sentence
    for clause in re.split(r"(?<=[,;:])\s+|\s+[-–]\s+", sentence):
        if set(_norm_words(clause)) & words or _overlaps(words, _norm_words(clause)):
            return clause.strip(" ,;:")
    return sentence[:MAX_QUOTE].rsplit(" ", 1)[0]


def _negated(sentence: str, words: set[str]) -> bool:
    """A negation within four words before the first of ``words`` ("No headphone jack", "not waterproof")."""
    tokens = _tokens(sentence)
    norm = [_singular(t) for t in tokens]
    for i, w in enumerate(norm):
        if w in words or _overlaps(words, [w]):
            return any(t in NEGATIONS for t in tokens[max(0, i - 4):i])
    return False


class _Embeddings:
    """The question and description sentences, embedded lazily and once."""

    def __init__(self, embedder: Embedder, question: str):
        self.embedder, self.question = embedder, question
        self._q: np.ndarray | None = None

    def scores(self, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        if self._q is None:
            self._q = np.asarray(self.embedder.encode([self.question]), dtype=np.float32)[0]
        vectors = np.asarray(self.embedder.encode(list(sentences)), dtype=np.float32)
        return vectors @ self._q


def _best_sentence(item: Item, words: Sequence[str], emb: _Embeddings, min_similarity: float,
                   require_all: bool = False) -> tuple[str, float] | None:
    """The description sentence that best answers the question and shares one of its content ``words``; with
    ``require_all`` it holds all of ``words`` and a lower similarity will do (the words are the evidence)."""
    wanted = set(words)
    if not wanted:
        return None
    candidates = []
    for sentence in split_sentences(item.description):
        words_there = _norm_words(sentence)
        if require_all:  # the very words: "waterproof" is not "water resistance"
            if wanted <= set(words_there):
                candidates.append(sentence)
        elif _overlaps(wanted, words_there):
            candidates.append(sentence)
    if not candidates:
        return None
    scores = emb.scores(candidates)
    best = int(np.argmax(scores))
    if scores[best] < (min_similarity * LITERAL_SHARE if require_all else min_similarity):
        return None
    return candidates[best], float(scores[best])


# ------------------------------------------------------------------------------------------------ one item
@dataclass
class _Part:
    """One item's answer: a short phrase, its evidence, and whether the data said anything."""
    phrase: str
    evidence: list[Evidence]
    found: bool
    verdict: str = ""  # "yes" / "no" for yes/no questions when the data decides it


def _field_fact(item: Item, name: str, q: _Question) -> tuple[str, Evidence] | None:
    if name == "price":
        if item.price is None:
            return None
        value = format_price(item.price, item.currency)
        return f"price {value}", (item.id, "price", value)
    if name == "brand":
        return (f"brand {item.brand}", (item.id, "brand", item.brand)) if item.brand else None
    if name == "rating":
        return _fmt_rating(item), (item.id, "rating", _rating_value(item))
    if name == "in_stock":
        return ("in stock" if item.in_stock else "out of stock"), (item.id, "in_stock", str(item.in_stock))
    if name == "category":
        genre = next((k for k in item.attributes if set(_key_words(k)) & {"genre", "category", "subject"}), None)
        if genre:
            value = _attr_text(item.attributes[genre])
            return _fact(genre, value), (item.id, f"attributes.{genre}", value)
        if item.category:
            return f"category {item.category_path}", (item.id, "category", item.category_path)
    return None


def _find_value(item: Item, values: list[str], keys: Sequence[str] = ()) -> tuple[str, Evidence] | None:
    """Where the item's data names all of ``values``: an attribute (the asked ``keys`` first), the brand, the
    category, the title. Numbers also match inside a range attribute ("size 9" in "7-12")."""
    wanted = set(values)
    ordered = list(keys) + [k for k in item.attributes if k not in keys]
    for key in ordered:
        value = _attr_text(item.attributes[key])
        if wanted <= set(_norm_words(value)) | set(_key_words(key)) and wanted & set(_norm_words(value)) \
                or _in_range(wanted, value):
            return _fact(key, value), (item.id, f"attributes.{key}", value)
    for name, text in (("brand", item.brand), ("category", item.category_path), ("title", item.title)):
        if text and wanted <= set(_norm_words(text)):
            return f"{name} \u201c{text}\u201d" if name == "title" else f"{name} {text}", (item.id, name, text)
    return None


def _in_range(wanted: set[str], value: str) -> bool:
    numbers = [float(w) for w in wanted if re.fullmatch(r"\d+(?:\.\d+)?", w)]
    m = re.search(r"(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)", value)
    if len(numbers) != 1 or len(wanted) > 2 or not m:
        return False
    return float(m.group(1)) <= numbers[0] <= float(m.group(2))


def _colour_in_text(item: Item) -> tuple[str, Evidence] | None:
    for name, text in (("title", item.title), ("description", item.description)):
        found = [w for w in _norm_words(text) if w in COLOURS]
        if found:
            if name == "title":
                return f"title \u201c{text}\u201d", (item.id, "title", text)
            for sentence in split_sentences(text):
                if set(_norm_words(sentence)) & set(found):
                    return f"the description says \u201c{_clip(sentence, set(found))}\u201d", \
                        (item.id, "description", sentence)
    return None


def _title_words_used(item: Item, q: _Question) -> set[str]:
    """Words by which the question names this item: its brand, or two or more title words in a row
    ("is the ocean adventure one in stock?", "the foam one": they name the item, they are not asked about)."""
    used = set(_norm_words(item.brand)) if item.brand and "brand" not in q.fields else set()
    title = _norm_words(item.title)
    asked = q.words
    for i in range(len(asked) - 1):
        if asked[i] in title and asked[i + 1] == "one":  # "is the foam one in stock?"
            used.add(asked[i])
        for j in range(len(title) - 1):
            if asked[i] == title[j] and asked[i + 1] == title[j + 1]:
                used.update((asked[i], asked[i + 1]))
    return used


def _answer_item(item: Item, q: _Question, emb: _Embeddings, min_similarity: float) -> _Part:
    # "are these shoes waterproof?": "shoes" names the item (its category), not a value asked about; so do the
    # title's words in "is the insulated screwdriver in stock?" (stock is asked, not the key "insulated")
    naming = (set(_norm_words(" ".join(item.category))) | _title_words_used(item, q)) - COLOURS
    if set(q.content) & naming:
        content = [w for w in q.content if w not in naming] or q.content
        q = replace(q, named=frozenset(naming), content=content)
    keys = _match_keys(q, item)

    def names_only(m: _KeyMatch) -> bool:
        return bool(m.used) and m.used <= naming

    if q.fields or any(not names_only(m) for m in keys):
        keys = [m for m in keys if not names_only(m)]
    key_names = [m.key for m in keys]
    key_words = set().union(*(m.used for m in keys)) if keys else set()
    # a property word the question used (colour, size) even when this item has no such key
    asked_colour = bool({"color", "shade", "hue", "colorway"} & set(q.words))
    values = [w for w in q.values if w not in key_words and not (w in {"color", "size"} and not keys)
              and not (w in q.bound and any(_related(q.bound[w], u) for u in key_words))]
    if keys or q.fields or set(values) - naming:
        values = [w for w in values if w not in naming or w.replace(".", "").isdigit()]
    judged = JUDGEMENT.search(q.low)
    if keys and judged and _singular(judged.group(1) or judged.group(2)) in key_words:
        # "is it too heavy for a kid?": the weight, for the shopper to judge; no verdict
        values = []
        keys = [_KeyMatch(m.key, m.used, False) for m in keys]
    elif keys and any(w.replace(".", "").isdigit() for w in values):
        values = [w for w in values if w not in OPINION]  # "is it ok for a 4 year old?": 4 against "ages 3-6"
    if not keys and not q.fields and OVERVIEW.search(q.low):
        return _overview(item, q)
    if q.yes_no or q.which:
        return _answer_yes_no(item, q, keys, values, asked_colour, emb, min_similarity)

    facts: list[str] = []
    evidence: list[Evidence] = []
    closest = None
    if not key_names and not ABOUT.search(q.low):
        kind = KIND_OF.search(q.low)
        category_words = set(_norm_words(" ".join(item.category))) | {"product", "item", "thing", "one"}
        # "what kind of gas does it use?" asks for the fuel, "what kind of book is it?" for the category
        if not q.fields or (q.fields == ["category"] and kind and _singular(kind.group(1)) not in category_words):
            closest = _closest_key(item, q, emb)
    if closest:
        key_names = [closest]
    for name in q.fields:
        if name == "category" and key_names:
            continue  # "what type of battery": the attribute answers
        got = _field_fact(item, name, q)
        if got:
            facts.append(got[0])
            evidence.append(got[1])
    for key in key_names:
        value = _attr_text(item.attributes[key])
        facts.append(_fact(key, value))
        evidence.append((item.id, f"attributes.{key}", value))
    if not facts and asked_colour:
        got = _colour_in_text(item)
        if got:
            facts.append(got[0])
            evidence.append(got[1])
    if facts:
        return _Part("; ".join(facts), evidence, True)
    if ABOUT.search(q.low) and item.description:
        sentence = split_sentences(item.description)[0]
        return _Part(f"the description says \u201c{_clip(sentence, set())}\u201d",
                     [(item.id, "description", sentence)], True)
    stated = _stated_quantity(item, q)
    if stated:
        return _Part(stated[0], [stated[1]], True)
    best = _best_sentence(item, q.content, emb, min_similarity)
    if best:
        sentence = best[0]
        return _Part(f"the description says \u201c{_clip(sentence, set(q.content))}\u201d",
                     [(item.id, "description", sentence)], True)
    return _Part(_not_said(q), [], False)


# "how does it compare to the black one?", "what's the difference?": the facts shoppers compare on
OVERVIEW = re.compile(r"\b(compare[sd]?|comparison|comparing|difference|differences|different|differ|versus|vs)\b")
OVERVIEW_ATTRIBUTES = 4


def _overview(item: Item, q: _Question) -> _Part:
    facts, evidence = [], []
    for name in ("price", "brand", "rating"):
        got = _field_fact(item, name, q)
        if got and not (name == "rating" and item.rating is None):
            facts.append(got[0])
            evidence.append(got[1])
    for key in list(item.attributes)[:OVERVIEW_ATTRIBUTES]:
        value = _attr_text(item.attributes[key])
        facts.append(_fact(key, value))
        evidence.append((item.id, f"attributes.{key}", value))
    if not facts:
        return _Part("the listing gives nothing to compare on", [], False)
    return _Part("; ".join(facts), evidence, True)


_AMOUNT = r"\d+(?:[.,]\d+)?\s*(?:mm|cm|m|in|inch|inches|\"|kg|g|lb|lbs|oz|l|ml|w|mah|gb|tb)(?![a-z])"


def _stated_quantity(item: Item, q: _Question) -> tuple[str, Evidence] | None:
    """"how thick is it?" of "Fitness Mat 10 mm Thick": an amount written next to the word the question asks
    about, in the title or a line of the description ("10 mm thick", "thickness 6 mm")."""
    for word in q.content:
        stem = re.escape(word)
        pattern = re.compile(rf"(?i)({_AMOUNT})\s+{stem}\b|\b{stem}(?:ness)?\s*:?\s*({_AMOUNT})")
        for where, text in (("title", item.title), *(("description", line) for line in
                                                      item.description.split("\n"))):
            m = pattern.search(text)
            if m:
                amount = " ".join((m.group(1) or m.group(2)).split())
                return f"{amount} {word}", (item.id, where, text)
    return None


# Cosine (all-MiniLM-L6-v2) between an open question and an attribute ("fuel", "fuel isobutane canister") above
# which the attribute answers a question that names none of the item's keys: "what kind of gas does it use?" ->
# fuel 0.55, "what's the main ingredient?" -> key ingredient 0.75, "how cold can it go?" -> temperature rating
# 0.52; questions no attribute answers score below 0.42 ("what's in the kit?" / pieces 0.41, "how does it look?"
# / color 0.37, "how long is shipping?" / length 0.34, "what's the warranty?" / size 0.24). The best key must
# also lead the item's next one by KEY_MARGIN.
KEY_SIMILARITY = 0.45
KEY_MARGIN = 0.05
KIND_OF = re.compile(r"\b(?:kind|type|sort)s? of ([a-z]+)")


def _closest_key(item: Item, q: _Question, emb: _Embeddings) -> str | None:
    """The attribute key nearest in meaning to an open question (by its label, or label and value), when near
    enough and clearly nearer than the next."""
    keys = [k for k in item.attributes if _key_words(k)]
    if not keys or not q.content:
        return None
    labels = [_label(k) for k in keys]
    scores = np.maximum(emb.scores(labels),
                        emb.scores([f"{label} {_attr_text(item.attributes[k])}" for label, k in zip(labels, keys)]))
    order = np.argsort(-scores)
    best = float(scores[order[0]])
    second = float(scores[order[1]]) if len(keys) > 1 else 0.0
    if best >= KEY_SIMILARITY and best - second >= KEY_MARGIN:
        return keys[int(order[0])]
    return None


NAMED_TOPIC_WORDS = 3  # "wireless charging", "water resistance": longer is a bag of words, not one property


def _not_said(q: _Question) -> str:
    asked = (set(q.values) - set(OPINION) or set(q.content)) - q.named
    tokens = [t for t in _tokens(q.low) if t not in ("a", "an", "the")]
    at = [i for i, w in enumerate(tokens) if _singular(w) in asked and not w.isdigit()]
    topic = " ".join(dict.fromkeys(tokens[i] for i in at))
    if at and at[-1] - at[0] >= len(at):
        topic = ""  # words apart are not one property: "covered by a guarantee?" is not "covered guarantee"
    if q.label and not set(q.values) - set(OPINION):
        topic = q.label  # "whats it made of exactly": material, not "exactly"
    if len(topic.split()) > NAMED_TOPIC_WORDS:  # leftover words, not a property ("i'd jacket data customers")
        topic = ""
    return f"the listing does not mention {topic}" if topic else "the listing does not say"


# "is it a hardcover?", "is that one a thriller?", "does it come in blue?", "is it available in XL?"
IS_A = re.compile(r"\b(?:is|are)\s+(?:it|that|this|they|these|those|the\s+\w+)(?:\s+one)?\s+an?\s+")
KIND_QUESTION = re.compile(IS_A.pattern + r"|\b(?:come|comes|available|offered|made|sold)\s+(?:in|of|from)\b")
NEAREST_SIMILARITY = 0.4  # the value asked about and the item's property of the same kind (MiniLM)


def _nearest_property(item: Item, values: Sequence[str], emb: _Embeddings) -> tuple[str, Evidence] | None:
    """The item's single-valued property (format, material, colour, category, ...) nearest in meaning to the
    ``values`` asked about, when near enough."""
    candidates: list[tuple[str, str, Evidence]] = []
    for key, raw in item.attributes.items():
        if set(_key_words(key)) & EXCLUSIVE_KEY_WORDS:
            value = _attr_text(raw)
            candidates.append((f"{_label(key)} {value}", _fact(key, value), (item.id, f"attributes.{key}", value)))
    if item.category:
        path = item.category_path
        candidates.append((f"category {item.category[-1]}", f"category {path}", (item.id, "category", path)))
    if not candidates or not values:
        return None
    vectors = np.asarray(emb.embedder.encode([" ".join(values)] + [c[0] for c in candidates]), dtype=np.float32)
    scores = vectors[1:] @ vectors[0]
    best = int(np.argmax(scores))
    if scores[best] >= NEAREST_SIMILARITY:
        return candidates[best][1], candidates[best][2]
    return None


# values that say which kind of property they are, for a store whose value is another one of the kind
VALUE_KINDS: dict[str, frozenset[str]] = {
    "format": frozenset(["hardcover", "hardback", "paperback", "softcover", "softback", "ebook", "audiobook",
                         "spiral", "kindle"]),
    "binding": frozenset(["hardcover", "hardback", "paperback", "softcover", "softback", "spiral"]),
    "connectivity": frozenset(["bluetooth", "wifi", "zigbee", "nfc", "zwave", "ethernet", "wired"]),
    "connection": frozenset(["bluetooth", "wifi", "zigbee", "nfc", "zwave", "ethernet", "wired"]),
}


def _kind_of(item: Item, values: Sequence[str]) -> tuple[str, str] | None:
    """(the item's key, the value asked) when a value asked about is of a known kind the item has a key of."""
    for value in values:
        for key in item.attributes:
            if any(value in VALUE_KINDS.get(k, ()) for k in _key_words(key)):
                return key, value
    return None


def _limit_answer(item: Item, q: _Question, keys: list[_KeyMatch]) -> _Part | None:
    assert q.limit is not None
    direction, amount, unit_text = q.limit
    def within(value: float, bound: float) -> bool:
        return value <= bound if direction == "max" else value >= bound

    if "rating" in q.fields:
        if item.rating is None or not item.rating_count:
            return _Part("no reviews yet", [(item.id, "rating", "none")], False)
        ok = within(item.rating, amount)
        evidence = (item.id, "rating", f"{item.rating:.1f}/5 ({item.rating_count})")
        return _Part(f"{'yes' if ok else 'no'}, {_fmt_rating(item)}", [evidence], True, "yes" if ok else "no")
    if keys:
        limit = parse_quantity(f"{amount:g} {unit_text}")
        for match in keys:
            value = _attr_text(item.attributes[match.key])
            quantity = parse_quantity(value)
            if quantity is None or limit is None:
                continue
            if limit.dim == quantity.dim:
                ok = within(quantity.value, limit.value)
            elif not limit.dim:  # "is the battery over 4000?": the number as the value writes it
                number = re.search(r"\d+(?:[.,]\d+)?", value)
                if not number:
                    continue
                ok = within(float(number.group().replace(",", ".")), amount)
            else:
                continue
            return _Part(f"{'yes' if ok else 'no'} ({_fact(match.key, value)})",
                         [(item.id, f"attributes.{match.key}", value)], True, "yes" if ok else "no")
        return None
    if item.price is None or (q.fields and "price" not in q.fields) or unit_text:
        return None
    ok = within(item.price, amount)
    side = "under" if item.price < amount else "over" if item.price > amount else "exactly"
    value = format_price(item.price, item.currency)
    return _Part(f"{'yes' if ok else 'no'}, {value} is {side} {format_amount(amount, item.currency)}",
                 [(item.id, "price", value)], True, "yes" if ok else "no")


def _answer_yes_no(item: Item, q: _Question, keys: list[_KeyMatch], values: list[str],
                   asked_colour: bool, emb: _Embeddings, min_similarity: float) -> _Part:
    key_names = [m.key for m in keys]
    # "is it under $50?", "is it rated over 4?", "does it weigh less than 300 g?"
    if q.limit:
        got = _limit_answer(item, q, keys)
        if got is not None:
            return got
    # "is it in stock?", "is it by Acme?", "is it rated well?"
    if not values and q.fields and not key_names:
        name = q.fields[0]
        got = _field_fact(item, name, q)
        if got is None:
            return _Part(_not_said(q), [], False)
        if name == "in_stock":
            return _Part(f"{'yes' if item.in_stock else 'no'}, {got[0]}", [got[1]], True,
                         "yes" if item.in_stock else "no")
        return _Part(got[0], [got[1]], True)
    # the value asked about, in the item's fields: "does it come in blue?", "is it a thriller?"
    if values and not (set(values) & OPINION):
        got = _find_value(item, values, key_names)
        if got is not None:
            if got[1][1].startswith("attributes.") and got[1][2].lower() in NEGATIVE_VALUES:
                return _Part(f"no ({got[0]})", [got[1]], True, "no")
            return _Part(f"yes ({got[0]})", [got[1]], True, "yes")
        best = _best_sentence(item, values, emb, min_similarity, require_all=True)
        if best:
            sentence = best[0]
            verdict = "no" if _negated(sentence, set(values)) else "yes"
            return _Part(f"{verdict}, the description says \u201c{_clip(sentence, set(values))}\u201d",
                         [(item.id, "description", sentence)], True, verdict)
        # a value of a known kind ("paperback" is a format, "bluetooth" a connectivity): the item's own value of
        # that kind shows what it is instead; a "no" only where an item has one value of it
        kind = _kind_of(item, values)
        if kind is not None:
            key, asked = kind
            value = _attr_text(item.attributes[key])
            evidence = [(item.id, f"attributes.{key}", value)]
            if set(_key_words(key)) & EXCLUSIVE_KEY_WORDS:
                return _Part(f"no, not listed as {asked} ({_fact(key, value)})", evidence, True, "no")
            return _Part(f"not listed as {asked} ({_fact(key, value)})", evidence, True)
        # not named anywhere: a "no" when the item states its one value of that property ("size US 9", "color
        # white"); a property with many possible features ("battery") proves nothing ("wireless charging?")
        prop = [k for k in key_names[:1] if set(_key_words(k)) & EXCLUSIVE_KEY_WORDS
                or any(w.replace(".", "").isdigit() for w in values)]
        if not prop and (asked_colour or set(values) & COLOURS):
            prop = [k for k in item.attributes if set(_key_words(k)) & {"color"}][:1]
        if prop:
            value = _attr_text(item.attributes[prop[0]])
            return _Part(f"no ({_fact(prop[0], value)})", [(item.id, f"attributes.{prop[0]}", value)], True, "no")
        # "is it by Acme?", "is the brand sony?": a "no" only when the value asked is the maker's name ("a
        # lifetime warranty from the maker?" names the brand field but asks about a warranty)
        maker = re.search(r"\b(?:by|from|brand(?:\s+is)?)\s+(?:the\s+)?([a-z0-9][\w&'-]*)", q.low)
        if item.brand and maker and _singular(maker.group(1)) in set(values) and (
                "brand" in q.fields or re.search(r"\b(?:is|are)\s+(?:it|they|that|this)(?:\s+one)?\s+"
                                                 r"(?:made\s+)?by\b", q.low)):
            return _Part(f"no (brand {item.brand})", [(item.id, "brand", item.brand)], True, "no")
        # "is it a hardcover?", "is that one a thriller?", "does it come in leather?": the property of the item
        # nearest in meaning to the value asked about (format, category, material) shows what it is instead
        if KIND_QUESTION.search(q.low) or "category" in q.fields:
            nearest = _nearest_property(item, values, emb)
            asked = " ".join(w for w in _tokens(q.low) if _singular(w) in set(values))
            if nearest is not None:
                fact, evidence = nearest
                return _Part(f"no, not listed as {asked} ({fact})", [evidence], True, "no")
            if item.category and (IS_A.search(q.low) or "category" in q.fields):
                # what it is listed as, but no verdict: "mystery" may still fit a "Literary Fiction" book
                path = item.category_path
                return _Part(f"not listed as {asked} (category {path})", [(item.id, "category", path)], False)
    # "is the handle wooden?" about a key the question names by its own words ("handle walnut"): its value, when
    # it is of the kind asked about, for the shopper to judge (no verdict: walnut is wooden, the words differ)
    rest = [v for v in values if v not in OPINION]
    if keys and rest and keys[0].exact and not set(_key_words(keys[0].key)) <= GENERIC_KEY_WORDS:
        value = _attr_text(item.attributes[keys[0].key])
        vectors = np.asarray(emb.embedder.encode([" ".join(rest), value]), dtype=np.float32)
        if float(vectors[0] @ vectors[1]) >= NEAREST_SIMILARITY:
            return _Part(_fact(keys[0].key, value), [(item.id, f"attributes.{keys[0].key}", value)], True)
    # "does it have a headphone jack?", "is it waterproof?" answered by a key of that name; a key named only by a
    # related word ("waterproof" -> water_resistance "IPX4") is shown without a verdict
    if keys and not rest:
        match = keys[0]
        value = _attr_text(item.attributes[match.key])
        fact = _fact(match.key, value)
        evidence = [(item.id, f"attributes.{match.key}", value)]
        low = value.lower()
        negative = low in NEGATIVE_VALUES or low.split(" ")[0] in ("no", "not", "none", "without")
        if match.exact or low in NEGATIVE_VALUES | POSITIVE_VALUES:
            verdict = "no" if negative else "yes"
            # waterproof is water resistant, not the other way round: "is it waterproof?" is not a yes from
            # "water resistant: yes", "is it water resistant?" not a no from "waterproof: no"
            has = _water_level(_label(match.key))
            if q.water and has and (has < q.water if verdict == "yes" else has > q.water):
                return _Part(fact, evidence, True)
            return _Part(f"{verdict} ({fact})", evidence, True, verdict)
        return _Part(fact, evidence, True)
    if asked_colour:
        got = _colour_in_text(item)
        if got:
            return _Part(got[0], [got[1]], True)
    best = _best_sentence(item, q.content, emb, min_similarity)
    if best:
        sentence = best[0]
        return _Part(f"the description says \u201c{_clip(sentence, set(q.content))}\u201d",
                     [(item.id, "description", sentence)], True)
    return _Part(_not_said(q), [], False)


# ------------------------------------------------------------------------------------------------ comparisons
# words after "more" / "better" that start no property ("more my style", "better ask")
_NOT_TOPIC = (r"(?!(?:my|your|our|his|her|their|its|of|than|like|the|a|an|to|in|on|at|for|with|about|ask|check|go|"
              r"get|be|not|so|and|or|one|ones|info|information|details|options)\b)")
# (pattern, dimension, direction, adjective for two, for three or more). The dimension is a field (price,
# rating, rating_count) or a property whose words name attribute keys.
COMPARATIVES: list[tuple[re.Pattern[str], str, str, str, str]] = [
    (re.compile(p), d, s, two, many) for p, d, s, two, many in (
    (r"\b(?:more|most) (?:reviews|ratings|reviewed)\b|\b(?:more|most) popular\b", "rating_count", "max",
     "has more reviews", "has the most reviews"),
    ((r"\b(?:better|best|higher|highest|top)[- ]?(?:rated|reviewed|reviews?|ratings?)\b|\bbetter\s+(?:rated|"
     r"reviewed|reviews|ratings?)\b|\brated (?:better|higher)\b"), "rating", "max", "is rated higher",
     "is rated highest"),
    (r"\b(?:worse|worst|lower|lowest)[- ]?(?:rated|reviewed|reviews?|ratings?)\b", "rating", "min",
     "is rated lower", "is rated lowest"),
    ((r"\bcheap(?:er|est)\b|\b(?:less|least) (?:expensive|pricey|pricy|costly|dear)\b|\b(?:more|most) "
      r"affordable\b|\b(?:lower|lowest)[- ](?:price|cost|priced)\b|\bcosts? (?:the )?less\b|\bworks? out "
      r"cheap"), "price", "min", "is cheaper", "is the cheapest"),
    ((r"\b(?:more|most) (?:expensive|pricey|pricy|costly)\b|\bpric(?:ier|iest)\b|\bcostl(?:ier|iest)\b|"
      r"\b(?:higher|highest) (?:price|cost)\b|\bcosts? more\b"), "price", "max", "is more expensive",
     "is the most expensive"),
    (r"\blight(?:er|est)\b|\bweighs? less\b", "weight", "min", "is lighter", "is the lightest"),
    (r"\bheav(?:ier|iest)\b|\bweighs? more\b", "weight", "max", "is heavier", "is the heaviest"),
    (r"\btall(?:er|est)\b", "height", "max", "is taller", "is the tallest"),
    (r"\bholds? (?:the )?(?:more|most)\b", "capacity", "max", "holds more", "holds the most"),
    (r"\bholds? (?:the )?(?:less|least)\b", "capacity", "min", "holds less", "holds the least"),
    (r"\bwid(?:er|est)\b", "width", "max", "is wider", "is the widest"),
    (r"\bnarrow(?:er|est)\b", "width", "min", "is narrower", "is the narrowest"),
    (r"\bthick(?:er|est)\b", "thickness", "max", "is thicker", "is the thickest"),
    (r"\bthinn(?:er|est)\b", "thickness", "min", "is thinner", "is the thinnest"),
    (r"\b(?:new|late)(?:er|est)\b|\bmost recent\b|\brecent(?:ly)? (?:published|released|out)\b", "year", "max",
     "is newer", "is the newest"),
    ((r"\bold(?:er|est)\b|\bearliest\b|\b(?:published|released|came out|come out|made|written) earlier\b"),
     "year", "min", "is older", "is the oldest"),
    (r"\b(?:better|best|good) (?:deal|value|bargain|buy)\b|\bbang for (?:the|my|your) buck\b", "price", "min",
     "is cheaper", "is the cheapest"),
    ((r"(?<!'d )\b(?:more|most|higher|highest|greater|greatest|bigger|biggest|larger|largest|longer|longest|better|"
      r"best)\s+" + _NOT_TOPIC + r"(?P<topic>[a-z]+(?:\s[a-z]+)?)"), "", "max", "has more", "has the most"),
    ((r"\b(?:fewer|fewest|less|least|lower|lowest|smaller|smallest|shorter|shortest)\s+" + _NOT_TOPIC +
      r"(?P<topic>[a-z]+(?:\s[a-z]+)?)"), "", "min", "has less", "has the least"),
    (r"\b(?:bigg|larg)(?:er|est)\b", "size", "max", "is bigger", "is the biggest"),
    (r"\bsmall(?:er|est)\b", "size", "min", "is smaller", "is the smallest"),
    (r"\blong(?:er|est)\b", "length", "max", "is longer", "is the longest"),
    (r"\bshort(?:er|est)\b", "length", "min", "is shorter", "is the shortest"),
    (r"\bfast(?:er|est)\b|\bquick(?:er|est)\b", "speed", "max", "is faster", "is the fastest"),
)]
# what a property compares on when an item has no key of that name ("which book is longer?" -> pages)
FALLBACK_KEYS = {"size": ["size", "dimension", "capacity", "volume", "length"],
                 "length": ["length", "inseam", "page", "runtime", "duration"],
                 "capacity": ["capacity", "volume"],
                 "weight": ["weight"], "height": ["height"], "width": ["width"], "thickness": ["thickness"],
                 "speed": ["speed"], "year": ["published", "publication", "release", "released", "year", "date"]}


def _comparative(q: _Question) -> tuple[str, str, str, str, list[str]] | None:
    """(dimension, direction, adjective for two, for many, topic words) for a comparative question."""
    for pattern, dim, direction, two, many in COMPARATIVES:
        m = pattern.search(q.low)
        if not m:
            continue
        topic = [_singular(w) for w in _tokens(m.groupdict().get("topic") or "") if _singular(w) not in STOP]
        if not dim:
            if not topic:
                continue
            if set(topic) & {"price", "cost"}:
                return ("price", direction, "is cheaper" if direction == "min" else "is more expensive",
                        "is the cheapest" if direction == "min" else "is the most expensive", [])
            if set(topic) & {"review", "rating", "rated", "star"}:
                return ("rating" if "review" not in topic or direction == "min" or "better" in q.low
                        or "best" in q.low else "rating_count", direction,
                        "is rated higher" if direction == "max" else "is rated lower",
                        "is rated highest" if direction == "max" else "is rated lowest", [])
            words = " ".join(_tokens(m.group("topic") or ""))
            return ("", direction, f"{two} {words}".strip(), f"{many} {words}".strip(), topic)
        return dim, direction, two, many, topic
    return None


def _measure(item: Item, dim: str, topic: list[str], q: _Question) -> tuple[float, str, Evidence, str] | None:
    """(comparable value, how it reads, evidence, unit dimension) of one item on ``dim``."""
    if dim == "price":
        if item.price is None:
            return None
        value = format_price(item.price, item.currency)
        return item.price, value, (item.id, "price", value), item.currency
    if dim == "rating":
        if item.rating is None:
            return None
        return item.rating, _fmt_rating(item).removeprefix("rated "), (item.id, "rating", _rating_value(item)), ""
    if dim == "rating_count":
        who = "review" if item.rating_count == 1 else "reviews"
        return float(item.rating_count), f"{item.rating_count} {who}", (item.id, "rating_count",
                                                                        str(item.rating_count)), ""
    words = topic or [dim]
    keys = [m.key for m in _match_keys(q, item, words)]
    if not keys and dim in FALLBACK_KEYS:
        for fallback in FALLBACK_KEYS[dim]:
            keys = [m.key for m in _match_keys(q, item, [fallback])]
            if keys:
                break
    for key in keys:
        value = _attr_text(item.attributes[key])
        quantity = parse_quantity(value, volume=bool(set(_key_words(key)) & {"capacity", "volume"}))
        if quantity is not None:
            unit = quantity.dim
            if not unit:  # a bare number counts what the key names: page_count "352" is 352 pages
                unit = next((w for w in _key_words(key) if w not in GENERIC_KEY_WORDS), "")
            return quantity.value, _fact(key, value), (item.id, f"attributes.{key}", value), unit
    # the description: a sentence naming the property with a quantity in it ("Weighs just 350 g")
    for sentence in split_sentences(item.description):
        if _overlaps(set(words), _norm_words(sentence)):
            for m in _QUANTITY.finditer(sentence.lower()):
                if m.group(2):
                    quantity = parse_quantity(m.group(0))
                    if quantity is not None and (dim not in ("weight",) or quantity.dim == "mass"):
                        return quantity.value, m.group(0).strip(), (item.id, "description", sentence), quantity.dim
                elif m.group(3) and _singular(m.group(3)) in words:  # "100 recipes": a count of the topic
                    return (float(m.group(1).replace(",", "")), m.group(0).strip(), (item.id, "description",
                                                                                    sentence), m.group(3))
    return None


def _listed(item: Item, dim: str, topic: list[str], q: _Question) -> tuple[str, Evidence] | None:
    """The item's value on ``dim`` that :func:`_measure` could not read as a number ("weight worsted")."""
    if dim in ("price", "rating", "rating_count"):
        return None
    for match in _match_keys(q, item, topic or [dim]):
        value = _attr_text(item.attributes[match.key])
        return _fact(match.key, value), (item.id, f"attributes.{match.key}", value)
    return None


def _missing_text(missing: Sequence[Item], listed: dict[str, tuple[str, Evidence] | None], names: dict[str, str],
                  dim: str, label: str) -> str:
    parts = []
    absent = [i for i in missing if not listed[i.id]]
    for i in missing:
        if listed[i.id]:
            parts.append(f"{names[i.id]} lists {listed[i.id][0]}, which I can't compare.")
    if absent:
        who = _join([names[i.id] for i in absent])
        if dim in ("rating", "rating_count"):
            parts.append(f"{who} {'has' if len(absent) == 1 else 'have'} no reviews yet.")
        else:
            parts.append(f"{who} {'does' if len(absent) == 1 else 'do'} not list {label}.")
    return " ".join(parts)


def _answer_comparison(items: Sequence[Item], q: _Question, comp: tuple[str, str, str, str, list[str]],
                       names: dict[str, str]) -> Answer:
    dim, direction, two, many, topic = comp
    measured = {i.id: _measure(i, dim, topic, q) for i in items}
    have = [i for i in items if measured[i.id] is not None]
    missing = [i for i in items if measured[i.id] is None]
    label = "reviews" if dim in ("rating", "rating_count") else "price" if dim == "price" else \
        " ".join(topic) or dim
    evidence = [measured[i.id][2] for i in have]
    units = {measured[i.id][3] for i in have}
    lines: list[str] = []
    listed = {i.id: _listed(i, dim, topic, q) for i in missing}
    evidence += [listed[i.id][1] for i in missing if listed[i.id]]
    if len(items) == 1:  # "which is cheaper?" about one item: its value
        if have:
            return Answer(f"{names[have[0].id]}: {measured[have[0].id][1]}.", True, evidence)
        return Answer(_missing_text(missing, listed, names, dim, label), False, evidence, [missing[0].id])
    if len(have) < 2:
        for i in have:
            lines.append(f"{names[i.id]}: {measured[i.id][1]}.")
        lines.append("I can't compare them: " + _missing_text(missing, listed, names, dim, label))
        return Answer(" ".join(lines), False, evidence, [i.id for i in missing])
    if len(units) > 1:
        values = "; ".join(f"{names[i.id]}: {measured[i.id][1]}" for i in have)
        return Answer(f"I can't compare them directly: {values}.", False, evidence, [i.id for i in items])
    pick = min if direction == "min" else max
    best_value = pick(measured[i.id][0] for i in have)
    winners = [i for i in have if abs(measured[i.id][0] - best_value) < 1e-9]
    others = [i for i in have if i not in winners]
    if not others:
        values = "; ".join(f"{names[i.id]}: {measured[i.id][1]}" for i in have)
        lines.append(f"They are the same on {label}: {values}.")
    else:
        adjective = two if len(have) == 2 else many
        if len(winners) == 1:
            w = winners[0]
            lines.append(f"{names[w.id]} {adjective} ({measured[w.id][1]}).")
        else:
            lines.append(f"{_join([names[w.id] for w in winners])} tie ({measured[winners[0].id][1]}).")
        ordered = sorted(others, key=lambda i: measured[i.id][0], reverse=direction == "max")
        lines.append("; ".join(f"{names[i.id]}: {measured[i.id][1]}" for i in ordered) + ".")
    if dim == "rating" and others:
        counts = [i.rating_count for i in have]
        if min(counts) and (min(counts) < 5 <= max(counts) or max(counts) < 5):  # 0: the store gives no counts
            lines.append("Few shoppers have reviewed some of these, so the ratings may change.")
    if missing:
        lines.append(_missing_text(missing, listed, names, dim, label))
    return Answer(" ".join(lines), True, evidence, [i.id for i in missing])


def _also_asked(answer: Answer, items: Sequence[Item], q: _Question, comp: tuple[str, str, str, str, list[str]],
                names: dict[str, str]) -> Answer:
    """"Which is cheaper? And what sizes do they come in?": the comparison, then each item's other asked values."""
    dim, topic = comp[0], set(comp[4]) | {comp[0]}
    fields = [f for f in q.fields if f in ("price", "brand", "rating") and f != dim.removesuffix("_count")]
    lines, evidence = [], list(answer.evidence)
    for item in items:
        facts = []
        for name in fields:
            got = _field_fact(item, name, q)
            if got:
                facts.append(got[0])
                evidence.append(got[1])
        for match in _match_keys(q, item):
            if not any(_related(w, t) for w in _key_words(match.key) for t in topic):
                value = _attr_text(item.attributes[match.key])
                facts.append(_fact(match.key, value))
                evidence.append((item.id, f"attributes.{match.key}", value))
        if facts:
            lines.append(f"{names[item.id]}: {'; '.join(facts)}.")
    if not lines:
        return answer
    return Answer(" ".join([answer.text, *lines]), answer.found, evidence, answer.unanswered)


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ------------------------------------------------------------------------------------------------ entry point
def answer_question(question: str, items: Sequence[Item], embedder: Embedder,
                    min_similarity: float = MIN_SIMILARITY) -> Answer:
    """Answer ``question`` about ``items`` (those the shopper means, as the caller resolved them) from each
    item's own fields, attributes and description. Never searches. ``found`` is False when some item's data
    does not say (its id is in ``unanswered``): the assistant can then offer to ask a person.

    A message with words around its question ("is it in stock? need it for book club thursday") is answered
    whole first (words that name the item are not asked about); when that finds nothing, each part that is a
    question is tried alone."""
    answer = _answer_whole(question, items, embedder, min_similarity)
    if answer.found:
        return answer
    for part in question_parts(question):
        again = _answer_whole(part, items, embedder, min_similarity)
        if again.found:
            return again
    return answer


_PART_SPLIT = re.compile(r"(?<=[?!.;])\s+|,\s+|\s+-+\s+|\s+(?:but|because|cos|since|as)\s+")


def _is_question(part: str) -> bool:
    """A part ending in "?" or starting with a question word or an auxiliary ("what", "is", "does")."""
    first = _tokens(part)[:1]
    return part.endswith("?") or bool(first) and (first[0] in WH or first[0] in AUX)


def question_parts(message: str) -> list[str]:
    """The parts of a message that are questions, when it has other words too: "is it in stock? need it by
    friday" -> ["is it in stock?"]; [] for a message that is one part."""
    parts = [p.strip() for p in _PART_SPLIT.split(message) if p and p.strip()]
    if len(parts) < 2:
        return []
    return [p for p in parts if _is_question(p)]


def _answer_whole(question: str, items: Sequence[Item], embedder: Embedder, min_similarity: float) -> Answer:
    items = list({i.id: i for i in items}.values())
    if not items:
        return Answer("Which item do you mean? I can answer about the items I have shown you.", False)
    q = _parse_question(question)
    names = _names(items)
    comp = _comparative(q) if not q.limit else None
    if comp is not None and (len(items) >= 2 or not q.yes_no):
        answer = _answer_comparison(items, q, comp, names)
        return _also_asked(answer, items, q, comp, names)
    same = len(items) >= 2 and q.yes_no and re.search(r"\bsame\b", q.low) is not None
    if same:  # "are they the same price?": each one's value, then whether they match
        q.yes_no = False
    emb = _Embeddings(embedder, question)
    parts = {i.id: _answer_item(i, q, emb, min_similarity) for i in items}
    lines = []
    if same and all(p.found for p in parts.values()):
        alike = len({p.phrase for p in parts.values()}) == 1
        lines.append("Yes, they are the same." if alike else "No, they differ.")
    if q.which and len(items) > 1:
        yes = [names[i.id] for i in items if parts[i.id].verdict == "yes"]
        no = [names[i.id] for i in items if parts[i.id].verdict == "no"]
        if yes or no:
            lead = []
            if yes:
                lead.append(f"yes for {_join(yes)}")
            if no:
                lead.append(f"no for {_join(no)}")
            text = "; ".join(lead)
            lines.append(text[:1].upper() + text[1:] + ".")
    for i in items:
        part = parts[i.id]
        phrase = part.phrase
        end = "" if phrase.endswith((".", "!", "?", "\u201d")) else "."
        lines.append(f"{names[i.id]}: {phrase}{end}")
    unanswered = [i.id for i in items if not parts[i.id].found]
    evidence = [e for i in items for e in parts[i.id].evidence]
    return Answer(" ".join(lines), not unanswered, evidence, unanswered)


def asks_for_values(question: str) -> bool:
    """Whether a question asks for something the items' data can answer ("which is cheaper?", "compare their
    prices", "how heavy are they?"), not only for the items side by side ("compare the first two")."""
    q = _parse_question(question)
    if q.fields or q.topics or q.limit or _comparative(q) is not None:
        return True
    return any(w in group for w in q.content for group in CONCEPTS)


def evidence_text(answer: Answer) -> list[str]:
    """The evidence as plain strings (for a fact checker's texts or a log)."""
    return [value for _, _, value in answer.evidence]


__all__ = [
    "MIN_SIMILARITY",
    "Answer",
    "Quantity",
    "answer_question",
    "asks_for_values",
    "evidence_text",
    "parse_quantity",
    "split_sentences",
]
