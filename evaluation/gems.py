"""The hidden-gem score: a model that predicts an item's appeal from its text and attributes alone, so items the
log has not (yet) exposed much can still be recognised as worth showing.

* Label ("appeal"): the item is in the popular half of the catalog, i.e. its training interaction count is
  above the catalog's median count (computed on the training log only).
* Features: the item's text embedding (the index's embedder) + simple attributes (log text length, price
  known / log price, rating known / rating, brand size in the catalog, category depth). Rating *counts* are
  left out on purpose: they are popularity in disguise.
* Model: standardised logistic regression (scikit-learn), evaluated with stratified k-fold cross-validation
  (ROC AUC per fold, Brier score against the base-rate Brier, reliability curve from out-of-fold predictions).
* Gem score of an item = its **out-of-fold** predicted appeal (the model never saw that item's own label), so a
  tail item scores high only when items *like it* are popular. The re-ranker adds
  ``gem_weight * gem * (1 - penalty)`` to under-exposed items (:meth:`retrieval.Searcher.rank`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from retrieval import Item, Popularity


def item_features(items: Sequence[Item], vectors: np.ndarray) -> np.ndarray:
    brands = Counter(item.brand.lower() for item in items)
    extra = np.array([[math.log1p(len(item.embedding_text())),
                       float(item.price is not None), math.log1p(item.price or 0.0),
                       float(item.rating is not None), float(item.rating or 0.0),
                       math.log1p(brands[item.brand.lower()] if item.brand else 0),
                       float(len(item.category))] for item in items], dtype=np.float64)
    return np.hstack([np.asarray(vectors, dtype=np.float64), extra])


def appeal_labels(counts: Mapping[str, float], ids: Sequence[str]) -> np.ndarray:
    """1 for items whose count is above the median count over ``ids`` (never-seen items count 0)."""
    values = np.array([float(counts.get(i, 0.0)) for i in ids])
    return (values > np.median(values)).astype(int)


def _counts(interactions: Mapping[str, float] | Iterable[Sequence[Any]]) -> dict[str, float]:
    if isinstance(interactions, Mapping):
        return {str(k): float(v) for k, v in interactions.items()}
    return dict(Counter(str(row[1]) for row in interactions))


def _pipeline(seed: int, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000, random_state=seed))


@dataclass
class GemModel:
    ids: list[str]
    oof: dict[str, float]
    cv: dict[str, Any]
    model: Any = field(repr=False)
    embedder: Any = field(default=None, repr=False)

    def scores(self, items: Sequence[Item], vectors: np.ndarray | None = None) -> dict[str, float]:
        """Predicted appeal: out-of-fold for the items the model was trained on, the full model otherwise."""
        todo = [n for n, item in enumerate(items) if item.id not in self.oof]
        out = {item.id: self.oof[item.id] for item in items if item.id in self.oof}
        if todo:
            if vectors is None:
                if self.embedder is None:
                    raise ValueError("GemModel.scores: pass the items' vectors (or train with an embedder) to "
                                     "score items the model was not trained on.")
                vectors = self.embedder.encode([items[n].embedding_text(1000) for n in todo])
            else:
                vectors = np.asarray(vectors)[todo]
            probs = self.model.predict_proba(item_features([items[n] for n in todo], vectors))[:, 1]
            out.update({items[n].id: float(p) for n, p in zip(todo, probs)})
        return out


def train_gem_model(items: Sequence[Item], interactions: Mapping[str, float] | Iterable[Sequence[Any]],
                    vectors: np.ndarray | None = None, embedder: Any = None, folds: int = 5, seed: int = 0,
                    c: float = 0.001) -> GemModel:
    """Fit the appeal model on ``items`` (rows of ``vectors``; encoded with ``embedder`` when not given) and
    the interaction log (rows ``(user, item, ...)`` or a ``{item_id: count}`` mapping), with k-fold CV."""
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    items = list(items)
    ids = [item.id for item in items]
    if vectors is None:
        if embedder is None:
            from retrieval import load_embedder

            embedder = load_embedder("")
        vectors = embedder.encode([item.embedding_text(1000) for item in items])
    y = appeal_labels(_counts(interactions), ids)
    if y.min() == y.max():
        raise ValueError("Every item has the same appeal label (the interaction log is empty or uniform); the "
                         "gem model needs interactions that separate popular from unpopular items.")
    x = item_features(items, vectors)
    folds = max(2, min(folds, int(np.bincount(y).min())))
    oof = np.zeros(len(items))
    aucs = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        model = _pipeline(seed, c).fit(x[train], y[train])
        oof[test] = model.predict_proba(x[test])[:, 1]
        aucs.append(float(roc_auc_score(y[test], oof[test])))
    prevalence = float(y.mean())
    frac_pos, mean_pred = calibration_curve(y, oof, n_bins=10, strategy="quantile")
    cv = {"folds": folds, "auc_mean": float(np.mean(aucs)), "auc_std": float(np.std(aucs)), "auc_folds": aucs,
          "auc_oof": float(roc_auc_score(y, oof)), "brier": float(brier_score_loss(y, oof)),
          "brier_base_rate": float(brier_score_loss(y, np.full(len(y), prevalence))),
          "prevalence": prevalence, "n_items": len(items), "label": "training count above the median",
          "calibration": {"mean_predicted": mean_pred.tolist(), "fraction_positive": frac_pos.tolist()}}
    full = _pipeline(seed, c).fit(x, y)
    return GemModel(ids, {i: float(p) for i, p in zip(ids, oof)}, cv, full, embedder)


def hidden_gems(scores: Mapping[str, float], popularity: Popularity, n: int = 20) -> list[dict[str, Any]]:
    """Long-tail items (not in the head bucket) with the highest predicted appeal."""
    rows = [{"id": i, "gem_score": s, "bucket": popularity.bucket.get(i, "tail"),
             "interactions": popularity.counts.get(i, 0.0), "penalty": popularity.penalty(i)}
            for i, s in scores.items() if popularity.is_long_tail(i)]
    rows.sort(key=lambda r: (-r["gem_score"], r["interactions"], r["id"]))
    return rows[:n]
