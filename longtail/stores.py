"""The stores in a data dir: their layout on disk, the bundled demo store, and installing a store from files.

A store is a folder ``<data_dir>/stores/<name>/``::

    catalog.sqlite        items, the interaction log, the impression log   (longtail index CATALOG)
    orders.sqlite         orders, customers, returns                       (--orders FILE --customers FILE)
    policies/*.md         policy pages, one passage per "## " section      (--policies DIR)
    policies/store.json   optional facts: store_name, return_window_days, support_email, ...
    conversations.sqlite  chats, tickets, agent notes                      (written by the app)
    rejects/              every rejected row of every import, with its reason

The bundled demo store is installed through the same functions as any other store, the first time it is used.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval import ImportFailed, ImportReport, Store
from retrieval.config import CATALOG_FILE

from .config import Settings
from .demo import DATA_DIR as DEMO_DIR


@dataclass(frozen=True)
class StoreFiles:
    """The files a store is installed from (all but the catalog optional)."""
    catalog: Path
    interactions: Path | None = None
    policies: Path | None = None
    orders: Path | None = None
    customers: Path | None = None


BUNDLED: dict[str, StoreFiles] = {
    "demo": StoreFiles(DEMO_DIR / "items.jsonl", DEMO_DIR / "interactions.csv", DEMO_DIR / "policies",
                       DEMO_DIR / "orders.json", DEMO_DIR / "customers.json"),
}
CATALOG = CATALOG_FILE
ORDERS = "orders.sqlite"
POLICIES = "policies"
FACTS = "store.json"


class UnknownStore(LookupError):
    """The configured store does not exist; the message lists the stores there are and how to create one."""


def store_names(settings: Settings) -> list[str]:
    """The stores in the data dir (those with a catalog), and the bundled ones."""
    root = settings.stores_dir
    found = {p.parent.name for p in root.glob(f"*/{CATALOG}")} if root.is_dir() else set()
    return sorted(found | set(BUNDLED))


def exists(settings: Settings) -> bool:
    return settings.catalog_db.exists() or settings.store in BUNDLED


def require(settings: Settings) -> None:
    """Raise :class:`UnknownStore` (before anything is created on disk) when the store does not exist."""
    if not exists(settings):
        raise UnknownStore(
            f"There is no store {settings.store!r} in {settings.data_dir}. Stores: {', '.join(store_names(settings))}. "
            f"Create it with `longtail --store {settings.store} index catalog.csv` (then --policies DIR, "
            f"--orders FILE, --customers FILE), or pick one with --store NAME.")


def open_store(settings: Settings, progress: bool = True, **parts: Any) -> Store:
    """The configured store, ready to search: a bundled store is installed on first use, the index brought in
    line with the catalog. ``parts`` (client, embedder, db) are passed to :class:`~retrieval.Store`."""
    require(settings)
    store = Store(settings.store_config(), **parts)
    if settings.store in BUNDLED and len(store.db) == 0:
        install(store, BUNDLED[settings.store], progress)
    elif store.index.count() != len(store.db):
        store.sync_index(progress=progress)
    return store


def install(store: Store, files: StoreFiles, progress: bool = True) -> list[ImportReport]:
    """Import everything a store has (catalog, interactions, policies, orders, customers) and index it."""
    reports = [store.import_catalog(files.catalog, progress=progress)]
    if files.interactions:
        reports.append(store.import_interactions(files.interactions, progress=progress))
    if files.policies:
        reports.append(import_policies(store.config.store_dir, files.policies))
    if files.orders:
        reports += import_orders(store, files.orders, files.customers)
    store.sync_index(progress=progress)
    return reports


def import_policies(store_dir: Path, folder: str | Path) -> ImportReport:
    """Validate the policy pages in ``folder`` (Markdown, UTF-8, "## " sections) and make them the store's."""
    from assistant.policies import split_sections

    folder = Path(folder)
    report = ImportReport(str(folder))
    if not folder.is_dir():
        raise ImportFailed(f"{folder} is not a folder: --policies takes a folder of Markdown pages (*.md).")
    pages = sorted(folder.glob("*.md"))
    if not pages:
        raise ImportFailed(f"{folder} has no *.md pages. Write one page per topic (returns.md, shipping.md, ...), "
                           f"with a '## ' heading per section.")
    passages, readable = 0, []
    for number, page in enumerate(pages, 1):
        try:
            sections = split_sections(page.name, page.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            report.reject(number, f"{page.name} is not UTF-8; re-save it as UTF-8")
            continue
        if not sections:
            report.reject(number, f"{page.name} is empty")
            continue
        passages += len(sections)
        readable.append(page)
        report.accepted += 1
    facts = folder / FACTS
    if facts.exists():
        try:
            if not isinstance(json.loads(facts.read_text(encoding="utf-8")), dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise ImportFailed(f"{facts} must be a JSON object of store facts ({exc}).") from None
    if not report.accepted:
        raise ImportFailed(f"{folder}: no readable policy page ({len(report.rejects)} rejected).")
    target = store_dir / POLICIES
    staging = store_dir / (POLICIES + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for page in readable:
        shutil.copy2(page, staging / page.name)
    if facts.exists():
        shutil.copy2(facts, staging / FACTS)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    report.notes.append(f"{passages} policy passages from {report.accepted} page(s)")
    return report


def import_orders(store: Store, orders: str | Path, customers: str | Path | None = None) -> list[ImportReport]:
    """Validate and load the order book (replacing the orders there were; returns are kept)."""
    from assistant.orders import OrderBook, read_customers, read_orders, unknown_items

    rows, report = read_orders(orders)
    people, people_report = read_customers(customers) if customers else ([], None)
    missing = unknown_items(rows, store.db.items())
    if missing:
        report.notes.append(f"{missing} order line(s) name items that are not in the catalog (import the catalog "
                            f"first, or check the item ids)")
    book = OrderBook(store.config.store_dir / ORDERS)
    book.load(rows, people, replace=True)
    return [report] + ([people_report] if people_report else [])


def facts(store_dir: Path) -> dict[str, Any]:
    """The store's facts (``policies/store.json``), {} when it has none."""
    path = store_dir / POLICIES / FACTS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
