"""One store, wired together from its :class:`~retrieval.config.StoreConfig`: SQLite catalog + logs, Chroma
index, embedder, searcher.

Every dependency is injectable (tests pass ``chromadb.EphemeralClient()``, a :class:`HashEmbedder` and an
in-memory :class:`CatalogDB`); by default they come from the config.
"""

from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from .catalog import Item
from .config import StoreConfig
from .embed import Embedder, load_embedder
from .importers import ImportFailed, ImportReport, load_interactions, load_items
from .popularity import Popularity
from .profile import ItemNames
from .search import Filters, SearchHit, SearchParams, Searcher
from .storage import CatalogDB
from .store import ItemIndex, SyncReport, make_chroma_client


class ImportCancelled(ImportFailed):
    """The owner declined an import that would delete items; nothing was written."""


class Store:
    def __init__(self, config: StoreConfig, client: Any = None, embedder: Embedder | None = None,
                 db: CatalogDB | None = None):
        if not isinstance(config, StoreConfig):
            raise TypeError(f"Store takes a StoreConfig, got {type(config).__name__} (use settings.store_config()).")
        self.config = config
        self.db = db if db is not None else CatalogDB(config.catalog_db)  # an empty CatalogDB is falsy
        self.client = client if client is not None else make_chroma_client(config)
        self.embedder = embedder if embedder is not None else load_embedder(config.embedding_model)
        self.index = ItemIndex(self.client, self.embedder, config.name, config.embed_max_chars)
        self._searcher: Searcher | None = None
        self._names: ItemNames | None = None
        self._lock = threading.Lock()
        self.gem_scores: dict[str, float] = {}

    # -- loading -----------------------------------------------------------------------------------------
    def import_catalog(self, path: str | Path, mapping: Mapping[str, str] | None = None, fmt: str = "auto",
                       replace: bool = True, progress: bool = True, allow_partial: bool = False,
                       confirm_delete: Callable[[int], bool] | None = None) -> ImportReport:
        """Validate the file, then write the catalog in one transaction (all valid rows or nothing).

        ``replace`` makes the catalog exactly the file's items; before that deletes items the file does not have,
        ``confirm_delete(count)`` is asked (a False answer raises :class:`ImportCancelled`, nothing is written).
        ``replace=False`` adds the file's items to the catalog (updating those with the same id)."""
        items, report = load_items(path, mapping, fmt, progress, allow_partial=allow_partial)
        doomed = len(set(self.db.items()) - {item.id for item in items}) if replace else 0
        if doomed and confirm_delete is not None and not confirm_delete(doomed):
            raise ImportCancelled(f"Nothing imported: replacing the catalog would delete {doomed} item(s) that "
                                  f"{Path(path).name} does not have. Add the file with --append instead.")
        (self.db.replace_items if replace else self.db.upsert_items)(items)
        report.deleted = doomed
        if doomed:
            report.notes.append(f"{doomed} item(s) not in this file were deleted from the catalog (replace); "
                                f"use --append to add a file to the catalog instead")
        report.write_rejects(self.config.rejects_dir / f"{Path(path).name}.rejects.jsonl")
        self._searcher = None
        return report

    def import_interactions(self, path: str | Path, replace: bool = True, progress: bool = True) -> ImportReport:
        rows, report = load_interactions(path, progress)
        known = self.db.items()
        unknown = [r for r in rows if r[1] not in known]
        if known and unknown:
            report.notes.append(f"{len(unknown)} interaction(s) name items not in the catalog; kept for "
                                f"popularity, ignored for ranking")
        if replace:
            self.db.clear_interactions()
        self.db.add_interactions(rows)
        report.write_rejects(self.config.rejects_dir / f"{Path(path).name}.rejects.jsonl")
        self._searcher = None
        return report

    def sync_index(self, progress: bool = True) -> SyncReport:
        items = list(self.db.items().values())
        if not items:
            raise RuntimeError("The catalog is empty: import one first (`longtail index PATH`).")
        with self._index_lock():
            report = self.index.sync(items, self.config.embed_batch_size, progress)
        self._searcher = None
        return report

    @contextmanager
    def _index_lock(self) -> Iterator[None]:
        """One writer at a time on an on-disk Chroma store: two processes indexing the same folder at once
        corrupt it. (A Chroma server serialises writes itself.)"""
        if self.config.chroma_mode != "persistent":
            yield
            return
        self.config.chroma_dir.mkdir(parents=True, exist_ok=True)
        with open(self.config.chroma_dir / ".longtail-index.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RuntimeError(f"Another process is indexing {self.config.chroma_dir}; wait for it to "
                                   f"finish, then run the command again.") from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @property
    def names(self) -> ItemNames:
        """How shoppers name this store's items (ids in any case, titles); rebuilt after each import."""
        if self._names is None or self._names.items is not self.db.items():
            self._names = ItemNames(self.db.items())
        return self._names

    def find_item(self, ref: str) -> Item | None:
        """The item ``ref`` names: its id in any case, else its title (or a distinctive part of it)."""
        item_id = self.names.canonical(ref) or next(iter(self.names.by_title(ref)), None)
        return self.db.get(item_id) if item_id else None

    def refresh_popularity(self) -> None:
        """Re-read interaction and impression counts (new likes, purchases) without rebuilding the index."""
        if self._searcher is not None:
            self._searcher.popularity = self._popularity()

    def _popularity(self) -> Popularity:
        s = self.config
        return Popularity.from_store(self.db, self.db.items(), s.head_share, s.tail_share_of_interactions,
                                     s.exposure_weight)

    # -- searching ---------------------------------------------------------------------------------------
    @property
    def searcher(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                if self.config.gem_weight > 0 and not self.gem_scores:
                    self.gem_scores.update(self._train_gems())
                self._searcher = Searcher(self.db, self.index, self._popularity(), self.gem_scores,
                                          self.config.embed_max_chars)
            return self._searcher

    def _train_gems(self) -> dict[str, float]:
        """Out-of-fold hidden-gem scores (predicted appeal from item text) for the boost; see retrieval.gems."""
        from .gems import train_gem_model

        counts = self.db.interaction_counts()
        if not counts:
            return {}
        return dict(train_gem_model(list(self.db.items().values()), counts).oof)

    def params(self, **overrides: Any) -> SearchParams:
        s = self.config
        base = dict(reranker=s.reranker, lam=s.lambda_, tail_share=s.tail_share, floor=s.relevance_floor,
                    candidates=s.candidates, fusion=s.fusion, dense_weight=s.dense_weight,
                    personalization=s.personalization, gem_weight=s.gem_weight)
        base.update({k: v for k, v in overrides.items() if v is not None})
        return SearchParams(**base)

    def search(self, query: str, filters: Filters | None = None, exclude: Sequence[str] = (),
               user_id: str | None = None, **overrides: Any) -> list[SearchHit]:
        history = self.db.user_history(user_id) if user_id else ()
        return self.searcher.search(query, filters, self.params(**overrides), exclude, history)

    def log_impressions(self, session_id: str, hits: Sequence[SearchHit], query: str = "",
                        source: str = "assistant") -> None:
        self.db.log_impressions(session_id, [h.item.id for h in hits], query, source)
        if self._searcher is not None:
            self._searcher.refresh_exposure()

