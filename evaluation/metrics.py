"""Ranking and long-tail metrics as pure functions, with the definitions the field uses.

Accuracy (per user, then averaged):

* ``Recall@K``: share of the user's relevant items in the top K (one target per user in leave-one-out, so it
  equals the hit rate).
* ``NDCG@K``: DCG / ideal DCG with *linear* gains and a ``log2(rank + 1)`` discount, exactly as
  ``sklearn.metrics.ndcg_score`` (and RecBole for binary relevance) computes it.
* ``MRR@K``: 1 / rank of the first relevant item in the top K, 0 when none (RecBole's ``MRR@K``).

Long tail (over the top-K lists of all users; ``pop`` = interaction counts from the *training* part only):

* ``APLT@K`` (Abdollahpouri et al. 2019, RecBole ``TailPercentage``): mean over users of the share of the list
  that is tail items.
* ``ACLT@K`` (Abdollahpouri et al. 2019): mean over users of the number of tail items in the list.
* ``ARP@K`` (Yin et al. 2012; RecBole ``AveragePopularity``): mean over users of the mean training count of
  the listed items.
* ``Coverage@K`` (RecBole ``ItemCoverage``): distinct recommended items / catalog size.
* ``Gini@K`` (RecBole ``GiniIndex``): Gini index of how often each catalog item is recommended (items never
  recommended count as zeros); 0 = perfectly even exposure, 1 = one item gets everything.
* ``Novelty@K`` (Zhou et al. 2010, "mean self-information"): mean of ``-log2(p(i))`` over listed items with
  ``p(i) = max(pop(i), 1) / n_users``.
* ``PopLift@K`` (Abdollahpouri et al. 2021, "popularity lift"): ``(ARP of the lists - ARP of the users'
  profiles) / ARP of the profiles``; negative = the lists are less popular than what users consumed.

Which items are "tail" is decided by :class:`TailDefinition` (default: Abdollahpouri's short head, every item
outside the top 20% of items by training count; RecBole's own ``tail_ratio`` default is 0.1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PAD = -1  # marks an empty slot in a top-K matrix (a list shorter than K)


# -- which items are "tail" ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TailDefinition:
    """``items:0.2``: head = the top 20% of items by count (Abdollahpouri et al.'s "short head"; RecBole's
    ``TailPercentage`` defaults to another cut, the bottom 10% of items, ``tail_ratio=0.1``);
    ``interactions:0.2``: head = the most popular items that together hold 20% of interactions
    (:func:`retrieval.popularity.buckets`); ``count:5``: tail = items with at most 5 interactions."""

    kind: str = "items"
    value: float = 0.2

    @classmethod
    def parse(cls, text: str) -> TailDefinition:
        kind, _, value = text.partition(":")
        if kind not in ("items", "interactions", "count") or not value:
            raise ValueError(f"tail definition {text!r}: use items:SHARE, interactions:SHARE or count:N, "
                             f"e.g. items:0.2 (tail = outside the top 20% of items).")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"tail definition {text!r}: {value!r} is not a number.") from None
        if kind != "count" and not 0 < number < 1:
            raise ValueError(f"tail definition {text!r}: the share must lie strictly between 0 and 1.")
        return cls(kind, number)

    def __str__(self) -> str:
        return f"{self.kind}:{self.value:g}"

    def describe(self) -> str:
        if self.kind == "items":
            return f"tail = items outside the top {self.value:.0%} of items by training interaction count"
        if self.kind == "interactions":
            return (f"tail = items outside the most popular ones that together hold {self.value:.0%} of "
                    f"training interactions")
        return f"tail = items with at most {self.value:g} training interactions"

    def mask(self, pop: np.ndarray) -> np.ndarray:
        """Boolean array, True for tail items. Ties are broken by item index so the split is deterministic."""
        pop = np.asarray(pop, dtype=np.float64)
        n = pop.size
        if self.kind == "count":
            return pop <= self.value
        order = np.lexsort((np.arange(n), -pop))  # most popular first
        head = np.zeros(n, dtype=bool)
        if self.kind == "items":
            head[order[:int(math.ceil(self.value * n))]] = True
        else:
            from retrieval.popularity import buckets

            ids = [str(i) for i in range(n)]
            b = buckets({str(i): float(c) for i, c in enumerate(pop)}, ids, head_share=self.value, tail_share=0.0)
            head = np.array([b[i] == "head" for i in ids], dtype=bool)
        return ~head


# -- accuracy, general (any number of graded relevant items) --------------------------------------------------
def dcg_at_k(ranked: Sequence, gains: Mapping, k: int) -> float:
    return float(sum(gains.get(item, 0.0) / math.log2(pos + 2) for pos, item in enumerate(list(ranked)[:k])))


def ndcg_at_k(ranked: Sequence, gains: Mapping, k: int) -> float:
    """Graded NDCG@K with linear gains; ``gains`` maps item -> relevance (missing = 0). 0 when nothing is
    relevant (sklearn's convention)."""
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(pos + 2) for pos, g in enumerate(ideal))
    return dcg_at_k(ranked, gains, k) / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence, relevant: set, k: int) -> float:
    if not relevant:
        return 0.0
    return len(set(list(ranked)[:k]) & relevant) / len(relevant)


def mrr_at_k(ranked: Sequence, relevant: set, k: int) -> float:
    for pos, item in enumerate(list(ranked)[:k]):
        if item in relevant:
            return 1.0 / (pos + 1)
    return 0.0


# -- accuracy, one target per user (leave-one-out), vectorised -------------------------------------------------
def hit_ranks(topk: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of each user's target in their top-K row, 0 when absent."""
    hits = topk == np.asarray(targets)[:, None]
    found = hits.any(axis=1)
    return np.where(found, hits.argmax(axis=1) + 1, 0)


def loo_metrics(topk: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
    """Per-user Recall@K, NDCG@K and MRR@K for a single target each (K = the width of ``topk``)."""
    ranks = hit_ranks(topk, targets)
    hit = ranks > 0
    safe = np.where(hit, ranks, 1)
    return {"recall": hit.astype(np.float64),
            "ndcg": np.where(hit, 1.0 / np.log2(safe + 1), 0.0),
            "mrr": np.where(hit, 1.0 / safe, 0.0)}


# -- long tail ------------------------------------------------------------------------------------------------
def _valid(topk: np.ndarray) -> np.ndarray:
    return topk != PAD


def aplt(topk: np.ndarray, tail: np.ndarray) -> float:
    valid = _valid(topk)
    in_tail = tail[np.where(valid, topk, 0)] & valid
    lengths = np.maximum(valid.sum(axis=1), 1)
    return float((in_tail.sum(axis=1) / lengths).mean()) if len(topk) else 0.0


def aclt(topk: np.ndarray, tail: np.ndarray) -> float:
    valid = _valid(topk)
    return float((tail[np.where(valid, topk, 0)] & valid).sum(axis=1).mean()) if len(topk) else 0.0


def arp(topk: np.ndarray, pop: np.ndarray) -> float:
    valid = _valid(topk)
    values = np.where(valid, np.asarray(pop, dtype=np.float64)[np.where(valid, topk, 0)], 0.0)
    lengths = np.maximum(valid.sum(axis=1), 1)
    return float((values.sum(axis=1) / lengths).mean()) if len(topk) else 0.0


def coverage(topk: np.ndarray, n_items: int) -> float:
    return float(np.unique(topk[_valid(topk)]).size / n_items) if n_items else 0.0


def exposure_counts(topk: np.ndarray, n_items: int) -> np.ndarray:
    """How many lists each catalog item appears in."""
    return np.bincount(topk[_valid(topk)].ravel(), minlength=n_items)


def gini_index(counts: np.ndarray) -> float:
    """Gini index of a non-negative distribution (RecBole's GiniIndex when ``counts`` are the exposure counts
    of every catalog item): ``sum_j (2j - n - 1) * x_(j) / (n * sum x)`` with ``x`` sorted ascending."""
    x = np.sort(np.asarray(counts, dtype=np.float64))
    n, total = x.size, x.sum()
    if n == 0 or total == 0:
        return 0.0
    j = np.arange(1, n + 1)
    return float(((2 * j - n - 1) * x).sum() / (n * total))


def novelty(topk: np.ndarray, pop: np.ndarray, n_users: int) -> float:
    valid = _valid(topk)
    p = np.maximum(np.asarray(pop, dtype=np.float64), 1.0) / max(n_users, 1)
    info = -np.log2(np.minimum(p, 1.0))
    values = info[np.where(valid, topk, 0)][valid]
    return float(values.mean()) if values.size else 0.0


def profile_arp(histories: Sequence[Sequence[int]], pop: np.ndarray) -> float:
    """Mean over users of the mean training count of the items in their history."""
    pop = np.asarray(pop, dtype=np.float64)
    means = [pop[list(h)].mean() for h in histories if len(h)]
    return float(np.mean(means)) if means else 0.0


def popularity_lift(topk: np.ndarray, pop: np.ndarray, histories: Sequence[Sequence[int]]) -> float:
    base = profile_arp(histories, pop)
    return (arp(topk, pop) - base) / base if base else 0.0


def lorenz_curve(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative share of items (x, ascending by exposure) against cumulative share of exposure (y)."""
    x = np.sort(np.asarray(counts, dtype=np.float64))
    total = x.sum() or 1.0
    return np.linspace(0, 1, x.size + 1), np.concatenate([[0.0], np.cumsum(x) / total])


def long_tail_metrics(topk: np.ndarray, pop: np.ndarray, tail: np.ndarray, n_users_train: int,
                      histories: Sequence[Sequence[int]]) -> dict[str, float]:
    n_items = len(pop)
    return {"aplt": aplt(topk, tail), "aclt": aclt(topk, tail), "arp": arp(topk, pop),
            "coverage": coverage(topk, n_items), "gini": gini_index(exposure_counts(topk, n_items)),
            "novelty": novelty(topk, pop, n_users_train), "pop_lift": popularity_lift(topk, pop, histories)}


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (95% by default) for a proportion measured on ``n`` turns."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre, half = p + z * z / (2 * n), z * ((p * (1 - p) + z * z / (4 * n)) / n) ** 0.5
    return max(0.0, (centre - half) / (1 + z * z / n)), min(1.0, (centre + half) / (1 + z * z / n))


def classification_report(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
                          ) -> dict[str, Any]:
    """Accuracy (with its 95% Wilson interval), macro-F1 over the labels that occur in ``gold``, per-label
    precision / recall / F1 / support, and the confusion matrix (``confusion[gold][pred]``, non-zero cells)."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions.")
    labels = list(labels) if labels is not None else sorted(set(gold) | set(pred))
    n = len(gold)
    right = sum(g == p for g, p in zip(gold, pred))
    per: dict[str, dict[str, float]] = {}
    confusion: dict[str, dict[str, int]] = {}
    for g, p in zip(gold, pred):
        row = confusion.setdefault(g, {})
        row[p] = row.get(p, 0) + 1
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, pred))
        n_pred = sum(p == label for p in pred)
        n_gold = sum(g == label for g in gold)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if n_gold or n_pred:
            per[label] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
                          "support": n_gold}
    present = [l for l in per if per[l]["support"]]
    lo, hi = wilson(right, n)
    return {"n": n, "accuracy": round(right / n, 4) if n else 0.0, "ci95": [round(lo, 4), round(hi, 4)],
            "macro_f1": round(sum(per[l]["f1"] for l in present) / len(present), 4) if present else 0.0,
            "per_label": per, "confusion": confusion}


def format_confusion(confusion: Mapping[str, Mapping[str, int]], labels: Sequence[str]) -> str:
    """The confusion matrix as text: one row per gold label, columns are predictions (short names)."""
    labels = [l for l in labels if l in confusion or any(l in row for row in confusion.values())]
    short = [l[:6] for l in labels]
    head = "gold / predicted"
    lines = [f"{head:<17}" + "".join(f"{s:>7}" for s in short)]
    for g in labels:
        row = confusion.get(g, {})
        lines.append(f"{g:<17}" + "".join(f"{row.get(p, 0) or '.':>7}" for p in labels))
    return "\n".join(lines)


# -- does a gem score predict what users want next? ---------------------------------------------------------------
def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann-Whitney ROC AUC (ties count one half); NaN when one class is empty."""
    from scipy.stats import rankdata

    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=bool)
    pos, neg = int(labels.sum()), int((~labels).sum())
    if not pos or not neg:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def below_median(pop: np.ndarray) -> np.ndarray:
    """The under-exposed half of the catalog: training count strictly below the catalog's median count."""
    return pop < np.median(pop)


def stratified_auc(scores: np.ndarray, labels: np.ndarray, strata: np.ndarray) -> float:
    """ROC AUC over the (positive, negative) pairs within the same stratum only: each stratum's AUC weighted by
    its pairs. NaN when no stratum has both classes."""
    scores, labels, strata = np.asarray(scores), np.asarray(labels, dtype=bool), np.asarray(strata)
    total = weight = 0.0
    for value in np.unique(strata):
        m = strata == value
        pairs = float(labels[m].sum() * (~labels[m]).sum())
        if pairs:
            total += roc_auc(scores[m], labels[m]) * pairs
            weight += pairs
    return total / weight if weight else float("nan")


def item_gem_auc(gem: np.ndarray, pop: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """Item level: label = the item is some user's next item (a target); score = the item's gem score. Over all
    items and among the below-median items (where a gem score must work: popularity cannot tell them apart).
    ``auc_below_median_same_count``: among the below-median items, only pairs with the same training count. In
    k-core filtered logs (Amazon Scientific: every item has >= 4 interactions) an item with few training
    interactions must have its others in the held-out targets, so below the median a *low* count predicts a
    target; this figure is free of that artefact."""
    wanted = np.bincount(targets, minlength=pop.size)[:pop.size] > 0
    low = below_median(pop)
    return {"auc_all": roc_auc(gem, wanted), "auc_below_median": roc_auc(gem[low], wanted[low]),
            "auc_below_median_same_count": stratified_auc(gem[low], wanted[low], pop[low]),
            "below_median_items": float(low.sum()), "below_median_wanted": float((wanted & low).sum())}


def personal_auc(scores: np.ndarray, histories: Sequence[Sequence[int]], targets: np.ndarray,
                 candidates: np.ndarray) -> np.ndarray:
    """Per user: the share of candidate items (``candidates`` mask, history removed) the user's score ranks
    below the target (ties one half). NaN for users whose target is not a candidate."""
    out = np.full(len(targets), np.nan)
    for row, (h, t) in enumerate(zip(histories, targets)):
        if not candidates[t]:
            continue
        mask = candidates.copy()
        mask[list(h)] = False
        mask[t] = False
        others = scores[row, mask]
        if others.size:
            out[row] = ((others < scores[row, t]).sum() + 0.5 * (others == scores[row, t]).sum()) / others.size
    return out
