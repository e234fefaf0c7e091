"""Paired significance tests on per-user metrics: a paired bootstrap of the mean difference and the Wilcoxon
signed-rank test (scipy). Both compare the *same users* under two systems."""

from __future__ import annotations

import numpy as np


def paired_bootstrap(a: np.ndarray, b: np.ndarray, samples: int = 1000, seed: int = 0) -> dict[str, float]:
    """Mean of ``a - b``, its 95% percentile interval, and the two-sided bootstrap p-value (how often the
    resampled mean difference falls on the other side of zero, doubled)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("paired_bootstrap needs two non-empty arrays over the same users.")
    diff = a - b
    rng = np.random.default_rng(seed)
    means = np.array([diff[rng.integers(0, diff.size, diff.size)].mean() for _ in range(samples)])
    observed = float(diff.mean())
    if observed >= 0:
        p = 2 * float((means <= 0).mean())
    else:
        p = 2 * float((means >= 0).mean())
    return {"mean_diff": observed, "ci_low": float(np.percentile(means, 2.5)),
            "ci_high": float(np.percentile(means, 97.5)), "p_value": min(p, 1.0), "samples": samples}


def wilcoxon(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Wilcoxon signed-rank test on the paired differences (zero differences dropped, scipy's default)."""
    from scipy.stats import wilcoxon as scipy_wilcoxon

    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    nonzero = int((diff != 0).sum())
    if nonzero == 0:
        return {"statistic": 0.0, "p_value": 1.0, "nonzero_pairs": 0}
    result = scipy_wilcoxon(diff[diff != 0])
    return {"statistic": float(result.statistic), "p_value": float(result.pvalue), "nonzero_pairs": nonzero}


def compare(a: np.ndarray, b: np.ndarray, samples: int = 1000, seed: int = 0) -> dict[str, dict]:
    return {"bootstrap": paired_bootstrap(a, b, samples, seed), "wilcoxon": wilcoxon(a, b)}
