"""Reports: a markdown table, a JSON file with every figure and the exact configuration, and PNG plots
(trade-off curve, popularity of what was recommended against the catalog's, Lorenz curve of exposure,
calibration of the gem model). Plots use matplotlib's Agg backend, so no display is needed."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .harness import Run
from .metrics import exposure_counts, lorenz_curve
from .recs import RecEvaluation

COLUMNS = [("ndcg", "NDCG"), ("recall", "Recall"), ("mrr", "MRR"), ("ndcg@_head", "NDCG head"),
           ("ndcg@_tail", "NDCG tail"), ("ndcg@_cold", "NDCG cold"), ("aplt", "APLT"), ("aclt", "ACLT"),
           ("arp", "ARP"),
           ("coverage", "Cov"), ("gini", "Gini"), ("novelty", "Novelty"), ("pop_lift", "PopLift")]


def _key(col: str, k: int) -> str:
    return col.replace("@", f"@{k}") if "@" in col else f"{col}@{k}"


def _fmt(value: float) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    return f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"


def table(runs: Sequence[Run], k: int, label: str = "system") -> str:
    head = f"| {label} | " + " | ".join(f"{name}@{k}" for _, name in COLUMNS) + " |"
    rule = "|---|" + "---:|" * len(COLUMNS)
    rows = [f"| {r.name} | " + " | ".join(_fmt(r.metrics[_key(c, k)]) for c, _ in COLUMNS) + " |" for r in runs]
    return "\n".join([head, rule, *rows])


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return _finite(obj.item())
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def rec_json(ev: RecEvaluation, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    def runs(rs: Sequence[Run]) -> list[dict[str, Any]]:
        return [{"name": r.name, "config": r.config, "metrics": r.metrics} for r in rs]

    return _finite({
        "summary": ev.summary(),
        "config": ev.cfg.to_dict() | {"systems": ev.system_config} | (extra or {}),
        "tail_definition": ev.cfg.tail.describe(),
        "task": {"name": ev.task.name, "users": ev.task.n_users, "items": ev.task.n_items, "notes": ev.task.notes},
        "systems": runs(list(ev.systems.values())),
        "sweep": runs(ev.sweep),
        "tuning": {"systems": runs(list(ev.tune_systems.values())), "sweep": runs(ev.tune_sweep)},
        "chosen": ev.chosen.name if ev.chosen else None,
        "chosen_without_gem": ev.chosen_without_gem.name if ev.chosen_without_gem else None,
        "chosen_with_gem": ev.chosen_with_gem.name if ev.chosen_with_gem else None,
        "gem_model_cv": ev.gem_cv,
        "significance": ev.significance,
        "goals": ev.goals,
        "gem_vs_penalty": ev.gem_comparison,
        "gem_auc": ev.gem_auc,
        "choice": ev.choice,
        "other_sweeps": runs(ev.other_sweeps),
        "pareto_frontier": [r.name for r in ev.frontier],
        "timings": ev.timings,
    })


def rec_markdown(ev: RecEvaluation, plots: Sequence[str] = ()) -> str:
    k = ev.cfg.k
    lines = [f"# Offline evaluation: {ev.task.name}", "",
             f"{ev.task.n_users} users, {ev.task.n_items} items, K = {k}. {ev.cfg.tail.describe()} "
             f"(`--tail {ev.cfg.tail}`). Popularity = training interactions only. Histories are excluded from "
             f"every list. MRR is MRR@{k}; NDCG uses linear gains.", ""]
    lines += [f"- note: {n}" for n in ev.task.notes]
    lines += ["", "## Systems (reported split)", "", table(list(ev.systems.values()), k), ""]
    chosen = [r for r in (ev.chosen, ev.chosen_without_gem, ev.chosen_with_gem) if r is not None]
    lines += ["## Long-tail configurations chosen on the tuning split", "",
              f"Base system (best relevance-only on the tuning split): **{ev.base}**. Rule: highest APLT@{k} whose "
              f"NDCG@{k} loss against the base on the tuning split is within {ev.cfg.max_ndcg_loss:.0%}"
              + (" at the pessimistic end of its paired 95% bootstrap interval (`choice=robust`)."
                 if ev.cfg.choice == "robust" else " (measured loss, `choice=point`)."), ""]
    lines += _margin_lines(ev)
    if chosen:
        uniq = list({r.name: r for r in [ev.systems[ev.best], *chosen]}.values())
        lines += [table(uniq, k, "configuration"), ""]
        lines += [f"- chosen overall: **{ev.chosen.name if ev.chosen else 'none'}**",
                  f"- penalty only: {ev.chosen_without_gem.name if ev.chosen_without_gem else 'none'}",
                  f"- penalty + gem boost: {ev.chosen_with_gem.name if ev.chosen_with_gem else 'none'}", ""]
    else:
        lines += ["No configuration kept NDCG within the allowed loss on the tuning split.", ""]
    best = ev.systems[ev.best].metrics
    if ev.chosen:
        c = ev.chosen.metrics
        lines += ["## Goals", "",
                  f"Best relevance-only system on the reported split: **{ev.best}** (NDCG@{k} {best[f'ndcg@{k}']:.4f})."
                  , "",
                  "| goal | value | met |", "|---|---|---|",
                  f"| APLT@{k} >= 0.30 | {c[f'aplt@{k}']:.4f} | {ev.goals['aplt_at_least_0.30']} |",
                  f"| coverage@{k} >= 2x best ({2 * best[f'coverage@{k}']:.4f}) | {c[f'coverage@{k}']:.4f} | "
                  f"{ev.goals['coverage_at_least_2x_best']} (attainable: {ev.goals['coverage_2x_attainable']}) |",
                  f"| NDCG@{k} within 10% of best | "
                  f"{(c[f'ndcg@{k}'] / best[f'ndcg@{k}'] - 1) if best[f'ndcg@{k}'] else 0.0:+.1%} | "
                  f"{ev.goals['ndcg_within_10pct']} |",
                  f"| best beats most-popular on NDCG@{k} | {best[f'ndcg@{k}']:.4f} vs "
                  f"{ev.systems['most-popular'].metrics[f'ndcg@{k}']:.4f} | {ev.goals['best_beats_most_popular']} |"]
        if "bm25" in ev.systems:
            lines.append(f"| best beats BM25 on NDCG@{k} | {best[f'ndcg@{k}']:.4f} vs "
                         f"{ev.systems['bm25'].metrics[f'ndcg@{k}']:.4f} | {ev.goals['best_beats_bm25']} |")
        lines.append("")
    if "purchase" in ev.systems:
        lines += _purchase_section(ev)
    if ev.gem_auc:
        lines += _gem_auc_section(ev)
    if ev.significance:
        lines += ["## Significance (chosen vs best relevance-only, per-user, same users)", "",
                  "| metric | mean diff | 95% CI (bootstrap) | bootstrap p | Wilcoxon p |", "|---|---:|---|---:|---:|"]
        for metric in ("ndcg", "recall"):
            s = ev.significance[metric]
            b, w = s["bootstrap"], s["wilcoxon"]
            p_boot = f"< {1 / b['samples']:.3g}" if b["p_value"] == 0 else f"{b['p_value']:.3g}"
            lines.append(f"| {metric}@{k} | {b['mean_diff']:+.4f} | [{b['ci_low']:+.4f}, {b['ci_high']:+.4f}] | "
                         f"{p_boot} | {w['p_value']:.3g} |")
        lines.append("")
    if ev.gem_cv:
        g = ev.gem_cv
        lines += ["## Hidden-gem model (k-fold CV on the reported split's training log)", "",
                  f"Features: {g.get('features', 'embedding')}. Label: {g['label']} (prevalence "
                  f"{g['prevalence']:.3f}). ROC AUC {g['auc_mean']:.3f} ± "
                  f"{g['auc_std']:.3f} over {g['folds']} folds; Brier {g['brier']:.4f} (base rate "
                  f"{g['brier_base_rate']:.4f}).", ""]
    if ev.gem_comparison:
        gains = [g["ndcg_gain"] for g in ev.gem_comparison if g["ndcg_gain"] is not None]
        verdict = ("beats" if gains and min(gains) > 0 else "does not beat" if gains and max(gains) <= 0
                   else "is mixed against" if gains else "cannot be compared with")
        spread = f" (gains from {min(gains):+.4f} to {max(gains):+.4f})" if gains else ""
        lines += ["### Gem boost against the plain popularity penalty (reported split, same APLT)", "",
                  f"The gem boost {verdict} the penalty alone{spread}: NDCG@{k} of each gem configuration minus "
                  f"the penalty-only curve's NDCG@{k} interpolated at the same APLT@{k} (only inside that "
                  f"curve's APLT range).", "",
                  f"| configuration | APLT@{k} | NDCG@{k} | penalty only, same APLT | gain |", "|---|---:|---:|---:|---:|"]
        for g in ev.gem_comparison:
            same = g[f"penalty_only_ndcg@{k}_at_same_aplt"]
            lines.append(f"| {g['configuration']} | {g[f'aplt@{k}']:.4f} | {g[f'ndcg@{k}']:.4f} | "
                         + (f"{same:.4f} | {g['ndcg_gain']:+.4f} |" if same is not None else "outside the curve | - |"))
        lines.append("")
    lines += _frontier_section(ev)
    lines += [f"## Trade-off sweep on the reported split (base {ev.base}; descriptive, not used for the choice)",
              "", table(ev.sweep, k, "configuration"), ""]
    lines += ["## Run", "", "Timings: " + ", ".join(f"{k_} {v:.1f}" for k_, v in ev.timings.items()), ""]
    lines += [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def _margin_lines(ev: RecEvaluation) -> list[str]:
    """By what margin the chosen configuration passed the rule on the tuning split, and what the next one up
    (higher APLT) missed by."""
    rows = ev.choice.get("configurations", [])
    if not rows:
        return []
    pct = lambda row: f"loss {row['loss']:+.1%} (pessimistic {row['loss_high']:+.1%})"  # noqa: E731
    chosen = next((r for r in rows if r["configuration"] == ev.choice["chosen"]), None)
    above = [r for r in rows if chosen is not None and r["aplt@" + str(ev.cfg.k)] > chosen["aplt@" + str(ev.cfg.k)]
             and not r["qualifies"]]
    out = []
    if chosen is not None:
        out.append(f"- margin on the tuning split: {chosen['configuration']}: {pct(chosen)} against the "
                   f"{ev.choice['limit']:.0%} limit")
    if above:
        nxt = above[0]
        out.append(f"- next higher APLT, rejected: {nxt['configuration']}: {pct(nxt)}")
    return out + [""] if out else []


def _frontier_section(ev: RecEvaluation) -> list[str]:
    if not ev.frontier:
        return []
    k = ev.cfg.k
    bases = ", ".join(sorted({r.config["base"] for r in ev.other_sweeps})) or "none"
    return ["## Pareto frontier (reported split; descriptive, not used for the choice)", "",
            f"Every system, the base's full sweep and the exposure sweeps of other bases ({bases}): the runs "
            f"that no other run beats on both NDCG@{k} and APLT@{k}. A store that wants a given long-tail share "
            f"gets the most relevance from the run on this list just above that share.", "",
            table(ev.frontier, k, "configuration"), ""]


def _purchase_section(ev: RecEvaluation) -> list[str]:
    k = ev.cfg.k
    m, e = ev.systems["purchase"].metrics, ev.systems["ease"].metrics
    best = ev.systems[ev.best].metrics
    params = ev.system_config.get("purchase", {})
    lines = ["## The purchase-probability model", "",
             f"Trained on the reported split's training sequences ({params.get('epochs_trained')} epochs, early "
             f"stopping on held-out users; {params.get('fit_seconds', 0.0):.0f} s). Cold targets (never in "
             f"training): {m['cold_targets']:.0f} of {ev.task.n_users}.", "",
             "| goal | value | met |", "|---|---|---|",
             f"| purchase NDCG@{k} >= EASE | {m[f'ndcg@{k}']:.4f} vs {e[f'ndcg@{k}']:.4f} | "
             f"{ev.goals['purchase_at_least_ease']} |",
             f"| purchase tail-target NDCG@{k} >= 2x EASE | {m[f'ndcg@{k}_tail']:.4f} vs "
             f"2 x {e[f'ndcg@{k}_tail']:.4f} | {ev.goals['purchase_tail_at_least_2x_ease']} |",
             f"| best relevance-only NDCG@{k} >= 0.105 | {best[f'ndcg@{k}']:.4f} ({ev.best}) | "
             f"{ev.goals['best_at_least_0.105']} |",
             f"| cold-target NDCG@{k} (purchase / dense / EASE) | {m[f'ndcg@{k}_cold']:.4f} / "
             f"{ev.systems['dense'].metrics[f'ndcg@{k}_cold'] if 'dense' in ev.systems else float('nan'):.4f} / "
             f"{e[f'ndcg@{k}_cold']:.4f} | - |"]
    return lines + [""]


def _gem_auc_section(ev: RecEvaluation) -> list[str]:
    lines = ["## Gem scores: do they predict the next item? (reported split)", "",
             "Item AUC: label = the item is some user's target. Personal AUC: per user whose target is below the "
             "median count, the target against the other below-median items (history removed). Below median = "
             "training count strictly below the catalog's median. Same count: only pairs of below-median items "
             "with equal training counts (in a k-core filtered log, an item with few training interactions has "
             "its others among the targets, so a low count alone predicts a target below the median: see the "
             "training count's own row).", "",
             "| gem score | item AUC (all) | item AUC (below median) | same count | personal AUC (below median) |",
             "|---|---:|---:|---:|---:|"]
    for name, g in ev.gem_auc.items():
        cells = [g.get("auc_all"), g.get("auc_below_median"), g.get("auc_below_median_same_count"),
                 g.get("personal_auc_below_median")]
        lines.append(f"| {name} | " + " | ".join("-" if v is None else f"{v:.3f}" for v in cells) + " |")
    if "purchase (mean probability)" in ev.gem_auc:
        lines += ["", f"Goal: purchase-model gem item AUC below the median >= 0.60: "
                      f"{ev.goals.get('purchase_gem_auc_below_median_at_least_0.60')}."]
    return lines + [""]


# -- plots --------------------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_tradeoff(ev: RecEvaluation, path: Path) -> None:
    plt = _plt()
    k = ev.cfg.k
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, x_metric in zip(axes, ("aplt", "coverage")):
        groups: dict[str, list[Run]] = {}
        for r in ev.sweep:
            label = r.config["reranker"] + (" + gem" if r.config["gem_weight"] else "")
            groups.setdefault(label, []).append(r)
        for label, rs in groups.items():
            xs = [ev.systems[ev.base].metrics[f"{x_metric}@{k}"]] + [r.metrics[f"{x_metric}@{k}"] for r in rs]
            ys = [ev.systems[ev.base].metrics[f"ndcg@{k}"]] + [r.metrics[f"ndcg@{k}"] for r in rs]
            ax.plot(xs, ys, marker="o", ms=3, label=f"{ev.base} + {label}")
        others: dict[str, list[Run]] = {}
        for r in ev.other_sweeps:
            others.setdefault(r.config["base"], []).append(r)
        for base, rs in others.items():
            xs = [ev.systems[base].metrics[f"{x_metric}@{k}"]] + [r.metrics[f"{x_metric}@{k}"] for r in rs]
            ys = [ev.systems[base].metrics[f"ndcg@{k}"]] + [r.metrics[f"ndcg@{k}"] for r in rs]
            ax.plot(xs, ys, ls=":", lw=1, alpha=0.6, label=f"{base} + exposure")
        if x_metric == "aplt" and ev.frontier:
            ax.step([r.metrics[f"aplt@{k}"] for r in ev.frontier], [r.metrics[f"ndcg@{k}"] for r in ev.frontier],
                    where="post", color="black", lw=1.5, alpha=0.7, label="Pareto frontier (all runs)")
        for name, r in ev.systems.items():
            ax.scatter(r.metrics[f"{x_metric}@{k}"], r.metrics[f"ndcg@{k}"], marker="x", color="grey")
            ax.annotate(name, (r.metrics[f"{x_metric}@{k}"], r.metrics[f"ndcg@{k}"]), fontsize=7)
        if ev.chosen:
            ax.scatter(ev.chosen.metrics[f"{x_metric}@{k}"], ev.chosen.metrics[f"ndcg@{k}"], s=120,
                       facecolors="none", edgecolors="red", label=f"chosen: {ev.chosen.name}")
        ax.set_xlabel(f"{x_metric.upper()}@{k}")
        ax.set_ylabel(f"NDCG@{k}")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{ev.task.name}: relevance against long-tail exposure (lambda sweep)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _selected(ev: RecEvaluation) -> list[Run]:
    picks = [ev.systems[ev.best], ev.systems["most-popular"]]
    if ev.chosen:
        picks.append(ev.chosen)
    if "random" in ev.systems:
        picks.append(ev.systems["random"])
    return list({r.name: r for r in picks}.values())


def plot_popularity(ev: RecEvaluation, path: Path) -> None:
    """Share of recommendations falling in each popularity decile of the catalog, against the catalog's 10%."""
    plt = _plt()
    pop = ev.task.popularity()
    order = np.lexsort((np.arange(pop.size), pop))  # least popular first
    decile = np.empty(pop.size, dtype=int)
    decile[order] = np.arange(pop.size) * 10 // pop.size
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / (len(_selected(ev)) + 1)
    ax.bar(np.arange(10) - 0.4 + width / 2, np.full(10, 0.1), width, label="catalog (items)")
    for n, r in enumerate(_selected(ev), 1):
        recs = r.topk[r.topk >= 0]
        share = np.bincount(decile[recs], minlength=10) / max(recs.size, 1)
        ax.bar(np.arange(10) - 0.4 + width / 2 + n * width, share, width, label=r.name)
    ax.set_xticks(range(10), [f"D{d + 1}" for d in range(10)])
    ax.set_xlabel("catalog popularity decile (D1 = least popular items)")
    ax.set_ylabel("share of recommended slots")
    ax.legend(fontsize=7)
    ax.set_title(f"{ev.task.name}: popularity of what was recommended vs the catalog")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_lorenz(ev: RecEvaluation, path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    x, y = lorenz_curve(ev.task.popularity())
    ax.plot(x, y, label="training interactions", linestyle="--")
    for r in _selected(ev):
        x, y = lorenz_curve(exposure_counts(r.topk, ev.task.n_items))
        ax.plot(x, y, label=f"{r.name} (Gini {r.metrics[f'gini@{ev.cfg.k}']:.2f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
    ax.set_xlabel("cumulative share of items (least exposed first)")
    ax.set_ylabel("cumulative share of exposure")
    ax.legend(fontsize=7)
    ax.set_title("Lorenz curve of exposure")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_calibration(cv: dict[str, Any], path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5))
    cal = cv["calibration"]
    ax.plot(cal["mean_predicted"], cal["fraction_positive"], marker="o", label="gem model (out-of-fold)")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, label="perfect calibration")
    ax.set_xlabel("predicted appeal")
    ax.set_ylabel("observed share of appealing items")
    ax.set_title(f"Gem model calibration (AUC {cv['auc_mean']:.3f})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_rec_report(ev: RecEvaluation, out_dir: str | Path, extra_config: dict[str, Any] | None = None
                     ) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"tradeoff": out / "tradeoff.png", "popularity": out / "popularity.png", "lorenz": out / "lorenz.png"}
    plot_tradeoff(ev, paths["tradeoff"])
    plot_popularity(ev, paths["popularity"])
    plot_lorenz(ev, paths["lorenz"])
    if ev.gem_cv:
        paths["calibration"] = out / "gem_calibration.png"
        plot_calibration(ev.gem_cv, paths["calibration"])
    paths["markdown"] = out / "report.md"
    paths["markdown"].write_text(rec_markdown(ev, [p.name for key, p in paths.items() if key != "markdown"]),
                                 encoding="utf-8")
    paths["json"] = out / "report.json"
    paths["json"].write_text(json.dumps(rec_json(ev, extra_config), indent=2), encoding="utf-8")
    return paths
