"""Real store exports import on the first try: JSON arrays, lenient field values, aliases, generated ids,
Shopify's product CSV, joined columns and the reject-share guard."""

import json

import pytest

from retrieval import Item, load_items
from retrieval.importers import TooManyRejects, detect_format, parse_mapping, stable_id

DESCRIPTION_MAP = {"product_description+short_description": "description"}


def _write_json(path, rows):
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _store_export(n=4):
    """A mini version of the 57-item export that failed: name, price, two descriptions, "4.7/5", images,
    no ids."""
    return [{"name": f"Trail backpack {k}L", "price": f"${k * 10 + 0.99:.2f}",
             "short_description": f"A {k} litre pack.", "product_description": f"Roomy pack number {k}.",
             "rating": f"4.{k}/5",
             "images": [f"https://cdn.example.com/p{k}-a.jpg", f"https://cdn.example.com/p{k}-b.jpg"]}
            for k in range(1, n + 1)]


def _load_one(tmp_path, row, **kwargs):
    items, report = load_items(_write_json(tmp_path / "one.json", [row]), progress=False, **kwargs)
    return items[0], report


def test_store_export_json_array_imports_whole_with_joined_description_and_stable_ids(tmp_path):
    path = _write_json(tmp_path / "catalog-part1.json", _store_export())
    items, report = load_items(path, mapping=DESCRIPTION_MAP, progress=False)
    assert report.accepted == 4 and report.rejects == []
    first = items[0]
    assert first.title == "Trail backpack 1L" and first.price == 10.99 and first.currency == "USD"
    assert first.description == "Roomy pack number 1.\n\nA 1 litre pack."
    assert [i.rating for i in items] == [4.1, 4.2, 4.3, 4.4]
    assert first.image_url == "https://cdn.example.com/p1-a.jpg"
    assert "short_description" not in first.extra and "product_description" not in first.extra
    assert first.id == stable_id("Trail backpack 1L") and first.id.startswith("trail-backpack-1l-")
    assert report.generated_ids == 4
    assert any(n.startswith("4 items had no id; generated stable ids from title and brand "
                            "(e.g. 'trail-backpack-1l-") for n in report.notes)
    again, _ = load_items(path, mapping=DESCRIPTION_MAP, progress=False)
    assert [i.id for i in again] == [i.id for i in items]
    assert "4 accepted, 0 rejected" in report.summary() and "note: 4 items had no id" in report.summary()


def test_json_object_holding_a_product_list_and_json_lines_in_a_json_file(tmp_path):
    wrapped = _write_json(tmp_path / "wrapped.json", {"count": 2, "products": [
        {"id": "a", "title": "Mug"}, {"id": "b", "title": "Cup"}]})
    items, _ = load_items(wrapped, progress=False)
    assert [i.id for i in items] == ["a", "b"]
    named = _write_json(tmp_path / "named.json", {"name": "Shop export", "items": [{"id": "c", "title": "Bowl"}]})
    assert [i.id for i in load_items(named, progress=False)[0]] == ["c"]
    single = _write_json(tmp_path / "single.json", {"parent_asin": "B1", "title": "Kite", "images": [
        {"large": "https://m.media-amazon.com/k.jpg"}], "videos": [{"url": "https://v"}]})
    (kite,), _ = load_items(single, progress=False)
    assert (kite.id, kite.title, kite.image_url) == ("B1", "Kite", "https://m.media-amazon.com/k.jpg")
    lines = tmp_path / "lines.json"
    lines.write_text('{"id": "x", "title": "Lamp"}\n{"id": "y", "title": "Desk"}\n')
    assert [i.title for i in load_items(lines, progress=False)[0]] == ["Lamp", "Desk"]
    ndjson = tmp_path / "lines.ndjson"
    ndjson.write_text('{"id": "z", "title": "Chair"}\n')
    assert [i.id for i in load_items(ndjson, progress=False)[0]] == ["z"]


def test_json_array_elements_are_numbered_from_one_in_rejects(tmp_path):
    rows = [{"id": f"i{n}", "title": f"Thing {n}"} for n in range(8)] + [["not", "an", "object"], {"id": "t"}]
    items, report = load_items(_write_json(tmp_path / "a.json", rows), progress=False, allow_partial=True)
    assert len(items) == 8
    assert [(r.line, r.reason) for r in report.rejects] == [
        (9, "element 9 of the JSON array is a list, not an object"), (10, "missing title")]


@pytest.mark.parametrize("rating", [4.7, "4.7", "4.7/5", "4.7 out of 5", "4.7 out of 5 stars", "9.4/10",
                                    "94%"])
def test_ratings_are_read_on_any_scale(tmp_path, rating):
    item, report = _load_one(tmp_path, {"id": "r", "title": "Rated", "rating": rating})
    assert item.rating == 4.7 and report.notes == ["rows are numbered by their position in the JSON array "
                                                   "(element 1 is the first)"]


def test_unreadable_ratings_and_counts_leave_the_field_empty_and_are_counted(tmp_path):
    rows = [{"id": "a", "title": "A", "rating": "n/a", "rating_count": "lots"},
            {"id": "b", "title": "B", "rating": "great", "rating_count": "(1,204 ratings)"},
            {"id": "c", "title": "C", "rating": "4.5", "rating_count": "1.2k"}]
    items, report = load_items(_write_json(tmp_path / "r.json", rows), progress=False)
    assert [(i.rating, i.rating_count) for i in items] == [(None, 0), (None, 1204), (4.5, 1200)]
    assert report.rejects == [] and report.field_warnings == {"rating": 2, "rating_count": 1}
    assert any(n.startswith("2 rating value(s) could not be read and were left empty (e.g. 'n/a' on line 1)")
               for n in report.notes)
    assert any(n.startswith("1 rating_count value(s) could not be read") for n in report.notes)


def test_a_rating_outside_the_scale_is_still_a_reject_that_says_how_to_fix_it(tmp_path):
    rows = [{"id": f"i{n}", "title": "T"} for n in range(9)] + [{"id": "bad", "title": "T", "rating": 9}]
    _, report = load_items(_write_json(tmp_path / "r.json", rows), progress=False)
    assert report.rejects[0].reason == ("rating must lie in 0..5, got 9; write other scales as '9.4/10' "
                                        "or '94%'")


@pytest.mark.parametrize(("stock", "in_stock", "count"), [
    (True, True, None), (False, False, None), ("yes", True, None), ("No", False, None),
    ("in stock", True, None), ("Out of stock", False, None), ("sold out", False, None),
    ("available", True, None),
    (12, True, 12), (0, False, 0), (-3, False, -3), ("7", True, 7), ("0", False, 0)])
def test_stock_as_words_booleans_or_counts(tmp_path, stock, in_stock, count):
    item, _ = _load_one(tmp_path, {"id": "s", "title": "Stocked", "stock": stock})
    assert item.in_stock is in_stock
    assert item.extra.get("stock") == count


def test_unreadable_stock_is_a_reject_listing_the_accepted_values(tmp_path):
    rows = [{"id": f"i{n}", "title": "T"} for n in range(9)]
    rows.append({"id": "bad", "title": "T", "in_stock": "maybe"})
    _, report = load_items(_write_json(tmp_path / "s.json", rows), progress=False)
    assert report.rejects[0].reason == ("in_stock must be yes/no, true/false, 'in stock'/'out of stock'/"
                                        "'sold out' or a stock count, got 'maybe'")


@pytest.mark.parametrize(("price", "amount", "currency"), [
    ("$1,299.00", 1299.0, "USD"), ("1 299,00 €", 1299.0, "EUR"), ("€1.299,00", 1299.0, "EUR"),
    ("USD 12.50", 12.5, "USD"), ("12.50 USD", 12.5, "USD"), ("£8", 8.0, "GBP"), ("¥1200", 1200.0, "JPY"),
    ("₹2,499", 2499.0, "INR"), ("19,90 CHF", 19.9, "CHF"), ("12.5", 12.5, "USD"), (7, 7.0, "USD")])
def test_price_strings_with_currency_and_thousands_separators(tmp_path, price, amount, currency):
    item, _ = _load_one(tmp_path, {"id": "p", "title": "Priced", "price": price})
    assert (item.price, item.currency) == (amount, currency)


def test_the_rows_currency_wins_and_an_unreadable_price_is_a_clear_reject(tmp_path):
    item, _ = _load_one(tmp_path, {"id": "p", "title": "Priced", "price": "$5", "currency": "cad"})
    assert (item.price, item.currency) == (5.0, "CAD")
    rows = [{"id": f"i{n}", "title": "T", "price": 1} for n in range(9)]
    rows.append({"id": "x", "title": "T", "price": "call us"})
    items, report = load_items(_write_json(tmp_path / "p.json", rows), progress=False)
    assert len(items) == 9
    assert report.rejects[0].reason == ("price must be a number such as 12.50, '$1,299.00' or "
                                        "'1 299,00 €', got 'call us'")


def test_parse_mapping_reads_renames_and_joins_and_explains_bad_input():
    assert parse_mapping(["sku=id", " a + b = description"]) == {"sku": "id", "a+b": "description"}
    with pytest.raises(ValueError, match=r"use SOURCE=field, e.g. --map sku=id or --map a\+b=description"):
        parse_mapping(["oops"])
    with pytest.raises(ValueError, match="use SOURCE=field"):
        parse_mapping(["a+=title"])
    with pytest.raises(ValueError, match="'cost' is not an item field; map to one of id, title, description"):
        parse_mapping(["price_usd=cost"])
    with pytest.raises(ValueError, match=r"title is already mapped from 'name'; .* --map name\+label=title"):
        parse_mapping(["name=title", "label=title"])


def test_joined_and_renamed_columns_in_a_csv(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("sku,label,blurb,details,colour\nk1,Kettle,,Steel body.,red\nk2,Pot,Big.,Cast iron.,\n")
    items, report = load_items(path, mapping={"sku": "id", "label": "title", "details+blurb": "description"},
                               progress=False)
    assert [(i.id, i.title, i.description) for i in items] == [
        ("k1", "Kettle", "Steel body."), ("k2", "Pot", "Cast iron.\n\nBig.")]
    assert items[0].attributes == {"colour": "red"} and items[0].extra == {} and report.notes == []


def test_a_mapped_column_that_is_not_in_the_file_is_noted(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,title,details\nk1,Kettle,Steel\n")
    _, report = load_items(path, mapping={"detials": "description"}, progress=False)
    assert report.notes == ["mapped column(s) 'detials' are not in the file, so their mapping did nothing; "
                            "its columns are: details, id, title"]


def test_common_column_names_are_read_without_a_mapping(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Product Name,SKU,Vendor,product_type,quantity,review_count,body_html,Link\n"
                    'Wool socks,ws-1,Knitco,Apparel > Socks,3,"1,024",'
                    '"<p>Warm &amp; <b>soft</b></p>\n<ul><li>merino</li></ul>",/products/ws-1\n',
                    encoding="utf-8")
    (item,), _ = load_items(path, progress=False)
    assert (item.id, item.title, item.brand) == ("ws-1", "Wool socks", "Knitco")
    assert item.category == ("Apparel", "Socks")
    assert (item.in_stock, item.extra, item.rating_count) == (True, {"stock": 3}, 1024)
    assert item.description == "Warm & soft\nmerino" and item.url == "/products/ws-1"  # a list entry is a line


def test_an_id_column_and_an_explicit_mapping_win_over_aliases(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,handle,name,title_en\n1,mug-handle,Mug,Big mug\n")
    (item,), _ = load_items(path, mapping={"title_en": "title"}, progress=False)
    assert (item.id, item.title) == ("1", "Big mug")
    assert item.extra == {"handle": "mug-handle", "name": "Mug"}


def test_image_and_page_urls_from_their_usual_columns(tmp_path):
    rows = [{"id": "a", "title": "A", "image": "https://img.example.com/a.jpg",
             "permalink": "https://shop.example.com/a"},
            {"id": "b", "title": "B",
             "images": "https://img.example.com/b1.jpg, https://img.example.com/b2.jpg"},
            {"id": "c", "title": "C", "Image Src": "//cdn.example.com/c.jpg", "product_url": "/p/c"},
            {"id": "d", "title": "D", "images": [{"thumb": "https://t/d.jpg", "large": "https://l/d.jpg"}]},
            {"id": "e", "title": "E", "image_url": "javascript:alert(1)", "link": "data:text/html,hi"}]
    items, report = load_items(_write_json(tmp_path / "u.json", rows), progress=False)
    assert [(i.image_url, i.url) for i in items] == [
        ("https://img.example.com/a.jpg", "https://shop.example.com/a"),
        ("https://img.example.com/b1.jpg", ""),
        ("https://cdn.example.com/c.jpg", "/p/c"), ("https://l/d.jpg", ""), ("", "")]
    assert report.field_warnings == {"image_url": 1, "url": 1}
    assert any(n.startswith("1 image_url value(s) were not http(s) URLs or site-relative paths and were "
                            "dropped (e.g. 'javascript:alert(1)' on line 5)") for n in report.notes)


def test_generated_ids_depend_on_title_and_brand_only():
    assert stable_id("Acme Widget", "Acme") == stable_id("Acme Widget", "Acme")
    assert stable_id("Acme Widget", "Acme") != stable_id("Acme Widget", "Other")
    assert stable_id("Acme Widget", "Acme").startswith("acme-widget-")
    long_id = stable_id("An extremely long product title that goes on and on about the product")
    assert len(long_id.rsplit("-", 1)[0]) <= 40 and long_id == stable_id(
        "An extremely long product title that goes on and on about the product")
    assert stable_id("Чайник").startswith("item-")


def test_two_rows_with_the_same_title_and_brand_and_no_id_get_a_duplicate_reason_that_says_why(tmp_path):
    rows = [{"title": "Mug", "brand": "A"}, {"title": "Mug", "brand": "B"}, {"title": "Mug", "brand": "A"}]
    items, report = load_items(_write_json(tmp_path / "d.json", rows), progress=False, allow_partial=True)
    assert len({i.id for i in items}) == 2 and report.generated_ids == 2
    reason = report.rejects[0].reason
    assert "generated from title and brand, which both rows share: add an id column" in reason


SHOPIFY_HEADER = ("Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name,"
                  "Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Inventory Qty,Variant Price,"
                  "Image Src,Image Position")
SHOPIFY_ROWS = [
    'tee,Basic Tee,"<p>Soft <em>cotton</em> tee.</p>",Threadly,Apparel > Shirts,Tees,"summer, cotton",true,'
    "Size,S,Color,Red,TEE-S-R,0,19.00,https://cdn.shopify.com/tee-1.jpg,1",
    ",,,,,,,,,M,,Red,TEE-M-R,4,19.00,https://cdn.shopify.com/tee-2.jpg,2",
    "tee,,,,,,,,,L,,Blue,TEE-L-B,0,21.00,,",
    "tee,,,,,,,,,,,,,,,https://cdn.shopify.com/tee-3.jpg,3",
    "mug,Camp Mug,Enamel mug.,Campco,,Mugs,,true,Title,Default Title,,,MUG-1,0,12.50,"
    "https://cdn.shopify.com/mug.jpg,1",
    "poster,Trail Poster,A print.,Printco,,Prints,,false,Title,Default Title,,,POS-1,,8.00,,",
]


def test_shopify_product_export_imports_one_item_per_handle(tmp_path):
    rows = list(SHOPIFY_ROWS)
    rows[1] = "tee" + rows[1]  # a variant row carries the Handle
    path = tmp_path / "products_export_1.csv"
    path.write_text("\n".join([SHOPIFY_HEADER, *rows]) + "\n", encoding="utf-8")
    assert detect_format(path) == "shopify"
    items, report = load_items(path, progress=False)
    assert report.rejects == [] and [i.id for i in items] == ["tee", "mug", "poster"]
    tee, mug, poster = items
    assert (tee.title, tee.brand, tee.price) == ("Basic Tee", "Threadly", 19.0)
    assert tee.category == ("Apparel", "Shirts")
    assert tee.description == "Soft cotton tee." and tee.image_url == "https://cdn.shopify.com/tee-1.jpg"
    assert tee.attributes == {"Size": "S, M, L", "Color": "Red, Blue"}
    assert tee.in_stock is True and tee.extra["stock"] == 4
    assert tee.extra["tags"] == "summer, cotton" and tee.extra["skus"] == "TEE-S-R, TEE-M-R, TEE-L-B"
    assert tee.extra["product_type"] == "Tees"
    assert (mug.in_stock, mug.extra["stock"], mug.attributes, mug.category) == (False, 0, {}, ("Mugs",))
    assert poster.in_stock is True and "stock" not in poster.extra and poster.extra["published"] == "false"
    forced, _ = load_items(path, fmt="shopify", progress=False)
    assert [i.id for i in forced] == ["tee", "mug", "poster"]


def test_a_shopify_row_without_a_handle_is_rejected_with_the_fix(tmp_path):
    path = tmp_path / "products.csv"
    path.write_text("\n".join([SHOPIFY_HEADER, *SHOPIFY_ROWS]) + "\n", encoding="utf-8")
    items, report = load_items(path, progress=False, allow_partial=True)
    assert [i.id for i in items] == ["tee", "mug", "poster"] and items[0].attributes["Size"] == "S, L"
    assert [(r.line, r.reason) for r in report.rejects] == [
        (3, "Shopify row without a Handle; every row needs the Handle of its product")]


def test_a_plain_csv_is_not_taken_for_shopify(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("Handle,Title\nmug,Mug\n")
    assert detect_format(path) == "table"
    (item,), _ = load_items(path, progress=False)
    assert (item.id, item.title) == ("mug", "Mug")


def test_amazon_2023_meta_picks_up_the_first_large_image(tmp_path):
    meta = tmp_path / "meta_Toys.jsonl"
    meta.write_text(json.dumps({"parent_asin": "B01", "title": "Kite", "price": None, "images": [
        {"thumb": "https://m.media-amazon.com/t.jpg", "large": "https://m.media-amazon.com/l.jpg",
         "hi_res": None, "variant": "MAIN"}], "average_rating": 4.2, "rating_number": 9}) + "\n")
    (kite,), report = load_items(meta, progress=False)
    assert kite.image_url == "https://m.media-amazon.com/l.jpg" and kite.rating == 4.2 and report.notes == []


def _mostly_bad_rows():
    good = [{"id": f"g{n}", "title": f"Good {n}", "price": 1} for n in range(6)]
    no_title = [{"id": f"t{n}", "price": 1} for n in range(3)]
    bad_price = [{"id": f"p{n}", "title": "Bad price", "price": f"ask {n}"} for n in range(2)]
    return good + no_title + bad_price + [{"id": "s", "title": "Bad stock", "in_stock": "maybe"}]


def test_too_many_rejects_fail_the_import_with_counts_and_common_reasons(tmp_path):
    path = _write_json(tmp_path / "bad.json", _mostly_bad_rows())
    with pytest.raises(TooManyRejects) as caught:
        load_items(path, progress=False)
    message = str(caught.value)
    assert "6 of 12 rows were rejected (50%; at most 20% may be)" in message
    assert "3 × missing title (first on line 7)" in message
    assert ("2 × price must be a number such as 12.50, '$1,299.00' or '1 299,00 €', got 'ask 0' "
            "(first on line 10)") in message
    assert "1 × in_stock must be" in message and "pass --allow-partial" in message
    assert caught.value.report.accepted == 6 and len(caught.value.report.rejects) == 6


def test_allow_partial_or_a_higher_share_accepts_the_valid_rows(tmp_path):
    path = _write_json(tmp_path / "bad.json", _mostly_bad_rows())
    items, report = load_items(path, progress=False, allow_partial=True)
    assert len(items) == 6 and "6 accepted, 6 rejected" in report.summary()
    assert len(load_items(path, progress=False, max_reject_share=0.5)[0]) == 6
    with pytest.raises(ValueError, match="max_reject_share=2 must lie between 0 and 1"):
        load_items(path, progress=False, max_reject_share=2)


def test_items_stored_before_image_and_url_fields_still_load():
    old = {"id": "a", "title": "Old", "description": "", "category": ["Home"], "brand": "", "price": 3.0,
           "currency": "USD", "attributes": {}, "in_stock": False, "rating": None, "rating_count": 0,
           "extra": {"stock": 0}}
    item = Item.from_json(json.dumps(old))
    assert (item.image_url, item.url, item.in_stock, item.extra) == ("", "", False, {"stock": 0})
    new = Item("b", "New", image_url="https://x/b.jpg", url="/p/b")
    assert Item.from_json(new.to_json()) == new


def test_spec_lines_of_a_description_and_property_columns_become_attributes(tmp_path):
    """A Shopify body's list of specs ("Pages: 400") and a shop CSV's colour / weight columns are attributes the
    assistant can answer from; a sentence with a colon in it is not a spec."""
    path = tmp_path / "shop.csv"
    path.write_text("sku,name,description,weight,colour,supplier_code\n"
                    's1,Moon Book,"<p>A witch feeds a baby moonlight.</p><ul><li>Author: Kelly Barnhill</li>'
                    '<li>Pages: 400</li></ul><p>Note: this sentence is long enough that it is not a spec at all, '
                    'it just has a colon</p>",,,X-9\n'
                    's2,Mat,Foam mat.,0.6 kg,Blue,X-10\n', encoding="utf-8")
    book, mat = load_items(path, progress=False)[0]
    assert book.attributes == {"Author": "Kelly Barnhill", "Pages": "400"}
    assert book.description.split("\n")[:2] == ["A witch feeds a baby moonlight.", "Author: Kelly Barnhill"]
    assert mat.attributes == {"weight": "0.6 kg", "colour": "Blue"} and mat.extra == {"supplier_code": "X-10"}
