"""Any store, not only the demo: a store made from its owner's own files (catalog, policies, orders, customers)
with `longtail index`, served by the same assistant; start-up mistakes answered with a clear message."""

from __future__ import annotations

import csv
import json

import chromadb
import pytest
from click.testing import CliRunner

from assistant import Policy, Products, TextDelta, ToolCall
from assistant.build import build_assistant
from assistant.testing import demo_assistant
from longtail import stores
from longtail.cli import cli
from longtail.config import Settings
from retrieval import CatalogDB, HashEmbedder, Store, StoreProfile

PRODUCTS = [
    {"name": "Billy Summers: A Novel by Stephen King", "price": "$18.99", "short_description": "A hitman's last job.",
     "product_description": "A thriller about a killer for hire who wants out.", "rating": "4.6/5",
     "handle": "billy-summers"},
    {"name": "The Shining by Stephen King", "price": "$9.99", "short_description": "A haunted hotel.",
     "product_description": "A family snowed in at the Overlook hotel.", "rating": "94%", "handle": "the-shining"},
    {"name": "Nokia 3310 Classic Phone", "price": "$59.00", "short_description": "A phone that lasts.",
     "product_description": "Long battery life, headphone jack, snake.", "rating": "4.1", "handle": "phone-010"},
    {"name": "Trail Running Shoes", "price": "$89.50", "short_description": "Grippy soles.",
     "product_description": "Light trail shoes for muddy paths.", "rating": "4.4/5", "handle": "sport-001"},
]
SHIPPING = """# Shipping

## Delivery times
Standard delivery takes 2-4 business days. Orders over $35 ship free.

## Express
Express delivery arrives next business day for $9.
"""


def _write_shop(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "products.json").write_text(json.dumps(PRODUCTS), encoding="utf-8")  # a JSON array, as exported
    (folder / "policies").mkdir()
    (folder / "policies" / "shipping.md").write_text(SHIPPING, encoding="utf-8")
    with (folder / "orders.csv").open("w", newline="", encoding="utf-8") as fh:  # one row per line item
        writer = csv.writer(fh)
        writer.writerow(["Name", "Email", "Fulfillment Status", "Created at", "Lineitem sku", "Lineitem quantity",
                         "Total", "Tracking Number", "Carrier"])
        writer.writerow(["#1001", "ann@example.com", "shipped", "2026-11-20", "billy-summers", "1", "28.98",
                         "TRK123456", "Parcelway"])
        writer.writerow(["#1001", "ann@example.com", "shipped", "2026-11-20", "the-shining", "1", "28.98",
                         "TRK123456", "Parcelway"])
        writer.writerow(["#1002", "bo@example.com", "delivered", "2026-11-01", "sport-001", "1", "89.50", "", ""])
    (folder / "customers.csv").write_text("customer_id,first_name,last_name,email\nc1,Ann,Lee,ann@example.com\n"
                                          "c2,Bo,Ng,bo@example.com\n", encoding="utf-8")


@pytest.fixture()
def shop(tmp_path):
    """A store created with three commands from the README's "your own store" section."""
    files = tmp_path / "export"
    _write_shop(files)
    base = ["--data-dir", str(tmp_path / "data"), "--store", "shop", "--embedding-model", "hash-128"]
    runner = CliRunner()
    result = runner.invoke(cli, [*base, "index", str(files / "products.json"),
                                 "--map", "product_description+short_description=description", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["catalog"]["accepted"] == 4 and out["catalog"]["rejected"] == 0
    result = runner.invoke(cli, [*base, "index", "--policies", str(files / "policies")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*base, "index", "--orders", str(files / "orders.csv"), "--customers",
                                 str(files / "customers.csv")])
    assert result.exit_code == 0, result.output
    assert "order numbers like #" in result.output and "2 accepted" in result.output
    return Settings(data_dir=tmp_path / "data", store="shop", embedding_model="hash-128", llm_backend="fake")


def run(bot, message, session="s"):
    return list(bot.respond(session, message))


def text_of(events):
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_an_imported_store_answers_with_its_own_ids_orders_and_policies(shop):
    bot = build_assistant(shop)
    assert bot.profile.order_ids.example.startswith("#") and bot.profile.order_ids.example != "#1001"
    events = run(bot, "Where is my order #1001? my email is ANN@example.com", "o")
    assert "TRK123456" in text_of(events) and "shipped" in text_of(events)
    wrong = run(bot, "where is order #1001? email bo@example.com", "o2")
    assert "TRK123456" not in repr(wrong) and "couldn't find an order" in text_of(wrong)
    asks = text_of(run(bot, "where is my order?", "o3"))
    assert "like #" in asks and "#1001" not in asks
    policy = run(bot, "is there free shipping?", "p")
    assert any("ship free" in p["text"] for p in next(e for e in policy if isinstance(e, Policy)).passages)
    call = next(e for e in run(bot, "tell me more about PHONE-010", "d") if isinstance(e, ToolCall))
    assert (call.name, call.arguments) == ("product_details", {"item_id": "phone-010"})
    events = run(bot, "tell me more about the Billy Summers book", "t")
    call = next(e for e in events if isinstance(e, ToolCall))
    assert call.arguments == {"item_id": "billy-summers"} and "$18.99" in text_of(events)
    call = next(e for e in run(bot, "compare PHONE-010 and SPORT-001", "c") if isinstance(e, ToolCall))
    assert (call.name, call.arguments) == ("compare_products", {"item_ids": ["phone-010", "sport-001"]})
    ret = run(bot, "I want to return SPORT-001 from order #1002, email bo@example.com, because it is too small", "r")
    assert next(e for e in ret if isinstance(e, ToolCall)).name == "start_return" and "Return R-1002-1" in \
        text_of(ret)


def test_a_store_without_policy_pages_says_so_and_offers_a_person(tmp_path):
    catalog = tmp_path / "c.jsonl"
    catalog.write_text('{"id": "a1", "title": "Blue mug"}\n{"id": "a2", "title": "Red mug"}\n', encoding="utf-8")
    base = ["--data-dir", str(tmp_path / "d"), "--store", "mugs", "--embedding-model", "hash-64"]
    result = CliRunner().invoke(cli, [*base, "index", str(catalog)])
    assert result.exit_code == 0 and "no policy pages yet (--policies DIR)" in result.output
    bot = build_assistant(Settings(data_dir=tmp_path / "d", store="mugs", embedding_model="hash-64",
                                   llm_backend="fake"))
    text = text_of(run(bot, "how long does shipping take?"))
    assert "has not published its policies" in text and "person" in text


def test_append_adds_and_replace_warns_with_the_count(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text('{"id": "x1", "title": "Blue mug"}\n{"id": "x2", "title": "Red mug"}\n', encoding="utf-8")
    b.write_text('{"id": "y1", "title": "Green teapot"}\n', encoding="utf-8")
    base = ["--data-dir", str(tmp_path / "d"), "--store", "two", "--embedding-model", "hash-64"]
    runner = CliRunner()
    assert runner.invoke(cli, [*base, "index", str(a)]).exit_code == 0
    out = runner.invoke(cli, [*base, "index", str(b), "--append", "--json"])
    assert json.loads(out.stdout)["index"]["total"] == 3
    out = runner.invoke(cli, [*base, "index", str(b)])
    assert out.exit_code == 0 and "deletes 2 item(s)" in out.output and "--append" in out.output
    assert "index: 1 items" in out.output


@pytest.mark.parametrize("command", [["search", "mug"], ["chat", "--backend", "fake"], ["eval", "assistant"],
                                     ["serve", "--fake-model"], ["index"]])
def test_unknown_store_lists_the_stores_and_leaves_nothing_behind(tmp_path, command):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "--store", "nosuch", *command])
    assert result.exit_code != 0
    assert "There is no store 'nosuch'" in result.output and "demo" in result.output and "index" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "stores" / "nosuch").exists()


def test_prices_and_limits_in_the_items_own_currency(tmp_path):
    catalog = tmp_path / "eur.json"
    catalog.write_text(json.dumps([{"id": "k1", "title": "Enamel kettle", "price": "24,50 €"},
                                   {"id": "k2", "title": "Copper kettle", "price": "€39,00"}]), encoding="utf-8")
    settings = Settings(data_dir=tmp_path, store="eur", chroma_mode="ephemeral", llm_backend="fake")
    store = Store(settings.store_config(), client=chromadb.EphemeralClient(), embedder=HashEmbedder(),
                  db=CatalogDB(settings.store_dir / stores.CATALOG))
    store.import_catalog(catalog, progress=False)
    store.sync_index(progress=False)
    assert StoreProfile.learn(store.db.items()).currency == "EUR"
    events = run(demo_assistant(store=store), "a kettle under 30")
    products = next(e for e in events if isinstance(e, Products))
    assert [h.item.id for h in products.hits] == ["k1"]
    assert "€24.50" in products.explanations["k1"] and "€30 limit" in products.explanations["k1"]


def test_amazon_scientific_as_a_store_details_and_compare_by_asin_and_title(shared_data, tmp_path):
    """The real Amazon Scientific catalog (4,385 items, ASIN ids) imported as a store: items are found by their
    ASIN in any case and by their title."""
    settings = Settings(data_dir=tmp_path, store="scientific", chroma_mode="ephemeral", llm_backend="fake")
    store = Store(settings.store_config(), client=chromadb.EphemeralClient(), embedder=HashEmbedder(),
                  db=CatalogDB(settings.store_dir / stores.CATALOG))
    report = store.import_catalog(shared_data / "amazon-scientific-unisrec" / "Scientific.text", progress=False)
    store.sync_index(progress=False)
    assert report.accepted == len(store.db) == 4385
    bot = demo_assistant(store=store)
    items = list(store.db.items().values())
    a, b = items[100], items[2000]
    call = next(e for e in run(bot, f"tell me more about {a.id.lower()}", "a") if isinstance(e, ToolCall))
    assert (call.name, call.arguments) == ("product_details", {"item_id": a.id})
    events = run(bot, f"tell me more about the {a.title}", "b")
    call = next(e for e in events if isinstance(e, ToolCall))
    assert call.arguments == {"item_id": a.id} and a.title in text_of(events)
    call = next(e for e in run(bot, f"compare {a.id} and {b.id}", "c") if isinstance(e, ToolCall))
    assert call.arguments == {"item_ids": [a.id, b.id]}
    call = next(e for e in run(bot, f"compare the {a.title} with the {b.title}", "d") if isinstance(e, ToolCall))
    assert (call.name, call.arguments) == ("compare_products", {"item_ids": [a.id, b.id]})


def test_eval_references_scores_ids_and_titles_on_any_catalog(tmp_path):
    catalog = tmp_path / "p.json"
    catalog.write_text(json.dumps(PRODUCTS), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "eval", "references", str(catalog), "--json"])
    assert result.exit_code == 0, result.output
    kinds = json.loads(result.stdout[result.stdout.index("{"):])["kinds"]
    assert kinds["id_lower"] == {**kinds["id_lower"], "right": 4, "cases": 4}
    assert kinds["title"]["right"] == kinds["title"]["cases"] == 4
    assert kinds["compare_ids"]["accuracy"] == 1.0
