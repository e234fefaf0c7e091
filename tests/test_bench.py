from click.testing import CliRunner

from longtail.cli import cli
from retrieval.bench import format_results, run_benchmark, synthetic_catalog
from retrieval.importers import load_items
from longtail.demo import DATA_DIR


def test_synthetic_catalog_is_deterministic_and_unique():
    base, _ = load_items(DATA_DIR / "items.jsonl", progress=False)
    a, b = synthetic_catalog(base[:50], 300, seed=1), synthetic_catalog(base[:50], 300, seed=1)
    assert [i.title for i in a] == [i.title for i in b]
    assert len({i.id for i in a}) == 300 and len({i.title for i in a}) > 250


def test_benchmark_runs_end_to_end_on_a_tiny_embedder():
    r = run_benchmark(DATA_DIR / "items.jsonl", n_synthetic=600, runs=1, embedding_model="hash-64", progress=False)
    for name in ("demo", "synthetic-600"):
        ix = r[name]["indexing"]
        assert ix["raw_encode_items_per_s"] > 0 and 0 < ix["index_to_raw_ratio"]
        assert r[name]["full_index"]["items"] == (3500 if name == "demo" else 600)
        for case in r[name]["search"].values():
            assert case["queries"] == 20 and case["p95_ms"] >= case["p50_ms"] > 0
    assert "p50 ms" in format_results(r)


def test_bench_cli_json(tmp_path):
    result = CliRunner().invoke(cli, ["--embedding-model", "hash-32", "bench", "retrieval", "--synthetic-items",
                                      "0", "--runs", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert '"demo"' in result.stdout


def test_a_synthetic_impression_log_is_counted_and_removed_again(tmp_path):
    from retrieval import CatalogDB
    from ui.bench import fill_impressions, remove_bench_impressions

    path = tmp_path / "catalog.sqlite"
    db = CatalogDB(path)
    db.log_impressions("shopper", ["a", "b"])
    assert fill_impressions(path, 1000, ["a", "b", "c", "d"]) == 1000
    counts = CatalogDB(path).exposure_counts()
    assert sum(counts.values()) == 1002 and set(counts) == {"a", "b", "c", "d"}
    assert remove_bench_impressions(path) == 1000
    again = CatalogDB(path)
    assert {k: v for k, v in again.exposure_counts().items() if v} == {"a": 1, "b": 1}
    assert again.stats()["impressions"] == 2
    assert again.log_impressions("shopper", ["c"]) == 1  # the bench's keys are gone too


def test_concurrent_turns_time_every_shopper():
    """`longtail bench assistant --shoppers`: every shopper's turn is timed, none fails, p95 >= p50."""
    from assistant.cli import _concurrent_turns
    from assistant.testing import demo_assistant

    r = _concurrent_turns(demo_assistant(), 3, "t")
    assert r["shoppers"] == 3 and r["failed"] == 0
    assert r["turn_s_p95"] >= r["turn_s_p50"] >= r["first_text_s_p50"] > 0


def test_query_encoding_is_measured_for_sentence_transformers_only(minilm):
    from retrieval.bench import measure_query_encoding
    from retrieval.embed import HashEmbedder

    assert measure_query_encoding(HashEmbedder(), 1) is None
    r = measure_query_encoding(minilm, 1, repeats=3)
    assert set(r) == {"one text", "a turn's batch"}
    assert all(v["traced_ms"] > 0 and v["st_encode_ms"] > 0 for v in r.values())
