"""The recommenders compared offline. Each is fitted on a task's training sequences and scores every catalog
item for a batch of user histories (a ``(users, items)`` matrix; higher = better). The harness removes the
history items and takes the top K, or hands the top candidates to the product's long-tail re-rankers.

* ``random`` and ``most-popular``: the floor every system must clear.
* ``itemknn`` (cosine item-item co-occurrence) and ``ease`` (Steck 2019, closed form): classic collaborative
  baselines.
* ``bm25``: the product's lexical index (:class:`retrieval.lexical.BM25Index`), the query being the titles of
  the user's most recent items.
* ``dense``: the index's embedder; the query vector is the recency-weighted mean of the history vectors.
* ``hybrid``: reciprocal-rank fusion of ``dense`` and ``bm25`` top candidates, the product's fusion
  (``retrieval.search.RRF_K``, equal weights).
* ``ease-recency``: the same EASE, the history's items weighted by recency when scoring.
* ``hybrid+cf``: the same fusion with the collaborative signal (``ease-recency``) as a third list, i.e. the
  product's hybrid personalised with the store's interaction log.
* ``purchase``: the purchase-probability model (:mod:`retrieval.recommender`): item text through a learned
  adapter, attention over the history, trained on the task's sequences with popularity-aware negatives.
* ``hybrid+cf+purchase``: ``hybrid+cf`` with the purchase model as a fourth list.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

import numpy as np
from tqdm.auto import tqdm

from retrieval import Item
from retrieval.lexical import BM25Index
from retrieval.search import RRF_K

from .data import RecTask

if TYPE_CHECKING:
    from retrieval.recommender import Recommender, RecommenderConfig

Histories = Sequence[Sequence[int]]


class System(Protocol):
    name: str

    def fit(self, task: RecTask) -> "System": ...

    def scores(self, histories: Histories) -> np.ndarray: ...


def history_matrix(histories: Histories, n_items: int, decay: float = 1.0) -> np.ndarray:
    """One row per history: 1 for each item in it, or with ``decay < 1`` the recency weight ``decay ** age`` of
    the item's last occurrence (age 0 = the latest item)."""
    x = np.zeros((len(histories), n_items), dtype=np.float32)
    for row, h in enumerate(histories):
        h = list(h)
        if h:  # oldest first, so a repeated item keeps the weight of its latest occurrence
            x[row, h] = decay ** np.arange(len(h) - 1, -1, -1, dtype=np.float32)
    return x


def exclude_history(scores: np.ndarray, histories: Histories) -> np.ndarray:
    for row, h in enumerate(histories):
        scores[row, list(h)] = -np.inf
    return scores


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Row-wise indices of the k best scores, best first (ties broken by lower item index)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1)


class Memo:
    """Remembers the scores of the last history batch, so a system shared by several hybrids (and scored on its
    own) is computed once per batch. Subclasses implement ``_scores``; callers get a copy they may modify."""

    _memo: tuple[int, np.ndarray] | None = None
    _fitted: int | None = None

    def scores(self, histories: Histories) -> np.ndarray:
        key = hash(tuple(tuple(h) for h in histories))
        if self._memo is None or self._memo[0] != key:
            self._memo = (key, self._scores(histories))
        return self._memo[1].copy()

    def fit(self, task: RecTask):
        if self._fitted != id(task):
            self._memo = None
            self._fit(task)
            self._fitted = id(task)
        return self

    def _fit(self, task: RecTask) -> None:
        pass

    def _scores(self, histories: Histories) -> np.ndarray:
        raise NotImplementedError


class RandomSystem:
    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.calls = 0

    def fit(self, task: RecTask) -> "RandomSystem":
        self.n_items, self.calls = task.n_items, 0
        return self

    def scores(self, histories: Histories) -> np.ndarray:
        self.calls += 1
        rng = np.random.default_rng([self.seed, self.calls])
        return rng.random((len(histories), self.n_items), dtype=np.float32)


class MostPopular:
    name = "most-popular"

    def fit(self, task: RecTask) -> "MostPopular":
        self.pop = task.popularity().astype(np.float32)
        return self

    def scores(self, histories: Histories) -> np.ndarray:
        return np.tile(self.pop, (len(histories), 1))


class ItemKNN(Memo):
    """Cosine similarity between item columns of the user-item matrix, top ``neighbours`` kept per item."""

    name = "itemknn"

    def __init__(self, neighbours: int = 100):
        self.neighbours = neighbours

    def _fit(self, task: RecTask) -> None:
        x = history_matrix(task.fit_sequences, task.n_items)
        co = x.T @ x
        norms = np.sqrt(np.diag(co)).clip(min=1e-9)
        sim = co / norms[:, None] / norms[None, :]
        np.fill_diagonal(sim, 0.0)
        if self.neighbours < task.n_items:
            cut = np.partition(sim, -self.neighbours, axis=0)[-self.neighbours]
            sim[sim < cut[None, :]] = 0.0
        self.sim = sim.astype(np.float32)

    def _scores(self, histories: Histories) -> np.ndarray:
        return history_matrix(histories, self.sim.shape[0]) @ self.sim


class EASE(Memo):
    """Embarrassingly shallow autoencoder: ``B = I - P / diag(P)`` with ``P = (X^T X + l2 I)^-1``, fitted on the
    binary user-item matrix."""

    name = "ease"

    def __init__(self, l2: float = 300.0):
        self.l2 = l2

    def _fit(self, task: RecTask) -> None:
        x = history_matrix(task.fit_sequences, task.n_items).astype(np.float64)
        gram = x.T @ x
        gram[np.diag_indices_from(gram)] += self.l2
        p = np.linalg.inv(gram)
        b = -p / np.diag(p)[None, :]
        np.fill_diagonal(b, 0.0)
        self.b = b.astype(np.float32)

    def _scores(self, histories: Histories) -> np.ndarray:
        return history_matrix(histories, self.b.shape[0]) @ self.b


class RecencyEASE(Memo):
    """``ease-recency``: the same fitted EASE (shared, fitted once), each history scored with its items weighted
    by recency (``decay ** age``, 1 for the latest), so the latest items count most, as in a sequence model.
    ``decay`` 0.8 was the best of 1.0 / 0.8 / 0.6 / 0.4 on Amazon Scientific's tuning split (each user's last
    training item held out: NDCG@10 0.0821 / 0.0848 / 0.0846 / 0.0818)."""

    name = "ease-recency"

    def __init__(self, ease: EASE, decay: float = 0.8):
        self.ease = ease
        self.decay = decay
        self.l2 = ease.l2

    def _fit(self, task: RecTask) -> None:
        self.ease.fit(task)

    def _scores(self, histories: Histories) -> np.ndarray:
        return history_matrix(histories, self.ease.b.shape[0], self.decay) @ self.ease.b


class BM25System(Memo):
    name = "bm25"

    def __init__(self, items: Sequence[Item], recent: int = 5, max_chars: int = 1000):
        self.index = BM25Index([item.embedding_text(max_chars) for item in items])
        self.titles = [item.title for item in items]
        self.recent = recent

    def _scores(self, histories: Histories) -> np.ndarray:
        out = np.zeros((len(histories), self.index.size), dtype=np.float32)
        for row, h in enumerate(histories):
            out[row] = self.index.scores(" ".join(self.titles[i] for i in list(h)[-self.recent:]))
        return out


class DenseSystem(Memo):
    """Cosine between item vectors and the user's profile: history vectors weighted ``decay ** age``."""

    name = "dense"

    def __init__(self, vectors: np.ndarray, decay: float = 0.7):
        self.vectors = vectors.astype(np.float32)
        self.decay = decay

    def profiles(self, histories: Histories) -> np.ndarray:
        out = np.zeros((len(histories), self.vectors.shape[1]), dtype=np.float32)
        for row, h in enumerate(histories):
            h = list(h)
            if h:
                w = self.decay ** np.arange(len(h) - 1, -1, -1, dtype=np.float32)
                out[row] = w @ self.vectors[h]
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def _scores(self, histories: Histories) -> np.ndarray:
        return self.profiles(histories) @ self.vectors.T


class PurchaseSystem(Memo):
    """The purchase-probability recommender, trained on the task's training sequences (weights saved to, and
    reused from, ``cache_dir`` when given). Scores are the model's logits (the ranking of ``sigmoid``);
    :meth:`probabilities` gives the probabilities themselves."""

    name = "purchase"

    def __init__(self, vectors: np.ndarray, config: "RecommenderConfig | None" = None,
                 cache_dir: Path | None = None, progress: bool = False):
        from retrieval.recommender import RecommenderConfig

        self.vectors = vectors.astype(np.float32)
        self.config = config or RecommenderConfig()
        self.cache_dir = cache_dir
        self.progress = progress
        self.model: "Recommender | None" = None
        self.fit_seconds = 0.0

    def _fit(self, task: RecTask) -> None:
        from retrieval.recommender import fit_or_load

        start = time.perf_counter()
        self.model = fit_or_load(task.fit_sequences, self.vectors, self.config, self.cache_dir, self.progress)
        self.fit_seconds = time.perf_counter() - start

    def _scores(self, histories: Histories) -> np.ndarray:
        assert self.model is not None, "fit the system first"
        return self.model.logits(histories)

    def probabilities(self, histories: Histories) -> np.ndarray:
        assert self.model is not None, "fit the system first"
        return self.model.probabilities(histories)


class RRFHybrid:
    """Reciprocal-rank fusion of the top ``candidates`` of each part: ``sum_p w_p / (RRF_K + rank_p)``, the
    product's fusion (:meth:`retrieval.Searcher.rank` with ``fusion='rrf'``). History items are removed before
    ranking, as the product's ``exclude`` does."""

    def __init__(self, name: str, parts: Sequence[tuple[System, float]], candidates: int = 100):
        self.name = name
        self.parts = list(parts)
        self.candidates = candidates

    def fit(self, task: RecTask) -> "RRFHybrid":
        for system, _ in self.parts:
            system.fit(task)
        return self

    def scores(self, histories: Histories) -> np.ndarray:
        fused: np.ndarray | None = None
        for system, weight in self.parts:
            s = exclude_history(system.scores(histories), histories)
            if fused is None:
                fused = np.zeros_like(s)
            top = top_k(s, self.candidates)
            ok = np.isfinite(np.take_along_axis(s, top, axis=1))
            contrib = np.where(ok, weight / (RRF_K + np.arange(1, top.shape[1] + 1))[None, :], 0.0)
            np.add.at(fused, (np.arange(len(histories))[:, None].repeat(top.shape[1], 1), top), contrib)
        assert fused is not None
        return fused


# -- item vectors, cached -------------------------------------------------------------------------------------
def item_vectors(items: Sequence[Item], embedder, cache_dir: Path | None = None, max_chars: int = 1000,
                 progress: bool = True) -> np.ndarray:
    """The embedder's unit vectors of the texts the index embeds (``Item.embedding_text``), cached on disk by
    model name and content so reruns skip the encoding."""
    texts = [item.embedding_text(max_chars) for item in items]
    key = hashlib.sha256("\n".join([embedder.name, *texts]).encode("utf-8")).hexdigest()[:20]
    path = Path(cache_dir) / f"vectors-{key}.npy" if cache_dir else None
    if path is not None and path.exists():
        return np.load(path)
    batch = 128
    chunks = [embedder.encode(texts[b:b + batch], batch_size=batch)
              for b in tqdm(range(0, len(texts), batch), desc="embedding items", disable=not progress)]
    vectors = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros((0, embedder.dim), np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def describe(systems: Sequence[System]) -> dict[str, dict]:
    """Each system's hyperparameters, for the report's configuration block."""
    out: dict[str, dict] = {}
    for system in systems:
        params = {k: getattr(system, k) for k in ("seed", "neighbours", "l2", "recent", "decay", "candidates")
                  if hasattr(system, k)}
        if isinstance(system, PurchaseSystem):
            params["model"] = asdict(system.config)
            params["epochs_trained"] = len(system.model.history) if system.model else None
            params["fit_seconds"] = system.fit_seconds
            params["training"] = system.model.history if system.model else []
        if isinstance(system, RRFHybrid):
            params["parts"] = {part.name: weight for part, weight in system.parts}
            params["rrf_k"] = RRF_K
        out[system.name] = params
    return out


def build_systems(task: RecTask, vectors: np.ndarray, seed: int = 0, candidates: int = 100,
                  ease_l2: float = 300.0, max_chars: int = 1000, purchase: bool = True,
                  purchase_config: "RecommenderConfig | None" = None, model_dir: Path | None = None,
                  progress: bool = False) -> list[System]:
    """Every system of the comparison, unfitted, sharing one BM25 index, one dense scorer, one EASE and one
    purchase model (``purchase=False`` leaves the model and its hybrid out)."""
    from dataclasses import replace

    bm25 = BM25System(task.items, max_chars=max_chars)
    dense = DenseSystem(vectors)
    ease = EASE(ease_l2)
    recent = RecencyEASE(ease)
    systems: list[System] = [RandomSystem(seed), MostPopular(), ItemKNN(), ease, recent, bm25, dense,
                             RRFHybrid("hybrid", [(dense, 0.5), (bm25, 0.5)], candidates),
                             RRFHybrid("hybrid+cf", [(recent, 0.6), (dense, 0.2), (bm25, 0.2)], candidates)]
    if purchase:
        from retrieval.recommender import RecommenderConfig

        model = PurchaseSystem(vectors, replace(purchase_config or RecommenderConfig(), seed=seed), model_dir,
                               progress)
        systems += [model, RRFHybrid("hybrid+cf+purchase", [(model, 0.4), (recent, 0.4), (dense, 0.1),
                                                            (bm25, 0.1)], candidates)]
    return systems
