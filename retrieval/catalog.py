"""The catalog's item model: one product, validated, with a stable content hash for re-indexing."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

CORE_FIELDS = ("id", "title", "description", "category", "brand", "price", "currency", "attributes",
               "in_stock", "rating", "rating_count")


class RowError(ValueError):
    """A catalog row cannot become an item; the message is the reason shown in the rejects report."""


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


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (dict, list)):
        raise RowError(f"{name} must be text, got {type(value).__name__}")
    return str(value).strip()


def _number(value: Any, name: str) -> float | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        raise RowError(f"{name} must be a number, got {value!r}")
    if isinstance(value, str):
        value = value.strip().lstrip("$€£").replace(",", "")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(number) or math.isinf(number):
        raise RowError(f"{name} must be a finite number, got {value!r}")
    return number


def _bool(value: Any, name: str) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "yes", "y", "1", "in stock", "in_stock"):
        return True
    if text in ("false", "no", "n", "0", "out of stock", "out_of_stock"):
        return False
    raise RowError(f"{name} must be true/false, got {value!r}")


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


def item_from_record(record: Mapping[str, Any]) -> Item:
    """Validate one raw record (already mapped to the core field names) into an :class:`Item`.

    Unknown keys are kept in ``extra``. Raises :class:`RowError` with the reason on bad input.
    """
    item_id = _text(record.get("id"), "id")
    if not item_id:
        raise RowError("missing id")
    title = _text(record.get("title"), "title")
    if not title:
        raise RowError("missing title")
    price = _number(record.get("price"), "price")
    if price is not None and price < 0:
        raise RowError(f"price must be >= 0, got {price}")
    rating = _number(record.get("rating"), "rating")
    if rating is not None and not 0 <= rating <= 5:
        raise RowError(f"rating must lie in 0..5, got {rating}")
    count = _number(record.get("rating_count"), "rating_count")
    if count is not None and (count < 0 or count != int(count)):
        raise RowError(f"rating_count must be a whole number >= 0, got {record.get('rating_count')!r}")
    extra = dict(record.get("extra") or {})
    extra.update({k: v for k, v in record.items() if k not in CORE_FIELDS and k != "extra" and v is not None})
    return Item(
        id=item_id,
        title=title,
        description=_text(record.get("description"), "description"),
        category=_category(record.get("category")),
        brand=_text(record.get("brand"), "brand"),
        price=round(price, 2) if price is not None else None,
        currency=_text(record.get("currency"), "currency") or "USD",
        attributes=_attributes(record.get("attributes")),
        in_stock=_bool(record.get("in_stock"), "in_stock"),
        rating=rating,
        rating_count=int(count or 0),
        extra=extra,
    )
