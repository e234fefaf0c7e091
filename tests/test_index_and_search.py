"""The Chroma index (sync by content hash, crash-rerun), hybrid fusion and filters, on hand-checkable data."""

import uuid

import chromadb
import numpy as np
import pytest

from longtail.config import Settings
from retrieval import CatalogDB, Filters, HashEmbedder, Item, ItemIndex, Store

ITEMS = [
    Item("skillet-red", "Red cast iron skillet", "Heavy pan for searing.", ("Home", "Cookware"), "Forge", 30.0,
         rating=4.7, rating_count=900),
    Item("skillet-blue", "Blue cast iron skillet", "Enamelled pan.", ("Home", "Cookware"), "Ember", 55.0,
         rating=4.2, rating_count=3, in_stock=False),
    Item("boots", "Waterproof hiking boots", "Leather boots with grip.", ("Outdoors", "Footwear"), "Trail", 120.0,
         rating=4.5, rating_count=40),
    Item("tent", "Two person tent", "Light tent for hiking trips.", ("Outdoors", "Camping"), "Trail", 200.0),
    Item("mug", "Ceramic coffee mug", "Holds 12 oz.", ("Home", "Kitchen"), "Forge", 9.5, rating=3.9,
         rating_count=10),
]


def unique(prefix: str) -> str:
    """Chroma's EphemeralClient is one shared in-memory system per process: give each test its own names."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_store(tmp_path, items=ITEMS, name=None, client=None, embedder=None, db=None):
    store = Store(Settings(data_dir=tmp_path, chroma_mode="ephemeral", store=name or unique("shop")).store_config(),
                  client=client or chromadb.EphemeralClient(), embedder=embedder or HashEmbedder(), db=db or CatalogDB())
    store.db.replace_items(items)
    store.db.add_interactions([("u1", "skillet-red", "purchase", "1")] * 30 + [("u2", "boots", "purchase", "2")])
    store.sync_index(progress=False)
    return store


def test_sync_embeds_only_changed_items_and_removes_deleted_ones(tmp_path):
    store = make_store(tmp_path)
    assert store.index.count() == 5
    changed = [Item("mug", "Ceramic coffee mug XL", "Holds 20 oz.", ("Home", "Kitchen"), "Forge", 11.0)]
    store.db.replace_items([i for i in ITEMS if i.id not in ("mug", "tent")] + changed)
    report = store.sync_index(progress=False)
    assert (report.embedded, report.unchanged, report.deleted) == (1, 3, 1)
    assert sorted(store.index.stored_hashes()) == ["boots", "mug", "skillet-blue", "skillet-red"]
    again = store.sync_index(progress=False)
    assert (again.embedded, again.deleted) == (0, 0)


def test_interrupted_index_run_rerun_ends_with_the_same_store(tmp_path):
    items = [Item(f"i{n:03}", f"Item number {n} widget", f"widget {n} text") for n in range(50)]
    client = chromadb.EphemeralClient()
    index = ItemIndex(client, HashEmbedder(), unique("crash"), 1000)

    def crash(batch_number):
        if batch_number == 2:
            raise KeyboardInterrupt("power cut")

    with pytest.raises(KeyboardInterrupt):
        index.sync(items, batch_size=8, progress=False, on_batch=crash)
    partial = index.count()
    assert 0 < partial < 50  # a partial store
    report = index.sync(items, batch_size=8, progress=False)
    assert (report.unchanged, report.embedded) == (partial, 50 - partial)  # only the missing ones embedded
    ids, vectors = index.embeddings()
    assert sorted(ids) == [i.id for i in items] and len(ids) == len(set(ids))
    clean = ItemIndex(client, HashEmbedder(), unique("clean"), 1000)
    clean.sync(items, batch_size=8, progress=False)
    clean_ids, clean_vectors = clean.embeddings()
    order = np.argsort(ids)
    np.testing.assert_allclose(vectors[order], clean_vectors[np.argsort(clean_ids)], atol=1e-6)


def test_each_embedding_model_gets_its_own_collection(tmp_path):
    client = chromadb.EphemeralClient()
    name = unique("mixed")
    items = [Item("a", "red kettle"), Item("b", "blue kettle")]
    big, small = ItemIndex(client, HashEmbedder(256), name, 1000), ItemIndex(client, HashEmbedder(128), name, 1000)
    assert big.collection.name != small.collection.name and big.collection.name.endswith("hash-256")
    big.sync(items, progress=False)
    assert small.count() == 0  # vectors of two models never mix
    assert small.sync(items, progress=False).embedded == 2
    assert ItemIndex(client, HashEmbedder(256), name, 1000).sync(items, progress=False).embedded == 0


def test_hybrid_fusion_ranks_items_found_by_both_sides_first(tmp_path):
    store = make_store(tmp_path)
    hits = store.search("cast iron skillet", reranker="none", k=3)
    # both skillets match all three words on both sides; the red one is listed first in the catalog and
    # ties are broken by id -> compare the fused RRF scores directly
    top = {h.item.id: h.trace for h in hits[:2]}
    assert set(top) == {"skillet-red", "skillet-blue"}
    for trace in top.values():
        assert trace.dense_rank in (1, 2) and trace.bm25_rank in (1, 2)
        assert trace.fused == pytest.approx(0.5 / (60 + trace.dense_rank) + 0.5 / (60 + trace.bm25_rank))
    assert hits[0].trace.relevance == 1.0


def test_exposure_reranker_promotes_the_tail_skillet_and_traces_why(tmp_path):
    store = make_store(tmp_path)
    plain = store.search("red blue cast iron skillet", reranker="none", k=2)
    ranked = store.search("red blue cast iron skillet", reranker="exposure", lam=1.0, floor=0.5, k=2)
    assert [h.item.id for h in plain][0] in ("skillet-red", "skillet-blue")
    head = next(h for h in ranked if h.item.id == "skillet-red").trace
    tail = next(h for h in ranked if h.item.id == "skillet-blue").trace
    assert head.bucket == "head" and tail.long_tail
    assert tail.final_score == pytest.approx(tail.relevance - 1.0 * tail.penalty)
    assert head.final_score == pytest.approx(head.relevance - 1.0 * head.penalty)
    assert ranked[0].item.id == "skillet-blue"
    assert tail.rank_after == 1


def test_filters_apply_to_both_dense_and_bm25(tmp_path):
    store = make_store(tmp_path)
    assert [h.item.id for h in store.search("skillet", Filters(max_price=40))] == ["skillet-red"]
    assert [h.item.id for h in store.search("skillet", Filters(in_stock=True))] == ["skillet-red"]
    got = {h.item.id for h in store.search("hiking", Filters(category="outdoors"), reranker="none")}
    assert got == {"boots", "tent"}
    assert {h.item.id for h in store.search("hiking", Filters(min_rating=4.0, category="Outdoors"))} == {"boots"}
    assert all(h.item.brand != "Forge" for h in store.search("skillet mug", Filters(exclude_brands=("forge",))))
    assert store.search("skillet", Filters(min_price=1000)) == []
    # Chroma's own `where` filtering gives the same set as the in-memory mask
    chroma = store.search("skillet", Filters(max_price=40), dense_filter="chroma")
    assert [h.item.id for h in chroma] == ["skillet-red"]


def test_exclude_and_personalisation(tmp_path):
    store = make_store(tmp_path)
    assert "skillet-red" not in {h.item.id for h in store.search("skillet", exclude=["skillet-red"])}
    store.db.add_interactions([("hiker", "tent", "purchase", "3")])
    plain = store.search("light", reranker="none", k=5)
    personal = store.search("light", reranker="none", k=5, user_id="hiker", personalization=0.6)
    assert personal[0].item.id == "tent"
    assert [h.item.id for h in plain] != [h.item.id for h in personal] or plain[0].item.id == "tent"


def test_impressions_feed_exposure_into_the_penalty(tmp_path):
    store = make_store(tmp_path)
    before = {h.item.id: h.trace.penalty for h in store.search("two person tent", k=5)}
    for session in ("s1", "s2", "s3", "s4", "s5"):
        store.log_impressions(session, store.search("tent", k=1), "tent")
    store.log_impressions("s1", store.search("tent", k=1) * 3, "tent")  # the same session again: not counted
    after = {h.item.id: h.trace for h in store.search("two person tent", k=5)}
    assert after["tent"].exposure == 5
    assert after["tent"].penalty > before["tent"]


def test_refresh_popularity_lets_new_purchases_count_without_reindexing(tmp_path):
    store = make_store(tmp_path)
    before = {h.item.id: h.trace for h in store.search("two person tent", k=5)}
    store.db.add_interactions([("fan", "tent", "purchase", "9")] * 50)
    store.refresh_popularity()
    after = {h.item.id: h.trace for h in store.search("two person tent", k=5)}
    assert before["tent"].popularity == 0 and after["tent"].popularity == 50
    assert after["tent"].bucket == "head"


def test_only_one_process_indexes_an_on_disk_store_at_a_time(tmp_path):
    import fcntl

    settings = Settings(data_dir=tmp_path, chroma_mode="persistent", store=unique("locked"))
    store = Store(settings.store_config(), embedder=HashEmbedder(), db=CatalogDB())
    store.db.replace_items(ITEMS)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.chroma_dir / ".longtail-index.lock", "w") as other_process:
        fcntl.flock(other_process, fcntl.LOCK_EX)  # flock locks are per open file: this stands in for a 2nd process
        with pytest.raises(RuntimeError, match="Another process is indexing"):
            store.sync_index(progress=False)
    assert store.sync_index(progress=False).embedded == 5


def test_gem_weight_trains_gem_scores_and_boosts_under_exposed_items(tmp_path):
    pytest.importorskip("sklearn")
    items = [Item(f"g{n}", f"{'premium leather' if n % 2 else 'plain'} wallet {n}", "A wallet.") for n in range(40)]
    store = Store(Settings(data_dir=tmp_path, chroma_mode="ephemeral", store=unique("gems"), gem_weight=0.5).store_config(),
                  client=chromadb.EphemeralClient(), embedder=HashEmbedder(), db=CatalogDB())
    store.db.replace_items(items)
    # "premium leather" wallets sell, plain ones don't: appeal is learnable from the text
    store.db.add_interactions([(f"u{k}", f"g{n}", "purchase", "") for n in range(1, 40, 2) for k in range(n % 7 + 2)])
    store.sync_index(progress=False)
    hits = store.search("wallet", k=40, lam=0.3, floor=0.0)
    assert store.gem_scores and all(h.trace.gem_score is not None for h in hits)
    premium = [h.trace.gem_score for h in hits if "premium" in h.item.title]
    plain = [h.trace.gem_score for h in hits if "plain" in h.item.title]
    assert np.mean(premium) > np.mean(plain)
    assert any(h.trace.boost > 0 for h in hits)


@pytest.mark.parametrize("keep", [0.9, 0.1])
def test_masked_dense_search_is_exact_for_dense_and_sparse_masks(tmp_path, keep):
    """The in-memory filtered search (one product over all rows for dense masks, a gather for sparse ones) returns
    exactly the brute-force top-n of the allowed rows."""
    items = [Item(f"i{n}", f"item {n} {'red' if n % 3 else 'blue'} kettle {n % 7}", "", ("Home",), f"b{n % 5}",
                  float(n)) for n in range(80)]
    store = make_store(tmp_path, items=items)
    searcher = store.searcher
    rng = np.random.default_rng(0)
    mask = rng.random(len(searcher.ids)) < keep
    q = searcher.query_vector("red kettle 3")
    got = searcher._dense(q, mask, 10, Filters(), "memory")
    sims = searcher.vectors @ q
    allowed = [r for r in np.argsort(-sims, kind="stable") if mask[r] and sims[r] > 0][:10]
    assert np.allclose([s for _, s in got], sims[allowed], atol=1e-5)  # the same top-n scores (ties may swap rows)
    assert all(mask[r] and abs(sims[r] - s) < 1e-5 for r, s in got)  # only allowed rows, with their true scores
    assert len({r for r, _ in got}) == len(got) == len(allowed)


def test_exposure_is_counted_once_per_session_and_day_and_kept_as_a_counter(tmp_path):
    from retrieval import CatalogDB

    db = CatalogDB(tmp_path / "c.sqlite")
    assert db.log_impressions("a", ["x", "y", "x"]) == 2
    assert db.log_impressions("a", ["x", "z"]) == 1
    assert db.log_impressions("b", ["x"]) == 1
    assert db.exposure_counts() == {"x": 2, "y": 1, "z": 1}
    assert db.stats()["impressions"] == 4
    # the counter is what is read: a log without counter rows (older stores) is counted in once on open
    db._conn.execute("DELETE FROM exposure")
    db._conn.commit()
    db.close()
    assert CatalogDB(tmp_path / "c.sqlite").exposure_counts() == {"x": 2, "y": 1, "z": 1}
