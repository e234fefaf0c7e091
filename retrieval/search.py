"""Hybrid search with long-tail-aware re-ranking, and the trace every result carries.

Pipeline: query embedding -> dense candidates (Chroma HNSW; exact search on an in-memory mirror of the
vectors when filters apply, because Chroma's ``where`` filters are slow at scale) + BM25 candidates (same
filter mask) -> reciprocal-rank (or score) fusion -> relevance normalised so the best candidate is 1 ->
re-ranking (none / exposure penalty / xQuAD) -> top k with a :class:`Trace` each.

A shopper with a history, in a store with a trained purchase model (:mod:`retrieval.personal`): the query's
candidates ranked by the model's purchase score are a third list in the reciprocal-rank fusion
(``personal_weight``); with no query, the model's own top items are the candidates ("something for me").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from .catalog import Item
from .embed import Embedder
from .lexical import BM25Index
from .popularity import Popularity
from .rerank import Candidate, by_relevance, exposure_rerank, xquad_rerank
from .storage import CatalogDB
from .store import ItemIndex

RRF_K = 60


@dataclass(frozen=True)
class Filters:
    min_price: float | None = None
    max_price: float | None = None
    category: str | None = None
    brand: str | None = None
    exclude_brands: tuple[str, ...] = ()
    in_stock: bool | None = None
    min_rating: float | None = None

    def is_empty(self) -> bool:
        return self == Filters()

    def to_chroma_where(self) -> dict | None:
        """The same filters as a Chroma ``where`` clause (category matches the top level only)."""
        clauses: list[dict] = []
        if self.min_price is not None:
            clauses.append({"price": {"$gte": self.min_price}})
        if self.max_price is not None:
            clauses.append({"price": {"$lte": self.max_price}})
        if self.category:
            clauses.append({"category": self.category})
        if self.brand:
            clauses.append({"brand": self.brand})
        if self.exclude_brands:
            clauses.append({"brand": {"$nin": list(self.exclude_brands)}})
        if self.in_stock is not None:
            clauses.append({"in_stock": self.in_stock})
        if self.min_rating is not None:
            clauses.append({"rating": {"$gte": self.min_rating}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass
class Trace:
    dense_rank: int | None
    dense_score: float | None
    bm25_rank: int | None
    bm25_score: float | None
    fused: float
    relevance: float
    popularity: float
    popularity_norm: float
    exposure: int
    penalty: float
    bucket: str
    long_tail: bool
    gem_score: float | None
    boost: float
    final_score: float
    rank_before: int
    rank_after: int
    reranker: str
    lam: float
    personal_rank: int | None = None  # in the purchase model's ranking of the candidates (a shopper's history)
    personal_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchHit:
    item: Item
    trace: Trace

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item.to_dict(), "trace": self.trace.to_dict()}


@dataclass
class SearchParams:
    k: int = 10
    reranker: str = "exposure"
    lam: float = 0.3
    tail_share: float = 0.3
    floor: float = 0.6
    candidates: int = 100
    fusion: str = "rrf"
    dense_weight: float = 0.5
    personalization: float = 0.0
    personal_weight: float = 0.4  # the purchase model's list in the RRF fusion (a history and a trained model)
    gem_weight: float = 0.0
    dense_filter: str = "memory"  # "memory" (exact, masked) or "chroma" (Chroma `where`)


class Searcher:
    """Hybrid, filterable, long-tail-aware search over one store."""

    def __init__(self, db: CatalogDB, index: ItemIndex, popularity: Popularity | None = None,
                 gem_scores: dict[str, float] | None = None, max_chars: int = 1000, personal: Any = None):
        """``personal``: the store's trained purchase model (:class:`retrieval.personal.StoreRecommender`)."""
        self.db = db
        self.personal = personal
        self._personal_rows: tuple[Any, np.ndarray] = (None, np.zeros((0, 2), np.int64))
        self.index = index
        self.embedder: Embedder = index.embedder
        self.items = db.items()
        self.ids = list(self.items)
        self.row = {item_id: n for n, item_id in enumerate(self.ids)}
        stored_ids, vectors = index.embeddings()
        missing = len(self.ids) - len(set(stored_ids) & set(self.row))
        if missing:
            raise RuntimeError(f"{missing} catalog item(s) are not in the vector index: run `longtail index`.")
        self.vectors = np.zeros((len(self.ids), self.embedder.dim), dtype=np.float32)
        keep = [n for n, i in enumerate(stored_ids) if i in self.row]
        self.vectors[[self.row[stored_ids[n]] for n in keep]] = vectors[keep]
        self.lexical = BM25Index([self.items[i].embedding_text(max_chars) for i in self.ids])
        self.popularity = popularity or Popularity.from_store(db, self.items)
        self.gem_scores = gem_scores if gem_scores is not None else {}  # shared, may fill later
        self._arrays()

    def _arrays(self) -> None:
        items = [self.items[i] for i in self.ids]
        self.price = np.array([np.nan if i.price is None else i.price for i in items], dtype=np.float64)
        self.rating = np.array([np.nan if i.rating is None else i.rating for i in items], dtype=np.float64)
        self.in_stock = np.array([i.in_stock for i in items], dtype=bool)
        self.brand = np.array([i.brand.lower() for i in items], dtype=object)
        self.category = [tuple(c.lower() for c in i.category) for i in items]
        self._category_masks: dict[str, np.ndarray] = {}

    def refresh_exposure(self) -> None:
        self.popularity.set_exposure(self.db.exposure_counts())

    # -- filtering ---------------------------------------------------------------------------------------
    def mask(self, filters: Filters, exclude: Sequence[str] = ()) -> np.ndarray:
        m = np.ones(len(self.ids), dtype=bool)
        with np.errstate(invalid="ignore"):
            if filters.min_price is not None:
                m &= self.price >= filters.min_price
            if filters.max_price is not None:
                m &= self.price <= filters.max_price
            if filters.min_rating is not None:
                m &= self.rating >= filters.min_rating
        if filters.in_stock is not None:
            m &= self.in_stock == filters.in_stock
        if filters.brand:
            m &= self.brand == filters.brand.lower()
        if filters.exclude_brands:
            m &= ~np.isin(self.brand, [b.lower() for b in filters.exclude_brands])
        if filters.category:
            m &= self._category_mask(filters.category.lower())
        for item_id in exclude:
            if item_id in self.row:
                m[self.row[item_id]] = False
        return m

    def _category_mask(self, wanted: str) -> np.ndarray:
        """Rows whose category path contains ``wanted`` (cached: a Python pass over every item costs ms)."""
        mask = self._category_masks.get(wanted)
        if mask is None:
            if len(self._category_masks) > 256:
                self._category_masks.clear()
            mask = self._category_masks[wanted] = np.array([wanted in path for path in self.category], dtype=bool)
        return mask

    # -- the pipeline ------------------------------------------------------------------------------------
    def query_vector(self, query: str, history: Sequence[str] = (), weight: float = 0.0) -> np.ndarray:
        q = self.embedder.encode([query])[0]
        rows = [self.row[i] for i in history if i in self.row]
        if weight > 0 and rows:
            profile = self.vectors[rows].mean(axis=0)
            q = (1 - weight) * q + weight * profile / (np.linalg.norm(profile) or 1.0)
            q = q / (np.linalg.norm(q) or 1.0)
        return q.astype(np.float32)

    def _dense(self, q: np.ndarray, mask: np.ndarray, n: int, filters: Filters, strategy: str
               ) -> list[tuple[int, float]]:
        if mask.all() or strategy == "chroma":
            ids, sims = self.index.query(q, n, where=filters.to_chroma_where(), size=len(self.ids))
            hits = [(self.row[i], float(s)) for i, s in zip(ids, sims) if i in self.row]
            return [(r, s) for r, s in hits if mask[r] and s > 0]
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return []
        # a dense mask: one matrix-vector product over all rows beats copying most of the matrix first
        sims = _matvec(self.vectors, q)[rows] if rows.size * 4 > len(self.ids) else _matvec(self.vectors[rows], q)
        top = np.argpartition(-sims, min(n, rows.size) - 1)[:n] if rows.size > n else np.arange(rows.size)
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(rows[t]), float(sims[t])) for t in top if sims[t] > 0]  # orthogonal = unrelated

    def _lexical(self, query: str, mask: np.ndarray, n: int) -> list[tuple[int, float]]:
        scores = np.where(mask, self.lexical.scores(query), 0.0)
        positive = np.flatnonzero(scores > 0)
        if positive.size == 0:
            return []
        top = positive[np.argsort(-scores[positive], kind="stable")[:n]]
        return [(int(r), float(scores[r])) for r in top]

    def search(self, query: str, filters: Filters | None = None, params: SearchParams | None = None,
               exclude: Sequence[str] = (), history: Sequence[str] = ()) -> list[SearchHit]:
        filters = filters or Filters()
        p = params or SearchParams()
        if p.reranker not in ("none", "exposure", "xquad"):
            raise ValueError(f"reranker={p.reranker!r}: use 'none', 'exposure' or 'xquad'.")
        mask = self.mask(filters, exclude)
        if not mask.any():
            return []
        scores = self._personal(history, p)
        if not query.strip():  # "something for me": the model's picks, less what the shopper already has
            if scores is None:
                return []
            mask[[self.row[i] for i in history if i in self.row]] = False
            top = np.flatnonzero(mask)[np.argsort(-scores[mask], kind="stable")[:p.candidates]]
            return self.rank([], [], p, [(int(r), float(scores[r])) for r in top])
        q = self.query_vector(query, history, p.personalization)
        dense = self._dense(q, mask, p.candidates, filters, p.dense_filter)
        lexical = self._lexical(query, mask, p.candidates)
        personal = None
        if scores is not None:
            rows = {r for r, _ in dense} | {r for r, _ in lexical}
            personal = sorted(((r, float(scores[r])) for r in rows), key=lambda x: -x[1])
        return self.rank(dense, lexical, p, personal)

    def _personal(self, history: Sequence[str], p: SearchParams) -> np.ndarray | None:
        """The purchase model's score of every row for this history (oldest first), or None without a model,
        a history or a weight."""
        if self.personal is None or not history or p.personal_weight <= 0:
            return None
        if self._personal_rows[0] is not self.personal:  # where the model's items are in this catalog, once
            pairs = [(n, self.row[i]) for n, i in enumerate(self.personal.ids) if i in self.row]
            self._personal_rows = (self.personal, np.array(pairs, dtype=np.int64).reshape(-1, 2))
        known = self._personal_rows[1]
        logits = self.personal.scores(history)
        out = np.full(len(self.ids), logits.min() - 1.0)  # an item added after training: below every known one
        out[known[:, 1]] = logits[known[:, 0]]
        return out

    def rank(self, dense: list[tuple[int, float]], lexical: list[tuple[int, float]], p: SearchParams,
             personal: list[tuple[int, float]] | None = None) -> list[SearchHit]:
        """Fuse the candidate lists (``personal``: the purchase model's ranking, a reciprocal-rank list under
        either fusion), re-rank, and return the top ``p.k`` hits with traces."""
        d_rank = {r: (n, s) for n, (r, s) in enumerate(dense, 1)}
        l_rank = {r: (n, s) for n, (r, s) in enumerate(lexical, 1)}
        p_rank = {r: (n, s) for n, (r, s) in enumerate(personal or [], 1)}
        fused: dict[int, float] = {}
        for r, (n, _) in p_rank.items():
            fused[r] = p.personal_weight / (RRF_K + n)
        if p.fusion == "rrf":
            for r, (n, _) in d_rank.items():
                fused[r] = fused.get(r, 0.0) + p.dense_weight / (RRF_K + n)
            for r, (n, _) in l_rank.items():
                fused[r] = fused.get(r, 0.0) + (1 - p.dense_weight) / (RRF_K + n)
        else:
            top_l = max((s for _, s in lexical), default=1.0) or 1.0
            for r, (_, s) in d_rank.items():
                fused[r] = fused.get(r, 0.0) + p.dense_weight * max(s, 0.0)
            for r, (_, s) in l_rank.items():
                fused[r] = fused.get(r, 0.0) + (1 - p.dense_weight) * s / top_l
        if not fused:
            return []
        best = max(fused.values()) or 1.0
        pop = self.popularity
        cands = []
        for r, f in fused.items():
            item_id = self.ids[r]
            gem = self.gem_scores.get(item_id, 0.0)
            cands.append(Candidate(item_id, f / best, pop.penalty(item_id), pop.is_long_tail(item_id),
                                   boost=p.gem_weight * gem * (1 - pop.penalty(item_id))))
        before = {c.id: n for n, c in enumerate(by_relevance(list(cands)), 1)}
        if p.reranker == "exposure" and p.lam > 0:
            ranked = exposure_rerank(cands, p.lam, p.floor)
        elif p.reranker == "xquad" and p.lam > 0:
            ranked = xquad_rerank(cands, p.k, p.lam, p.tail_share, p.floor)
        else:
            ranked = by_relevance(cands)
        hits = []
        for n, c in enumerate(ranked[:p.k], 1):
            r = self.row[c.id]
            dr, ds = d_rank.get(r, (None, None))
            lr, ls = l_rank.get(r, (None, None))
            pr, ps = p_rank.get(r, (None, None))
            trace = Trace(dr, ds, lr, ls, fused[r], c.relevance, pop.counts.get(c.id, 0.0),
                          pop.pop_norm.get(c.id, 0.0), pop.exposure.get(c.id, 0), c.penalty,
                          pop.bucket.get(c.id, "tail"), c.long_tail, self.gem_scores.get(c.id), c.boost,
                          c.score, before[c.id], n, p.reranker, p.lam, pr, ps)
            hits.append(SearchHit(self.items[c.id], trace))
        return hits


def _matvec(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``matrix @ q`` on torch's thread pool, the one the query embedding just used. numpy's BLAS keeps its own
    threads spinning after a product, and on a small machine the next query's embedding then fights them (query
    embeddings of ~10 ms took ~100 ms right after a numpy product on 2 cores)."""
    import torch

    with torch.no_grad():
        return torch.mv(torch.from_numpy(np.ascontiguousarray(matrix)), torch.from_numpy(q)).numpy()
