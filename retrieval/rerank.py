"""Long-tail re-rankers. Each takes candidates with a normalised relevance (top = 1) and a popularity/exposure
penalty in [0, 1], and has one knob, ``lam``:

* :func:`exposure_rerank`: score = relevance - lam * penalty (+ lam * boost, the hidden-gem bonus).
  A long-tail item outranks a head item exactly when its score is higher by these numbers.
* :func:`xquad_rerank`: greedy xQuAD over the two "aspects" head and long tail (Abdollahpouri et al. 2019,
  smoothed form), then a guarantee: at least ``min_tail_share`` of the top k are long-tail items when enough
  relevant ones exist.

Both keep a relevance floor: a candidate whose relevance is below ``floor`` (a fraction of the best
candidate's) is never promoted; it can only appear where relevance alone would put it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Candidate:
    id: str
    relevance: float
    penalty: float = 0.0
    long_tail: bool = False
    boost: float = 0.0
    score: float = 0.0  # set by the re-ranker


def _eligible(cands: list[Candidate], floor: float) -> tuple[list[Candidate], list[Candidate]]:
    best = max((c.relevance for c in cands), default=0.0)
    threshold = floor * best
    return [c for c in cands if c.relevance >= threshold], [c for c in cands if c.relevance < threshold]


def by_relevance(cands: list[Candidate]) -> list[Candidate]:
    for c in cands:
        c.score = c.relevance
    return sorted(cands, key=lambda c: (-c.relevance, c.id))


def exposure_rerank(cands: list[Candidate], lam: float, floor: float = 0.0) -> list[Candidate]:
    eligible, below = _eligible(cands, floor)
    for c in eligible:
        c.score = c.relevance - lam * c.penalty + lam * c.boost
    for c in below:
        c.score = c.relevance
    ranked = sorted(eligible, key=lambda c: (-c.score, c.id))
    # Items under the floor never move up: they follow the eligible ones, in relevance order.
    return ranked + sorted(below, key=lambda c: (-c.relevance, c.id))


def xquad_rerank(cands: list[Candidate], k: int, lam: float, min_tail_share: float = 0.0,
                 floor: float = 0.0) -> list[Candidate]:
    eligible, below = _eligible(cands, floor)
    pool = sorted(eligible, key=lambda c: (-c.relevance, c.id))
    chosen: list[Candidate] = []
    n_tail = 0
    while pool and len(chosen) < k:
        tail_ratio = n_tail / len(chosen) if chosen else 0.0
        best, best_score = None, -math.inf
        for c in pool:
            # smoothed xQuAD: half the preference mass on each aspect, discounted by how covered it already is
            coverage = (1.0 - tail_ratio) if c.long_tail else tail_ratio if chosen else 1.0
            score = (1 - lam) * c.relevance + lam * 0.5 * coverage + lam * c.boost
            if score > best_score:
                best, best_score = c, score
        best.score = best_score
        chosen.append(best)
        pool.remove(best)
        n_tail += best.long_tail
    # Guarantee the minimum share: swap the weakest head picks for the most relevant eligible tail items left.
    need = math.ceil(min_tail_share * min(k, len(chosen))) - n_tail
    spare_tail = [c for c in pool if c.long_tail]
    heads = [i for i, c in enumerate(chosen) if not c.long_tail]
    swaps = min(max(need, 0), len(heads), len(spare_tail))
    # the weakest head slots, top to bottom, receive the most relevant spare tail items in order
    for slot, incoming in zip(sorted(heads[len(heads) - swaps:]), spare_tail[:swaps]):
        incoming.score = chosen[slot].score
        pool.append(chosen[slot])
        pool.remove(incoming)
        chosen[slot] = incoming
    rest = sorted(pool, key=lambda c: (-c.relevance, c.id))
    for c in rest:
        c.score = (1 - lam) * c.relevance
    for c in below:
        c.score = (1 - lam) * c.relevance
    return chosen + rest + sorted(below, key=lambda c: (-c.relevance, c.id))
