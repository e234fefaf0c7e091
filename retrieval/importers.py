"""Catalog and interaction importers: CSV / JSONL / Parquet (with a column mapping), RecBole atomic files
(``.item``, ``.inter``), the UniSRec ``.text`` + ``.inter`` variant, and Amazon Reviews 2023 JSONL.

Nothing is silently lost: every row that cannot become an item is reported with its file, line and reason
(:class:`ImportReport`, also written as a JSONL rejects file). Huge texts are kept whole (only the embedding
copy is truncated). An empty result raises :class:`EmptyCatalogError`.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from tqdm.auto import tqdm

from .catalog import Item, RowError, item_from_record

HUGE_TEXT_CHARS = 20_000


class ImportFailed(ValueError):
    """The file cannot be imported at all (unknown format, unreadable, missing columns)."""


class EmptyCatalogError(ImportFailed):
    """No valid item was found."""


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


def read_csv(path: Path, report: ImportReport, delimiter: str = ",") -> Iterator[tuple[int, dict]]:
    csv.field_size_limit(sys.maxsize)
    text = io.StringIO()
    bad_lines: set[int] = set()
    for number, line in _decode_lines(path, report):  # undecodable lines are rejected and skipped
        text.write(line)
    for n in (r.line for r in report.rejects):
        bad_lines.add(n)
    text.seek(0)
    reader = csv.DictReader(text, delimiter=delimiter)
    if not reader.fieldnames:
        raise EmptyCatalogError(f"{path}: the file is empty (no header row).")
    line = 1
    for record in reader:
        start = line + 1
        line = reader.line_num
        while start in bad_lines:  # keep reported numbers aligned with the file despite skipped lines
            start += 1
        if None in record:
            report.reject(start, f"{len(record[None])} more fields than the header has", record)
            continue
        if any(v is None for v in record.values()):
            report.reject(start, "fewer fields than the header has", record)
            continue
        yield start, record


def read_parquet(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for number, record in enumerate(table.to_pylist(), 1):
        yield number, record


def read_records(path: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return read_jsonl(path, report)
    if suffix == ".csv":
        return read_csv(path, report)
    if suffix == ".tsv":
        return read_csv(path, report, delimiter="\t")
    if suffix == ".parquet":
        return read_parquet(path, report)
    raise ImportFailed(f"{path}: unknown file type {suffix!r}; use .csv, .tsv, .jsonl, .parquet, RecBole "
                       f".item/.inter, UniSRec .text or Amazon 2023 meta_*.jsonl.")


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
    for number, r in read_jsonl(path, report):
        details = r.get("details") or {}
        description = r.get("description") or []
        features = r.get("features") or []
        if isinstance(description, str):
            description = [description]
        yield number, {
            "id": r.get("parent_asin") or r.get("asin"),
            "title": r.get("title"),
            "description": " ".join(str(x) for x in [*features, *description]),
            "category": r.get("categories") or ([r["main_category"]] if r.get("main_category") else []),
            "brand": r.get("store") or details.get("Brand") or details.get("brand") or "",
            "price": r.get("price"),
            "attributes": {k: v for k, v in details.items() if isinstance(v, (str, int, float))},
            "rating": r.get("average_rating"),
            "rating_count": r.get("rating_number"),
        }


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".item"):
        return "recbole"
    if name.endswith(".text"):
        return "unisrec"
    if name.startswith("meta_") and name.endswith((".jsonl", ".json")):
        return "amazon2023"
    return "table"


def load_items(path: str | Path, mapping: Mapping[str, str] | None = None, fmt: str = "auto",
               progress: bool = True) -> tuple[list[Item], ImportReport]:
    """Read a catalog file into validated items, reporting every rejected row.

    ``mapping`` renames source columns to item fields, e.g. ``{"sku": "id", "name": "title"}``.
    """
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path} does not exist.")
    fmt = detect_format(path) if fmt == "auto" else fmt
    report = ImportReport(str(path))
    readers = {"recbole": _recbole_records, "unisrec": _unisrec_records, "amazon2023": _amazon2023_records,
               "table": read_records}
    if fmt not in readers:
        raise ImportFailed(f"Unknown format {fmt!r}; use one of {', '.join(readers)} or 'auto'.")
    mapping = dict(mapping or {})
    items: list[Item] = []
    first_line: dict[str, int] = {}
    huge = 0
    for number, record in tqdm(readers[fmt](path, report), desc=f"reading {path.name}", unit=" rows",
                               disable=not progress):
        if mapping:
            record = {mapping.get(k, k): v for k, v in record.items()}
        try:
            item = item_from_record(record)
        except RowError as exc:
            report.reject(number, str(exc), record)
            continue
        if item.id in first_line:
            report.reject(number, f"duplicate id {item.id!r} (first seen on line {first_line[item.id]}); "
                                  f"the first one is kept", record)
            continue
        first_line[item.id] = number
        if len(item.description) > HUGE_TEXT_CHARS:
            huge += 1
        items.append(item)
    report.accepted = len(items)
    if huge:
        report.notes.append(f"{huge} item(s) have descriptions over {HUGE_TEXT_CHARS:,} characters: kept whole, "
                            f"truncated only for embedding")
    if not items:
        raise EmptyCatalogError(f"{path}: no valid items ({len(report.rejects)} rows rejected). "
                                + (report.rejects[0].reason if report.rejects else "The file has no rows."))
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
