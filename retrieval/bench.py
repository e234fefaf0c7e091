"""`longtail bench retrieval`: indexing throughput against the embedder's raw encode rate, and full-search
latency percentiles (query embedding, dense, BM25, fusion, re-rank) on the demo store and on a synthetic
50,000-item catalog, with and without filters, and with Chroma's own ``where`` filtering for comparison.

Figures are medians over ``--runs`` runs; throughput is also given as a ratio to the raw encode rate
measured in the same run, because shared machines are noisy.
"""

from __future__ import annotations

import sys
import random
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import Item
from .search import Filters, SearchParams, Searcher
from .storage import CatalogDB
from .store import ItemIndex

QUERIES = [
    "cast iron skillet", "waterproof hiking boots", "noise cancelling headphones", "yoga mat", "gift for a cat",
    "blue running shoes", "camping stove", "kids puzzle", "acrylic paint set", "dog leash", "office chair",
    "stainless steel water bottle", "wireless mouse", "garden hose", "car phone mount", "baby blanket",
    "guitar strings", "moisturizer for dry skin", "coffee grinder", "led desk lamp",
]
FILTERS = [Filters(max_price=50.0), Filters(in_stock=True, min_rating=4.0), Filters(category="Home & Kitchen"),
           Filters(min_price=20.0, max_price=150.0, in_stock=True)]


def synthetic_catalog(base: list[Item], n: int, seed: int = 0) -> list[Item]:
    """``n`` items recombined from the demo store's titles, brands, attributes and prices (deterministic)."""
    rng = random.Random(seed)
    words = sorted({w for item in base for w in item.title.split() if w.isalpha() and len(w) > 3})
    brands = sorted({item.brand for item in base})
    out = []
    for k in range(n):
        b = base[k % len(base)]
        extra = " ".join(rng.sample(words, 2))
        out.append(replace(b, id=f"SYN-{k:06d}", title=f"{b.title} {extra}", brand=rng.choice(brands),
                           price=round((b.price or 10.0) * rng.uniform(0.6, 1.6), 2),
                           rating=round(rng.uniform(2.5, 5.0), 1), rating_count=int(rng.paretovariate(1.2)) - 1,
                           in_stock=rng.random() > 0.08))
    return out


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def measure_indexing(items: list[Item], embedder, client, runs: int, batch_size: int, max_chars: int,
                     keep_last: str) -> dict[str, float]:
    """Raw encode rate vs. index rate, interleaved per run; the last run's collection is kept as ``keep_last``."""
    texts = [i.embedding_text(max_chars) for i in items]
    raw, indexed = [], []
    for run in range(runs):  # interleaved so drift in machine load hits both alike
        t0 = time.perf_counter()
        for begin in range(0, len(texts), batch_size):
            embedder.encode(texts[begin:begin + batch_size], batch_size=batch_size)
        raw.append(len(texts) / (time.perf_counter() - t0))
        name = keep_last if run == runs - 1 else f"bench-{run}-{time.time_ns()}"
        index = ItemIndex(client, embedder, name, max_chars)
        report = index.sync(items, batch_size=batch_size, progress=False)
        indexed.append(report.items_per_second)
        if run < runs - 1:
            client.delete_collection(index.collection.name)
    ratios = [i / r for i, r in zip(indexed, raw)]
    return {"collection": keep_last, "items": len(items), "raw_encode_items_per_s": statistics.median(raw),
            "index_items_per_s": statistics.median(indexed), "index_to_raw_ratio": statistics.median(ratios)}


def measure_search(searcher: Searcher, runs: int, params: SearchParams) -> dict[str, dict[str, float]]:
    cases = {
        "no filter": (None, "memory"),
        "filters (in-memory mask)": ("filters", "memory"),
        "filters (Chroma where)": ("filters", "chroma"),
    }
    searcher.search("warm up", None, params)
    out = {}
    for label, (use_filters, strategy) in cases.items():
        p = replace(params, dense_filter=strategy)
        times = []
        for _ in range(runs):
            for n, q in enumerate(QUERIES):
                f = FILTERS[n % len(FILTERS)] if use_filters else None
                t0 = time.perf_counter()
                searcher.search(q, f, p)
                times.append((time.perf_counter() - t0) * 1000)
        out[label] = {"p50_ms": _pct(times, 50), "p95_ms": _pct(times, 95), "queries": len(times)}
    return out


QUERY_TEXTS = ("running shorts under $50", "a saucepan that works on induction", "is the first one waterproof?",
               "Here are 5 picks for \"rain jacket\", including 2 lesser-known finds.")


def measure_query_encoding(embedder: Any, runs: int, repeats: int = 30) -> dict[str, Any] | None:
    """A turn's texts (a message, a reply, alone and as one batch) encoded the way the app does
    (:meth:`SentenceTransformerEmbedder.encode`, the traced fast path) against sentence-transformers' own
    ``encode``, interleaved in every run: medians of each run's median ms, and their ratio. None for an embedder
    without a sentence-transformers model (the hash embedder)."""
    fast = getattr(embedder, "inner", embedder)  # under the BatchingEmbedder
    model = getattr(fast, "model", None)
    if model is None or not hasattr(fast, "fast_path") or not fast.fast_path():
        return None
    cases = {"one text": [QUERY_TEXTS[0]], "a turn's batch": list(QUERY_TEXTS[2:])}
    ways = {"sentence-transformers encode": lambda t: model.encode(t, normalize_embeddings=True),
            "traced (the app)": lambda t: fast.encode(t)}
    per_run: dict[str, dict[str, list[float]]] = {c: {w: [] for w in ways} for c in cases}
    for _ in range(runs):
        for case, texts in cases.items():
            for way, f in ways.items():  # interleaved: the same machine state for both
                f(texts)
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    f(texts)
                    times.append((time.perf_counter() - t0) * 1000)
                per_run[case][way].append(statistics.median(times))
    out: dict[str, Any] = {}
    for case, by_way in per_run.items():
        base, now = (statistics.median(by_way[w]) for w in ways)
        out[case] = {"st_encode_ms": round(base, 2), "traced_ms": round(now, 2), "ratio": round(now / base, 3)}
    return out


def run_benchmark(catalog: Path, n_synthetic: int = 50_000, runs: int = 3, embedding_model: str = "",
                  batch_size: int = 64, max_chars: int = 1000, progress: bool = True) -> dict[str, Any]:
    """The benchmark on ``catalog`` (the demo store's items file from `longtail bench retrieval`) and on a
    synthetic catalog of ``n_synthetic`` items recombined from it."""
    import chromadb

    from .embed import load_embedder
    from .importers import load_items

    embedder = load_embedder(embedding_model)
    client = chromadb.EphemeralClient()
    demo, _ = load_items(catalog, progress=False)
    results: dict[str, Any] = {"embedding_model": embedder.name, "runs": runs, "batch_size": batch_size}
    catalogs = {"demo": demo}
    if n_synthetic:
        catalogs[f"synthetic-{n_synthetic}"] = synthetic_catalog(demo, n_synthetic)
    params = SearchParams(reranker="exposure", lam=0.3)
    results["query_encoding"] = measure_query_encoding(embedder, runs)
    for name, items in catalogs.items():
        if progress:
            print(f"[{name}] measuring indexing ({len(items):,} items) ...", file=sys.stderr)
        # indexing throughput on up to 5,000 items per run keeps the benchmark to minutes
        sample = items if len(items) <= 5000 else items[:5000]
        section: dict[str, Any] = {"indexing": measure_indexing(sample, embedder, client, runs, batch_size,
                                                                max_chars, keep_last=f"lat-{name}-{time.time_ns()}")}
        if progress:
            print(f"[{name}] completing the index for search latency (content hashes skip the "
                  f"{len(sample):,} items already embedded) ...", file=sys.stderr)
        db = CatalogDB()
        db.replace_items(items)
        index = ItemIndex(client, embedder, section["indexing"]["collection"], max_chars)
        full = index.sync(items, batch_size=batch_size, progress=progress)
        section["full_index"] = {"items": full.total, "embedded": full.embedded, "seconds": full.seconds,
                                 "items_per_s": full.items_per_second}
        searcher = Searcher(db, index, max_chars=max_chars)
        section["search"] = measure_search(searcher, runs, params)
        results[name] = section
    return results


def format_results(r: dict[str, Any]) -> str:
    lines = [f"embedding model: {r['embedding_model']} · batch {r['batch_size']} · medians of {r['runs']} runs"]
    for case, q in (r.get("query_encoding") or {}).items():
        lines.append(f"query encoding, {case}: {q['traced_ms']:.2f} ms traced (the app) vs "
                     f"{q['st_encode_ms']:.2f} ms sentence-transformers encode -> {q['ratio']:.2f}x the time")
    for name, section in r.items():
        if not isinstance(section, dict) or "indexing" not in section:
            continue
        ix = section["indexing"]
        lines.append(f"\n== {name}")
        lines.append(f"indexing ({ix['items']:,} items): raw encode {ix['raw_encode_items_per_s']:.0f} items/s, "
                     f"index {ix['index_items_per_s']:.0f} items/s -> {ix['index_to_raw_ratio']:.1%} of raw")
        fi = section["full_index"]
        lines.append(f"completing the index: {fi['embedded']:,} more items in {fi['seconds']:.1f} s "
                     f"({fi['items_per_s']:.0f} items/s); {fi['items']:,} searchable")
        lines.append(f"{'search':28} {'p50 ms':>8} {'p95 ms':>8}")
        for label, s in section["search"].items():
            lines.append(f"{label:28} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f}")
    return "\n".join(lines)
