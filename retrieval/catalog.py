"""The catalog's item model: one product, validated, with a stable content hash for re-indexing.

Field values are read the way store exports write them: prices with currency symbols or codes and either
thousands convention ("$1,299.00", "1 299,00 €"), ratings on any scale ("4.7/5", "9.4/10", "94%"), stock
as a word or a count, image lists as Amazon Reviews 2023 writes them, HTML descriptions.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, TypeVar
from urllib.parse import urlsplit

CORE_FIELDS = ("id", "title", "description", "category", "brand", "price", "currency", "attributes",
               "in_stock", "rating", "rating_count", "image_url", "url")
# Fields whose unreadable values are left empty (and counted) rather than rejecting the row.
LENIENT_FIELDS = ("rating", "rating_count", "image_url", "url")


class RowError(ValueError):
    """A catalog row cannot become an item; the message is the reason shown in the rejects report."""


class _Unreadable(ValueError):
    """A lenient field's value cannot be read; the field is left empty and the import counts it."""


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    description: str = ""
    category: tuple[str, ...] = ()
    brand: str = ""
    price: float | None = None
    currency: str = "USD"
    attributes: dict[str, str] = field(default_factory=dict)
    in_stock: bool = True
    rating: float | None = None
    rating_count: int = 0
    image_url: str = ""
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def category_path(self) -> str:
        return " > ".join(self.category)

    @property
    def top_category(self) -> str:
        return self.category[0] if self.category else ""

    def embedding_text(self, max_chars: int | None = None) -> str:
        """The text that is embedded and BM25-indexed; only this copy is ever truncated."""
        attrs = ", ".join(f"{k}: {v}" for k, v in self.attributes.items())
        parts = [self.title, self.brand, self.category_path, attrs, self.description]
        text = ". ".join(p for p in parts if p)
        return text[:max_chars] if max_chars else text

    def content_hash(self, max_chars: int | None = None) -> str:
        return hashlib.sha256(self.embedding_text(max_chars).encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["category"] = list(self.category)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Item":
        return item_from_record(json.loads(text))


T = TypeVar("T")

CURRENCY_SYMBOLS = {"US$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "$": "USD",
                    "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}  # longest first: "US$" before "$"
# how a price is shown: the one-character symbols of CURRENCY_SYMBOLS ("$" -> USD), the code for the rest
SYMBOLS = {code: symbol for symbol, code in CURRENCY_SYMBOLS.items() if len(symbol) == 1}


def format_price(price: float | None, currency: str = "USD") -> str:
    """A price as shoppers read it, in the item's own currency: "$1,234.50", "€3.00", "3.00 CHF"."""
    if price is None:
        return "price on request"
    symbol = SYMBOLS.get((currency or "").upper())
    return f"{symbol}{price:,.2f}" if symbol else f"{price:,.2f} {currency}"


def format_amount(amount: float, currency: str = "USD") -> str:
    """A limit the shopper gave ("$50", "€40", "40 CHF"): no decimals when it is whole."""
    symbol = SYMBOLS.get((currency or "").upper())
    return f"{symbol}{amount:g}" if symbol else f"{amount:g} {currency}"


IMAGE_KEYS = ("large", "hi_res", "thumb", "url")  # Amazon Reviews 2023 image dicts, best first
IN_STOCK_WORDS = {"true", "t", "yes", "y", "in stock", "instock", "available", "on"}
OUT_OF_STOCK_WORDS = {"false", "f", "no", "n", "out of stock", "outofstock", "sold out", "soldout",
                      "unavailable", "off"}

_CURRENCY_CODE = re.compile(r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])")  # "USD 12.50"; upper case: "ask 5" is none
_GROUPING = re.compile(r"[\s'\u00a0\u202f]")  # spaces and apostrophes that group thousands
_AMOUNT = re.compile(r"-?\d[\d.,]*")
_NUMBER = r"\d+(?:[.,]\d+)?"
_RATING = re.compile(rf"(?P<value>{_NUMBER})\s*(?:(?P<percent>%)|(?:/|out\s+of|of)\s*(?P<scale>{_NUMBER}))?"
                     r"(?:\s*stars?)?", re.IGNORECASE)
_COUNT = re.compile(r"\(?\s*(?P<number>\d[\d.,'\u00a0 ]*?)\s*(?P<thousands>k)?\s*"
                    r"(?:ratings?|reviews?|votes?)?\s*\)?", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[A-Za-z/!][^>]*>")
_HTML_ENTITY = re.compile(r"&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _text(value: Any, name: str) -> str:
    if _blank(value):
        return ""
    if isinstance(value, (dict, list)):
        raise RowError(f"{name} must be text, got {type(value).__name__}")
    return str(value).strip()


def _decimal(text: str) -> float:
    """A number written with either thousands convention: "1,299.00", "1.299,00", "1299,5", "1,299"."""
    if "," in text and "." in text:
        thousands = "," if text.rfind(".") > text.rfind(",") else "."
        text = text.replace(thousands, "")
    separator = "," if "," in text else "."
    if text.count(separator) > 1 or (separator == "," and re.search(r",\d{3}$", text)):
        text = text.replace(separator, "")  # only thousands separators: "1,299", "1.299.000"
    return float(text.replace(",", "."))


def _currency_code(text: str) -> str:
    text = text.strip()
    return CURRENCY_SYMBOLS.get(text, text.upper())


def _split_currency(text: str) -> tuple[str, str]:
    """("EUR", "1 299,00 ") from "1 299,00 €": the currency named in a price, and the rest of the text."""
    for symbol, code in CURRENCY_SYMBOLS.items():
        if symbol in text:
            return code, text.replace(symbol, " ")
    match = _CURRENCY_CODE.search(text)
    if match:
        return match.group(), text[:match.start()] + " " + text[match.end():]
    return "", text


def parse_price(value: Any) -> tuple[float | None, str]:
    """The amount and the currency the price names ("" when none): "$1,299.00" -> (1299.0, "USD")."""
    if _blank(value):
        return None, ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = float(value)
        currency = ""
    else:
        currency, rest = _split_currency(str(value))
        digits = _GROUPING.sub("", rest)
        if not _AMOUNT.fullmatch(digits):
            raise RowError(f"price must be a number such as 12.50, '$1,299.00' or '1 299,00 €', "
                           f"got {value!r}")
        amount = _decimal(digits)
    if math.isinf(amount):
        raise RowError(f"price must be a finite number, got {value!r}")
    if amount < 0:
        raise RowError(f"price must be >= 0, got {value!r}")
    return round(amount, 2), currency


def _rating(value: Any) -> float | None:
    """A 0..5 rating from 4.7, "4.7/5", "4.7 out of 5 stars", "9.4/10" or "94%" (the last two scaled to 5)."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise _Unreadable
    if isinstance(value, (int, float)):
        rating = float(value)
    else:
        match = _RATING.fullmatch(str(value).strip())
        if not match:
            raise _Unreadable
        rating = _decimal(match["value"])
        scale = 100.0 if match["percent"] else _decimal(match["scale"]) if match["scale"] else 5.0
        if scale <= 0:
            raise _Unreadable
        rating = round(rating / scale * 5, 2) if scale != 5.0 else rating
    if math.isinf(rating):
        raise _Unreadable
    if not 0 <= rating <= 5:
        raise RowError(f"rating must lie in 0..5, got {rating:g}; write other scales as '9.4/10' or '94%'")
    return rating


def _count_number(text: str) -> float:
    """Like :func:`_decimal`, but "1.234" is 1234: counts have no fractions."""
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):
        return float(re.sub(r"[.,]", "", text))
    return _decimal(text)


def _rating_count(value: Any) -> int | None:
    """A whole number of ratings from 1200, "1,200", "1.2k" or "(1,200 ratings)"."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise _Unreadable
    if isinstance(value, (int, float)):
        count = float(value)
    else:
        match = _COUNT.fullmatch(str(value).strip())
        if not match:
            raise _Unreadable
        count = _count_number(_GROUPING.sub("", match["number"]))
        count = round(count * 1000) if match["thousands"] else count
    if math.isinf(count) or count < 0 or count != int(count):
        raise _Unreadable
    return int(count)


def _stock(value: Any) -> tuple[bool, int | None]:
    """(in stock, the count when one was given): True, "yes", "sold out", "in stock", 12, "0"."""
    if _blank(value):
        return True, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return value > 0, int(value)
    text = str(value).strip().lower()
    if re.fullmatch(r"[-+]?\d+(?:\.0+)?", text):
        count = int(float(text))
        return count > 0, count
    text = re.sub(r"[_\-\s]+", " ", text).rsplit("/", 1)[-1]  # "Sold-Out", "in_stock", schema.org/InStock
    if text in IN_STOCK_WORDS:
        return True, None
    if text in OUT_OF_STOCK_WORDS:
        return False, None
    raise RowError(f"in_stock must be yes/no, true/false, 'in stock'/'out of stock'/'sold out' or a stock "
                   f"count, got {value!r}")


def _web_url(value: Any) -> str:
    """An http(s) URL or a site-relative path ("/products/x"); others (javascript:, data:) are unreadable."""
    if isinstance(value, (dict, list)):
        raise _Unreadable
    text = _text(value, "url")
    if not text:
        return ""
    if text.startswith("//"):
        text = "https:" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        raise _Unreadable from None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return text
    if not parts.scheme and text.startswith("/"):
        return text
    raise _Unreadable


def _first_image(value: Any) -> str:
    """The first image of a URL, a list of URLs, Amazon 2023 image dicts or a comma/space separated string."""
    if _blank(value):
        return ""
    if isinstance(value, Mapping):
        return next((_first_image(value[key]) for key in IMAGE_KEYS if not _blank(value.get(key))), "")
    if isinstance(value, (list, tuple)):
        return next((url for url in map(_first_image, value) if url), "")
    text = str(value).strip()
    if text.startswith("["):
        try:
            return _first_image(json.loads(text))
        except json.JSONDecodeError:
            pass
    return re.split(r"\s+|,(?=\s*(?:https?:|/))", text.strip("[]\"' "))[0]  # commas inside URLs stay


def _image_url(value: Any) -> str:
    return _web_url(_first_image(value))


_HTML_BLOCK = re.compile(r"</?(?:p|br|li|ul|ol|div|tr|table|h[1-6]|dt|dd|dl|section|blockquote)\b[^>]*>",
                         re.IGNORECASE)


def html_to_text(text: str) -> str:
    """Plain text from HTML: scripts and tags removed, entities unescaped; a paragraph, list entry or table row
    is a line of its own ("Pages: 400" stays a line, not glued to the next entry); spaces collapsed."""
    text = _HTML_BLOCK.sub("\n", _SCRIPT_OR_STYLE.sub(" ", text))
    text = html.unescape(_HTML_TAG.sub(" ", text))
    return "\n".join(line for line in (" ".join(part.split()) for part in text.split("\n")) if line)


# "Pages: 400", "Battery: 5000 mAh" on a line of their own in a description: a spec the listing gives
_SPEC_LINE = re.compile(r"^\s*(?:[-*•]\s*)?([A-Za-z][A-Za-z0-9 /&()'-]{0,28}[A-Za-z)])\s*:\s*(\S.{0,79})$")


def spec_lines(description: str) -> dict[str, str]:
    """The ``name: value`` lines of a description (one per line, a short name and value), in order."""
    out: dict[str, str] = {}
    for line in description.split("\n"):
        m = _SPEC_LINE.match(line)
        if m and len(m.group(1).split()) <= 4 and len(m.group(2).split()) <= 8 and not m.group(2).endswith(":"):
            out.setdefault(m.group(1).strip(), m.group(2).strip())
    return out


def _description(value: Any) -> str:
    if isinstance(value, (list, tuple)):  # a list of paragraphs
        value = "\n\n".join(str(part).strip() for part in value if not _blank(part))
    text = _text(value, "description")
    if _HTML_TAG.search(text) or _HTML_ENTITY.search(text):
        return html_to_text(text)
    return text


def _lenient(parse: Callable[[Any], T], record: Mapping[str, Any], name: str,
             warnings: list[tuple[str, Any]] | None) -> T | None:
    try:
        return parse(record.get(name))
    except _Unreadable:
        if warnings is not None:
            warnings.append((name, record.get(name)))
        return None


def _category(value: Any) -> tuple[str, ...]:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, (list, tuple)):
        parts: list[str] = []
        for part in value:  # Amazon 2023 sometimes nests lists
            parts.extend(_category(part))
        return tuple(parts)
    text = str(value)
    for sep in (">", "|", "/"):
        if sep in text:
            return tuple(p.strip() for p in text.split(sep) if p.strip())
    return (text.strip(),)


def _attributes(value: Any) -> dict[str, str]:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise RowError("attributes must be a JSON object or a mapping") from None
    if not isinstance(value, Mapping):
        raise RowError(f"attributes must be a mapping, got {type(value).__name__}")
    return {str(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in value.items()}


def _with_specs(attributes: dict[str, str], description: str) -> dict[str, str]:
    """The attributes, plus the description's spec lines whose names they do not have yet."""
    have = {k.lower() for k in attributes}
    extra = {k: v for k, v in spec_lines(description).items() if k.lower() not in have}
    return {**attributes, **extra} if extra else attributes


def item_from_record(record: Mapping[str, Any], warnings: list[tuple[str, Any]] | None = None) -> Item:
    """Validate one raw record (already mapped to the core field names) into an :class:`Item`.

    Unknown keys are kept in ``extra`` (a stock count also as ``extra["stock"]``). Raises :class:`RowError`
    with the reason on bad input. A value of a :data:`LENIENT_FIELDS` field that cannot be read is left empty
    and appended to ``warnings`` as ``(field, value)`` instead.
    """
    title = _text(record.get("title"), "title")
    if not title:
        raise RowError("missing title")
    item_id = _text(record.get("id"), "id")
    if not item_id:
        raise RowError("missing id")
    price, price_currency = parse_price(record.get("price"))
    in_stock, stock = _stock(record.get("in_stock"))
    # ``extra`` is a mapping when the record is a stored item (Item.to_dict); a catalog column named "extra"
    # is kept like any other unknown column.
    given = record.get("extra")
    extra = dict(given) if isinstance(given, Mapping) else {}
    extra.update({k: v for k, v in record.items() if k not in CORE_FIELDS and k != "extra" and v is not None})
    if not isinstance(given, Mapping) and not _blank(given):
        extra["extra"] = given
    if stock is not None:
        extra["stock"] = stock
    description = _description(record.get("description"))
    return Item(
        id=item_id,
        title=title,
        description=description,
        category=_category(record.get("category")),
        brand=_text(record.get("brand"), "brand"),
        price=price,
        currency=_currency_code(_text(record.get("currency"), "currency") or price_currency or "USD"),
        attributes=_with_specs(_attributes(record.get("attributes")), description),
        in_stock=in_stock,
        rating=_lenient(_rating, record, "rating", warnings),
        rating_count=_lenient(_rating_count, record, "rating_count", warnings) or 0,
        image_url=_lenient(_image_url, record, "image_url", warnings) or "",
        url=_lenient(_web_url, record, "url", warnings) or "",
        extra=extra,
    )
