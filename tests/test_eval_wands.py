"""Query-to-product retrieval in the WANDS layout, on a small file written here, through the product's Searcher."""

from __future__ import annotations

import json
from pathlib import Path

import chromadb
import pytest
from click.testing import CliRunner

from evaluation.wands import evaluate_wands, load_wands, open_store
from longtail.config import Settings
from retrieval import HashEmbedder

PRODUCTS = [
    # id, name, class, hierarchy, description, features, rating_count, average_rating, review_count
    ("1", "blue velvet sofa", "Sofas", "Furniture / Living Room / Sofas", "a plush blue velvet three seat sofa",
     "color:blue|material:velvet", "120", "4.5", "100"),
    ("2", "grey linen sofa", "Sofas", "Furniture / Living Room / Sofas", "a grey linen sofa for small rooms",
     "color:grey|material:linen", "300", "4.1", "250"),
    ("3", "blue velvet armchair", "Chairs", "Furniture / Living Room / Chairs", "blue velvet accent chair",
     "color:blue", "4", "4.8", "3"),
    ("4", "oak dining table", "Tables", "Furniture / Dining / Tables", "solid oak table seats six",
     "material:oak", "50", "4.3", "40"),
    ("5", "oak coffee table", "Tables", "Furniture / Living Room / Tables", "low oak coffee table",
     "material:oak", "2", "4.0", "1"),
    ("6", "brass floor lamp", "Lamps", "Lighting / Floor Lamps", "tall brass reading lamp", "finish:brass",
     "10", "3.9", "8"),
]
QUERIES = [("0", "blue velvet sofa", "Sofas"), ("1", "oak table", "Tables")]
LABELS = [("0", "0", "1", "Exact"), ("1", "0", "3", "Partial"), ("2", "0", "2", "Partial"),
          ("3", "1", "4", "Exact"), ("4", "1", "5", "Exact"), ("5", "1", "6", "Irrelevant")]


def write_wands(folder: Path, sep: str = "\t") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = ["product_id", "product_name", "product_class", "category hierarchy", "product_description",
              "product_features", "rating_count", "average_rating", "review_count"]
    rows = [sep.join(header)] + [sep.join(p) for p in PRODUCTS]
    (folder / "product.csv").write_text("\n".join(rows) + "\n")
    (folder / "query.csv").write_text("\n".join([sep.join(["query_id", "query", "query_class"])]
                                                + [sep.join(q) for q in QUERIES]) + "\n")
    (folder / "label.csv").write_text("\n".join([sep.join(["id", "query_id", "product_id", "label"])]
                                                + [sep.join(r) for r in LABELS]) + "\n")
    return folder


@pytest.mark.parametrize("sep", ["\t", ","])
def test_loader_reads_both_separators(tmp_path, sep):
    data = load_wands(write_wands(tmp_path / "w", sep))
    assert len(data.items) == 6 and data.queries["1"] == "oak table"
    assert data.gains["0"] == {"1": 2.0, "3": 1.0, "2": 1.0}
    sofa = data.items[0]
    assert sofa.category == ("Furniture", "Living Room", "Sofas") and sofa.attributes["material"] == "velvet"
    assert sofa.rating_count == 120


def test_unknown_label_is_an_error(tmp_path):
    folder = write_wands(tmp_path / "w")
    (folder / "label.csv").write_text("id\tquery_id\tproduct_id\tlabel\n0\t0\t1\tMaybe\n")
    with pytest.raises(ValueError, match="Exact, Partial or Irrelevant"):
        load_wands(folder)


def test_evaluation_through_the_searcher(tmp_path):
    data = load_wands(write_wands(tmp_path / "w"))
    store = open_store(data, Settings(data_dir=tmp_path), client=chromadb.EphemeralClient(),
                       embedder=HashEmbedder(64), progress=False)
    result = evaluate_wands(data, store, k=3, lambdas=(0.5,), progress=False)
    assert result["queries"] == 2
    assert set(result["systems"]) == {"dense", "bm25", "hybrid", "hybrid + exposure λ=0.5",
                                      "hybrid + xquad λ=0.5"}
    bm25 = result["systems"]["bm25"]
    # "blue velvet sofa": BM25 ranks the exact sofa first; "oak table": both exact oak tables lead the list,
    # so Recall@3 of the Exact products is 1 for both queries and MRR is 1
    assert bm25["recall@3"] == pytest.approx(1.0) and bm25["mrr@3"] == pytest.approx(1.0)
    assert 0.8 < bm25["ndcg@3"] <= 1.0
    for metrics in result["systems"].values():
        assert 0 <= metrics["ndcg@3"] <= 1 and 0 < metrics["coverage@3"] <= 1


def test_cli_writes_the_report(tmp_path):
    from longtail.cli import cli

    folder = write_wands(tmp_path / "w")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "--embedding-model", "hash-64",
                                      "eval", "wands", str(folder), "--k", "3", "--out", str(tmp_path / "out"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads((tmp_path / "out" / "report.json").read_text())
    assert out["queries"] == 2 and "hybrid" in out["systems"]
    assert "| bm25 |" in (tmp_path / "out" / "report.md").read_text()
