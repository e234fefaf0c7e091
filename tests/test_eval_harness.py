"""The recommendation harness end to end on a tiny synthetic UniSRec dataset (HashEmbedder), the systems on
hand-checkable cases, and the re-ranking path checked against the product's own Searcher.rank."""

from __future__ import annotations

import json
from pathlib import Path

import chromadb
import numpy as np
import pytest
from click.testing import CliRunner

from evaluation.data import RecTask, from_interactions, load_sequence_split, load_unisrec
from evaluation.harness import (Candidates, EvalConfig, Run, choose, ndcg_loss, pareto_front, product_popularity,
                                rerank, run_systems)
from evaluation.recs import evaluate_recommendations
from evaluation.report import write_rec_report
from evaluation.systems import EASE, MostPopular, RRFHybrid, build_systems, item_vectors, top_k
from longtail.config import Settings
from retrieval import CatalogDB, HashEmbedder, Item, SearchParams, Store
from retrieval.recommender import RecommenderConfig

WORDS = ["drill", "glue", "filament", "glove", "microscope"]


def write_unisrec(folder: Path, n_users: int = 150, per_cluster: int = 12, seed: int = 0) -> Path:
    """5 product families with disjoint vocabularies; each user buys within one family, with a popularity
    skew inside it, so collaborative and text signals both predict the next item and random does not."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    n_items = per_cluster * len(WORDS)
    asins = [f"I{n:04d}" for n in range(n_items)]
    with (folder / "Toy.text").open("w") as fh:
        fh.write("item_id:token\ttext:token_seq\n")
        for n, asin in enumerate(asins):
            word = WORDS[n // per_cluster]
            fh.write(f"{asin}\t{word.title()} {word} model {n} kit. Industrial & Scientific {word.title()} "
                     f"Supplies. Brand{n % 3}. \n")
    order = rng.permutation(n_items)  # item indices are shuffled relative to the text file order
    (folder / "Toy.item2index").write_text("".join(f"{asins[n]}\t{order[n]}\n" for n in range(n_items)))
    weights = 1.0 / np.arange(1, per_cluster + 1)
    weights /= weights.sum()
    with (folder / "Toy.valid.inter").open("w") as fh:
        fh.write("user_id:token\titem_id_list:token_seq\titem_id:token\n")
        for user in range(n_users):
            cluster = user % len(WORDS)
            members = rng.choice(per_cluster, size=6, replace=False, p=weights) + cluster * per_cluster
            seq = [int(order[m]) for m in members]
            fh.write(f"{user}\t{' '.join(map(str, seq[:-1]))}\t{seq[-1]}\n")
    return folder


@pytest.fixture
def toy(tmp_path) -> RecTask:
    return load_unisrec(write_unisrec(tmp_path / "toy"), "valid")


def test_loading_maps_indices_to_items(toy):
    assert toy.n_items == 60 and toy.n_users == 150
    # every history item of user 0 is in the same family as its target (by construction)
    family = [w for w in WORDS if w in toy.items[int(toy.targets[0])].title.lower()][0]
    assert all(family in toy.items[i].title.lower() for i in toy.histories[0])


def test_tuning_split_never_sees_the_target(toy):
    tune = toy.holdout_last()
    assert tune.n_users == toy.n_users
    assert tune.targets[0] == toy.histories[0][-1]
    assert tune.histories[0] == toy.histories[0][:-1]
    # popularity on the tuning split counts one interaction fewer per user: the held-out ones
    assert tune.popularity().sum() == toy.popularity().sum() - toy.n_users


def test_from_interactions_uses_the_last_purchase():
    items = [Item(id=f"X{n}", title=f"thing {n}") for n in range(4)]
    rows = [("u", "X2", "view", "0"), ("u", "X0", "view", "1"), ("u", "X1", "purchase", "2"),
            ("u", "X2", "purchase", "3"), ("u", "X3", "view", "4"),
            ("v", "X3", "view", "1"),                                # v never purchases: left out
            ("w", "X1", "view", "1"), ("w", "X1", "purchase", "2")]  # w only viewed its target: left out
    task = from_interactions(items, rows, "t")
    # u's target is X2 (last purchase); the earlier view of X2 would leak it, the view of X3 comes after
    assert task.users == ["u"] and task.targets.tolist() == [2] and task.histories == [[0, 1]]


def test_top_k_breaks_ties_by_index():
    scores = np.array([[0.5, 0.9, 0.5, 0.1]])
    assert top_k(scores, 3).tolist() == [[1, 0, 2]]


def test_ease_closed_form_by_hand():
    # two users bought {0, 1}, one bought {1, 2}: with l2 = 0.5, item 0 predicts item 1 strongly
    task = RecTask("t", [Item(id=str(n), title=str(n)) for n in range(3)], ["a", "b", "c"],
                   [[0, 1], [0, 1], [1, 2]], np.array([0, 0, 0]))
    ease = EASE(l2=0.5).fit(task)
    gram = np.array([[2, 2, 0], [2, 3, 1], [0, 1, 1]], dtype=float) + 0.5 * np.eye(3)
    p = np.linalg.inv(gram)
    expected = -p / np.diag(p)[None, :]
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(ease.b, expected, atol=1e-6)
    assert np.diag(ease.b).tolist() == [0.0, 0.0, 0.0]
    scores = ease.scores([[0]])[0]
    assert scores[1] > scores[2]


def test_rrf_fusion_matches_the_formula(toy):
    pop = MostPopular().fit(toy)
    hybrid = RRFHybrid("h", [(pop, 1.0)], candidates=5).fit(toy)
    fused = hybrid.scores([[]])[0]
    order = np.argsort(-fused, kind="stable")[:5]
    assert np.allclose(fused[order], 1.0 / (60 + np.arange(1, 6)))
    assert (fused > 0).sum() == 5


def test_vectors_are_cached(toy, tmp_path):
    first = item_vectors(toy.items, HashEmbedder(32), tmp_path / "cache", progress=False)
    files = list((tmp_path / "cache").glob("vectors-*.npy"))
    assert len(files) == 1 and first.shape == (60, 32)
    assert np.array_equal(item_vectors(toy.items, HashEmbedder(32), tmp_path / "cache", progress=False), first)


def test_end_to_end_on_a_tiny_dataset(toy, tmp_path):
    vectors = item_vectors(toy.items, HashEmbedder(64), None, progress=False)
    small = RecommenderConfig(dim=16, layers=1, max_len=8, negatives=32, lr=5e-3, epochs=6, patience=2)
    cfg = EvalConfig(progress=False, bootstrap=100, lambdas=(0.1, 0.5, 2.0), max_ndcg_loss=0.2, floor=0.0,
                     purchase_config=small)
    ev = evaluate_recommendations(toy, vectors, cfg)
    k = cfg.k
    names = {"random", "most-popular", "itemknn", "ease", "ease-recency", "bm25", "dense", "hybrid", "hybrid+cf",
             "purchase", "hybrid+cf+purchase"}
    assert set(ev.systems) == names
    rnd = ev.systems["random"].metrics[f"ndcg@{k}"]
    for name in ("ease", "ease-recency", "itemknn", "dense", "bm25", "hybrid", "hybrid+cf", "purchase",
                 "hybrid+cf+purchase"):
        assert ev.systems[name].metrics[f"ndcg@{k}"] > rnd + 0.1, name
    for run in [*ev.systems.values(), *ev.sweep]:
        m = run.metrics
        assert 0 <= m[f"ndcg@{k}"] <= m[f"recall@{k}"] <= 1
        assert 0 <= m[f"aplt@{k}"] <= 1 and 0 < m[f"coverage@{k}"] <= 1 and 0 <= m[f"gini@{k}"] <= 1
    # lambda sweep: 2 re-rankers x 2 gem weights x 3 lambdas, minus xQuAD at lambda 2 (> 1 is meaningless)
    assert len(ev.sweep) == 10
    # a strong exposure penalty moves exposure towards the tail compared with the base system
    strong = [r for r in ev.sweep if r.config == {**r.config, "reranker": "exposure", "lambda": 2.0,
                                                  "gem_weight": 0.0}][0]
    base = ev.systems[ev.base].metrics
    assert strong.metrics[f"arp@{k}"] < base[f"arp@{k}"] and strong.metrics[f"aplt@{k}"] >= base[f"aplt@{k}"]
    assert ev.chosen is not None and ev.chosen.config["lambda"] in cfg.lambdas
    assert set(ev.significance) == {"ndcg", "recall", "compared"}
    paths = write_rec_report(ev, tmp_path / "report")
    report = json.loads(paths["json"].read_text())
    assert report["config"]["tail"] == "items:0.2" and report["chosen"] == ev.chosen.name
    assert report["config"]["systems"]["ease"] == {"l2": 300.0}
    assert report["config"]["systems"]["ease-recency"] == {"l2": 300.0, "decay": 0.8}
    assert report["config"]["systems"]["hybrid+cf"]["parts"] == {"ease-recency": 0.6, "dense": 0.2, "bm25": 0.2}
    assert {s["name"] for s in report["systems"]} == names
    assert report["config"]["systems"]["hybrid+cf+purchase"]["parts"] == {"purchase": 0.4, "ease-recency": 0.4,
                                                                           "dense": 0.1, "bm25": 0.1}
    assert report["config"]["systems"]["purchase"]["epochs_trained"] >= 1
    # the toy has no cold targets (every item occurs in some history); the figure is there, and zero
    assert ev.systems["purchase"].metrics["cold_targets"] == 0 and f"ndcg@{k}_cold" in ev.systems["ease"].metrics
    # gem scores are judged on what users want next: both the text model's and the purchase model's
    assert set(report["gem_auc"]) == {"tfidf", "purchase (mean probability)", "purchase (per user)",
                                      "training count"}
    for row in report["gem_auc"].values():
        assert 0.0 <= row["personal_auc_below_median"] <= 1.0
    # within the user's family the purchase model ranks the target above most other rarely-bought items
    assert report["gem_auc"]["purchase (per user)"]["personal_auc_below_median"] > 0.7
    text = paths["markdown"].read_text()
    assert "| hybrid+cf |" in text and "## The purchase-probability model" in text and "NDCG cold" in text
    # the frontier spans every system and the other bases' sweeps; nothing off it beats a run on it
    assert {r.config["base"] for r in ev.other_sweeps} == set(cfg.frontier_bases) - {ev.base}
    everything = [*ev.systems.values(), *ev.sweep, *ev.other_sweeps]
    assert ev.frontier and all(any(f is r for r in everything) for f in ev.frontier)
    for f in ev.frontier:
        assert not any(r.metrics[f"aplt@{k}"] >= f.metrics[f"aplt@{k}"] and
                       r.metrics[f"ndcg@{k}"] > f.metrics[f"ndcg@{k}"] for r in everything), f.name
    assert report["pareto_frontier"] == [r.name for r in ev.frontier] and "## Pareto frontier" in text
    assert report["choice"]["chosen"] == ev.choice["chosen"] and "margin on the tuning split" in text
    for key in ("tradeoff", "popularity", "lorenz", "calibration"):
        assert paths[key].read_bytes()[:4] == b"\x89PNG"


def test_rerank_matches_the_products_searcher(toy, tmp_path):
    """The harness re-ranks a candidate list exactly as Searcher.rank does with the same inputs: a single
    system's list through RRF fusion, a hybrid's already-fused scores through score fusion."""
    vectors = item_vectors(toy.items, HashEmbedder(64), None, progress=False)
    systems = build_systems(toy, vectors)
    cfg = EvalConfig(progress=False)
    _, cands = run_systems([s for s in systems if s.name in ("ease", "hybrid+cf")], toy, cfg)
    assert not cands["ease"].fused and cands["hybrid+cf"].fused
    store = Store(Settings(data_dir=tmp_path, chroma_mode="ephemeral", store="evalrank").store_config(),
                  client=chromadb.EphemeralClient(), embedder=HashEmbedder(64), db=CatalogDB())
    store.db.replace_items(toy.items)
    store.db.add_interactions([(str(u), toy.items[i].id, "purchase", f"{t:04d}")
                               for u, seq in enumerate(toy.fit_sequences) for t, i in enumerate(seq)])
    store.sync_index(progress=False)
    gem = np.linspace(0, 1, toy.n_items)
    store.gem_scores.update({item.id: float(g) for item, g in zip(toy.items, gem)})
    searcher = store.searcher
    popularity = product_popularity(toy, cfg.head_share)
    checked = 0
    for base, fusion in (("ease", "rrf"), ("hybrid+cf", "score")):
        for user in range(0, toy.n_users, 15):
            ids, scores = cands[base].ids[user], cands[base].scores[user]
            keep = scores > 0
            one = Candidates(base, np.where(keep, ids, -1)[None], np.where(keep, scores, -np.inf)[None],
                             fused=cands[base].fused)
            listed = [(searcher.row[toy.items[i].id], float(s)) for i, s in zip(ids[keep], scores[keep])]
            for reranker, lam, gem_weight in (("exposure", 0.5, 0.0), ("exposure", 0.3, 1.0), ("xquad", 0.6, 0.0)):
                params = SearchParams(k=cfg.k, reranker=reranker, lam=lam, fusion=fusion, dense_weight=1.0,
                                      floor=cfg.floor, tail_share=cfg.tail_share, gem_weight=gem_weight)
                product = [h.item.id for h in searcher.rank(listed, [], params)]
                ours = rerank(one, popularity, reranker, lam, cfg, gem, gem_weight)[0]
                assert [toy.items[i].id for i in ours if i >= 0] == product, (base, user, reranker, lam)
                checked += 1
    assert checked >= 40


def test_cli_eval_recs_end_to_end(tmp_path):
    from longtail.cli import cli

    folder = write_unisrec(tmp_path / "toy", n_users=60)
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "--embedding-model", "hash-64",
                                      "eval", "recs", "--inter", str(folder / "Toy.valid.inter"),
                                      "--items", str(folder / "Toy.text"), "--lambdas", "0.1,0.5",
                                      "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert report["summary"]["users"] == 60 and report["config"]["lambdas"] == [0.1, 0.5]
    assert (tmp_path / "out" / "report.md").exists() and (tmp_path / "out" / "tradeoff.png").exists()


def test_cli_without_the_purchase_model(tmp_path):
    from longtail.cli import cli

    folder = write_unisrec(tmp_path / "toy", n_users=60)
    args = ["--data-dir", str(tmp_path / "data"), "--embedding-model", "hash-64", "eval", "recs", "--inter",
            str(folder / "Toy.valid.inter"), "--items", str(folder / "Toy.text"), "--lambdas", "0.1",
            "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, [*args, "--no-purchase", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert not {"purchase", "hybrid+cf+purchase"} & {s["name"] for s in report["systems"]}
    assert set(report["gem_auc"]) == {"tfidf", "training count"}
    # equal counts are ties: the count itself tells nothing within a count (the artefact-free figure)
    assert report["gem_auc"]["training count"]["auc_below_median_same_count"] in (0.5, None)
    refused = CliRunner().invoke(cli, [*args, "--no-purchase", "--gem-features", "model"])
    assert refused.exit_code != 0 and "needs the purchase model" in refused.output


def test_cli_reports_a_missing_dataset(tmp_path):
    from longtail.cli import cli

    result = CliRunner().invoke(cli, ["eval", "amazon", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0 and "No *.text item file" in result.output


def test_recbole_atomic_log_is_split_leave_one_out(tmp_path):
    (tmp_path / "shop.item").write_text("item_id:token\ttitle:token_seq\nA\talpha\nB\tbeta\nC\tgamma\n")
    (tmp_path / "shop.inter").write_text("user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
                                         "u1\tA\t5\t1\nu1\tC\t4\t3\nu1\tB\t5\t2\nu2\tC\t3\t1\n")
    task = load_sequence_split(tmp_path / "shop.inter", tmp_path / "shop.item")
    # u1 in time order: A(1), B(2), C(3) -> history [A, B], target C; u2 has no history -> left out
    assert task.users == ["u1"] and task.histories == [[0, 1]] and task.targets.tolist() == [2]


def test_gem_comparison_interpolates_the_penalty_curve():
    from evaluation.harness import Run
    from evaluation.recs import gem_vs_penalty

    def run(name, aplt, ndcg, lam=0.0, gem=0.0):
        return Run(name, np.zeros((1, 10), int), {}, {"aplt@10": aplt, "ndcg@10": ndcg},
                   {"reranker": "exposure", "lambda": lam, "gem_weight": gem})

    base = run("base", 0.2, 0.10)
    sweep_runs = [run("plain", 0.4, 0.08, 0.5), run("gem", 0.3, 0.095, 0.3, 1.0), run("far", 0.9, 0.01, 2.0, 1.0)]
    got = {g["configuration"]: g for g in gem_vs_penalty(sweep_runs, base, 10)}
    # halfway between (0.2, 0.10) and (0.4, 0.08) the penalty-only curve gives 0.09; the gem run has 0.095
    assert got["gem"]["penalty_only_ndcg@10_at_same_aplt"] == pytest.approx(0.09)
    assert got["gem"]["ndcg_gain"] == pytest.approx(0.005)
    assert got["far"]["ndcg_gain"] is None  # beyond the penalty-only curve: no comparison is made up


def test_auc_and_personal_auc_by_hand():
    from evaluation.metrics import item_gem_auc, personal_auc, roc_auc

    # sklearn's example: of the 4 positive-negative pairs, 3 are ordered correctly
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == pytest.approx(0.75)
    assert roc_auc(np.array([1.0, 1.0]), np.array([0, 1])) == pytest.approx(0.5)  # a tie counts one half
    # counts 0,1,2,3,9,9: median 2.5, so items 0-2 are below it; targets 1 and 4: item 1 is the wanted one
    pop = np.array([0, 1, 2, 3, 9, 9], dtype=float)
    got = item_gem_auc(np.array([0.1, 0.9, 0.5, 0.0, 0.0, 0.0]), pop, np.array([1, 4]))
    assert got["auc_below_median"] == pytest.approx(1.0) and got["below_median_items"] == 3
    # same count only: pairs across strata do not count (a: the positive beats one of two negatives; b: a tie),
    # so 0.5, where all pairs give 3.5 / 6
    from evaluation.metrics import stratified_auc

    scores, labels = np.array([0.2, 0.4, 0.5, 0.3, 0.3]), np.array([0, 1, 0, 1, 0])
    assert stratified_auc(scores, labels, np.array(["a", "a", "a", "b", "b"])) == pytest.approx(0.5)
    assert roc_auc(scores, labels) == pytest.approx(3.5 / 6)
    assert np.isnan(stratified_auc(np.array([0.1, 0.2]), np.array([0, 1]), np.array([0, 1])))
    # user 0: target 2 among candidates {0, 1, 2} minus history {0}: only item 1 is left, and it scores lower
    # user 1: target 5 is not a candidate, so no figure
    scores = np.array([[0.9, 0.1, 0.5, 0, 0, 0], [0, 0, 0, 0, 0, 1.0]])
    per_user = personal_auc(scores, [[0], [1]], np.array([2, 5]), pop < 2.5)
    assert per_user[0] == 1.0 and np.isnan(per_user[1])


def test_the_purchase_models_gem_feeds_the_rerankers(toy):
    from evaluation.recs import _gems, model_gem
    from evaluation.systems import PurchaseSystem

    vectors = item_vectors(toy.items, HashEmbedder(64), None, progress=False)
    model = PurchaseSystem(vectors, RecommenderConfig(dim=16, layers=1, max_len=8, negatives=32, epochs=3))
    model.fit(toy)
    mean_p = model_gem(toy, model)
    assert mean_p.shape == (toy.n_items,) and ((mean_p > 0) & (mean_p < 1)).all()
    gem, cv, raw = _gems(toy, vectors, EvalConfig(progress=False, gem_text="model"), [model])
    # the boost gets the model's gem as a percentile among items (the text model's scale), the report both raw
    assert set(raw) == {"tfidf", "purchase (mean probability)"} and "auc_mean" in cv
    assert np.array_equal(np.argsort(gem, kind="stable"), np.argsort(mean_p, kind="stable"))
    assert 0 < gem.min() and gem.max() == 1.0


def test_rerankers_can_use_the_metrics_tail_flags():
    """xQuAD balances head and tail by the flags it is given: with the metric's items:0.2 tail it pulls tail
    items in; with the product's buckets (head = the items holding 20% of interactions: here one item) nearly
    every candidate is "tail", so it has nothing to balance."""
    from evaluation.metrics import TailDefinition

    counts = np.array([400, 300, 200, 100, 50, 20, 10, 5, 3, 1], dtype=float)  # item i's training count
    task_pop = {str(i): c for i, c in enumerate(counts)}
    from retrieval import Popularity

    ids = [str(i) for i in range(10)]
    popularity = Popularity(task_pop, head_share=0.2, tail_share=0.0, ids=ids)
    metric_tail = TailDefinition.parse("items:0.2").mask(counts)  # items 0 and 1 are head
    assert metric_tail.tolist() == [False, False] + [True] * 8
    assert sum(popularity.is_long_tail(i) for i in ids) >= 9  # the product's buckets: almost all "tail"
    # relevance follows popularity: the base list is the head first
    cands = Candidates("base", np.arange(10)[None], np.linspace(1.0, 0.5, 10)[None], fused=True)
    cfg = EvalConfig(k=2, floor=0.0, tail_share=0.0)
    product = rerank(cands, popularity, "xquad", 0.9, cfg)[0].tolist()
    metric = rerank(cands, popularity, "xquad", 0.9, cfg, long_tail=metric_tail)[0].tolist()
    assert sum(metric_tail[i] for i in metric) > sum(metric_tail[i] for i in product)
    assert EvalConfig().rerank_tail == "metric"


def test_recency_weights_count_the_latest_items_most():
    from evaluation.systems import history_matrix

    x = history_matrix([[2, 0, 1, 0]], 4, decay=0.5)  # item 0 again at the end: its latest weight, 1
    assert x.tolist() == [[1.0, 0.5, 0.125, 0.0]]
    assert history_matrix([[2, 0]], 4).tolist() == [[1.0, 0.0, 1.0, 0.0]]


def _run(name: str, ndcg: np.ndarray, aplt: float) -> Run:
    return Run(name, np.zeros((len(ndcg), 1), np.int64), {"ndcg": ndcg}, {"ndcg@10": float(ndcg.mean()),
                                                                         "aplt@10": aplt, "coverage@10": 0.5})


def test_pareto_front_keeps_only_runs_nothing_beats_on_both_axes():
    one = np.ones(4)
    runs = [_run("a", 0.9 * one, 0.1), _run("b", 0.8 * one, 0.3), _run("c", 0.7 * one, 0.2),
            _run("d", 0.5 * one, 0.6), _run("e", 0.5 * one, 0.5)]
    assert [r.name for r in pareto_front(runs, 10)] == ["a", "b", "d"]  # c is beaten by b, e by d


def test_robust_choice_rejects_a_loss_that_passes_only_by_luck():
    rng = np.random.default_rng(0)
    base_ndcg = rng.uniform(0.0, 1.0, 400)
    base = _run("base", base_ndcg, 0.2)
    # a steady loss of 2%, and a noisy one of 4% on average whose interval reaches well past 5%
    steady = _run("steady", base_ndcg * 0.98, 0.3)
    noisy_ndcg = np.clip(base_ndcg - rng.normal(0.04 * base_ndcg.mean(), 0.3, 400), 0, None)
    noisy_ndcg *= (0.96 * base_ndcg.mean()) / noisy_ndcg.mean()
    noisy = _run("noisy", noisy_ndcg, 0.5)
    point = EvalConfig(progress=False, bootstrap=300, choice="point")
    robust = EvalConfig(progress=False, bootstrap=300, choice="robust")
    loss = ndcg_loss(noisy, base, robust)
    assert loss["loss"] == pytest.approx(0.04) and loss["loss_high"] > 0.05
    assert choose([steady, noisy], base, point).name == "noisy"
    assert choose([steady, noisy], base, robust).name == "steady"
