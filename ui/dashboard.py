"""The exposure dashboard: who gets shown. Share of impressions going to head / mid / tail items over time,
the Lorenz curve and Gini coefficient of exposure over the whole catalog, the items never shown, and the
re-ranker and lambda the store runs with.

``exposure_report`` is pure (numbers from the impression log and the popularity buckets); ``figures`` draws
them with matplotlib (Agg backend, no display needed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

BUCKETS = ("head", "mid", "tail")


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values: 0 = perfectly even, ->1 = all on one item. 0 when all zero."""
    xs = sorted(float(v) for v in values)
    n, total = len(xs), sum(xs)
    if n == 0 or total <= 0:
        return 0.0
    weighted = sum(i * x for i, x in enumerate(xs, 1))
    return 2.0 * weighted / (n * total) - (n + 1.0) / n


def lorenz(values: Sequence[float]) -> tuple[list[float], list[float]]:
    """Lorenz curve points (share of items, share of exposure), from (0, 0) to (1, 1)."""
    xs = sorted(float(v) for v in values)
    n, total = len(xs), sum(xs)
    px, py, running = [0.0], [0.0], 0.0
    for i, x in enumerate(xs, 1):
        running += x
        px.append(i / n)
        py.append(running / total if total else i / n)
    return px, py


@dataclass
class ExposureReport:
    items: int
    impressions: int
    gini: float
    lorenz_x: list[float]
    lorenz_y: list[float]
    never_shown: list[str]
    bucket_items: dict[str, int]  # items per popularity bucket in the catalog
    bucket_impressions: dict[str, int]  # impressions per bucket, all time
    times: list[float] = field(default_factory=list)  # bin starts (unix seconds)
    shares: dict[str, list[float]] = field(default_factory=dict)  # bucket -> share of impressions per bin
    reranker: str = ""
    lam: float = 0.0

    def summary(self) -> dict[str, Any]:
        total = max(self.impressions, 1)
        return {
            "items": self.items,
            "impressions": self.impressions,
            "gini": round(self.gini, 4),
            "never_shown": len(self.never_shown),
            "never_shown_share": round(len(self.never_shown) / max(self.items, 1), 4),
            "share_of_catalog": {
                b: round(self.bucket_items.get(b, 0) / max(self.items, 1), 4) for b in BUCKETS
            },
            "share_of_impressions": {b: round(self.bucket_impressions.get(b, 0) / total, 4) for b in BUCKETS},
            "reranker": self.reranker,
            "lambda": self.lam,
        }

    def markdown(self) -> str:
        s = self.summary()
        rows = "\n".join(
            f"| {b} | {s['share_of_catalog'][b]:.1%} | {s['share_of_impressions'][b]:.1%} |" for b in BUCKETS
        )
        return (
            f"**Re-ranker:** `{s['reranker']}` with **λ = {s['lambda']:g}** · **{s['impressions']:,}** "
            f"impressions over **{s['items']:,}** items · **Gini of exposure: {s['gini']:.3f}** · "
            f"**{s['never_shown']:,}** items never shown ({s['never_shown_share']:.1%})\n\n"
            f"| bucket | share of catalog | share of impressions |\n|---|---|---|\n{rows}"
        )


def exposure_report(
    impressions: Sequence[tuple],
    bucket: Mapping[str, str],
    item_ids: Sequence[str],
    reranker: str = "",
    lam: float = 0.0,
    bins: int = 12,
) -> ExposureReport:
    """Numbers for the dashboard. ``impressions`` rows are ``CatalogDB.impressions()`` tuples
    (ts, session_id, item_id, position, query, source); ``bucket`` maps item id -> head|mid|tail."""
    counts = Counter(row[2] for row in impressions)
    ids = list(item_ids)
    known = set(ids)
    values = [counts.get(i, 0) for i in ids]
    px, py = lorenz(values)
    bucket_items = Counter(bucket.get(i, "tail") for i in ids)
    bucket_impr = Counter(bucket.get(row[2], "tail") for row in impressions if row[2] in known)
    report = ExposureReport(
        items=len(ids),
        impressions=len(impressions),
        gini=gini(values),
        lorenz_x=px,
        lorenz_y=py,
        never_shown=[i for i in ids if counts.get(i, 0) == 0],
        bucket_items=dict(bucket_items),
        bucket_impressions=dict(bucket_impr),
        reranker=reranker,
        lam=lam,
    )
    if impressions:
        start, end = min(r[0] for r in impressions), max(r[0] for r in impressions)
        n_bins = max(1, min(bins, len(impressions)))
        width = (end - start) / n_bins or 1.0
        per_bin = [Counter() for _ in range(n_bins)]
        for row in impressions:
            per_bin[min(int((row[0] - start) / width), n_bins - 1)][bucket.get(row[2], "tail")] += 1
        keep = [n for n, c in enumerate(per_bin) if sum(c.values())]
        report.times = [start + n * width for n in keep]
        report.shares = {b: [per_bin[n][b] / sum(per_bin[n].values()) for n in keep] for b in BUCKETS}
    return report


def store_report(store: Any, bins: int = 12) -> ExposureReport:
    """The report for a live ``retrieval.Store`` (its impression log, buckets and settings)."""
    pop = store.searcher.popularity
    return exposure_report(
        store.db.impressions(),
        pop.bucket,
        list(store.db.items()),
        store.config.reranker,
        store.config.lambda_,
        bins,
    )


def figures(report: ExposureReport) -> tuple[Any, Any]:
    """(share of impressions per bucket over time, Lorenz curve) as matplotlib figures."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    colors = {"head": "#9ca3af", "mid": "#60a5fa", "tail": "#7c3aed"}
    over_time = Figure(figsize=(6.4, 3.4), layout="constrained")
    ax = over_time.add_subplot()
    if report.times:
        when = [datetime.fromtimestamp(t, tz=UTC) for t in report.times]
        ax.stackplot(
            when,
            *[report.shares[b] for b in BUCKETS],
            labels=BUCKETS,
            colors=[colors[b] for b in BUCKETS],
            alpha=0.9,
        )
        over_time.autofmt_xdate()
        ax.legend(loc="upper left", fontsize="small")
    else:
        ax.text(0.5, 0.5, "no impressions yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of impressions")
    ax.set_title(f"Impressions by popularity bucket ({report.reranker}, λ={report.lam:g})")

    curve = Figure(figsize=(4.2, 3.8), layout="constrained")
    ax2 = curve.add_subplot()
    ax2.plot([0, 1], [0, 1], linestyle="--", color="#9ca3af", label="equal exposure")
    ax2.plot(report.lorenz_x, report.lorenz_y, color="#7c3aed", label="observed")
    ax2.fill_between(report.lorenz_x, report.lorenz_y, report.lorenz_x, color="#7c3aed", alpha=0.12)
    ax2.set_xlabel("share of items (least shown first)")
    ax2.set_ylabel("share of impressions")
    ax2.set_title(f"Lorenz curve of exposure, Gini = {report.gini:.3f}")
    ax2.legend(loc="upper left", fontsize="small")
    return over_time, curve
