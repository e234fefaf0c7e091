"""The bundled demo store: generated deterministically, committed, and a realistic long-tail catalog."""

import filecmp
import json
import subprocess
import sys
from collections import Counter

from longtail.demo import DATA_DIR
from retrieval import load_interactions, load_items
from retrieval.popularity import buckets


def test_generator_reproduces_the_committed_files_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(DATA_DIR.parent / "generate.py"), str(tmp_path)], check=True,
                   capture_output=True)
    cmp = filecmp.dircmp(DATA_DIR, tmp_path)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert not filecmp.dircmp(DATA_DIR / "policies", tmp_path / "policies").diff_files


def test_catalog_imports_cleanly_and_has_a_long_tail():
    items, report = load_items(DATA_DIR / "items.jsonl", progress=False)
    assert not report.rejects
    assert 2000 <= len(items) <= 5000
    assert len({i.top_category for i in items}) >= 15
    assert all(i.price and i.description and i.brand and i.attributes for i in items)
    rows, report = load_interactions(DATA_DIR / "interactions.csv", progress=False)
    assert not report.rejects
    purchases = Counter(item for _, item, event, _ in rows if event == "purchase")
    ranked = sorted((purchases.get(i.id, 0) for i in items), reverse=True)
    top_share = sum(ranked[: len(ranked) // 5]) / sum(ranked)
    assert top_share > 0.6  # the top 20% of items hold most sales
    assert sum(1 for c in ranked if c <= 5) > 0.8 * len(items)  # most items are rarely bought
    b = Counter(buckets(purchases, [i.id for i in items]).values())
    assert b["tail"] > b["mid"] > b["head"] > 0


def test_orders_customers_and_policies_are_consistent():
    items = {json.loads(line)["id"]: json.loads(line) for line in (DATA_DIR / "items.jsonl").open()}
    customers = {c["customer_id"]: c for c in json.loads((DATA_DIR / "customers.json").read_text())}
    orders = json.loads((DATA_DIR / "orders.json").read_text())
    assert len(orders) >= 100
    for order in orders:
        assert customers[order["customer_id"]]["email"] == order["email"]
        for line in order["items"]:
            assert items[line["item_id"]]["price"] == line["unit_price"]
    facts = json.loads((DATA_DIR / "policies" / "store.json").read_text())
    returns = (DATA_DIR / "policies" / "returns.md").read_text()
    assert f"{facts['return_window_days']}" in returns and returns.startswith("# ")
    assert {p.stem for p in (DATA_DIR / "policies").glob("*.md")} == {
        "returns", "shipping", "payment", "warranty", "order-changes"}
