"""The Chroma item index: embeddings of item texts, kept in sync with the catalog by content hash.

``sync`` embeds only items whose text changed, deletes items that left the catalog and upserts in batches,
so an interrupted run, rerun, ends with exactly the catalog's items: no duplicates, nothing missing.
Encoding of the next batch overlaps with the Chroma write of the previous one (a one-slot thread pool).

Agreeing ids and counts do not prove that search can reach every item: an on-disk HNSW index can lose or
mangle vectors that Chroma's own tables still list (a killed process), and a content-hash sync then never
rewrites them. :meth:`ItemIndex.check` queries the index with every stored vector and lists the items that do
not come back in their own top k (or whose vector cannot be read at all); :meth:`ItemIndex.readd` deletes and
adds them again. Rebuilding beside the current collection and swapping is the store's job
(:meth:`retrieval.service.Store.verify`).
"""

from __future__ import annotations

import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from tqdm.auto import tqdm

from .catalog import Item
from .config import MODEL_SLUG_CHARS
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


def model_slug(model: str) -> str:
    """The embedding model's part of a collection name: at most 48 of [a-zA-Z0-9._-], no '..'."""
    slug = re.sub(r"\.{2,}", ".", re.sub(r"[^a-zA-Z0-9._-]+", "-", Path(model).name or model))
    return slug.strip("-._")[-MODEL_SLUG_CHARS:] or "model"


def items_collection_name(store: str, model: str) -> str:
    """The collection a store's items live in before any rebuild: ``<store>-items-<model>``."""
    return f"{store}-items-{model_slug(model)}"


@dataclass
class IndexCheck:
    """What :meth:`ItemIndex.check` found: stored items whose own vector does not bring them back."""
    checked: int = 0  # stored items whose vector was read and queried
    unreachable: list[str] = field(default_factory=list)  # not in the top k for their own vector
    no_vector: list[str] = field(default_factory=list)  # listed by Chroma, but their vector cannot be read
    ties: int = 0  # not in the top k only because k or more items have the very same vector (same text)
    blank: int = 0  # a zero vector (a text without words): no direction to search by

    @property
    def broken(self) -> list[str]:
        return self.unreachable + self.no_vector


TIE_DISTANCE = 1e-5  # cosine distances this small are the same vector


class ItemIndex:
    def __init__(self, client: Any, embedder: Embedder, name: str = "store", max_chars: int = 1000,
                 collection_name: str | None = None, check_model: bool = True):
        self.client = client
        self.embedder = embedder
        self.max_chars = max_chars
        # One collection per (store, embedding model): vectors of two models never mix, and switching models
        # back and forth does not re-embed. A rebuild makes the same name with a generation suffix
        # (``collection_name``); the store remembers which one is current.
        self.base_name = items_collection_name(name, embedder.name)
        self.collection = client.get_or_create_collection(
            collection_name or self.base_name, embedding_function=None,
            metadata={"embedding_model": embedder.name, "dim": embedder.dim},
            configuration={"hnsw": {"space": "cosine", "ef_search": 100}})
        built_with = (self.collection.metadata or {}).get("embedding_model")
        if check_model and built_with and built_with != embedder.name:
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

    # -- integrity -----------------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        return list(self.collection.get(include=[])["ids"])

    def _read(self, ids: Sequence[str], include: Sequence[str] = ("embeddings",)
              ) -> tuple[dict[str, Any], list[str]]:
        """``{id: (vector, metadata)}`` for the ids whose vector Chroma can read, and the ids it cannot.

        A vector the HNSW files lost makes Chroma fail the whole ``get`` ("Error finding id"), so a failing
        batch is split in halves until the unreadable ids are found."""
        if not ids:
            return {}, []
        try:
            got = self.collection.get(ids=list(ids), include=list(include))
        except Exception:
            if len(ids) == 1:
                return {}, list(ids)
            half = len(ids) // 2
            (a, bad_a), (b, bad_b) = self._read(ids[:half], include), self._read(ids[half:], include)
            return a | b, bad_a + bad_b
        metas = got.get("metadatas") or [None] * len(got["ids"])
        found = {i: (np.asarray(v, dtype=np.float32), m) for i, v, m in zip(got["ids"], got["embeddings"], metas)}
        return found, [i for i in ids if i not in found]

    def check(self, k: int = 10, ids: Sequence[str] | None = None, batch_size: int = 256,
              progress: bool = False) -> IndexCheck:
        """Query the index with each stored vector (``ids``, or all) and list the items not in their own top k."""
        ids = self.ids() if ids is None else list(ids)
        size = self.count()
        report = IndexCheck()
        if not ids or size == 0:
            return report
        n = max(1, min(k, size))
        bar = tqdm(total=len(ids), desc="verifying", unit=" items", disable=not progress)
        for begin in range(0, len(ids), batch_size):
            batch = ids[begin:begin + batch_size]
            found, unreadable = self._read(batch)
            report.no_vector += unreadable
            rows = [(i, v) for i, (v, _) in found.items() if v.size and np.linalg.norm(v) > 1e-12]
            report.blank += len(found) - len(rows)
            if rows:
                got = self.collection.query(query_embeddings=np.stack([v for _, v in rows]), n_results=n,
                                            include=["distances"])
                for (item_id, _), hit_ids, distances in zip(rows, got["ids"], got["distances"]):
                    report.checked += 1
                    if item_id in hit_ids:
                        continue
                    if len(hit_ids) == n and distances and max(distances) <= TIE_DISTANCE:
                        report.ties += 1
                    else:
                        report.unreachable.append(item_id)
            bar.update(len(batch))
        bar.close()
        return report

    def readd(self, items: Sequence[Item], drop: Sequence[str] = (), batch_size: int = 256) -> int:
        """Delete ``items`` (and the ids ``drop``) from the collection and add the items again, embedded anew
        from their text: a fresh HNSW insert, whatever state their old vector was in."""
        doomed = [item.id for item in items] + list(drop)
        for begin in range(0, len(doomed), 5000):
            self.collection.delete(ids=doomed[begin:begin + 5000])
        for begin in range(0, len(items), batch_size):
            batch = items[begin:begin + batch_size]
            vectors = self.embedder.encode([item.embedding_text(self.max_chars) for item in batch],
                                           batch_size=batch_size)
            self.collection.add(ids=[item.id for item in batch], embeddings=vectors,
                                metadatas=[item_metadata(item, item.content_hash(self.max_chars)) for item in batch])
        return len(items)

    def copy_from(self, other: ItemIndex, ids: Sequence[str], batch_size: int = 1000) -> int:
        """Copy the stored vectors and metadata of ``ids`` from ``other`` (those it can read); returns how many."""
        copied = 0
        for begin in range(0, len(ids), batch_size):
            found, _ = other._read(ids[begin:begin + batch_size], include=("embeddings", "metadatas"))
            if found:
                self.collection.add(ids=list(found), embeddings=np.stack([v for v, _ in found.values()]),
                                    metadatas=[m for _, m in found.values()])
                copied += len(found)
        return copied
