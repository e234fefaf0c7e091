"""The hidden-gem model: learnable synthetic appeal is found by cross-validation; scores feed hidden_gems."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from retrieval.gems import appeal_labels, hidden_gems, item_features, train_gem_model
from retrieval import HashEmbedder, Item, Popularity

NOUNS = ["lamp", "chair", "mug", "rug", "shelf", "clock", "vase", "desk"]


def synthetic_catalog(n: int = 240, seed: int = 0) -> tuple[list[Item], dict[str, float]]:
    """Items whose text says "handcrafted walnut" sell ~10x more: appeal is learnable from text alone."""
    rng = np.random.default_rng(seed)
    items, counts = [], {}
    for i in range(n):
        appealing = i % 2 == 0
        words = "handcrafted walnut" if appealing else "plastic basic"
        items.append(Item(id=f"G{i:03d}", title=f"{words} {NOUNS[i % len(NOUNS)]} {i}", brand=f"b{i % 7}"))
        counts[items[-1].id] = float(rng.poisson(30 if appealing else 3))
    return items, counts


def test_labels_are_above_the_median():
    # counts 0, 1, 5, 9: median 3 -> the two items above it are "appealing"; never-seen ids count 0
    assert appeal_labels({"a": 1, "b": 5, "c": 9}, ["z", "a", "b", "c"]).tolist() == [0, 0, 1, 1]


def test_features_have_one_row_per_item():
    items, _ = synthetic_catalog(10)
    vectors = HashEmbedder(16).encode([i.embedding_text() for i in items])
    assert item_features(items, vectors).shape == (10, 16 + 7)


@pytest.mark.parametrize("text", ["tfidf", "embedding"])
def test_cross_validated_auc_finds_learnable_appeal(text):
    items, counts = synthetic_catalog()
    vectors = HashEmbedder(64).encode([i.embedding_text() for i in items])
    model = train_gem_model(items, counts, vectors=vectors, folds=5, seed=0, text=text, c=1.0)
    cv = model.cv
    assert cv["folds"] == 5 and len(cv["auc_folds"]) == 5
    assert cv["auc_mean"] > 0.9                    # the words decide appeal
    assert cv["brier"] < cv["brier_base_rate"]     # better than predicting the base rate
    assert len(cv["calibration"]["mean_predicted"]) == len(cv["calibration"]["fraction_positive"]) > 0
    appealing = np.mean([model.oof[i.id] for i in items if "walnut" in i.title])
    plain = np.mean([model.oof[i.id] for i in items if "plastic" in i.title])
    assert appealing > plain + 0.3


def test_unlearnable_appeal_stays_near_chance():
    items, _ = synthetic_catalog()
    rng = np.random.default_rng(1)
    counts = {i.id: float(rng.poisson(10)) for i in items}  # popularity unrelated to text
    vectors = HashEmbedder(64).encode([i.embedding_text() for i in items])
    for text in ("tfidf", "embedding"):
        assert abs(train_gem_model(items, counts, vectors=vectors, text=text).cv["auc_mean"] - 0.5) < 0.15


def test_scores_for_new_items_and_hidden_gems():
    items, counts = synthetic_catalog()
    embedder = HashEmbedder(64)
    model = train_gem_model(items, counts, embedder=embedder, text="embedding", c=1.0)
    new = [Item(id="N1", title="handcrafted walnut lamp 999"), Item(id="N2", title="plastic basic mug 998")]
    scores = model.scores(new)  # not trained on: the full model predicts them from text
    assert scores["N1"] > scores["N2"]
    pop = Popularity({**counts, "N1": 0.0, "N2": 0.0}, ids=[*counts, "N1", "N2"])
    gems = hidden_gems({**model.oof, **scores}, pop, n=5)
    assert len(gems) == 5 and all(g["bucket"] != "head" for g in gems)
    assert [g["gem_score"] for g in gems] == sorted((g["gem_score"] for g in gems), reverse=True)
    assert gems[0]["id"] == "N1" or gems[0]["gem_score"] >= scores["N1"]


def test_uniform_log_is_refused():
    items, _ = synthetic_catalog(20)
    with pytest.raises(ValueError, match="same appeal label"):
        train_gem_model(items, {i.id: 1.0 for i in items})


@pytest.mark.parametrize("features", ["tfidf", "embedding"])
def test_gems_command_on_the_demo_store(tmp_path, features):
    from longtail.cli import cli
    from longtail.demo import DATA_DIR

    if not (DATA_DIR / "items.jsonl").exists():
        pytest.skip("the demo store data is not generated yet")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "--embedding-model", "hash-64",
                                      "--chroma-mode", "ephemeral", "gems", "-n", "5", "--folds", "3", "--features", features,
                                      "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output[result.output.index("{"):])
    assert 0 <= out["cv"]["auc_mean"] <= 1 and len(out["gems"]) == 5
    assert all(g["bucket"] != "head" and g["title"] for g in out["gems"])
