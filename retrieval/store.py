"""The Chroma item index: embeddings of item texts, kept in sync with the catalog by content hash.

``sync`` embeds only items whose text changed, deletes items that left the catalog and upserts in batches,
so an interrupted run, rerun, ends with exactly the catalog's items: no duplicates, nothing missing.
Encoding of the next batch overlaps with the Chroma write of the previous one (a one-slot thread pool).
"""

from __future__ import annotations

import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from tqdm.auto import tqdm

from .catalog import Item
from .embed import Embedder


class IndexMismatch(RuntimeError):
    """The collection was built with another embedding model."""


def make_chroma_client(settings: Any):
    """A Chroma client for ``settings.chroma_mode``: persistent (on disk), http (a `chroma run` server) or
    ephemeral (in memory)."""
    import chromadb

    # Default client settings everywhere: Chroma keeps one shared system per path and refuses a second
    # client with different settings in the same process. Telemetry is off via the environment.
    if settings.chroma_mode == "persistent":
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir))
    if settings.chroma_mode == "http":
        try:
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port)
            client.heartbeat()
        except Exception as exc:
            raise RuntimeError(
                f"No Chroma server at {settings.chroma_host}:{settings.chroma_port} ({exc}). Start one with "
                f"`chroma run --path DIR --port {settings.chroma_port}` or set chroma_mode=persistent.") from None
        return client
    return chromadb.EphemeralClient()


def item_metadata(item: Item, content_hash: str) -> dict[str, Any]:
    """Chroma metadata for filtering (Chroma rejects None values, so absent fields are left out)."""
    meta: dict[str, Any] = {"content_hash": content_hash, "in_stock": item.in_stock,
                            "category": item.top_category, "category_path": item.category_path,
                            "brand": item.brand}
    if item.price is not None:
        meta["price"] = float(item.price)
    if item.rating is not None:
        meta["rating"] = float(item.rating)
    return meta


@dataclass
class SyncReport:
    total: int
    embedded: int
    unchanged: int
    deleted: int
    seconds: float
    encode_seconds: float

    @property
    def items_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0


class ItemIndex:
    def __init__(self, client: Any, embedder: Embedder, name: str = "store", max_chars: int = 1000):
        self.client = client
        self.embedder = embedder
        self.max_chars = max_chars
        # One collection per (store, embedding model): vectors of two models never mix, and switching models
        # back and forth does not re-embed. Chroma names allow [a-zA-Z0-9._-], 3-512 chars.
        model = re.sub(r"[^a-zA-Z0-9._-]+", "-", Path(embedder.name).name or embedder.name).strip("-._")[-48:]
        self.collection = client.get_or_create_collection(
            f"{name}-items-{model or 'model'}", embedding_function=None,
            metadata={"embedding_model": embedder.name, "dim": embedder.dim},
            configuration={"hnsw": {"space": "cosine", "ef_search": 100}})
        built_with = (self.collection.metadata or {}).get("embedding_model")
        if built_with and built_with != embedder.name:
            raise IndexMismatch(f"Collection {self.collection.name} was built with {built_with!r}, not "
                                f"{embedder.name!r}: run `longtail index --rebuild`.")

    def count(self) -> int:
        return self.collection.count()

    def stored_hashes(self) -> dict[str, str]:
        got = self.collection.get(include=["metadatas"])
        return {i: (m or {}).get("content_hash", "") for i, m in zip(got["ids"], got["metadatas"])}

    def sync(self, items: Sequence[Item], batch_size: int = 64, progress: bool = True,
             on_batch: Callable[[int], None] | None = None) -> SyncReport:
        start = time.perf_counter()
        stored = self.stored_hashes()
        wanted = {item.id for item in items}
        stale = [i for i in stored if i not in wanted]
        for begin in range(0, len(stale), 5000):
            self.collection.delete(ids=stale[begin:begin + 5000])
        todo = [(item, item.content_hash(self.max_chars)) for item in items]
        todo = [(item, h) for item, h in todo if stored.get(item.id) != h]
        encode_seconds = 0.0
        pending: Future | None = None
        bar = tqdm(total=len(todo), desc="embedding", unit=" items", disable=not progress)
        with ThreadPoolExecutor(max_workers=1) as writer:
            for begin in range(0, len(todo), batch_size):
                batch = todo[begin:begin + batch_size]
                t0 = time.perf_counter()
                vectors = self.embedder.encode([item.embedding_text(self.max_chars) for item, _ in batch],
                                               batch_size=batch_size)
                encode_seconds += time.perf_counter() - t0
                if pending is not None:
                    pending.result()  # surface write errors; keeps at most one batch in flight
                pending = writer.submit(self.collection.upsert, ids=[item.id for item, _ in batch],
                                        embeddings=vectors, metadatas=[item_metadata(i, h) for i, h in batch])
                bar.update(len(batch))
                if on_batch:
                    on_batch(begin // batch_size)
            if pending is not None:
                pending.result()
        bar.close()
        return SyncReport(len(items), len(todo), len(items) - len(todo), len(stale),
                          time.perf_counter() - start, encode_seconds)

    def embeddings(self, ids: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
        """Stored vectors (all of them when ``ids`` is None), in the order Chroma returns them."""
        got = self.collection.get(ids=list(ids) if ids is not None else None, include=["embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
        return list(got["ids"]), vectors

    def query(self, vector: np.ndarray, n: int, where: dict | None = None, size: int | None = None
              ) -> tuple[list[str], np.ndarray]:
        """Approximate nearest neighbours (HNSW) -> (ids, cosine similarities). ``size``, when the caller
        knows the collection's size, saves a round trip to Chroma."""
        n = min(n, self.count() if size is None else size)
        if n == 0:
            return [], np.zeros(0, dtype=np.float32)
        got = self.collection.query(query_embeddings=vector.reshape(1, -1), n_results=n, where=where,
                                    include=["distances"])
        return got["ids"][0], 1.0 - np.asarray(got["distances"][0], dtype=np.float32)
