"""The leave-one-out harness: score users in batches, cut the top K, re-rank with the product's re-rankers, and
turn every top-K matrix into one flat dict of figures with prefixed keys (``ndcg@10``, ``ndcg@10_tail``,
``aplt@10`` ...), plus the per-user arrays the significance tests need.

Re-ranking uses :func:`retrieval.exposure_rerank` / :func:`retrieval.xquad_rerank` on the base system's top
``candidates`` with the product's inputs (:class:`retrieval.Popularity` penalty and head/tail flags, gem boost
``gem_weight * gem * (1 - penalty)``, and relevance as the product's default RRF fusion makes it: a hybrid's
fused score over the best one, or ``(RRF_K + 1) / (RRF_K + rank)`` for a single system's list), so the
evaluation ranks exactly the way :meth:`retrieval.Searcher.rank` does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Iterable, Literal, Mapping, Sequence

import numpy as np
from tqdm.auto import tqdm

from retrieval import Candidate, Popularity, exposure_rerank, xquad_rerank
from retrieval.search import RRF_K

from .data import RecTask
from .metrics import PAD, TailDefinition, long_tail_metrics, loo_metrics
from .significance import paired_bootstrap
from .systems import RRFHybrid, System, exclude_history, top_k

if TYPE_CHECKING:
    from retrieval.recommender import RecommenderConfig


@dataclass
class EvalConfig:
    k: int = 10
    candidates: int = 100
    batch: int = 512
    seed: int = 0
    tail: TailDefinition = field(default_factory=TailDefinition)
    lambdas: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2)
    rerankers: tuple[str, ...] = ("exposure", "xquad")
    gem_weights: tuple[float, ...] = (0.0, 1.0)
    floor: float = 0.6
    tail_share: float = 0.3
    head_share: float = 0.2          # the product's Popularity buckets (share of interactions)
    # which items the re-rankers treat as long tail: the metric's own tail (``tail``, what APLT counts), or the
    # product's Popularity buckets (``head_share`` of interactions: very few head items on a long-tailed set)
    rerank_tail: Literal["metric", "product"] = "metric"
    max_ndcg_loss: float = 0.05      # lambda is chosen on the tuning split within this NDCG loss
    # "robust": the loss must stay within max_ndcg_loss at the pessimistic end of its paired 95% bootstrap
    # interval (a configuration that passes by a hair does not qualify); "point": the measured loss alone
    choice: Literal["robust", "point"] = "robust"
    # bases whose exposure sweeps join the Pareto frontier beside the chosen base's full sweep
    frontier_bases: tuple[str, ...] = ("itemknn", "ease-recency", "dense", "hybrid+cf", "purchase")
    bootstrap: int = 1000
    gem_text: str = "tfidf"          # the gem model's text features: "tfidf" or "embedding"
    purchase: bool = True            # train and evaluate the purchase-probability model
    model_dir: str | None = None     # where the purchase model's weights are saved (and reused from)
    purchase_config: RecommenderConfig | None = None  # None: RecommenderConfig() (its seed is replaced by seed)
    progress: bool = True

    def to_dict(self) -> dict:
        out = asdict(self)
        out["tail"] = str(self.tail)
        return out


@dataclass
class Run:
    """One system (or re-ranked configuration) on one split."""

    name: str
    topk: np.ndarray
    per_user: dict[str, np.ndarray]
    metrics: dict[str, float]
    config: dict = field(default_factory=dict)


@dataclass
class Candidates:
    """The base system's top candidates per user (history removed, best first) and their scores. ``fused``:
    the scores are already reciprocal-rank fusion scores (a hybrid); otherwise they are raw model scores."""

    system: str
    ids: np.ndarray
    scores: np.ndarray
    fused: bool = False


def summarise(name: str, topk: np.ndarray, task: RecTask, pop: np.ndarray, tail: np.ndarray, k: int,
              config: Mapping | None = None) -> Run:
    per_user = loo_metrics(topk, task.targets)
    target_tail = tail[task.targets]
    target_cold = pop[task.targets] == 0  # cold: the target never occurs in the training sequences
    metrics: dict[str, float] = {"cold_targets": float(target_cold.sum())}
    for metric, values in per_user.items():
        metrics[f"{metric}@{k}"] = float(values.mean()) if values.size else 0.0
        for bucket, sel in (("head", ~target_tail), ("tail", target_tail), ("cold", target_cold)):
            metrics[f"{metric}@{k}_{bucket}"] = float(values[sel].mean()) if sel.any() else 0.0
    n_train_users = len(task.fit_sequences)
    for metric, value in long_tail_metrics(topk, pop, tail, n_train_users, task.histories).items():
        metrics[f"{metric}@{k}"] = value
    return Run(name, topk, per_user, metrics, dict(config or {}))


def _batches(task: RecTask, size: int, desc: str, progress: bool) -> Iterable[np.ndarray]:
    starts = range(0, task.n_users, size)
    for start in tqdm(starts, desc=desc, unit=" batch", disable=not progress, leave=False):
        yield np.arange(start, min(start + size, task.n_users))


def run_systems(systems: Sequence[System], task: RecTask, cfg: EvalConfig
                ) -> tuple[dict[str, Run], dict[str, Candidates]]:
    """Fit every system on the task's training sequences and evaluate its top K; keep each system's top
    ``cfg.candidates`` for re-ranking."""
    pop, tail = task.popularity(), cfg.tail.mask(task.popularity())
    for system in tqdm(systems, desc=f"fitting ({task.name})", disable=not cfg.progress, leave=False):
        system.fit(task)
    width = min(cfg.candidates, task.n_items)
    ids = {s.name: np.full((task.n_users, width), PAD, dtype=np.int64) for s in systems}
    vals = {s.name: np.full((task.n_users, width), -np.inf, dtype=np.float32) for s in systems}
    for rows in _batches(task, cfg.batch, f"scoring {task.name}", cfg.progress):
        histories = [task.histories[r] for r in rows]
        for system in systems:
            scores = exclude_history(system.scores(histories), histories)
            top = top_k(scores, width)
            got = np.take_along_axis(scores, top, axis=1)
            ids[system.name][rows] = np.where(np.isfinite(got), top, PAD)
            vals[system.name][rows] = got
    runs, cands = {}, {}
    for system in systems:
        topk = ids[system.name][:, :cfg.k]
        runs[system.name] = summarise(system.name, topk, task, pop, tail, cfg.k, {"system": system.name})
        cands[system.name] = Candidates(system.name, ids[system.name], vals[system.name],
                                        fused=isinstance(system, RRFHybrid))
    return runs, cands


def product_popularity(task: RecTask, head_share: float) -> Popularity:
    pop = task.popularity()
    ids = [str(i) for i in range(task.n_items)]
    return Popularity({i: float(c) for i, c in zip(ids, pop)}, head_share=head_share, tail_share=0.0, ids=ids)


def rerank(cands: Candidates, popularity: Popularity, reranker: str, lam: float, cfg: EvalConfig,
           gem: np.ndarray | None = None, gem_weight: float = 0.0, long_tail: np.ndarray | None = None
           ) -> np.ndarray:
    """Top-K matrix after the product's re-ranker over each user's candidates; ``long_tail``: the items it
    treats as long tail (default: the product's Popularity buckets)."""
    n_items = len(popularity.ids)
    penalty = np.array([popularity.penalty(str(i)) for i in range(n_items)])
    if long_tail is None:
        long_tail = np.array([popularity.is_long_tail(str(i)) for i in range(n_items)])
    boost = gem_weight * (gem if gem is not None else np.zeros(n_items)) * (1 - penalty)
    out = np.full((cands.ids.shape[0], cfg.k), PAD, dtype=np.int64)
    for row in range(cands.ids.shape[0]):
        valid = cands.ids[row] != PAD
        ids, scores = cands.ids[row][valid], cands.scores[row][valid].astype(np.float64)
        if ids.size == 0:
            continue
        if cands.fused:
            # fused scores: relevance with the best candidate at 1, as Searcher.rank normalises them
            rel = scores / scores.max()
        else:
            # one ranked list through the product's default fusion (RRF): relevance (K + 1) / (K + rank)
            rel = (RRF_K + 1) / (RRF_K + np.arange(1, ids.size + 1, dtype=np.float64))
        cs = [Candidate(str(i), float(r), float(penalty[i]), bool(long_tail[i]), float(boost[i]))
              for i, r in zip(ids, rel)]
        if reranker == "exposure":
            ranked = exposure_rerank(cs, lam, cfg.floor)
        elif reranker == "xquad":
            ranked = xquad_rerank(cs, cfg.k, lam, cfg.tail_share, cfg.floor)
        else:
            raise ValueError(f"reranker={reranker!r}: use 'exposure' or 'xquad'.")
        picked = [int(c.id) for c in ranked[:cfg.k]]
        out[row, :len(picked)] = picked
    return out


def sweep(base: Candidates, task: RecTask, cfg: EvalConfig, gem: np.ndarray | None = None) -> list[Run]:
    """Every (re-ranker, gem weight, lambda) on the base system's candidates."""
    pop, tail = task.popularity(), cfg.tail.mask(task.popularity())
    popularity = product_popularity(task, cfg.head_share)
    # xQuAD weighs relevance by (1 - lambda): lambdas above 1 would reward irrelevance, so they are skipped
    grid = [(r, g, lam) for r in cfg.rerankers for g in (cfg.gem_weights if gem is not None else (0.0,))
            for lam in cfg.lambdas if not (r == "xquad" and lam > 1)]
    runs = []
    for reranker, gem_weight, lam in tqdm(grid, desc=f"lambda sweep ({task.name})", disable=not cfg.progress,
                                          leave=False):
        topk = rerank(base, popularity, reranker, lam, cfg, gem, gem_weight,
                      tail if cfg.rerank_tail == "metric" else None)
        label = f"{base.system} + {reranker}" + (" + gem" if gem_weight else "") + f" λ={lam:g}"
        runs.append(summarise(label, topk, task, pop, tail, cfg.k,
                              {"base": base.system, "reranker": reranker, "lambda": lam, "gem_weight": gem_weight,
                               "floor": cfg.floor, "tail_share": cfg.tail_share,
                               "rerank_tail": cfg.rerank_tail}))
    return runs


def best_relevance(runs: Mapping[str, Run], k: int) -> str:
    return max(runs, key=lambda name: runs[name].metrics[f"ndcg@{k}"])


def ndcg_loss(run: Run, base: Run, cfg: EvalConfig) -> dict[str, float]:
    """``run``'s NDCG@K loss against ``base`` on the same users, as a share of the base's NDCG@K: the measured
    loss, the pessimistic (high) end of its paired 95% bootstrap interval, and the allowed ``max_ndcg_loss``."""
    ref = base.metrics[f"ndcg@{cfg.k}"]
    if not ref:
        return {"loss": 0.0, "loss_high": 0.0, "limit": cfg.max_ndcg_loss}
    b = paired_bootstrap(base.per_user["ndcg"], run.per_user["ndcg"], cfg.bootstrap, cfg.seed)
    return {"loss": b["mean_diff"] / ref, "loss_high": b["ci_high"] / ref, "limit": cfg.max_ndcg_loss}


def qualifies(loss: Mapping[str, float], cfg: EvalConfig) -> bool:
    """The choice rule on one :func:`ndcg_loss`: ``cfg.choice`` says which end of the interval must pass."""
    return loss["loss_high" if cfg.choice == "robust" else "loss"] <= cfg.max_ndcg_loss + 1e-12


def choose(sweep_runs: Sequence[Run], base: Run, cfg: EvalConfig) -> Run | None:
    """The configuration with the highest APLT@K whose NDCG@K loss against ``base`` (same users) passes
    :func:`qualifies` (ties: higher coverage, then higher NDCG). None when no configuration qualifies."""
    k = cfg.k
    ok = [r for r in sweep_runs if qualifies(ndcg_loss(r, base, cfg), cfg)]
    if not ok:
        return None
    return max(ok, key=lambda r: (round(r.metrics[f"aplt@{k}"], 4), r.metrics[f"coverage@{k}"],
                                  r.metrics[f"ndcg@{k}"]))


def pareto_front(runs: Sequence[Run], k: int) -> list[Run]:
    """The runs no other run beats on both NDCG@K and APLT@K (at least as good on both, better on one), by
    APLT@K ascending: the best relevance a store can have at each long-tail share, whatever the base."""
    ranked = sorted(runs, key=lambda r: (-r.metrics[f"aplt@{k}"], -r.metrics[f"ndcg@{k}"]))
    front, best = [], -np.inf
    for r in ranked:
        if r.metrics[f"ndcg@{k}"] > best:
            front.append(r)
            best = r.metrics[f"ndcg@{k}"]
    return front[::-1]


def find(runs: Sequence[Run], config: Mapping) -> Run:
    keys = ("reranker", "lambda", "gem_weight")
    for r in runs:
        if all(r.config.get(key) == config.get(key) for key in keys):
            return r
    raise KeyError(f"no run with {dict((key, config.get(key)) for key in keys)}")
