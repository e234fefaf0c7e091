"""Item popularity (from the interaction log, else rating counts), exposure (from the impression log) and the
head / mid / tail buckets the re-rankers and the reports use.

Buckets follow Abdollahpouri et al. (2019): sort items by popularity; *head* = the most popular items that
together hold ``head_share`` of all interactions, *tail* = the least popular items that together hold
``tail_share`` of them, *mid* = the rest. "Long tail" elsewhere means "not head".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping


def log_normalise(counts: Mapping[str, float], ids: Iterable[str]) -> dict[str, float]:
    """log1p(count) / log1p(max count): 0 for never-seen items, 1 for the most popular."""
    ids = list(ids)
    top = max((counts.get(i, 0.0) for i in ids), default=0.0)
    if top <= 0:
        return {i: 0.0 for i in ids}
    scale = math.log1p(top)
    return {i: math.log1p(max(counts.get(i, 0.0), 0.0)) / scale for i in ids}


def buckets(counts: Mapping[str, float], ids: Iterable[str], head_share: float = 0.2,
            tail_share: float = 0.2) -> dict[str, str]:
    ids = sorted(ids, key=lambda i: (-counts.get(i, 0.0), i))
    total = sum(counts.get(i, 0.0) for i in ids)
    out: dict[str, str] = {}
    running = 0.0
    for i in ids:
        share_before = running / total if total else 1.0
        running += counts.get(i, 0.0)
        if total and share_before < head_share:
            out[i] = "head"
        elif not total or share_before >= 1.0 - tail_share:
            out[i] = "tail"
        else:
            out[i] = "mid"
    return out


@dataclass
class Popularity:
    counts: dict[str, float]
    exposure: dict[str, int] = field(default_factory=dict)
    head_share: float = 0.2
    tail_share: float = 0.2
    exposure_weight: float = 0.5
    ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ids = self.ids or list(self.counts)
        self.pop_norm = log_normalise(self.counts, self.ids)
        self.bucket = buckets(self.counts, self.ids, self.head_share, self.tail_share)
        self.set_exposure(self.exposure)

    def set_exposure(self, exposure: Mapping[str, int]) -> None:
        self.exposure = dict(exposure)
        self.exp_norm = log_normalise(self.exposure, self.ids)

    def penalty(self, item_id: str) -> float:
        """The normalised popularity/exposure term the re-rankers subtract, in [0, 1]."""
        pop = self.pop_norm.get(item_id, 0.0)
        if not self.exposure:
            return pop
        w = self.exposure_weight
        return (1 - w) * pop + w * self.exp_norm.get(item_id, 0.0)

    def is_long_tail(self, item_id: str) -> bool:
        return self.bucket.get(item_id, "tail") != "head"

    @classmethod
    def from_store(cls, db, items: Mapping, head_share: float = 0.2, tail_share: float = 0.2,
                   exposure_weight: float = 0.5) -> "Popularity":
        """Interaction counts when the store has a log, else the catalog's rating counts."""
        counts = db.interaction_counts()
        if not counts:
            counts = {i: float(item.rating_count) for i, item in items.items()}
        return cls(counts, db.exposure_counts(), head_share, tail_share, exposure_weight, ids=list(items))
