"""Catalog and interaction importers: CSV / TSV / JSON / JSONL / Parquet (with a column mapping), Shopify's
product CSV export, RecBole atomic files (``.item``, ``.inter``), the UniSRec ``.text`` + ``.inter`` variant,
and Amazon Reviews 2023 JSONL.

Store exports import without a mapping where their columns say what they hold: common names are aliases of
item fields (``name`` -> ``title``, ``sku`` -> ``id``, ``images`` -> ``image_url``, ...; see
:data:`COLUMN_ALIASES`), and a catalog without ids gets stable ids made from title and brand.

Nothing is silently lost: every row that cannot become an item is reported with its file, line and reason
(:class:`ImportReport`, also written as a JSONL rejects file), and every value left empty is counted in its
notes. Huge texts are kept whole (only the embedding copy is truncated). An empty result raises
:class:`EmptyCatalogError`; too many rejected rows raise :class:`TooManyRejects` unless ``allow_partial``.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import hashlib
import io
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from tqdm.auto import tqdm

from .catalog import CORE_FIELDS, Item, RowError, item_from_record

HUGE_TEXT_CHARS = 20_000
JOIN_SEPARATOR = "\n\n"  # between the columns of a joined mapping such as "a+b=description"

# Source column names (compared lower-case, with spaces and punctuation as "_") read as item fields when the
# file has no column of the field's own name and no mapping sets it. The first alias the file has wins.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("sku", "product_id", "item_id", "handle", "parent_asin", "asin"),
    "title": ("name", "product_name", "product_title"),
    "description": ("body_html", "long_description"),
    "brand": ("vendor", "manufacturer"),
    "category": ("type", "product_type", "categories"),
    "in_stock": ("stock", "quantity", "inventory", "availability"),
    "rating_count": ("reviews", "review_count", "num_reviews"),
    "image_url": ("image", "images", "image_src", "image_link"),
    "url": ("link", "product_url", "permalink"),
}

# Columns of a table catalog read as the item's attributes (compared like COLUMN_ALIASES): what a shopper asks
# about, kept where the answers, filters and cards look (other unknown columns stay in ``extra``).
PROPERTY_COLUMNS = frozenset("""
color colour colors colours size sizes material materials fabric weight dimensions length width height depth
capacity volume fit style gender age age_range ages pages page_count format author authors publisher isbn
edition language series battery battery_life storage memory ram screen screen_size resolution connectivity
ports compatibility model pattern flavor flavour scent finish care care_instructions warranty power wattage
voltage thickness diameter pieces players sheets paper_weight ink origin country_of_origin
""".split())

# Keys of the product list in a JSON object such as {"count": 57, "products": [...]}.
JSON_LIST_KEYS = frozenset({"products", "items", "data", "results", "catalog", "records", "entries", "rows"})

# Shopify's product CSV export: one row per variant or extra image, grouped by Handle.
SHOPIFY_COLUMNS = frozenset({"Handle", "Title", "Body (HTML)", "Vendor", "Variant Price"})
SHOPIFY_DEFAULT_OPTION = "Default Title"  # the option value of a product without variants

WARNING_NOTES = {
    "rating": "{n} rating value(s) could not be read and were left empty (e.g. {example!r} on line {line}); "
              "write ratings as 4.7, '4.7/5', '9.4/10' or '94%'",
    "rating_count": "{n} rating_count value(s) could not be read and were left at 0 (e.g. {example!r} on "
                    "line {line}); write counts as whole numbers",
    "image_url": "{n} image_url value(s) were not http(s) URLs or site-relative paths and were dropped (e.g. "
                 "{example!r} on line {line})",
    "url": "{n} url value(s) were not http(s) URLs or site-relative paths and were dropped (e.g. {example!r} "
           "on line {line})",
}


class ImportFailed(ValueError):
    """The file cannot be imported at all (unknown format, unreadable, missing columns).

    ``report``, when set, holds the rows read so far (with every rejected row); ``rejects_path`` is where the
    store wrote them (see :meth:`retrieval.service.Store.import_catalog`)."""

    def __init__(self, message: str, report: ImportReport | None = None):
        super().__init__(message)
        self.report = report
        self.rejects_path: Path | None = None


class EmptyCatalogError(ImportFailed):
    """No valid item was found."""


class TooManyRejects(ImportFailed):
    """More rows than the allowed share were rejected; ``.report`` lists them. Nothing should be written."""

    def __init__(self, message: str, report: ImportReport):
        super().__init__(message, report)


@dataclass
class Reject:
    file: str
    line: int
    reason: str
    raw: str = ""


@dataclass
class ImportReport:
    source: str
    accepted: int = 0
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    generated_ids: int = 0  # accepted items whose id was made from title and brand
    field_warnings: dict[str, int] = field(default_factory=dict)  # field -> values left empty
    deleted: int = 0  # catalog items a replacing import removed (set by Store.import_catalog)

    def reject(self, line: int, reason: str, raw: Any = "") -> None:
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
        self.rejects.append(Reject(self.source, line, reason, text[:500]))

    def write_rejects(self, path: str | Path) -> Path | None:
        if not self.rejects:
            return None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fh:
            for r in self.rejects:
                fh.write(json.dumps(r.__dict__, ensure_ascii=False) + "\n")
        return path

    def summary(self) -> str:
        lines = [f"{self.source}: {self.accepted} accepted, {len(self.rejects)} rejected"]
        lines += [f"  {r.file}:{r.line}: {r.reason}" for r in self.rejects[:20]]
        if len(self.rejects) > 20:
            lines.append(f"  ... and {len(self.rejects) - 20} more (see the rejects file)")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# -- raw readers: yield (line_number, record) ---------------------------------------------------------------
def _decode_lines(path: Path, report: ImportReport) -> Iterator[tuple[int, str]]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                report.reject(number, f"not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8",
                              raw.decode("utf-8", "replace"))


def read_jsonl(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    for number, line in _decode_lines(path, report):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.reject(number, f"invalid JSON: {exc.msg}", line)
            continue
        if not isinstance(record, dict):
            report.reject(number, "a JSONL line must be an object", line)
            continue
        yield number, record


def _looks_like_item(record: Mapping[str, Any]) -> bool:
    names = {column_key(k) for k in record}
    return bool(names & {"id", "title", *COLUMN_ALIASES["id"], *COLUMN_ALIASES["title"]})


def _json_rows(path: Path, document: Any) -> list[Any]:
    """The rows of a JSON document: an array, an object holding one array of objects, or one object."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        raise ImportFailed(f"{path}: expected a JSON array of product objects, got a "
                           f"{type(document).__name__}.")
    lists = [k for k, v in document.items()
             if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    if len(lists) == 1 and (column_key(lists[0]) in JSON_LIST_KEYS or not _looks_like_item(document)):
        return document[lists[0]]
    if _looks_like_item(document):
        return [document]  # one product (its lists are images, variants, ...)
    if lists:
        raise ImportFailed(f"{path}: the JSON object holds several lists of objects ({', '.join(lists)}); "
                           f'keep only the products, as a JSON array or as {{"products": [...]}}.')
    return [document]


def read_json(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    """A ``.json`` file: a JSON array of objects, ``{"products": [...]}``, or JSON lines after all.

    Array elements are numbered from 1 in the report (element N is "line" N)."""
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        yield from read_jsonl(path, report)  # JSON lines, or a broken file: reported line by line
        return
    rows = _json_rows(path, document)
    if rows and rows[0] is not document:
        report.notes.append("rows are numbered by their position in the JSON array (element 1 is the first)")
    for number, row in enumerate(rows, 1):
        if isinstance(row, dict):
            yield number, row
        else:
            report.reject(number, f"element {number} of the JSON array is a {type(row).__name__}, not an "
                                  f"object", row)


def read_csv(path: Path, report: ImportReport, delimiter: str = ",") -> Iterator[tuple[int, dict]]:
    csv.field_size_limit(sys.maxsize)
    text = io.StringIO()
    # The file's line number of each line kept (undecodable lines are rejected and skipped), so that the rows
    # after a skipped line are reported with their own line numbers.
    numbers: list[int] = []
    blank: list[bool] = []
    for number, line in _decode_lines(path, report):
        text.write(line)
        numbers.append(number)
        blank.append(not line.strip())
    text.seek(0)
    reader = csv.DictReader(text, delimiter=delimiter)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise ImportFailed(f"{path}: the header row cannot be read as CSV ({exc}).") from None
    if not fieldnames:
        raise EmptyCatalogError(f"{path}: the file is empty (no header row).")
    done = reader.line_num  # lines of ``text`` read so far
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            at = numbers[min(done, len(numbers) - 1)] if numbers else 0
            report.reject(at, f"unreadable CSV ({exc}); the rest of the file was not read")
            break
        first = done
        while first < reader.line_num - 1 and blank[first]:  # blank lines before a row are skipped
            first += 1
        done = reader.line_num
        start = numbers[first] if first < len(numbers) else (numbers[-1] if numbers else 1)
        if None in record:
            report.reject(start, f"{len(record[None])} more fields than the header has", record)
            continue
        if any(v is None for v in record.values()):
            report.reject(start, "fewer fields than the header has", record)
            continue
        yield start, record


def _plain(value: Any, dropped: Callable[[], None]) -> Any:
    """A Parquet value as JSON can store it: timestamps and dates as ISO text, decimals as numbers, binary as
    UTF-8 text (or left out, calling ``dropped``, when it is not text), structs and lists value by value."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            dropped()
            return None
    if isinstance(value, Mapping):
        return {str(k): _plain(v, dropped) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(x, tuple) and len(x) == 2 for x in value):  # a Parquet map: (key, value)
            return {str(k): _plain(v, dropped) for k, v in value}
        return [_plain(v, dropped) for v in value]
    return str(value)


def read_parquet(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.stat().st_size == 0:
        raise EmptyCatalogError(f"{path}: the file is empty (0 bytes); export the catalog again.")
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise ImportFailed(f"{path}: not a readable Parquet file ({exc}).") from None
    binary: dict[str, int] = {}
    counters = {name: (lambda name=name: binary.__setitem__(name, binary.get(name, 0) + 1))
                for name in parquet.schema_arrow.names}
    plain = (str, bool, int, float, type(None))
    number = 0
    try:
        for batch in parquet.iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                number += 1
                yield number, {column: value if isinstance(value, plain) else _plain(value, counters[column])
                               for column, value in record.items()}
    except (pa.ArrowException, OSError) as exc:
        report.reject(number + 1, f"unreadable Parquet data ({exc}); the rest of the file was not read")
    for column, n in binary.items():
        report.notes.append(f"{n} value(s) of the binary column {column!r} are not text and were left out")


def _suffix(path: Path) -> str:
    return "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()


def read_records(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    suffix = _suffix(path)
    if suffix == ".json":
        return read_json(path, report)
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path, report)
    if suffix == ".csv":
        return read_csv(path, report)
    if suffix == ".tsv":
        return read_csv(path, report, delimiter="\t")
    if suffix == ".parquet":
        return read_parquet(path, report)
    raise ImportFailed(f"{path}: unknown file type {suffix!r}; use .csv, .tsv, .json, .jsonl, .parquet, a "
                       f"Shopify product export, RecBole .item/.inter, UniSRec .text or Amazon 2023 "
                       f"meta_*.jsonl.")


def _csv_header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        return next(csv.reader(fh), [])


# -- column names: the mapping and the aliases --------------------------------------------------------------
def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``["sku=id", "a+b=description"]`` -> ``{"sku": "id", "a+b": "description"}`` (the CLI's ``--map``).

    ``a+b=description`` joins the non-empty values of columns ``a`` and ``b``, in that order."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        source, sep, target = pair.rpartition("=")
        columns = [c.strip() for c in source.split("+")]
        target = target.strip()
        if not sep or not target or not all(columns):
            raise ValueError(f"{pair!r}: use SOURCE=field, e.g. --map sku=id or --map a+b=description")
        if target not in CORE_FIELDS:
            raise ValueError(f"{pair!r}: {target!r} is not an item field; map to one of "
                             f"{', '.join(CORE_FIELDS)} (other columns are kept as they are)")
        taken = next((s for s, t in mapping.items() if t == target), None)
        if taken is not None:
            raise ValueError(f"{pair!r}: {target} is already mapped from {taken!r}; join columns with '+' "
                             f"instead, e.g. --map {taken}+{'+'.join(columns)}={target}")
        mapping["+".join(columns)] = target
    return mapping


def _as_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "\n".join(_as_text(v) for v in value if _as_text(v))
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return ""
    return str(value).strip()


def apply_mapping(record: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """Rename (``{"sku": "id"}``) and join (``{"a+b": "description"}``) columns; the sources are dropped."""
    sources = {source: source.split("+") for source in mapping}
    consumed = {column for columns in sources.values() for column in columns}
    out = {k: v for k, v in record.items() if k not in consumed}
    for source, target in mapping.items():
        present = [column for column in sources[source] if column in record]
        if len(sources[source]) == 1 and present:
            out[target] = record[present[0]]
        elif present:
            out[target] = JOIN_SEPARATOR.join(t for t in (_as_text(record[c]) for c in present) if t)
    return out


def column_key(name: str) -> str:
    """"Image Src" -> "image_src", "Body (HTML)" -> "body_html": how column names are compared to aliases."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")


def apply_aliases(record: Mapping[str, Any]) -> dict[str, Any]:
    """Read common column names as item fields (:data:`COLUMN_ALIASES`) where the field itself is absent, and
    columns that name a product property (:data:`PROPERTY_COLUMNS`: colour, size, material, weight, ...) as its
    attributes when the record has no attributes of its own."""
    out = dict(record)
    if "attributes" not in out:
        properties = {k: v for k, v in out.items()
                      if column_key(k) in PROPERTY_COLUMNS and isinstance(v, (str, int, float)) and _as_text(v)}
        if properties:
            out["attributes"] = {k: _as_text(v) for k, v in properties.items()}
            for k in properties:
                del out[k]
    columns: dict[str, str] = {}
    for column in record:
        columns.setdefault(column_key(column), column)
    for target in CORE_FIELDS:
        if target in out:
            continue
        source = next((columns[n] for n in (target, *COLUMN_ALIASES.get(target, ())) if n in columns), None)
        if source is not None and source in out:
            out[target] = out.pop(source)
    return out


def slug(text: str, max_chars: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_chars].rstrip("-")


def stable_id(title: str, brand: str = "") -> str:
    """An id for an item its catalog gave none: the title's slug and a hash of title and brand, so the same
    item gets the same id on every import and same-titled items of two brands differ."""
    key = "\n".join(" ".join(part.lower().split()) for part in (title, brand))  # case and spacing ignored
    return f"{slug(title) or 'item'}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:6]}"


# -- format-specific record mapping -------------------------------------------------------------------------
def _recbole_name(column: str) -> str:
    return column.split(":", 1)[0]


RECBOLE_ALIASES = {"item_id": "id", "categories": "category", "sales_rank": "sales_rank"}


def _recbole_records(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    for number, record in read_csv(path, report, delimiter="\t"):
        yield number, {RECBOLE_ALIASES.get(_recbole_name(k), _recbole_name(k)): v for k, v in record.items()}


def _unisrec_records(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    """``item_id:token <TAB> text:token_seq`` where text is "title. categories. brand." (UniSRec layout)."""
    for number, line in _decode_lines(path, report):
        if number == 1 and line.startswith("item_id"):
            continue
        if not line.strip():
            continue
        item_id, _, text = line.rstrip("\r\n").partition("\t")
        parts = [p.strip() for p in text.strip().rstrip(".").split(". ")]
        title = parts[0] if parts else ""
        brand = parts[-1] if len(parts) >= 3 else ""
        category = parts[1] if len(parts) >= 3 else (parts[1] if len(parts) == 2 else "")
        yield number, {"id": item_id.strip(), "title": title, "description": text.strip(),
                       "category": [category] if category else [], "brand": brand}


def _amazon2023_records(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    rows = read_json(path, report) if _suffix(path) == ".json" else read_jsonl(path, report)
    for number, r in rows:
        details = r.get("details") or {}
        description = r.get("description") or []
        features = r.get("features") or []
        if isinstance(description, str):
            description = [description]
        yield number, {
            "id": r.get("parent_asin") or r.get("asin"),
            "title": r.get("title"),
            "description": "\n".join(str(x) for x in [*features, *description]),  # a bullet per line
            "category": r.get("categories") or ([r["main_category"]] if r.get("main_category") else []),
            "brand": r.get("store") or details.get("Brand") or details.get("brand") or "",
            "price": r.get("price"),
            "attributes": {k: v for k, v in details.items() if isinstance(v, (str, int, float))},
            "rating": r.get("average_rating"),
            "rating_count": r.get("rating_number"),
            "image_url": r.get("images"),
        }


def _first(rows: Iterable[Mapping[str, Any]], column: str) -> str:
    return next((value for value in (str(r.get(column) or "").strip() for r in rows) if value), "")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _shopify_options(rows: list[dict]) -> dict[str, str]:
    """``{"Size": "S, M, L", "Color": "Red"}`` from the Option1..3 Name/Value columns of a product's rows."""
    attributes = {}
    for n in (1, 2, 3):
        name = _first(rows, f"Option{n} Name")
        values = _unique(r.get(f"Option{n} Value") or "" for r in rows)
        values = [v for v in values if v != SHOPIFY_DEFAULT_OPTION]
        if name and values:
            attributes[name] = ", ".join(values)
    return attributes


def _shopify_stock(rows: list[dict]) -> int | None:
    """Units in stock over the variants (oversold ones count 0); None when no row gives a quantity."""
    quantities = []
    for row in rows:
        try:
            quantities.append(int(float(row.get("Variant Inventory Qty") or "")))
        except ValueError:
            continue
    return sum(max(q, 0) for q in quantities) if quantities else None


def _shopify_product(handle: str, rows: list[dict]) -> dict[str, Any]:
    """One item from the rows of one Handle: the product row plus its variant and image rows."""
    category = _first(rows, "Product Category")
    product: dict[str, Any] = {
        "id": handle, "title": _first(rows, "Title"), "description": _first(rows, "Body (HTML)"),
        "brand": _first(rows, "Vendor"), "category": category or _first(rows, "Type"),
        "price": _first(rows, "Variant Price"), "image_url": _first(rows, "Image Src"),
        "in_stock": _shopify_stock(rows), "attributes": _shopify_options(rows),
    }
    extra = {"tags": _first(rows, "Tags"), "published": _first(rows, "Published"),
             "status": _first(rows, "Status"), "product_type": _first(rows, "Type") if category else "",
             "skus": ", ".join(_unique(r.get("Variant SKU") or "" for r in rows))}
    return product | {k: v for k, v in extra.items() if v}


def _shopify_records(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    products: dict[str, list[tuple[int, dict]]] = {}
    for number, row in read_csv(path, report):
        handle = (row.get("Handle") or "").strip()
        if handle:
            products.setdefault(handle, []).append((number, row))
        else:
            report.reject(number, "Shopify row without a Handle; every row needs the Handle of its product",
                          row)
    for handle, numbered in products.items():
        yield numbered[0][0], _shopify_product(handle, [row for _, row in numbered])


READERS: dict[str, Callable[[Path, ImportReport], Iterator[tuple[int, dict]]]] = {
    "table": read_records, "shopify": _shopify_records, "recbole": _recbole_records,
    "unisrec": _unisrec_records, "amazon2023": _amazon2023_records,
}


AMAZON2023_KEYS = frozenset({"parent_asin", "title", "features", "details"})  # Amazon Reviews 2023 metadata


def _first_keys(path: Path) -> set[str]:
    """The keys of a JSON Lines file's first record (empty when it is not one)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            line = next((x for x in f if x.strip()), "")
        first = json.loads(line)
    except (OSError, ValueError):
        return set()
    return set(first) if isinstance(first, dict) else set()


def detect_format(path: Path) -> str:
    """The format of a catalog file, from its name and, for a ``.csv``, its header."""
    name = path.name.lower()
    if name.endswith(".item"):
        return "recbole"
    if name.endswith(".text"):
        return "unisrec"
    if name.endswith((".jsonl", ".json")) and (name.startswith("meta_") or AMAZON2023_KEYS <= _first_keys(path)):
        return "amazon2023"
    if name.endswith(".csv") and SHOPIFY_COLUMNS <= set(_csv_header(path)):
        return "shopify"
    return "table"


# -- loading a catalog --------------------------------------------------------------------------------------
def _needs_id(record: Mapping[str, Any]) -> bool:
    return not _as_text(record.get("id")) and bool(_as_text(record.get("title")))


_JSON_SCALARS = (str, int, float, bool, type(None))


def _storable(value: Any) -> bool:
    """Whether JSON can store ``value`` (what Item.to_json needs of the unknown columns kept in ``extra``)."""
    if isinstance(value, _JSON_SCALARS):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _storable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_storable(v) for v in value)
    return False


def _unstorable_type(value: Any) -> str:
    if isinstance(value, dict):
        return next(_unstorable_type(v) for v in value.values() if not _storable(v))
    if isinstance(value, (list, tuple)):
        return next(_unstorable_type(v) for v in value if not _storable(v))
    return type(value).__name__


class _CatalogBuilder:
    """One file's records into items: mapping, aliases, generated ids, duplicates and the report's notes."""

    def __init__(self, report: ImportReport, mapping: Mapping[str, str]):
        self.report = report
        self.mapping = mapping
        self.items: list[Item] = []
        self.first_line: dict[str, int] = {}
        self.generated: list[str] = []
        self.columns: set[str] = set()
        self.warnings: dict[str, list[tuple[int, Any]]] = {}  # field -> (line, value) left empty
        self.huge = 0

    def add(self, number: int, raw: Mapping[str, Any]) -> None:
        self.columns.update(raw)
        record = apply_aliases(apply_mapping(raw, self.mapping))
        generated = _needs_id(record)
        if generated:
            record["id"] = stable_id(_as_text(record["title"]), _as_text(record.get("brand")))
        warnings: list[tuple[str, Any]] = []
        try:
            item = item_from_record(record, warnings)
            if item.extra and not _storable(item.extra):  # the other fields are validated values
                raise TypeError(f"a value of type {_unstorable_type(item.extra)} cannot be stored")
        except RowError as exc:
            self.report.reject(number, str(exc), raw)
            return
        except Exception as exc:  # a value no reader should have produced: this row, not the import, fails
            self.report.reject(number, f"unreadable row ({type(exc).__name__}: {exc})", raw)
            return
        if item.id in self.first_line:
            self.report.reject(number, self._duplicate_reason(item.id, generated), raw)
            return
        self.first_line[item.id] = number
        self.items.append(item)
        if generated:
            self.generated.append(item.id)
        if len(item.description) > HUGE_TEXT_CHARS:
            self.huge += 1
        for name, value in warnings:
            self.warnings.setdefault(name, []).append((number, value))

    def _duplicate_reason(self, item_id: str, generated: bool) -> str:
        first = self.first_line[item_id]
        reason = f"duplicate id {item_id!r} (first seen on line {first}); the first one is kept"
        if generated:
            reason += ("; the id was generated from title and brand, which both rows share: add an id column "
                       "to keep both")
        return reason

    def finish(self) -> list[Item]:
        report = self.report
        report.accepted = len(self.items)
        report.generated_ids = len(self.generated)
        if self.huge:
            report.notes.append(f"{self.huge} item(s) have descriptions over {HUGE_TEXT_CHARS:,} characters: "
                                f"kept whole, truncated only for embedding")
        if self.generated:
            report.notes.append(f"{len(self.generated)} items had no id; generated stable ids from title and "
                                f"brand (e.g. {self.generated[0]!r}); add an id column to control them")
        for name, seen in self.warnings.items():
            report.field_warnings[name] = len(seen)
            report.notes.append(WARNING_NOTES[name].format(n=len(seen), line=seen[0][0], example=seen[0][1]))
        missing = [c for source in self.mapping for c in source.split("+") if c not in self.columns]
        if missing and self.columns:
            named = ", ".join(map(repr, missing))
            columns = ", ".join(sorted(self.columns)[:40])
            report.notes.append(f"mapped column(s) {named} are not in the file, so their mapping did "
                                f"nothing; its columns are: {columns}")
        return self.items


def _reason_kind(reason: str) -> str:
    """A reason without its values, so that "price ..., got 'cheap'" and "..., got 'n/a'" count together."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", reason)


def _common_reasons(rejects: Sequence[Reject], top: int = 3) -> list[str]:
    groups: dict[str, list[Reject]] = {}
    for r in rejects:
        groups.setdefault(_reason_kind(r.reason), []).append(r)
    largest = sorted(groups.values(), key=len, reverse=True)[:top]
    return [f"{len(g)} × {g[0].reason} (first on line {g[0].line})" for g in largest]


def _check_reject_share(report: ImportReport, max_reject_share: float) -> None:
    rejected = len(report.rejects)
    total = rejected + report.accepted
    if not total or rejected / total <= max_reject_share:
        return
    raise TooManyRejects(
        f"{report.source}: {rejected} of {total} rows were rejected ({rejected / total:.0%}; at most "
        f"{max_reject_share:.0%} may be). Most common reasons:\n"
        + "".join(f"  {reason}\n" for reason in _common_reasons(report.rejects))
        + f"Fix the file (every rejected row is listed in the report), or pass --allow-partial "
          f"(allow_partial=True) to accept the {report.accepted} valid rows.", report)


def load_items(path: str | Path, mapping: Mapping[str, str] | None = None, fmt: str = "auto",
               progress: bool = True, max_reject_share: float = 0.2,
               allow_partial: bool = False) -> tuple[list[Item], ImportReport]:
    """Read a catalog file into validated items, reporting every rejected row.

    ``mapping`` renames source columns to item fields, e.g. ``{"sku": "id", "name": "title"}``; a key
    ``"a+b"`` joins the non-empty values of columns ``a`` and ``b`` (see :func:`parse_mapping`). Without one,
    common column names are read as fields (:data:`COLUMN_ALIASES`). ``fmt`` is ``"auto"`` or one of
    :data:`READERS`. Raises :class:`EmptyCatalogError` when no row is valid and :class:`TooManyRejects` when
    more than ``max_reject_share`` of the rows are rejected, unless ``allow_partial``.
    """
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path} does not exist.")
    if not 0 <= max_reject_share <= 1:
        raise ValueError(f"max_reject_share={max_reject_share} must lie between 0 and 1 "
                         f"(0.2 = 20% of the rows).")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt not in READERS:
        raise ImportFailed(f"Unknown format {fmt!r}; use one of {', '.join(READERS)} or 'auto'.")
    report = ImportReport(str(path))
    builder = _CatalogBuilder(report, dict(mapping or {}))
    for number, record in tqdm(READERS[fmt](path, report), desc=f"reading {path.name}", unit=" rows",
                               disable=not progress):
        builder.add(number, record)
    items = builder.finish()
    if not items:
        raise EmptyCatalogError(f"{path}: no valid items ({len(report.rejects)} rows rejected). "
                                + (report.rejects[0].reason if report.rejects else "The file has no rows."),
                                report)
    if not allow_partial:
        _check_reject_share(report, max_reject_share)
    return items, report


# -- interactions -------------------------------------------------------------------------------------------
Interaction = tuple[str, str, str, str]  # (user_id, item_id, event, timestamp)


def _index_map(path: Path) -> dict[str, str] | None:
    """UniSRec ``.item2index``: integer index -> original id, when the file lies beside the ``.inter``."""
    stem = path.name.split(".")[0]
    candidate = path.parent / f"{stem}.item2index"
    if not candidate.exists():
        return None
    mapping = {}
    for line in candidate.read_text(encoding="utf-8").splitlines():
        if line.strip():
            original, index = line.split("\t")
            mapping[index.strip()] = original.strip()
    return mapping


def load_interactions(path: str | Path, progress: bool = True) -> tuple[list[Interaction], ImportReport]:
    """Read an interaction log: CSV/JSONL/Parquet (user_id, item_id, event, timestamp), RecBole ``.inter``
    (user_id, item_id, rating, timestamp), UniSRec ``.inter`` (user_id, item_id_list, item_id; expanded to one
    interaction per history item plus the target) or Amazon 2023 reviews JSONL (user_id, parent_asin, ...)."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path} does not exist.")
    report = ImportReport(str(path))
    rows: list[Interaction] = []
    sequences: dict[str, list[str]] = {}  # UniSRec: the longest prefix row per user is the full sequence
    if path.name.endswith(".inter"):
        index = _index_map(path)
        records = ((n, {_recbole_name(k): v for k, v in r.items()})
                   for n, r in read_csv(path, report, delimiter="\t"))
    else:
        index = None
        records = read_records(path, report)
    for number, r in tqdm(records, desc=f"reading {path.name}", unit=" rows", disable=not progress):
        user = str(r.get("user_id") or "").strip()
        if not user:
            report.reject(number, "missing user_id", r)
            continue
        if "item_id_list" in r:
            ids = (r.get("item_id_list") or "").split() + [str(r.get("item_id") or "").strip()]
        else:
            ids = [str(r.get("item_id") or r.get("parent_asin") or r.get("asin") or "").strip()]
        if not all(ids):
            report.reject(number, "missing item_id", r)
            continue
        if index is not None:
            ids = [index.get(i, i) for i in ids]
        if "item_id_list" in r:
            if len(ids) > len(sequences.get(user, ())):
                sequences[user] = ids
            continue
        event = str(r.get("event") or ("review" if "rating" in r or "text" in r else "purchase"))
        rows.append((user, ids[0], event, str(r.get("timestamp") or r.get("ts") or "")))
    # UniSRec has no timestamps: the position in the sequence stands in for time.
    rows += [(u, i, "purchase", f"{t:06d}") for u, seq in sequences.items() for t, i in enumerate(seq)]
    report.accepted = len(rows)
    return rows, report
