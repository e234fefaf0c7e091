"""Price bounds in a shopper's words, with their direction and negation.

"not more than 30" is a maximum, "can't go above $50" too, "no less than 20" a minimum, "around $600" a range
(±20%), "between 10 and 20" / "from 10 to 20" / "$10-$20" both bounds, "40 or less" / "30 max" / "50 tops" a
maximum, "40+" / "40 or more" a minimum, "a budget of 50" a maximum. Numbers that carry a unit ("16GB", "5000
mAh", "15 inches", "2 kg", "4 stars", "7 years") are not prices. "no budget" / "money is no object" means no
price filter at all (:attr:`PriceBounds.unlimited`). "pounds" is money only in a store that prices in GBP. Spoken amounts are read as numbers first ("under a
hundred", "seventy five bucks", "a tenner", "two grand", "a couple hundred", "20 quid"; :func:`spoken_numbers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NUM = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
PRE = r"(?:[$€£]|usd|eur|gbp)?\s*"
MONEY_WORDS = r"dollars?|usd|bucks|euros?|eur|gbp|quid|€|£|\$"
UNITS = (r"gb|tb|mb|gig|gigs|mah|mm|cm|km|m|meters?|metres?|inch(?:es)?|in|\"|''|ft|feet|foot|kg|g|grams?|lbs?|"
         r"oz|ounces?|ml|l|liters?|litres?|w|watts?|v|volts?|hz|mp|megapixels?|k|p|years?|yrs?|yo|months?|"
         r"pieces?|pcs|pack|packs|stars?|pages?|people|persons?|seats?|%|percent|x|cups?|qt|quarts?|"
         r"gallons?|rpm|mph|hours?|hrs?|days?|weeks?|sizes?|kids?|players?|ply|mins?|minutes?|core|cores")
LOW = r"(?:under|below|less than|cheaper than|lower than|beneath|at most|up to|upto|no more than|not more than|" \
      r"not over|not above|no higher than|not higher than|nothing (?:over|above|more than)|within|max(?:imum)?(?: of)?|" \
      r"(?:can'?t|cannot|can not|won'?t|don'?t want to|do not want to|not willing to) (?:go|spend|pay)" \
      r"(?: (?:above|over|more than|beyond|past))?|budget(?: of| is| around)?|a budget of|spend(?:ing)? (?:up to|at most)?)"
HIGH = r"(?:over|above|more than|at least|no less than|not less than|not under|not below|min(?:imum)?(?: of)?|" \
       r"starting (?:at|from)|upwards of|higher than|pricier than)"
AROUND = r"(?:around|about|roughly|approximately|approx\.?|close to|near|~|in the region of|somewhere around)"
UNLIMITED = re.compile(r"(?i)\b(no budget|budget (?:is )?(?:not|no) (?:a |an )?(?:problem|issue|concern|object)|"
                       r"money (?:is )?no object|price (?:is )?(?:not|no) (?:a |an )?(?:problem|issue|object|concern)|"
                       r"price doesn'?t matter|don'?t care (?:about|what) (?:the )?(?:price|it costs)|"
                       r"(?:any|whatever) price|no (?:price )?limit|money doesn'?t matter|cost is no object)\b")


def _unit_after(text: str, end: int, gbp: bool) -> bool:
    rest = text[end:end + 16].lower()
    if not gbp and re.match(r"\s*(?:pounds?|lbs?)\b", rest):
        return True
    return re.match(rf"\s*(?:{UNITS})(?![a-z])", rest) is not None


def _money_after(text: str, end: int) -> bool:
    return re.match(rf"\s*(?:{MONEY_WORDS})", text[end:end + 10].lower()) is not None


def _value(text: str) -> float:
    return float(text.replace(",", ""))


@dataclass
class PriceBounds:
    min_price: float | None = None
    max_price: float | None = None
    unlimited: bool = False  # the shopper said price does not matter
    spans: list[tuple[int, int]] = field(default_factory=list)  # where the price phrases are (for the query text)

    def as_args(self) -> dict[str, float]:
        out = {}
        if self.min_price is not None:
            out["min_price"] = self.min_price
        if self.max_price is not None:
            out["max_price"] = self.max_price
        return out


_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
_SCALES = {"hundred": 100, "thousand": 1000, "grand": 1000, "k": 1000}
_SLANG = {"a tenner": "10", "a fiver": "5", "a couple of hundred": "200", "a couple hundred": "200",
          "a few hundred": "300", "a grand": "1000"}
_WORD = "|".join(sorted([*_SMALL, *_TENS], key=len, reverse=True))
_SPOKEN = re.compile(rf"(?i)\b(?:(?:{_WORD}|\d+(?:\.\d+)?)(?:[\s-]+(?:{_WORD}))*"
                     rf"(?:[\s-]*(?:hundred|thousand|grand|k)\b(?:[\s-]+(?:and[\s-]+)?(?:{_WORD})(?:[\s-]+(?:{_WORD}))?)?)?)\b")


def _spoken_value(words: str) -> int | None:
    total, current = 0, 0
    for w in re.split(r"[\s-]+", words.lower()):
        if w == "and" or not w:
            continue
        if re.fullmatch(r"\d+(?:\.\d+)?", w):
            current += float(w)
        elif w in _SMALL:
            current += _SMALL[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            scale = _SCALES[w]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
        else:
            return None
    value = total + current
    return int(value) if float(value).is_integer() else value


def spoken_numbers(text: str) -> str:
    """Amounts written in words as digits: 'under a hundred' -> 'under 100', 'seventy five bucks' -> '75 bucks',
    'two grand' -> '2000'. A lone small number word ('one' to 'nine') is changed only before a money word
    ('five dollars'), so 'the second one' and 'two of those' stay words."""
    low = text
    for phrase, digits in _SLANG.items():
        low = re.sub(rf"(?i)\b{phrase}\b", digits, low)
    low = re.sub(r"(?i)\ba (hundred|thousand)\b", r"one \1", low)  # "a hundred and fifty" -> "one hundred and fifty"
    low = re.sub(r"(?i)(?<![\w.])(\d+(?:\.\d+)?)\s?k\b(?=\s*(?:$|[^\w]|tops|max|budget|or|and|to|dollars|bucks|euros|"
                 r"quid|pounds))", lambda m: str(round(float(m.group(1)) * 1000)), low)  # "1k", "1.5k" (not "4k tv")

    def swap(m: re.Match) -> str:
        words = m.group(0)
        parts = [w for w in re.split(r"[\s-]+", words.lower()) if w and w != "and"]
        if all(re.fullmatch(r"\d+(?:\.\d+)?", w) for w in parts):
            return words
        if parts[-1] == "k" and len(parts) == 1:
            return words
        big = any(w in _SCALES or w in _TENS or _SMALL.get(w, 0) >= 10 for w in parts)
        money_next = re.match(rf"\s*(?:{MONEY_WORDS})", low[m.end():m.end() + 10].lower()) is not None
        if not (big or money_next):  # "the second one", "two of those" stay words
            return words
        value = _spoken_value(words)
        return words if value is None else str(value)

    return _SPOKEN.sub(swap, low)


def read_prices(text: str, currency: str = "USD") -> PriceBounds:
    """The price bounds ``text`` states (see the module docstring)."""
    text = spoken_numbers(text)
    gbp = currency.upper() == "GBP"
    out = PriceBounds(unlimited=bool(UNLIMITED.search(text)))
    if out.unlimited:
        out.spans.append(UNLIMITED.search(text).span())
        return out
    low = text.lower()
    patterns = [
        ("range", rf"\b(?:between|from)\s+{PRE}{NUM}\s*(?:{MONEY_WORDS})?\s*(?:and|to|-|–)\s*{PRE}{NUM}"),
        ("range", rf"(?<![\w.]){PRE}{NUM}\s*(?:-|–|to)\s*{PRE}{NUM}\s*(?:{MONEY_WORDS})"),
        ("range", rf"[$€£]\s*{NUM}\s*(?:-|–|to)\s*[$€£]?\s*{NUM}"),
        ("around", rf"(?<!\w){AROUND}\s*{PRE}{NUM}"),
        ("max", rf"\b(?:shouldn'?t|should not|mustn'?t|must not|can'?t|cannot|won'?t|doesn'?t|does not|don'?t|"
                rf"do not|not) (?:cost|be|go|run|come to|spend|pay)(?: me)? (?:more than|over|above|beyond|past)\s*"
                rf"{PRE}{NUM}"),
        ("min", rf"\b(?:shouldn'?t|should not|can'?t|cannot|don'?t want anything|nothing) (?:cost |be |go )?"
                rf"(?:less than|under|below|cheaper than|lower than)\s*{PRE}{NUM}"),
        ("min", rf"\b(?:no|not) (?:less than|under|below|cheaper than|lower than)\s*{PRE}{NUM}"),
        ("range", rf"\bfrom\s+{PRE}{NUM}\s*(?:{MONEY_WORDS})?\s*(?:up to|upto|to|-|–)\s*{PRE}{NUM}"),
        ("range", rf"\bin the\s+{PRE}{NUM}\s*(?:-|–|to)\s*{PRE}{NUM}\s*(?:{MONEY_WORDS})?\s*(?:range|bracket|region)"),
        ("max", rf"\b(?:my |the |a )?(?:limit|cap|ceiling|max budget) (?:is|of|at|=)?\s*{PRE}{NUM}"),
        ("around", rf"\b(?:cost|costs|costing|be|for|at|pay|spend) (?:like|maybe|say)\s+{PRE}{NUM}"),
        ("max", rf"\b{LOW}\s*{PRE}{NUM}"),
        ("min", rf"\b{HIGH}\s*{PRE}{NUM}"),
        ("max", rf"(?<![\w.]){PRE}{NUM}\s*(?:{MONEY_WORDS})?\s*(?:or (?:less|under|below|cheaper)|max(?:imum)?\b|tops\b"
                rf"|at (?:the )?most|and under|and below)"),
        ("min", rf"(?<![\w.]){PRE}{NUM}\s*(?:{MONEY_WORDS})?\s*(?:or more|and up\b|and above|\+|plus\b)"),
        ("max", rf"(?<![\w.]){PRE}{NUM}\s*(?:{MONEY_WORDS})?\s*to spend\b"),
    ]
    taken: list[tuple[int, int]] = []
    for kind, pattern in patterns:
        for m in re.finditer(pattern, low):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            groups = [i for i in range(1, (m.lastindex or 0) + 1) if m.group(i)]
            numbers = [m.group(i) for i in groups]
            if _unit_after(low, m.end(groups[-1]), gbp):  # "at least 16GB", "between 10 and 15 inches"
                continue
            values = [_value(n) for n in numbers]
            if kind == "range":
                lo, hi = sorted(values[:2])
                out.min_price, out.max_price = lo, hi
            elif kind == "around":
                out.min_price, out.max_price = round(values[0] * 0.8, 2), round(values[0] * 1.2, 2)
            elif kind == "max":
                out.max_price = values[0] if out.max_price is None else min(out.max_price, values[0])
            else:
                out.min_price = values[0] if out.min_price is None else max(out.min_price, values[0])
            taken.append(m.span())
    if out.min_price is not None and out.max_price is not None and out.min_price > out.max_price:
        out.min_price = None  # "over 20 ... under 10": the ceiling is what the shopper can pay
    out.spans = sorted(taken)
    return out


def without_prices(text: str, bounds: PriceBounds) -> str:
    """``text`` with its price phrases blanked out (what is left is the product need)."""
    if bounds.spans:
        text = spoken_numbers(text)  # the spans are positions in the text as read_prices read it
    for start, end in reversed(bounds.spans):
        text = text[:start] + " " + text[end:]
    return re.sub(rf"(?i)\s*(?:{MONEY_WORDS})(?=\s|$)", " ", text) if bounds.spans else text
