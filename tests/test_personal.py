"""The store's own purchase model in the product (retrieval.personal): trained from the store's interaction log,
saved beside the catalog, and fused into the search of a shopper with a history. The synthetic store has a
pattern text cannot see: whoever buys from one product line buys from the *next* line after it."""

from __future__ import annotations

import uuid

import chromadb
import pytest

from longtail.config import Settings
from retrieval import CatalogDB, HashEmbedder, Item, Store
from retrieval.personal import StoreRecommender, store_sequences
from retrieval.recommender import RecommenderConfig

LINES = ["tent", "lantern", "kettle", "mug", "boots", "socks", "skillet", "apron"]
PER_LINE = 5
# text_prior 1 (not 15): the hash embedder makes a line's items near-identical, so a strong text prior would
# start the model recommending the same line again and early stopping would end training there
SMALL = RecommenderConfig(dim=16, layers=1, heads=2, max_len=4, dropout=0.1, lr=5e-3, batch=64, epochs=30,
                          patience=5, text_prior=1.0)


def _items() -> list[Item]:
    return [Item(f"{line}-{n}", f"{line.title()} model {n}", f"A {line} of the {line} line.", ("Shop", line.title()),
                 "Acme", 10.0 + n) for line in LINES for n in range(PER_LINE)]


def _log(users: int = 320) -> list[tuple[str, str, str, str]]:
    rows = []
    for u in range(users):
        start = u % len(LINES)
        for step in range(3):  # line g, then g + 1, then g + 2
            line = LINES[(start + step) % len(LINES)]
            rows.append((f"u{u}", f"{line}-{(u + step) % PER_LINE}", "purchase", f"2026-01-0{step + 1}T00:00:00Z"))
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("personal"), chroma_mode="ephemeral",
                        store=f"shop-{uuid.uuid4().hex[:8]}")
    s = Store(settings.store_config(), client=chromadb.EphemeralClient(), embedder=HashEmbedder(), db=CatalogDB())
    s.db.replace_items(_items())
    s.db.add_interactions(_log())
    s.sync_index(progress=False)
    return s


def test_sequences_are_purchases_carts_likes_and_reviews_in_time_order():
    rows = [("a", "x", "purchase", "2"), ("a", "y", "view", "3"), ("a", "w", "add_to_cart", "1"),
            ("a", "x", "purchase", "2"), ("b", "z", "like", "5"), ("a", "v", "review", "4")]
    assert store_sequences(rows) == {"a": ["w", "x", "v"], "b": ["z"]}  # views left out, a repeat counted once


def test_a_shopper_with_a_history_gets_the_next_line_and_the_trace_says_why(store):
    assert store.search("", user_id="newcomer") == []  # no model yet, no query: nothing to go on
    summary = store.train_recommender(SMALL, progress=False)
    assert summary["users"] == 320 and summary["items"] == len(LINES) * PER_LINE and summary["val_ndcg@10"] > 0
    assert StoreRecommender.load(store.config.store_dir) is not None  # saved beside the catalog
    store.db.add_interactions([("shopper", "kettle-1", "purchase", "2026-02-01T00:00:00Z")])
    picks = store.search("", user_id="shopper", k=5, reranker="none")
    lines = [h.item.id.split("-")[0] for h in picks]
    # the line after "kettle" is "mug"; text similarity to the history would point at more kettles
    assert lines.count("mug") >= 3 and "kettle-1" not in {h.item.id for h in picks}, lines  # not what they own
    assert all(h.trace.personal_rank == n for n, h in enumerate(picks, 1))
    # with a query the model re-ranks the query's own candidates: they stay on topic
    boots = store.search("boots", user_id="shopper", k=3, reranker="none")
    assert all(h.item.id.startswith("boots") for h in boots) and boots[0].trace.personal_rank is not None
    assert store.search("boots", k=3, reranker="none")[0].trace.personal_rank is None  # no history: no model
    off = store.search("", user_id="shopper", k=5, personal_weight=0.0)
    assert off == []


def test_training_needs_sequences(tmp_path):
    settings = Settings(data_dir=tmp_path, chroma_mode="ephemeral", store=f"empty-{uuid.uuid4().hex[:8]}")
    s = Store(settings.store_config(), client=chromadb.EphemeralClient(), embedder=HashEmbedder(), db=CatalogDB())
    s.db.replace_items(_items())
    s.sync_index(progress=False)
    with pytest.raises(ValueError, match="two or more"):
        s.train_recommender(SMALL, progress=False)


def test_the_assistants_search_takes_the_cart_as_the_shoppers_history(store):
    from assistant.cart import Cart
    from assistant.tools import ToolContext, search_products

    if StoreRecommender.load(store.config.store_dir) is None:
        store.train_recommender(SMALL, progress=False)
    cart = Cart()
    ctx = ToolContext(store, None, None, session_id="visit-1", cart=cart, k=3)
    before = search_products(ctx, "mug or kettle")
    assert all(h.trace.personal_rank is None for h in before)  # an empty cart: no history
    cart.add("visit-1", "kettle-1")
    hits = search_products(ctx, "mug or kettle")
    assert all(h.trace.personal_rank is not None for h in hits)
    # the text ranks the kettles 0, 1, 2; the model ranks them 9, 2, 5 for this cart: its pick moves up (the
    # mugs it prefers stay below, the text lists outweigh its 0.4)
    assert hits[0].item.id != before[0].item.id
    assert hits[0].trace.personal_rank == min(h.trace.personal_rank for h in hits)
