"""One store, wired together from its :class:`~retrieval.config.StoreConfig`: SQLite catalog + logs, Chroma
index, embedder, searcher.

Every dependency is injectable (tests pass ``chromadb.EphemeralClient()``, a :class:`HashEmbedder` and an
in-memory :class:`CatalogDB`); by default they come from the config.
"""

from __future__ import annotations

import fcntl
import random
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar

from .catalog import Item
from .config import StoreConfig
from .embed import Embedder, load_embedder
from .importers import (EmptyCatalogError, ImportFailed, ImportReport, TooManyRejects, load_interactions,
                        load_items)
from .popularity import Popularity
from .profile import ItemNames
from .search import Filters, SearchHit, SearchParams, Searcher
from .storage import CatalogDB
from .store import IndexCheck, IndexMismatch, ItemIndex, SyncReport, make_chroma_client

T = TypeVar("T")


class ImportCancelled(ImportFailed):
    """The owner declined an import that would delete items; nothing was written."""


class IndexBusy(RuntimeError):
    """Another process holds the index lock of this on-disk Chroma store."""


@dataclass
class VerifyReport:
    """What :meth:`Store.verify` found and did. ``unreachable`` counts the items that did not find themselves
    in the top ``k`` for their own stored vector (or whose vector could not be read); ``remaining`` those that
    still do not after the repair."""
    total: int = 0
    k: int = 10
    sampled: int = 0  # items checked when only a sample was (0: every item was)
    unreachable: int = 0
    no_vector: int = 0  # of the unreachable: a vector Chroma lists but cannot read
    missing: int = 0  # catalog items that were not in the collection (added by a sync)
    extra: int = 0  # ids in the collection that are not in the catalog (deleted by a sync)
    ties: int = 0  # items that share their exact vector with k or more others (same text): not faults
    blank: int = 0  # items whose vector is all zeros (a text without words)
    action: str = "none"  # "none", "re-added", "rebuilt", "re-added, then rebuilt", "not repaired"
    remaining: int = 0
    collection: str = ""
    seconds: float = 0.0
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.remaining == 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}

    def summary(self) -> str:
        head = (f"verified a sample of {self.sampled:,} of {self.total:,} items" if self.sampled else
                f"verified {self.total:,} items")
        if self.unreachable:
            what = f"{self.unreachable:,} unreachable" + (f" ({self.no_vector:,} without a readable vector)"
                                                         if self.no_vector else "")
            text = f"{head}: {what}, {self.action}; now {self.remaining:,}"
        else:
            text = f"{head}: every item finds itself in the top {self.k}"
        extras = []
        if self.missing or self.extra:
            extras.append(f"{self.missing:,} missing from and {self.extra:,} extra in the vector index, synced")
        if self.ties:
            extras.append(f"{self.ties:,} share their exact text with {self.k}+ other items (not counted)")
        if self.blank:
            extras.append(f"{self.blank:,} have no words to embed")
        if self.note:
            extras.append(self.note)
        if self.remaining:
            extras.append("run `longtail index --rebuild` to embed everything again")
        return text + "".join(f"; {e}" for e in extras) + f" ({self.seconds:.1f} s)"


class Store:
    def __init__(self, config: StoreConfig, client: Any = None, embedder: Embedder | None = None,
                 db: CatalogDB | None = None):
        if not isinstance(config, StoreConfig):
            raise TypeError(f"Store takes a StoreConfig, got {type(config).__name__} (use settings.store_config()).")
        self.config = config
        self.db = db if db is not None else CatalogDB(config.catalog_db)  # an empty CatalogDB is falsy
        self.client = client if client is not None else make_chroma_client(config)
        self.embedder = embedder if embedder is not None else load_embedder(config.embedding_model)
        # The current collection (a rebuild makes a new one beside it, then swaps) is remembered in the catalog.
        self._mismatch: IndexMismatch | None = None
        try:
            self.index = self._open_index(self.db.get_meta(self._collection_key))
        except IndexMismatch as exc:  # usable only by a rebuild, which makes a collection for this model
            self._mismatch = exc
            self.index = self._open_index(self.db.get_meta(self._collection_key), check_model=False)
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
        rejects_path = self.config.rejects_dir / f"{Path(path).name}.rejects.jsonl"
        try:
            items, report = load_items(path, mapping, fmt, progress, allow_partial=allow_partial)
        except (TooManyRejects, EmptyCatalogError) as exc:  # refused: the rows that made it so are kept too
            if exc.report is not None and exc.report.write_rejects(rejects_path):
                exc.rejects_path = rejects_path
                exc.args = (f"{exc.args[0]}\nEvery rejected row, with its reason: {rejects_path}",)
            raise
        doomed = len(set(self.db.items()) - {item.id for item in items}) if replace else 0
        if doomed and confirm_delete is not None and not confirm_delete(doomed):
            raise ImportCancelled(f"Nothing imported: replacing the catalog would delete {doomed} item(s) that "
                                  f"{Path(path).name} does not have. Add the file with --append instead.")
        (self.db.replace_items if replace else self.db.upsert_items)(items)
        report.deleted = doomed
        if doomed:
            report.notes.append(f"{doomed} item(s) not in this file were deleted from the catalog (replace); "
                                f"use --append to add a file to the catalog instead")
        report.write_rejects(rejects_path)
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

    def sync_index(self, progress: bool = True, rebuild: bool = False) -> SyncReport:
        """Bring the vector index in line with the catalog (embedding only changed items).

        ``rebuild`` embeds every item into a new collection beside the current one and makes it current only
        once it is complete: an interrupted or failed rebuild leaves the current collection as it was."""
        items = list(self.db.items().values())
        if not items:
            raise RuntimeError("The catalog is empty: import one first (`longtail index PATH`).")
        if self._mismatch is not None and not rebuild:
            raise self._mismatch
        with self._index_lock():
            if rebuild:
                report = self._build_beside(
                    lambda new: new.sync(items, self.config.embed_batch_size, progress), len(items))
            else:
                report = self.index.sync(items, self.config.embed_batch_size, progress)
        self._searcher = None
        return report

    # -- the current collection, rebuilds and verification ------------------------------------------------
    @property
    def _collection_key(self) -> str:
        return f"items_collection:{self.embedder.name}"

    @property
    def _generation_key(self) -> str:
        return f"items_generation:{self.embedder.name}"

    def _open_index(self, name: str | None, check_model: bool = True) -> ItemIndex:
        return ItemIndex(self.client, self.embedder, self.config.name, self.config.embed_max_chars,
                         collection_name=name, check_model=check_model)

    def _drop_collection(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception:  # absent already
            pass

    def _build_beside(self, fill: Callable[[ItemIndex], T], expected: int) -> T:
        """Fill a new collection (``<base>-g<N>``) and swap it in only when it holds ``expected`` items.

        The store remembers the current collection in its catalog (meta table), so the swap is one SQLite
        write. The replaced collection is kept until the next rebuild (a running server may still read it);
        older generations and leftovers of killed rebuilds are deleted."""
        old = self.index
        generation = int(self.db.get_meta(self._generation_key) or 0) + 1
        name = f"{old.base_name}-g{generation}"
        self._drop_collection(name)  # a killed rebuild's leftover
        try:
            new = self._open_index(name)
            result = fill(new)
            if new.count() != expected:
                raise RuntimeError(f"The rebuilt collection {name} holds {new.count()} items, not {expected}; "
                                   f"the current one ({old.collection.name}) is kept.")
        except BaseException:
            self._drop_collection(name)
            raise
        self.db.set_meta(self._generation_key, str(generation))
        self.db.set_meta(self._collection_key, name)
        self.index, self._mismatch, self._searcher = new, None, None
        self._sweep(keep={name, old.collection.name})
        return result

    def _sweep(self, keep: set[str]) -> None:
        pattern = re.compile(re.escape(self.index.base_name) + r"(-g\d+)?")
        for collection in self.client.list_collections():
            name = getattr(collection, "name", collection)
            if pattern.fullmatch(name) and name not in keep:
                self._drop_collection(name)

    def verify(self, k: int = 10, repair: bool = True, rebuild_share: float = 0.1, sample: int | None = None,
               progress: bool = False) -> VerifyReport:
        """Check that every stored vector finds its own item in the top ``k`` of a query by that vector.

        With ``repair``: the collection is first synced with the catalog when their ids differ; items that do
        not find themselves are deleted and added again (embedded anew); above ``rebuild_share`` of the items,
        or when re-adding does not help, the collection is rebuilt beside the current one (stored vectors
        copied, broken ones embedded anew) and swapped in. Called at the end of every `longtail index` run and
        by `longtail serve` before it starts. If another process is indexing, only checks.

        Each item costs about a millisecond (one Chroma query). ``sample`` checks only that many items, chosen
        at random, and everything as soon as one of them fails (for a quick start on a large store)."""
        start = time.perf_counter()
        if self._mismatch is not None:
            raise self._mismatch
        if not repair:
            report = self._verify(k, False, rebuild_share, sample, progress)
        else:
            try:
                with self._index_lock():
                    report = self._verify(k, True, rebuild_share, sample, progress)
            except IndexBusy:
                report = self._verify(k, False, rebuild_share, sample, progress)
                report.note = "another process is indexing this store, so nothing was repaired"
        report.seconds = time.perf_counter() - start
        return report

    def _verify(self, k: int, repair: bool, rebuild_share: float, sample: int | None,
                progress: bool) -> VerifyReport:
        items = self.db.items()
        index = self.index
        stored_ids = index.ids()
        stored = set(stored_ids)
        report = VerifyReport(k=k, missing=len(set(items) - stored), extra=len(stored - set(items)))
        if repair and (report.missing or report.extra) and items:
            index.sync(list(items.values()), self.config.embed_batch_size, progress)
            self._searcher = None
            stored_ids = index.ids()
        if sample is not None and 0 < sample < len(stored_ids):
            check = index.check(k, ids=random.Random().sample(stored_ids, sample), progress=progress)
            report.sampled = sample
            if check.broken:  # something is wrong: look at everything
                check, report.sampled = index.check(k, ids=stored_ids, progress=progress), 0
        else:
            check = index.check(k, ids=stored_ids, progress=progress)
        broken = check.broken
        report.total = len(items) if repair else len(stored)
        report.unreachable, report.no_vector = len(broken), len(check.no_vector)
        report.ties, report.blank = check.ties, check.blank
        report.collection = index.collection.name
        if not broken:
            return report
        if not repair:
            report.action, report.remaining = "not repaired", len(broken)
            return report
        if len(broken) > rebuild_share * max(1, report.total):
            after = self._rebuild_from(index, items, set(broken), k, progress)
            report.action = "rebuilt"
        else:
            index.readd([items[i] for i in broken if i in items], drop=[i for i in broken if i not in items])
            after = index.check(k, ids=[i for i in broken if i in items])
            report.action = "re-added"
            if after.broken:
                after = self._rebuild_from(index, items, set(broken), k, progress)
                report.action = "re-added, then rebuilt"
        report.remaining = len(after.broken)
        report.collection = self.index.collection.name
        self._searcher = None
        return report

    def _rebuild_from(self, old: ItemIndex, items: Mapping[str, Item], broken: set[str], k: int,
                      progress: bool) -> IndexCheck:
        """A new collection from ``old``'s readable vectors (the ``broken`` ones embedded anew), swapped in;
        then checked, and what still fails re-added once."""
        def fill(new: ItemIndex) -> None:
            new.copy_from(old, [i for i in old.ids() if i in items and i not in broken])
            new.sync(list(items.values()), self.config.embed_batch_size, progress)

        self._build_beside(fill, len(items))
        after = self.index.check(k, progress=progress)
        if after.broken:
            self.index.readd([items[i] for i in after.broken if i in items])
            after = self.index.check(k, ids=after.broken)
        return after

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
                raise IndexBusy(f"Another process is indexing {self.config.chroma_dir}; wait for it to "
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
            if self._mismatch is not None:
                raise self._mismatch
            if self._searcher is None:
                if self.config.gem_weight > 0 and not self.gem_scores:
                    self.gem_scores.update(self._train_gems())
                self._searcher = Searcher(self.db, self.index, self._popularity(), self.gem_scores,
                                          self.config.embed_max_chars, self._personal())
            return self._searcher

    def _personal(self) -> Any:
        """The store's trained purchase model (``longtail train-recommender``), or None."""
        from .personal import StoreRecommender

        return StoreRecommender.load(self.config.store_dir) if self.config.store_dir else None

    def train_recommender(self, config: Any = None, progress: bool = True) -> dict[str, Any]:
        """Train the purchase model on this store's interaction log and save it beside the catalog; the next
        searches of shoppers with a history use it. Returns the training summary."""
        from .personal import train_store_recommender

        model, summary = train_store_recommender(self.db, self.index, config, progress)
        model.save(self.config.store_dir)
        if self._searcher is not None:
            self._searcher.personal = model
        return summary

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
                    personalization=s.personalization, personal_weight=s.personal_weight,
                    gem_weight=s.gem_weight)
        base.update({k: v for k, v in overrides.items() if v is not None})
        return SearchParams(**base)

    def search(self, query: str, filters: Filters | None = None, exclude: Sequence[str] = (),
               user_id: str | None = None, history: Sequence[str] = (), **overrides: Any) -> list[SearchHit]:
        """``user_id``: a shopper of the store's log, whose history personalises the search; ``history``: items
        the shopper has in this visit (a cart), after that history, oldest first."""
        history = [*(self.db.user_history(user_id)[::-1] if user_id else ()), *history]  # oldest first
        return self.searcher.search(query, filters, self.params(**overrides), exclude, history)

    def log_impressions(self, session_id: str, hits: Sequence[SearchHit], query: str = "",
                        source: str = "assistant") -> None:
        self.db.log_impressions(session_id, [h.item.id for h in hits], query, source)
        if self._searcher is not None:
            self._searcher.refresh_exposure()

