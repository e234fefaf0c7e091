"""Metric definitions on cases small enough to check by hand, and cross-checks against scikit-learn / scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation.metrics import (PAD, TailDefinition, aclt, aplt, arp, coverage, exposure_counts, gini_index,
                                long_tail_metrics, loo_metrics, lorenz_curve, mrr_at_k, ndcg_at_k, novelty,
                                popularity_lift, recall_at_k)
from evaluation.significance import paired_bootstrap, wilcoxon


def test_ndcg_single_relevant_item_at_rank_two():
    # one relevant item at position 2: DCG = 1/log2(3); ideal DCG = 1/log2(2) = 1
    assert ndcg_at_k(["a", "b", "c"], {"b": 1.0}, 3) == pytest.approx(1 / math.log2(3))


def test_ndcg_graded_by_hand():
    # ranked c(1), a(2), b(0): DCG = 1/log2(2) + 2/log2(3) = 1 + 1.26186 = 2.26186
    # ideal a(2), c(1):       IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.63093 = 2.63093
    assert ndcg_at_k(["c", "a", "b"], {"a": 2.0, "c": 1.0}, 3) == pytest.approx(2.26186 / 2.63093, abs=1e-5)
    # cut at k=1: DCG = 1, IDCG = 2
    assert ndcg_at_k(["c", "a", "b"], {"a": 2.0, "c": 1.0}, 1) == pytest.approx(0.5)
    assert ndcg_at_k(["x"], {}, 5) == 0.0


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 3, 10])
def test_ndcg_matches_sklearn(seed, k):
    from sklearn.metrics import ndcg_score

    rng = np.random.default_rng(seed)
    n = 20
    gains = rng.integers(0, 3, n).astype(float)
    scores = rng.permutation(n).astype(float)  # distinct scores: no tie handling differences
    ranked = list(np.argsort(-scores))
    ours = ndcg_at_k(ranked, {i: g for i, g in enumerate(gains)}, k)
    assert ours == pytest.approx(ndcg_score([gains], [scores], k=k), abs=1e-12)


def test_recall_and_mrr_by_hand():
    assert recall_at_k(["a", "b", "c", "d"], {"b", "d", "z"}, 2) == pytest.approx(1 / 3)  # only b in the top 2
    assert recall_at_k(["a"], set(), 1) == 0.0
    assert mrr_at_k(["a", "b", "c"], {"c"}, 3) == pytest.approx(1 / 3)
    assert mrr_at_k(["a", "b", "c"], {"c"}, 2) == 0.0


def test_leave_one_out_metrics_by_hand():
    topk = np.array([[5, 3, 9], [1, 2, 4]])
    m = loo_metrics(topk, np.array([3, 7]))  # user 0 finds its target at rank 2, user 1 misses
    assert m["recall"].tolist() == [1.0, 0.0]
    assert m["ndcg"][0] == pytest.approx(1 / math.log2(3)) and m["ndcg"][1] == 0.0
    assert m["mrr"].tolist() == [0.5, 0.0]


def test_loo_ndcg_equals_general_ndcg():
    rng = np.random.default_rng(1)
    topk = np.array([rng.permutation(30)[:10] for _ in range(50)])
    targets = rng.integers(0, 30, 50)
    fast = loo_metrics(topk, targets)["ndcg"]
    slow = [ndcg_at_k(list(row), {int(t): 1.0}, 10) for row, t in zip(topk, targets)]
    assert np.allclose(fast, slow)


def test_tail_definitions():
    pop = np.array([10, 0, 5, 1, 8])
    # items:0.2 -> ceil(0.2 * 5) = 1 head item, the most popular (item 0)
    assert TailDefinition.parse("items:0.2").mask(pop).tolist() == [False, True, True, True, True]
    # items:0.4 -> 2 head items: 0 (10) and 4 (8)
    assert TailDefinition.parse("items:0.4").mask(pop).tolist() == [False, True, True, True, False]
    # count:1 -> tail = at most 1 interaction
    assert TailDefinition.parse("count:1").mask(pop).tolist() == [False, True, False, True, False]
    # interactions:0.5 -> total 24; item 0 starts at 0% and item 4 at 10/24 = 42% (< 50%): head; item 2 at 75%
    assert TailDefinition.parse("interactions:0.5").mask(pop).tolist() == [False, True, True, True, False]
    with pytest.raises(ValueError, match="items:SHARE"):
        TailDefinition.parse("bottom80")
    with pytest.raises(ValueError, match="between 0 and 1"):
        TailDefinition.parse("items:1.5")


def test_long_tail_family_by_hand():
    topk = np.array([[0, 1], [2, 3]])
    tail = np.array([False, True, True, True, True])
    pop = np.array([10.0, 2.0, 4.0, 0.0, 1.0])
    assert aplt(topk, tail) == pytest.approx(0.75)       # user 0: 1/2 tail, user 1: 2/2 -> mean 0.75
    assert aclt(topk, tail) == pytest.approx(1.5)        # 1 and 2 tail items -> mean 1.5
    assert arp(topk, pop) == pytest.approx(4.0)          # (10+2)/2 = 6 and (4+0)/2 = 2 -> mean 4
    assert coverage(topk, 5) == pytest.approx(0.8)       # 4 distinct of 5 items
    assert exposure_counts(topk, 5).tolist() == [1, 1, 1, 1, 0]


def test_padding_is_ignored():
    topk = np.array([[0, PAD], [1, 2]])
    tail = np.array([False, True, True])
    assert aplt(topk, tail) == pytest.approx(0.5)        # user 0: 0/1, user 1: 2/2
    assert coverage(topk, 3) == pytest.approx(1.0)


def test_gini_by_hand_and_against_mean_absolute_difference():
    # one item gets all exposure among 4: sum_j (2j - 5) x_j / (4 * 10) = 3 * 10 / 40 = 0.75
    assert gini_index(np.array([0, 0, 0, 10])) == pytest.approx(0.75)
    assert gini_index(np.array([3, 3, 3])) == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.integers(0, 20, 30).astype(float)
        mad = np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size ** 2 * x.mean())
        assert gini_index(x) == pytest.approx(mad)


def test_novelty_and_popularity_lift_by_hand():
    pop = np.array([4.0, 1.0])
    # 8 users: p = 4/8 -> 1 bit, p = 1/8 -> 3 bits; mean 2 bits
    assert novelty(np.array([[0, 1]]), pop, 8) == pytest.approx(2.0)
    # lists average 10 interactions, profiles average 2: lift (10 - 2) / 2 = 4
    assert popularity_lift(np.array([[0]]), np.array([10.0, 2.0]), [[1]]) == pytest.approx(4.0)


def test_lorenz_curve_ends():
    x, y = lorenz_curve(np.array([0, 0, 5, 5]))
    assert x[0] == 0 and y[0] == 0 and x[-1] == 1 and y[-1] == pytest.approx(1)
    assert y[2] == pytest.approx(0.0)  # the two unexposed items hold nothing


def test_long_tail_metrics_keys():
    got = long_tail_metrics(np.array([[0, 1]]), np.array([3.0, 1.0]), np.array([False, True]), 4, [[0]])
    assert set(got) == {"aplt", "aclt", "arp", "coverage", "gini", "novelty", "pop_lift"}


def test_significance_detects_a_real_difference_and_not_a_null_one():
    rng = np.random.default_rng(0)
    b = rng.random(400)
    better = b + 0.05 + rng.normal(0, 0.01, 400)
    boot = paired_bootstrap(better, b, samples=500)
    assert boot["ci_low"] > 0 and boot["p_value"] < 0.01
    assert wilcoxon(better, b)["p_value"] < 1e-6
    assert paired_bootstrap(b, b, samples=200)["p_value"] == 1.0
    assert wilcoxon(b, b)["p_value"] == 1.0
    noise = b + rng.normal(0, 0.05, 400)
    assert wilcoxon(noise, b)["p_value"] > 0.001
