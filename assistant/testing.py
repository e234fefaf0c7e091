"""Shared test helpers: one demo store per process, built with the fast :class:`HashEmbedder`.

Tests in several modules share it (``functools.cache``), so the demo catalog is imported and indexed once.
Each assistant gets its own in-memory conversation store; a test that needs a fresh impression log builds
its own store with :func:`demo_store` ``(fresh=True)``.
"""

from __future__ import annotations

import csv
import functools
import itertools
import json
import tempfile
from pathlib import Path

from longtail.config import Settings
from longtail import stores
from retrieval import CatalogDB, HashEmbedder, Store
from retrieval.importers import slug

from .build import build_assistant
from .conversations import ConversationStore
from .dialogue import Assistant
from .models import ChatModel, ScriptedChatModel


_COUNTER = itertools.count(1)


def demo_settings(**overrides) -> Settings:
    data_dir = Path(tempfile.mkdtemp(prefix="longtail-test-"))
    return Settings(data_dir=data_dir, chroma_mode="ephemeral", llm_backend="fake", **overrides)


def _new_store(name: str = "asst-demo") -> Store:
    import chromadb

    settings = demo_settings(store=name)
    store = Store(settings.store_config(), client=chromadb.EphemeralClient(), embedder=HashEmbedder(),
                  db=CatalogDB(settings.store_dir / stores.CATALOG))
    stores.install(store, stores.BUNDLED["demo"], progress=False)
    return store


@functools.cache
def shared_store() -> Store:
    return _new_store("asst-demo")


def demo_store(fresh: bool = False) -> Store:
    return _new_store(f"asst-{next(_COUNTER)}") if fresh else shared_store()


def demo_assistant(model: ChatModel | None = None, store: Store | None = None,
                   conversations: ConversationStore | None = None, **options) -> Assistant:
    store = store or shared_store()
    settings = demo_settings()
    return build_assistant(settings, store=store, model=model if model is not None else ScriptedChatModel([]),
                           conversations=conversations or ConversationStore(":memory:"), **options)


# ------------------------------------------------------------------------------ a second store, other id formats
def _handle(title: str, taken: set[str]) -> str:
    base = slug(title, 60)
    handle, n = base, 2
    while handle in taken:
        handle, n = f"{base}-{n}", n + 1
    taken.add(handle)
    return handle


def export_like_shopify(folder: Path) -> stores.StoreFiles:
    """The demo store's files rewritten as a Shopify-style store exports them: lower-case handle ids made from the
    titles ("tidal-thread-split-hem-running-shorts-charcoal-s") and order numbers like "#1001"."""
    demo = stores.BUNDLED["demo"]
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    items = [json.loads(line) for line in demo.catalog.read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = {item["id"]: _handle(item["title"], taken) for item in items}
    with (folder / "products.jsonl").open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps({**item, "id": ids[item["id"]]}) + "\n")
    with demo.interactions.open(encoding="utf-8") as src, (folder / "events.csv").open("w", encoding="utf-8") as dst:
        rows = list(csv.DictReader(src))
        writer = csv.DictWriter(dst, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "item_id": ids.get(r["item_id"], r["item_id"])} for r in rows)
    orders = json.loads(demo.orders.read_text(encoding="utf-8"))
    for order in orders:
        order["order_id"] = "#" + str(int(order["order_id"].split("-")[1]) - 9000)
        order["items"] = [{**i, "item_id": ids[i["item_id"]]} for i in order["items"]]
    (folder / "orders.json").write_text(json.dumps(orders), encoding="utf-8")
    return stores.StoreFiles(folder / "products.jsonl", folder / "events.csv", demo.policies, folder / "orders.json",
                             demo.customers)


@functools.cache
def shopify_store() -> Store:
    """The demo store's data under handle ids and '#1001' order numbers, installed like any imported store."""
    import chromadb

    settings = demo_settings(store="asst-shop")
    store = Store(settings.store_config(), client=chromadb.EphemeralClient(), embedder=HashEmbedder(),
                  db=CatalogDB(settings.store_dir / stores.CATALOG))
    stores.install(store, export_like_shopify(settings.data_dir / "export"), progress=False)
    return store


def store_orders(store: Store) -> list[dict]:
    """The store's orders as imported (for writing test messages)."""
    from .build import load_orders

    return load_orders(store.config.store_dir, in_memory=True).orders()
