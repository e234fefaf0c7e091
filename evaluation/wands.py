"""Query-to-product retrieval with graded labels, in the WANDS layout (Wayfair ANnotation DataSet):

* ``product.csv``: product_id, product_name, product_class, category hierarchy, product_description,
  product_features (``name:value|name:value``), rating_count, average_rating, review_count
* ``query.csv``: query_id, query, query_class
* ``label.csv``: id, query_id, product_id, label (``Exact`` / ``Partial`` / ``Irrelevant``)

Files may be tab- or comma-separated (WANDS itself uses tabs). Gains: Exact 2, Partial 1, Irrelevant 0.
Every query runs through the product's own :class:`retrieval.Searcher` on an in-memory store (dense only,
BM25 only, hybrid, and hybrid with each long-tail re-ranker); metrics are graded NDCG@K, Recall@K of the
Exact products, MRR@K of the first Exact product, and the long-tail family with popularity = rating_count
(the store has no interaction log).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from tqdm.auto import tqdm

from retrieval import CatalogDB, Item, SearchParams, Store

from .metrics import PAD, TailDefinition, long_tail_metrics, mrr_at_k, ndcg_at_k, recall_at_k

GAINS = {"exact": 2.0, "partial": 1.0, "irrelevant": 0.0}


@dataclass
class WandsData:
    items: list[Item]
    queries: dict[str, str]
    gains: dict[str, dict[str, float]]  # query_id -> product_id -> gain


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; a WANDS folder holds product.csv, query.csv and label.csv.")
    with path.open(encoding="utf-8", newline="") as fh:
        header = fh.readline()
        fh.seek(0)
        return list(csv.DictReader(fh, delimiter="\t" if "\t" in header else ","))


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def load_wands(folder: str | Path) -> WandsData:
    folder = Path(folder)
    items = []
    for r in _rows(folder / "product.csv"):
        features = {}
        for pair in (r.get("product_features") or "").split("|"):
            name, sep, value = pair.partition(":")
            if sep and name.strip() and value.strip():
                features[name.strip()] = value.strip()
        rating_count = _number(r.get("rating_count"))
        items.append(Item(id=str(r["product_id"]).strip(), title=(r.get("product_name") or "").strip(),
                          description=(r.get("product_description") or "").strip(),
                          category=tuple(c.strip() for c in (r.get("category hierarchy") or "").split("/")
                                         if c.strip()),
                          attributes=features, rating=_number(r.get("average_rating")),
                          rating_count=int(rating_count or 0)))
    queries = {str(r["query_id"]).strip(): r["query"].strip() for r in _rows(folder / "query.csv")}
    gains: dict[str, dict[str, float]] = {}
    for r in _rows(folder / "label.csv"):
        label = (r.get("label") or "").strip().lower()
        if label not in GAINS:
            raise ValueError(f"label.csv: unknown label {r.get('label')!r}; use Exact, Partial or Irrelevant.")
        gains.setdefault(str(r["query_id"]).strip(), {})[str(r["product_id"]).strip()] = GAINS[label]
    return WandsData(items, queries, gains)


def open_store(data: WandsData, settings, client=None, embedder=None, progress: bool = True) -> Store:
    """An in-memory store holding the WANDS catalog, indexed with the given (or the configured) embedder."""
    import chromadb

    settings = settings.replace(chroma_mode="ephemeral", store="wands-eval")
    store = Store(settings.store_config(), client=client if client is not None else chromadb.EphemeralClient(),
                  embedder=embedder, db=CatalogDB())
    store.db.replace_items(data.items)
    store.sync_index(progress=progress)
    return store


def _configs(lambdas: Sequence[float]) -> list[tuple[str, str, dict[str, Any]]]:
    out = [("dense", "dense", {}), ("bm25", "bm25", {}), ("hybrid", "hybrid", {})]
    for reranker in ("exposure", "xquad"):
        out += [(f"hybrid + {reranker} λ={lam:g}", "hybrid", {"reranker": reranker, "lam": lam})
                for lam in lambdas if not (reranker == "xquad" and lam > 1)]
    return out


def evaluate_wands(data: WandsData, store: Store, k: int = 10, lambdas: Sequence[float] = (0.1, 0.3, 0.5),
                   tail: TailDefinition = TailDefinition(), progress: bool = True) -> dict[str, Any]:
    """Metrics per configuration (flat dicts with ``@k`` keys) over every labelled query."""
    searcher = store.searcher
    row = searcher.row
    pop = np.array([float(searcher.popularity.counts.get(i, 0.0)) for i in searcher.ids])
    tail_mask = tail.mask(pop)
    qids = [q for q in data.queries if q in data.gains]
    mask = searcher.mask(_no_filters())
    lists: dict[str, list[list[str]]] = {name: [] for name, _, _ in _configs(lambdas)}
    for qid in tqdm(qids, desc="WANDS queries", disable=not progress):
        query = data.queries[qid]
        q = searcher.query_vector(query)
        width = store.config.candidates
        dense = searcher._dense(q, mask, width, _no_filters(), "memory")
        lexical = searcher._lexical(query, mask, width)
        for name, kind, overrides in _configs(lambdas):
            params = SearchParams(**{"k": k, "reranker": "none", "candidates": width, "lam": 0.0,
                                     "floor": store.config.relevance_floor,
                                     "tail_share": store.config.tail_share} | overrides)
            d, lx = (dense, []) if kind == "dense" else ([], lexical) if kind == "bm25" else (dense, lexical)
            lists[name].append([h.item.id for h in searcher.rank(d, lx, params)])
    results: dict[str, dict[str, float]] = {}
    for name, ranked_lists in lists.items():
        per_query = {"ndcg": [], "recall": [], "mrr": []}
        for qid, ranked in zip(qids, ranked_lists):
            gains = data.gains[qid]
            exact = {p for p, g in gains.items() if g >= GAINS["exact"]}
            per_query["ndcg"].append(ndcg_at_k(ranked, gains, k))
            per_query["recall"].append(recall_at_k(ranked, exact, k))
            per_query["mrr"].append(mrr_at_k(ranked, exact, k))
        topk = np.full((len(ranked_lists), k), PAD, dtype=np.int64)
        for n, ranked in enumerate(ranked_lists):
            topk[n, :len(ranked)] = [row[i] for i in ranked[:k]]
        metrics = {f"{m}@{k}": float(np.mean(v)) if v else 0.0 for m, v in per_query.items()}
        lt = long_tail_metrics(topk, pop, tail_mask, max(len(qids), 1), [])
        metrics |= {f"{m}@{k}": v for m, v in lt.items() if m != "pop_lift"}
        results[name] = metrics
    return {"task": "wands", "queries": len(qids), "items": len(data.items), "k": k,
            "tail_definition": tail.describe() + " (popularity = rating_count)", "systems": results}


def _no_filters():
    from retrieval import Filters

    return Filters()
