"""The next-item recommendation evaluation, end to end: tune on a split carved from the training data, report
on the split given, compare every system on the same users, and test the chosen long-tail configuration
against the best relevance-only system.

1. Tuning split (``task.holdout_last()``): every system is fitted there, the best relevance-only system by
   NDCG@K becomes the base, the re-rankers are swept over lambda (with and without the gem boost) on its
   candidates, and the configuration with the highest APLT@K within ``max_ndcg_loss`` of the base's NDCG@K is
   chosen. The split being reported is never looked at for this.
2. Reported split: everything is fitted again on its own training part and evaluated; the same sweep draws
   the trade-off curve there (descriptive only); the chosen configuration is read off it.
3. Significance: paired bootstrap and Wilcoxon on per-user NDCG@K and Recall@K, chosen vs best relevance-only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

from .data import RecTask
from retrieval.gems import train_gem_model
from .harness import (EvalConfig, Run, best_relevance, choose, find, ndcg_loss, pareto_front, qualifies,
                      run_systems, sweep)
from .metrics import below_median, item_gem_auc, personal_auc
from .significance import compare
from .systems import PurchaseSystem, System, build_systems, describe

RELEVANCE_EXCLUDED = ("random",)  # never a candidate for "best relevance-only system"


@dataclass
class RecEvaluation:
    task: RecTask
    cfg: EvalConfig
    systems: dict[str, Run]
    sweep: list[Run]
    tune_systems: dict[str, Run]
    tune_sweep: list[Run]
    base: str
    best: str
    chosen: Run | None
    chosen_without_gem: Run | None
    chosen_with_gem: Run | None
    gem_cv: dict[str, Any]
    significance: dict[str, Any]
    goals: dict[str, Any]
    gem_comparison: list[dict[str, Any]] = field(default_factory=list)
    system_config: dict[str, dict] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    gem_auc: dict[str, dict[str, float]] = field(default_factory=dict)
    choice: dict[str, Any] = field(default_factory=dict)      # the rule's record on the tuning split
    other_sweeps: list[Run] = field(default_factory=list)     # other bases' exposure sweeps (reported split)
    frontier: list[Run] = field(default_factory=list)         # Pareto frontier over systems and sweeps

    def summary(self) -> dict[str, Any]:
        k = self.cfg.k
        return {"task": self.task.name, "users": self.task.n_users, "items": self.task.n_items,
                "base": self.base, "best_relevance_only": self.best,
                "chosen": self.chosen.config if self.chosen else None,
                "chosen_metrics": self.chosen.metrics if self.chosen else None,
                "best_metrics": self.systems[self.best].metrics, "goals": self.goals,
                "ndcg_change": (self.chosen.metrics[f"ndcg@{k}"] / self.systems[self.best].metrics[f"ndcg@{k}"] - 1
                                if self.chosen and self.systems[self.best].metrics[f"ndcg@{k}"] else None)}


def _gem_array(task: RecTask, vectors: np.ndarray, cfg: EvalConfig) -> tuple[np.ndarray, dict[str, Any]]:
    counts = {item.id: float(c) for item, c in zip(task.items, task.popularity())}
    model = train_gem_model(task.items, counts, vectors=vectors, seed=cfg.seed, text=cfg.gem_text)
    return np.array([model.oof[item.id] for item in task.items]), model.cv


def _purchase(systems: list[System]) -> PurchaseSystem | None:
    return next((s for s in systems if isinstance(s, PurchaseSystem)), None)


def model_gem(task: RecTask, model: PurchaseSystem, batch: int = 512) -> np.ndarray:
    """The purchase model's gem score of each item: its predicted purchase probability averaged over the
    task's users (their histories only, never the targets), i.e. expected demand learned from text and
    behaviour rather than a popularity label."""
    total = np.zeros(task.n_items)
    for start in range(0, task.n_users, batch):
        total += model.probabilities(task.histories[start:start + batch]).sum(0)
    return total / max(task.n_users, 1)


def gem_quality(task: RecTask, gems: dict[str, np.ndarray], model: PurchaseSystem | None,
                batch: int = 512) -> dict[str, dict[str, float]]:
    """How well each gem score predicts the next item, above all among the below-median (under-exposed)
    items: item-level AUC (is the item anyone's target?) and, per user whose target is below the median, the
    AUC of the target against the other below-median items (``personal``; for the purchase model its own
    per-user probability, for an item-level score the same score for everyone)."""
    pop = task.popularity()
    low = below_median(pop)
    out: dict[str, dict[str, float]] = {}
    for name, gem in gems.items():
        row = item_gem_auc(gem, pop, task.targets)
        per_user = personal_auc(np.broadcast_to(gem, (task.n_users, task.n_items)), task.histories, task.targets,
                                low)
        row["personal_auc_below_median"] = float(np.nanmean(per_user)) if np.isfinite(per_user).any() else 0.0
        out[name] = row
    if model is not None:
        per_user = np.concatenate([
            personal_auc(model.probabilities(task.histories[s:s + batch]), task.histories[s:s + batch],
                         task.targets[s:s + batch], low) for s in range(0, task.n_users, batch)])
        out["purchase (per user)"] = {"personal_auc_below_median": float(np.nanmean(per_user)),
                                      "users": float(np.isfinite(per_user).sum())}
    return out


def _build(task: RecTask, vectors: np.ndarray, cfg: EvalConfig) -> list[System]:
    return build_systems(task, vectors, cfg.seed, cfg.candidates, purchase=cfg.purchase,
                         purchase_config=cfg.purchase_config,
                         model_dir=Path(cfg.model_dir) if cfg.model_dir else None, progress=cfg.progress)


def _gems(task: RecTask, vectors: np.ndarray, cfg: EvalConfig, systems: list[System]
          ) -> tuple[np.ndarray, dict[str, Any], dict[str, np.ndarray]]:
    """The gem array the re-rankers use, the text gem model's CV record and every raw gem score by name.
    ``cfg.gem_text == "model"``: the re-rankers get the purchase model's gem (as a percentile among items, so
    the boost's scale matches the text model's); otherwise the text gem model's out-of-fold appeal."""
    text = "tfidf" if cfg.gem_text == "model" else cfg.gem_text
    text_gem, cv = _gem_array(task, vectors, replace(cfg, gem_text=text))
    raw = {text: text_gem}
    model = _purchase(systems)
    if model is not None:
        raw["purchase (mean probability)"] = model_gem(task, model, cfg.batch)
    if cfg.gem_text != "model":
        return text_gem, cv, raw
    if model is None:
        raise ValueError("gem features 'model' need the purchase model (EvalConfig.purchase).")
    mgem = raw["purchase (mean probability)"]
    return rankdata(mgem) / len(mgem), cv, raw


def _relevance_only(runs: dict[str, Run]) -> dict[str, Run]:
    return {n: r for n, r in runs.items() if n not in RELEVANCE_EXCLUDED}


def _choose_all(tune_sweep: list[Run], base: Run, cfg: EvalConfig) -> tuple[Run | None, ...]:
    plain = [r for r in tune_sweep if not r.config["gem_weight"]]
    gem = [r for r in tune_sweep if r.config["gem_weight"]]
    return choose(tune_sweep, base, cfg), choose(plain, base, cfg), choose(gem, base, cfg)


def choice_record(tune_sweep: list[Run], base: Run, chosen: Run | None, cfg: EvalConfig) -> dict[str, Any]:
    """How the choice was made on the tuning split: the rule, and every configuration's NDCG loss (measured and
    pessimistic) against the limit, so the report can say by what margin the chosen one passed and what the
    next one up missed by."""
    k = cfg.k
    rows = []
    for r in sorted(tune_sweep, key=lambda r: r.metrics[f"aplt@{k}"]):
        loss = ndcg_loss(r, base, cfg)
        rows.append({"configuration": r.name, f"aplt@{k}": r.metrics[f"aplt@{k}"],
                     f"ndcg@{k}": r.metrics[f"ndcg@{k}"], **loss, "qualifies": qualifies(loss, cfg)})
    return {"rule": cfg.choice, "limit": cfg.max_ndcg_loss, "base": base.name,
            "chosen": chosen.name if chosen else None, "configurations": rows}


def gem_vs_penalty(sweep_runs: list[Run], base: Run, k: int) -> list[dict[str, Any]]:
    """Each gem-boosted configuration against the penalty-only curve of the same re-ranker at the *same*
    APLT@K (NDCG@K linearly interpolated along that curve, the base system being its lambda-0 end): a positive
    ``ndcg_gain`` means the gem boost buys the same long-tail share for less relevance."""
    out = []
    for reranker in sorted({r.config["reranker"] for r in sweep_runs}):
        plain = [base] + [r for r in sweep_runs if r.config["reranker"] == reranker and not r.config["gem_weight"]]
        plain.sort(key=lambda r: r.metrics[f"aplt@{k}"])
        xs = [r.metrics[f"aplt@{k}"] for r in plain]
        ys = [r.metrics[f"ndcg@{k}"] for r in plain]
        for r in sweep_runs:
            if r.config["reranker"] != reranker or not r.config["gem_weight"]:
                continue
            aplt = r.metrics[f"aplt@{k}"]
            inside = xs[0] <= aplt <= xs[-1]
            at_same = float(np.interp(aplt, xs, ys)) if inside else None
            out.append({"configuration": r.name, "reranker": reranker, "lambda": r.config["lambda"],
                        f"aplt@{k}": aplt, f"ndcg@{k}": r.metrics[f"ndcg@{k}"],
                        f"penalty_only_ndcg@{k}_at_same_aplt": at_same,
                        "ndcg_gain": r.metrics[f"ndcg@{k}"] - at_same if at_same is not None else None})
    return out


def goals(systems: dict[str, Run], best: str, chosen: Run | None, k: int) -> dict[str, Any]:
    """The product owner's targets, each with the figures that decide it."""
    b = systems[best].metrics
    out: dict[str, Any] = {
        "best_beats_most_popular": b[f"ndcg@{k}"] > systems["most-popular"].metrics[f"ndcg@{k}"],
        "best_beats_bm25": b[f"ndcg@{k}"] > systems["bm25"].metrics[f"ndcg@{k}"] if "bm25" in systems else None,
    }
    if "purchase" in systems and "ease" in systems:
        m, e = systems["purchase"].metrics, systems["ease"].metrics
        out.update({
            "purchase_at_least_ease": m[f"ndcg@{k}"] >= e[f"ndcg@{k}"],
            "purchase_tail_at_least_2x_ease": m[f"ndcg@{k}_tail"] >= 2 * e[f"ndcg@{k}_tail"],
            "best_at_least_0.105": b[f"ndcg@{k}"] >= 0.105,
        })
    if chosen is not None:
        c = chosen.metrics
        out.update({
            "aplt_at_least_0.30": c[f"aplt@{k}"] >= 0.30,
            "coverage_at_least_2x_best": c[f"coverage@{k}"] >= 2 * b[f"coverage@{k}"],
            "coverage_2x_attainable": 2 * b[f"coverage@{k}"] <= 1.0,
            "ndcg_within_10pct": c[f"ndcg@{k}"] >= 0.9 * b[f"ndcg@{k}"],
            "ndcg_loss_below_20pct": c[f"ndcg@{k}"] > 0.8 * b[f"ndcg@{k}"],
        })
    return out


def evaluate_recommendations(task: RecTask, vectors: np.ndarray, cfg: EvalConfig, users: int | None = None,
                             use_gems: bool = True) -> RecEvaluation:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    tune = task.holdout_last().subsample(users, cfg.seed)
    report = task.subsample(users, cfg.seed)

    t0 = time.perf_counter()
    tune_built = _build(tune, vectors, cfg)
    tune_runs, tune_cands = run_systems(tune_built, tune, cfg)
    base = best_relevance(_relevance_only(tune_runs), cfg.k)
    tune_gem = _gems(tune, vectors, cfg, tune_built)[0] if use_gems else None
    tune_sweep = sweep(tune_cands[base], tune, cfg, tune_gem)
    chosen_t, plain_t, gem_t = _choose_all(tune_sweep, tune_runs[base], cfg)
    choice = choice_record(tune_sweep, tune_runs[base], chosen_t, cfg)
    timings["tune_seconds"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    systems = _build(report, vectors, cfg)
    runs, cands = run_systems(systems, report, cfg)
    gem, gem_cv, raw_gems = _gems(report, vectors, cfg, systems) if use_gems else (None, {}, {})
    gem_auc = gem_quality(report, {**raw_gems, "training count": report.popularity()}, _purchase(systems),
                          cfg.batch) if use_gems else {}
    report_sweep = sweep(cands[base], report, cfg, gem)
    timings["report_seconds"] = time.perf_counter() - t0

    # other bases' exposure sweeps, for the Pareto frontier only (descriptive: the choice is made above)
    t0 = time.perf_counter()
    plain = replace(cfg, rerankers=("exposure",), gem_weights=(0.0,))
    others = [r for b in cfg.frontier_bases if b in cands and b != base for r in sweep(cands[b], report, plain)]
    frontier = pareto_front([*runs.values(), *report_sweep, *others], cfg.k)
    timings["frontier_seconds"] = time.perf_counter() - t0

    def on_report(run: Run | None) -> Run | None:
        return find(report_sweep, run.config) if run is not None else None

    chosen = on_report(chosen_t)
    best = best_relevance(_relevance_only(runs), cfg.k)
    significance: dict[str, Any] = {}
    if chosen is not None:
        for metric in ("ndcg", "recall"):
            significance[metric] = compare(chosen.per_user[metric], runs[best].per_user[metric], cfg.bootstrap,
                                           cfg.seed)
        significance["compared"] = [chosen.name, best]
    timings["total_seconds"] = time.perf_counter() - start
    goal = goals(runs, best, chosen, cfg.k)
    if "purchase (mean probability)" in gem_auc:
        goal["purchase_gem_auc_below_median_at_least_0.60"] = (
            gem_auc["purchase (mean probability)"]["auc_below_median"] >= 0.60)
    return RecEvaluation(report, cfg, runs, report_sweep, tune_runs, tune_sweep, base, best, chosen,
                         on_report(plain_t), on_report(gem_t), gem_cv, significance,
                         goal,
                         gem_vs_penalty(report_sweep, runs[base], cfg.k) if use_gems else [], describe(systems),
                         timings, gem_auc, choice, others, frontier)
