"""The shopping cart: the SQLite store per session, the cart tools over the demo store, the API route and the
cart panel's HTML."""

from __future__ import annotations

import json
import sqlite3

import pytest
from fastapi.testclient import TestClient
from test_ui_support import ui_settings

from assistant import replies
from assistant.cart import MAX_QUANTITY, Cart
from assistant.conversations import ConversationStore
from assistant.models import ScriptedChatModel
from assistant.testing import demo_assistant, shared_store
from assistant.tools import TOOL_NAMES, ToolContext, ToolError, compact_result, run_tool, tools_prompt
from retrieval.catalog import format_price
from ui.cards import cart_label, render_cart

S1, S2 = "cart-session-1", "cart-session-2"


# ------------------------------------------------------------------------------------------------ the store
def test_adding_an_item_twice_raises_its_quantity_and_keeps_its_place():
    cart = Cart()
    cart.add(S1, "LT-00001")
    cart.add(S1, "LT-00002", 3)
    first_added = cart.lines(S1)[0]["added"]
    lines = cart.add(S1, "LT-00001", 2)
    assert [(x["item_id"], x["quantity"]) for x in lines] == [("LT-00001", 3), ("LT-00002", 3)]
    assert lines[0]["added"] == first_added and set(lines[0]) == {"item_id", "quantity", "added"}
    assert cart.lines(S1) == lines


def test_remove_lowers_the_quantity_or_drops_the_line():
    cart = Cart()
    cart.add(S1, "LT-00001", 5)
    cart.add(S1, "LT-00002")
    assert cart.remove(S1, "LT-00001", 2)[0]["quantity"] == 3
    assert [x["item_id"] for x in cart.remove(S1, "LT-00001")] == ["LT-00002"]  # None: the whole line
    assert cart.remove(S1, "LT-00002", 7) == []  # more than there is: the line goes
    cart.add(S1, "LT-00003")
    with pytest.raises(KeyError, match="LT-00009 is not in the cart; remove one of: LT-00003"):
        cart.remove(S1, "LT-00009")
    with pytest.raises(KeyError, match="the cart is empty"):
        cart.remove(S2, "LT-00003")


def test_sessions_have_their_own_carts_and_clear_empties_one():
    cart = Cart()
    cart.add(S1, "LT-00001", 2)
    cart.add(S2, "LT-00001")
    cart.add(S2, "LT-00005")
    assert [x["quantity"] for x in cart.lines(S1)] == [2]
    assert [x["item_id"] for x in cart.lines(S2)] == ["LT-00001", "LT-00005"]
    cart.clear(S2)
    assert cart.lines(S2) == [] and len(cart.lines(S1)) == 1
    assert cart.lines("never-seen-session") == []


@pytest.mark.parametrize("quantity, error, message", [
    (0, ValueError, "quantity=0: give a whole number from 1 to 99"),
    (-2, ValueError, "from 1 to 99"),
    (MAX_QUANTITY + 1, ValueError, "quantity=100: give a whole number from 1 to 99"),
    ("2", TypeError, "quantity='2': give a whole number"),
    (1.5, TypeError, "whole number"),
    (True, TypeError, "whole number"),
])
def test_bad_quantities_are_refused_with_the_allowed_range(quantity, error, message):
    cart = Cart()
    with pytest.raises(error, match=message):
        cart.add(S1, "LT-00001", quantity)
    cart.add(S1, "LT-00001")
    with pytest.raises(error, match=message):
        cart.remove(S1, "LT-00001", quantity)
    assert cart.lines(S1)[0]["quantity"] == 1  # nothing changed


def test_a_line_holds_at_most_99_and_the_error_says_how_many_fit():
    cart = Cart()
    cart.add(S1, "LT-00001", 95)
    with pytest.raises(ValueError, match="has 95 of LT-00001 already .* add at most 4"):
        cart.add(S1, "LT-00001", 5)
    assert cart.add(S1, "LT-00001", 4)[0]["quantity"] == 99


def test_empty_ids_are_refused():
    with pytest.raises(ValueError, match="session_id=''"):
        Cart().add("", "LT-00001")
    with pytest.raises(ValueError, match="item_id=''"):
        Cart().add(S1, "")


def test_the_cart_lives_in_the_conversations_file_and_survives_a_restart(tmp_path):
    path = tmp_path / "store" / "conversations.sqlite"
    store = ConversationStore(path)
    store.add_message(S1, "user", "I'll take the second one")
    store.cart.add(S1, "LT-00002", 2)
    store.close()
    with sqlite3.connect(path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"cart", "messages", "sessions"} <= tables
    again = ConversationStore(path)
    assert [(x["item_id"], x["quantity"]) for x in again.cart.lines(S1)] == [("LT-00002", 2)]
    assert len(again.messages(S1)) == 1
    assert Cart(path).lines(S1) == again.cart.lines(S1)  # a Cart of its own reads the same table


def test_view_prices_the_lines_from_the_catalog():
    items = shared_store().db.items()
    a, b = _in_stock(shared_store())
    cart = Cart()
    assert cart.view(S1, items) == {"lines": [], "count": 0, "total": 0.0, "currency": "USD",
                                    "total_text": "$0.00"}
    cart.add(S1, a.id, 2)
    cart.add(S1, b.id)
    cart.add(S1, "GONE-1")  # an id no longer in the catalog: shown, but the total cannot be known
    view = cart.view(S1, items)
    assert view["lines"][0] == {"item_id": a.id, "title": a.title, "quantity": 2, "unit_price": a.price,
                                "currency": "USD", "line_total": round(2 * a.price, 2), "in_stock": True}
    assert view["lines"][2]["title"] == "GONE-1 (no longer in the catalog)" and view["count"] == 4
    assert view["total"] is None and "no total" in view["total_text"]
    cart.remove(S1, "GONE-1")
    view = cart.view(S1, items)
    assert view["total"] == round(2 * a.price + b.price, 2)
    assert view["total_text"] == format_price(view["total"], "USD")


# ------------------------------------------------------------------------------------------------ the tools
@pytest.fixture
def ctx():
    store = shared_store()
    from assistant.build import load_orders, load_policies

    return ToolContext(store, load_orders(store.config.store_dir, in_memory=True), load_policies(store),
                       session_id=S1, cart=Cart())


def _in_stock(store, n=2):
    return [i for i in store.db.items().values() if i.in_stock and i.price is not None][:n]


def test_the_cart_tools_are_tools_that_the_acts_run_not_the_model():
    assert {"add_to_cart", "view_cart", "remove_from_cart"} <= set(TOOL_NAMES)
    assert "add_to_cart" not in tools_prompt()  # the fine-tuned model's prompt is the one it was trained with
    prompt = tools_prompt(TOOL_NAMES)
    assert "- add_to_cart(item_id: str, quantity?: int): Put a product in the shopper's cart" in prompt
    assert "- view_cart(): " in prompt and "- remove_from_cart(item_id: str): " in prompt


def test_add_to_cart_by_id_in_any_case_or_title_and_the_result_has_lines_and_total(ctx):
    a, b = _in_stock(ctx.store)
    got = run_tool(ctx, "add_to_cart", {"item_id": a.id.lower(), "quantity": 2})
    assert got["added"] == {"item_id": a.id, "title": a.title, "quantity": 2}
    assert [(x["item_id"], x["quantity"], x["unit_price"], x["line_total"]) for x in got["lines"]] == [
        (a.id, 2, a.price, round(2 * a.price, 2))]
    got = run_tool(ctx, "add_to_cart", {"item_id": b.title})
    assert [x["item_id"] for x in got["lines"]] == [a.id, b.id] and got["count"] == 3
    assert got["total"] == round(2 * a.price + b.price, 2) and got["currency"] == "USD"
    assert got["total_text"] == format_price(got["total"], "USD")
    again = run_tool(ctx, "add_to_cart", {"item_id": a.id})
    assert again["lines"][0]["quantity"] == 3  # the same line, one more
    assert run_tool(ctx, "view_cart", {}) == {k: v for k, v in again.items() if k != "added"}


def test_add_to_cart_refuses_unknown_ids_out_of_stock_items_and_bad_quantities(ctx):
    with pytest.raises(ToolError, match=r"There is no product 'NOPE-404'; use an id .*like LT-\d+"):
        run_tool(ctx, "add_to_cart", {"item_id": "NOPE-404"})
    sold_out = next(i for i in ctx.store.db.items().values() if not i.in_stock)
    with pytest.raises(ToolError, match="is out of stock right now, so I can't add it to your cart") as err:
        run_tool(ctx, "add_to_cart", {"item_id": sold_out.id})
    assert sold_out.title in str(err.value) and sold_out.id not in str(err.value)  # said to the shopper as is
    a = _in_stock(ctx.store, 1)[0]
    with pytest.raises(ToolError, match="quantity=0: give a whole number from 1 to 99"):
        run_tool(ctx, "add_to_cart", {"item_id": a.id, "quantity": 0})
    with pytest.raises(ToolError, match=r"Invalid arguments for add_to_cart.*quantity"):
        run_tool(ctx, "add_to_cart", {"item_id": a.id, "quantity": "lots"})
    with pytest.raises(ToolError, match="Extra inputs"):
        run_tool(ctx, "view_cart", {"session_id": "someone-else"})
    assert run_tool(ctx, "view_cart", {})["lines"] == []  # nothing went in


def test_remove_from_cart(ctx):
    a, b = _in_stock(ctx.store)
    with pytest.raises(ToolError, match=f"{a.id} is not in the cart; the cart is empty"):
        run_tool(ctx, "remove_from_cart", {"item_id": a.id})
    run_tool(ctx, "add_to_cart", {"item_id": a.id, "quantity": 4})
    run_tool(ctx, "add_to_cart", {"item_id": b.id})
    with pytest.raises(ToolError, match=f"'NOPE-404' is not in the cart; remove one of: {a.id}, {b.id}"):
        run_tool(ctx, "remove_from_cart", {"item_id": "NOPE-404"})
    got = run_tool(ctx, "remove_from_cart", {"item_id": a.title})
    assert got["removed"] == {"item_id": a.id, "title": a.title}
    assert [x["item_id"] for x in got["lines"]] == [b.id] and got["total"] == b.price
    assert run_tool(ctx, "remove_from_cart", {"item_id": b.id.lower()})["lines"] == []


def test_carts_of_two_sessions_on_one_conversation_store_stay_apart(ctx):
    shared = ConversationStore(":memory:").cart
    a, b = _in_stock(ctx.store)
    mine = ToolContext(ctx.store, ctx.orders, ctx.policies, session_id=S1, cart=shared)
    theirs = ToolContext(ctx.store, ctx.orders, ctx.policies, session_id=S2, cart=shared)
    run_tool(mine, "add_to_cart", {"item_id": a.id})
    run_tool(theirs, "add_to_cart", {"item_id": b.id, "quantity": 2})
    assert [x["item_id"] for x in run_tool(mine, "view_cart", {})["lines"]] == [a.id]
    assert [x["item_id"] for x in shared.lines(S2)] == [b.id]


def test_compact_result_and_reply_for_the_cart(ctx):
    a = _in_stock(ctx.store, 1)[0]
    got = run_tool(ctx, "add_to_cart", {"item_id": a.id, "quantity": 2})
    compact = json.loads(compact_result("add_to_cart", got))
    assert compact["name"] == "add_to_cart"
    content = compact["content"]
    assert content["added"] == {"item_id": a.id, "quantity": 2}
    assert content["lines"] == [{"item_id": a.id, "title": a.title[:80], "quantity": 2,
                                 "line_total": round(2 * a.price, 2)}]
    assert content["total_text"] == format_price(round(2 * a.price, 2), "USD")
    text = replies.cart_reply(got)
    assert text.startswith(f"I've added 2 × {a.title} to your cart. Your cart has 2 items")
    assert text.endswith(f"total {got['total_text']}.")
    assert replies.cart_reply(run_tool(ctx, "remove_from_cart", {"item_id": a.id})) == (
        f"I've taken {a.title} out of your cart. Your cart is empty.")


def test_an_add_to_cart_turn_lands_in_the_sessions_cart_even_in_model_mode():
    """The act runs the cart tool (the fine-tuned model never saw it); the quantity comes from the words."""
    a = _in_stock(shared_store(), 1)[0]
    call = json.dumps({"name": "search_products", "arguments": {"query": "anything"}})
    bot = demo_assistant(model=ScriptedChatModel([f"<tool_call>{call}</tool_call>"]), tool_mode="model")
    events = list(bot.respond(S1, f"please put two of {a.id} in my cart"))
    assert not [e for e in events if type(e).__name__ == "Error"]
    assert [(x["item_id"], x["quantity"]) for x in bot.conversations.cart.lines(S1)] == [(a.id, 2)]
    assert "to your cart" in events[-1].text


# ------------------------------------------------------------------------------------------------ API and UI
def test_api_cart_returns_the_sessions_lines_and_total():
    from ui.api import create_server

    bot = demo_assistant()
    app = create_server(bot, ui_settings(), mount_ui=False)
    client = TestClient(app)
    s1, s2 = app.state.sessions.issue("api"), app.state.sessions.issue("api")  # ids the server issued
    a, b = _in_stock(bot.store)
    ctx = ToolContext(bot.store, bot.orders, bot.policies, session_id=s1, cart=bot.conversations.cart)
    run_tool(ctx, "add_to_cart", {"item_id": a.id, "quantity": 2})
    run_tool(ctx, "add_to_cart", {"item_id": b.id})
    r = client.get("/api/cart", params={"session_id": s1})
    assert r.status_code == 200
    body = r.json()
    assert body["session_id"] == s1 and body["count"] == 3
    assert [(x["item_id"], x["title"], x["quantity"], x["line_total"]) for x in body["lines"]] == [
        (a.id, a.title, 2, round(2 * a.price, 2)), (b.id, b.title, 1, b.price)]
    assert body["total"] == round(2 * a.price + b.price, 2)
    assert body["total_text"] == format_price(body["total"], "USD")
    empty = client.get("/api/cart", params={"session_id": s2}).json()
    assert empty["lines"] == [] and empty["total_text"] == "$0.00"
    assert client.get("/api/cart", params={"session_id": "../../etc"}).status_code == 422
    assert client.get("/api/cart", params={"session_id": S1}).status_code == 403  # made up: refused
    assert client.get("/api/cart").status_code == 422
    assert "/api/cart" in client.get("/openapi.json").json()["paths"]


def test_cart_panel_lists_lines_escaped_with_the_total():
    assert "Your cart is empty" in render_cart({"lines": [], "count": 0})
    assert cart_label({"count": 0}) == "Cart (0)"
    cart = {"count": 3, "total_text": "$30.00", "lines": [
        {"item_id": "X-1", "title": "<script>alert(1)</script> Mug", "quantity": 2, "line_total": 20.0,
         "currency": "USD", "in_stock": True},
        {"item_id": 'X-"2', "title": "Plate", "quantity": 1, "line_total": 10.0, "currency": "EUR",
         "in_stock": False}]}
    html = render_cart(cart)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Mug" in html
    assert 'data-item-id="X-&quot;2"' in html and "2 ×" in html and "$20.00" in html and "€10.00" in html
    assert "out of stock" in html and "Total: <span class=\"lt-price\">$30.00</span>" in html
    assert cart_label(cart) == "Cart (3)"
