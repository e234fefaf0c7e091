import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retrieval import CatalogDB, EmptyCatalogError, ImportFailed, load_interactions, load_items
from retrieval.importers import HUGE_TEXT_CHARS


def test_csv_good_and_bad_rows_are_reported_with_line_and_reason(tmp_path):
    path = tmp_path / "catalog.csv"
    huge = "word " * (HUGE_TEXT_CHARS // 4)
    rows = [
        "id,title,description,category,brand,price,in_stock,rating,rating_count,color",
        "A1,Blue skillet,Cast iron,Home > Cookware,Forge,29.99,yes,4.5,12,blue",      # line 2 ok
        "A2,,No title here,Home,Forge,10,yes,,0,red",                               # line 3 missing title
        "A3,Kettle,Steel,Home,Forge,cheap,yes,,0,",                                 # line 4 bad price
        "A1,Duplicate,Again,Home,Forge,5,yes,,0,",                                  # line 5 duplicate id
        f'A4,Huge one,"{huge}",Home,Forge,5,no,3,2,green',                          # line 6 ok, huge text
        "A5,Too many,x,Home,Forge,5,yes,4,1,blue,extra",                            # line 7 extra field
        "A6,Bad rating,x,Home,Forge,5,yes,9,1,",                                    # line 8 rating > 5
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    items, report = load_items(path, progress=False, allow_partial=True)
    assert [i.id for i in items] == ["A1", "A4"]
    reasons = {r.line: r.reason for r in report.rejects}
    assert reasons[3] == "missing title"
    assert "price must be a number" in reasons[4]
    assert "duplicate id 'A1' (first seen on line 2)" in reasons[5]
    assert "more fields than the header" in reasons[7]
    assert "rating must lie in 0..5" in reasons[8]
    assert len(report.rejects) == 5
    a1 = items[0]
    assert a1.category == ("Home", "Cookware") and a1.price == 29.99
    assert a1.attributes == {"color": "blue"} and a1.extra == {}  # a property column is an attribute
    huge_item = items[1]
    assert len(huge_item.description) == len(huge.strip())  # kept whole
    assert len(huge_item.embedding_text(1000)) == 1000  # truncated only for embedding
    assert huge_item.in_stock is False
    assert any("kept whole" in n for n in report.notes)
    rejects = report.write_rejects(tmp_path / "rejects.jsonl")
    lines = [json.loads(l) for l in rejects.read_text().splitlines()]
    assert [l["line"] for l in lines] == [3, 4, 5, 7, 8] and all(l["file"] == str(path) for l in lines)


def test_non_utf8_line_is_rejected_and_the_rest_kept(tmp_path):
    path = tmp_path / "latin1.jsonl"
    good = json.dumps({"id": "x1", "title": "Café mug"}).encode()
    bad = '{"id": "x2", "title": "Caf\xe9 cup"}'.encode("latin-1")
    path.write_bytes(good + b"\n" + bad + b"\n" + b"{not json}\n" + b"[1, 2]\n")
    items, report = load_items(path, progress=False, allow_partial=True)
    assert [i.title for i in items] == ["Café mug"]
    reasons = {r.line: r.reason for r in report.rejects}
    assert "not valid UTF-8" in reasons[2]
    assert "invalid JSON" in reasons[3]
    assert "must be an object" in reasons[4]


def test_non_utf8_line_in_csv_keeps_line_numbers(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"id,title\nb1,Good\nb2,Caf\xe9\nb3,Also good\n")
    items, report = load_items(path, progress=False, allow_partial=True)
    assert [i.id for i in items] == ["b1", "b3"]
    assert [(r.line, "UTF-8" in r.reason) for r in report.rejects] == [(3, True)]


def test_parquet_with_column_mapping(tmp_path):
    path = tmp_path / "items.parquet"
    pq.write_table(pa.table({"sku": ["p1", "p2"], "name": ["Tent", "Stove"], "cost": [120.0, 45.5],
                             "attrs": ['{"capacity": "2 person"}', None]}), path)
    items, report = load_items(path, mapping={"sku": "id", "name": "title", "cost": "price",
                                              "attrs": "attributes"}, progress=False)
    assert [(i.id, i.title, i.price) for i in items] == [("p1", "Tent", 120.0), ("p2", "Stove", 45.5)]
    assert items[0].attributes == {"capacity": "2 person"} and not report.rejects


def test_empty_catalog_is_a_clear_error_and_leaves_the_store_untouched(tmp_path):
    from longtail.config import Settings
    import chromadb
    from retrieval import HashEmbedder, Store

    good = tmp_path / "good.csv"
    good.write_text("id,title\nk1,Kayak\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("id,title\n,\n")
    store = Store(Settings(data_dir=tmp_path, chroma_mode="ephemeral", store="empty-import-test").store_config(),
                  client=chromadb.EphemeralClient(),
                  embedder=HashEmbedder(), db=CatalogDB())
    store.import_catalog(good, progress=False)
    with pytest.raises(EmptyCatalogError, match="no valid items"):
        store.import_catalog(empty, progress=False)
    assert list(store.db.items()) == ["k1"]
    (tmp_path / "nothing.csv").write_text("")
    with pytest.raises(EmptyCatalogError, match="the file is empty"):
        load_items(tmp_path / "nothing.csv", progress=False)
    (tmp_path / "x.xml").write_text("<a/>")
    with pytest.raises(ImportFailed, match="unknown file type"):
        load_items(tmp_path / "x.xml", progress=False)


def test_recbole_atomic_item_and_inter_files(tmp_path):
    item = tmp_path / "shop.item"
    item.write_text("item_id:token\ttitle:token_seq\tcategories:token_seq\tbrand:token\tprice:float\n"
                    "i1\tRed kettle\tKitchen\tBoil\t20.5\n"
                    "i2\tBlue kettle\tKitchen\tBoil\tnot-a-price\n")
    items, report = load_items(item, progress=False, allow_partial=True)
    assert [(i.id, i.category, i.brand, i.price) for i in items] == [("i1", ("Kitchen",), "Boil", 20.5)]
    assert report.rejects[0].line == 3
    inter = tmp_path / "shop.inter"
    inter.write_text("user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
                     "u1\ti1\t5\t100\nu2\ti1\t4\t101\n\ti2\t3\t102\n")
    rows, report = load_interactions(inter, progress=False)
    assert rows == [("u1", "i1", "review", "100"), ("u2", "i1", "review", "101")]
    assert report.rejects[0].reason == "missing user_id"


def test_unisrec_text_and_prefix_inter_rows_become_one_sequence_per_user(tmp_path):
    (tmp_path / "Sci.text").write_text(
        "item_id:token\ttext:token_seq\n"
        "ASIN1\tPorter 80 Grit Sanding Roll. Industrial & Scientific Abrasives. PORTER. \n"
        "ASIN2\tGorilla Glue 8 oz. Industrial & Scientific Adhesives. Gorilla. \n"
        "ASIN3\tNitrile Gloves. Industrial & Scientific Safety. SafeCo. \n")
    (tmp_path / "Sci.item2index").write_text("ASIN1\t0\nASIN2\t1\nASIN3\t2\n")
    # UniSRec train rows are growing prefixes of one sequence per user
    (tmp_path / "Sci.train.inter").write_text(
        "user_id:token\titem_id_list:token_seq\titem_id:token\n0\t0\t1\n0\t0 1\t2\n1\t2\t0\n")
    items, _ = load_items(tmp_path / "Sci.text", progress=False)
    assert [(i.id, i.title, i.brand) for i in items][0] == ("ASIN1", "Porter 80 Grit Sanding Roll", "PORTER")
    rows, _ = load_interactions(tmp_path / "Sci.train.inter", progress=False)
    by_user = {}
    for user, item_id, _, _ in rows:
        by_user.setdefault(user, []).append(item_id)
    assert by_user == {"0": ["ASIN1", "ASIN2", "ASIN3"], "1": ["ASIN3", "ASIN1"]}


def test_amazon_2023_meta_and_reviews(tmp_path):
    meta = tmp_path / "meta_Toys.jsonl"
    meta.write_text(json.dumps({
        "parent_asin": "B01", "title": "Wooden train set", "main_category": "Toys",
        "categories": ["Toys & Games", "Trains"], "features": ["52 pieces"], "description": ["Beech wood."],
        "price": 34.99, "average_rating": 4.6, "rating_number": 1200, "store": "Tracky",
        "details": {"Material": "Wood", "Age": "3+"}}) + "\n" + json.dumps({"parent_asin": "B02", "title": None}) + "\n")
    items, report = load_items(meta, progress=False, allow_partial=True)
    (train,) = items
    assert train.brand == "Tracky" and train.rating_count == 1200 and train.category == ("Toys & Games", "Trains")
    assert train.attributes == {"Material": "Wood", "Age": "3+"} and "52 pieces" in train.description
    assert report.rejects[0].reason == "missing title"
    reviews = tmp_path / "Toys.jsonl"
    reviews.write_text(json.dumps({"user_id": "AE1", "parent_asin": "B01", "rating": 5.0, "text": "fun",
                                   "timestamp": 1588687728923}) + "\n")
    rows, _ = load_interactions(reviews, progress=False)
    assert rows == [("AE1", "B01", "review", "1588687728923")]
