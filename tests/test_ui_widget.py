"""The shopper widget: the hidden-gem rule, cards (image, link, price, stock), in-stock first, follow-up chips,
the Filters panel, and (in Chromium, desktop / phone / a 420x640 iframe) the input staying in view.

The unit tests need nothing but the code; the browser tests are skipped, with the reason, when Playwright or
/usr/bin/chromium is missing (see tests/test_ui_browser.py). Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_ui_support import CHROMIUM, SHOTS, TIMEOUT, VIEWPORTS, browser, open_chat, page, send  # noqa: F401 (fixtures)

from ui.cards import (
    card_from_hit,
    follow_up_chips,
    gem_reason,
    in_stock_first,
    render_card,
    render_chips,
)
from ui.chat import make_filters


@dataclass
class FakeTrace:
    bucket: str = "tail"
    long_tail: bool = True
    popularity: float = 1.0
    exposure: int = 0

    def to_dict(self):
        return dict(self.__dict__)


@dataclass
class FakeItem:
    id: str = "LT-1"
    title: str = "Trail Runner Shoes, Blue"
    brand: str = "Acme"
    category_path: str = "Shoes > Trail Running"
    price: float | None = 59.99
    currency: str = "USD"
    rating: float | None = 4.8
    rating_count: int = 12
    in_stock: bool = True
    image_url: str = ""
    url: str = ""
    attributes: dict = field(default_factory=lambda: {"color": "blue"})
    extra: dict = field(default_factory=dict)


def hit(item=None, trace=None):
    return SimpleNamespace(item=item or FakeItem(), trace=trace or FakeTrace())


# -- the hidden-gem badge -------------------------------------------------------------------------------------
def test_gem_needs_the_tail_bucket_and_rating_evidence():
    assert gem_reason(FakeItem(), FakeTrace()) == "Few shoppers have found it yet, rated 4.8 by 12 buyers"
    assert gem_reason(FakeItem(), FakeTrace(bucket="mid")) == ""  # "not head" is not enough
    assert gem_reason(FakeItem(), FakeTrace(bucket="head", long_tail=False)) == ""
    assert gem_reason(FakeItem(rating=None, rating_count=0), FakeTrace()) == ""  # no evidence: never
    assert gem_reason(FakeItem(rating=4.9, rating_count=2), FakeTrace()) == ""  # too few ratings
    assert gem_reason(FakeItem(rating=3.2, rating_count=40), FakeTrace()) == ""  # rated, but not well
    assert gem_reason(FakeItem(rating=float("nan")), FakeTrace()) == ""


def test_gem_reason_is_built_from_the_items_data():
    new = FakeItem(rating=4.6, rating_count=9, extra={"date_added": "2025-05-20"})
    assert gem_reason(new, FakeTrace(), today=date(2025, 6, 1)) == "New to our shop, rated 4.6 by 9 buyers"
    assert gem_reason(new, FakeTrace(), today=date(2026, 6, 1)).startswith("Few shoppers")  # not new any more
    unseen = gem_reason(FakeItem(), FakeTrace(popularity=0.0, exposure=0))
    assert unseen == "No one here has found it yet, but it's rated 4.8 by 12 buyers"
    card = card_from_hit(hit())
    assert card["hidden_gem"] and card["gem_reason"] in render_card(card)
    plain = card_from_hit(hit(FakeItem(rating=None, rating_count=0)))
    assert not plain["hidden_gem"] and "Hidden gem" not in render_card(plain)


def test_demo_catalog_gems_are_a_minority_with_evidence():
    from test_ui_support import ui_store

    store = ui_store()
    pop, items = store.searcher.popularity, store.db.items()
    gems = [
        i
        for i, item in items.items()
        if gem_reason(item, SimpleNamespace(bucket=pop.bucket.get(i, "tail"), popularity=pop.counts.get(i, 0)))
    ]
    not_head = [i for i in items if pop.is_long_tail(i)]
    assert 0 < len(gems) < 0.4 * len(not_head)
    assert all(items[i].rating is not None and items[i].rating_count >= 3 for i in gems)


# -- cards ----------------------------------------------------------------------------------------------------
def test_card_shows_image_link_price_in_its_currency_rating_and_stock():
    item = FakeItem(image_url="https://img.example/shoe.jpg", url="https://shop.example/p/1", currency="EUR")
    html = render_card(card_from_hit(hit(item)))
    assert '<img class="lt-img" src="https://img.example/shoe.jpg"' in html
    assert 'href="https://shop.example/p/1"' in html and 'rel="noopener noreferrer"' in html
    assert "€59.99" in html and "★ 4.8 (12 ratings)" in html and "In stock" in html
    bare = render_card(card_from_hit(hit(FakeItem(in_stock=False, image_url="javascript:alert(1)"))))
    assert "lt-img-none" in bare and "<img" not in bare and "javascript:" not in bare and "<a " not in bare
    assert "Out of stock" in bare


def test_out_of_stock_items_are_never_first_but_kept():
    cards = [{"id": "a", "in_stock": False}, {"id": "b", "in_stock": True}, {"id": "c", "in_stock": True}]
    assert [c["id"] for c in in_stock_first(cards)] == ["b", "c", "a"]
    assert [c["id"] for c in in_stock_first([{"id": "x", "in_stock": False}])] == ["x"]


# -- follow-up chips -----------------------------------------------------------------------------------------
def test_chips_come_from_the_results():
    cards = [
        card_from_hit(hit(FakeItem(id="1", price=59.99, brand="Acme", attributes={"color": "blue"}))),
        card_from_hit(hit(FakeItem(id="2", price=44.0, brand="Trailco", attributes={}))),
        card_from_hit(hit(FakeItem(id="3", price=89.0, brand="", attributes={"colour": "Red"}))),
    ]
    chips = follow_up_chips(cards, "shoes for trails under $100")
    assert chips == [
        "Show me trail running under $50",  # the items' kind (category), not the search words
        "Show me trail running in blue",
        "More from Acme",
        "Compare the first two",
    ]
    one = follow_up_chips([{**cards[1], "category": ""}], "boots under $60")
    assert one == ["Show me boots under $40", "More from Trailco"]  # no comparison with one result
    assert follow_up_chips([], "boots") == []
    html = render_chips(['a "quoted" <chip>'])
    assert 'data-chip="a &quot;quoted&quot; &lt;chip&gt;"' in html and "<chip>" not in html


def test_empty_filter_boxes_send_no_filter():
    assert make_filters(None, None, "", False) is None
    assert make_filters("", "", None, None) is None
    assert make_filters(None, 40, "", False).max_price == 40
    from ui.app import price_box, shop_filters

    assert shop_filters("", "", "", False) is None  # the panel opened, nothing typed
    assert shop_filters(None, None, "", False) is None
    assert [price_box(x) for x in ("40", "$40", "1,200.50", "abc", "", None)] == [40, 40, 1200.5, None, None, None]
    assert shop_filters("", "$45", "", False).max_price == 45


# -- in Chromium --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop():
    """The shop's own page on another origin (another loopback port), allowed to frame the chat."""
    holder: dict[str, str] = {}
    server = host_page(holder)
    server.holder = holder
    server.origin = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def app(shop):
    from test_ui_support import PacedModel, ui_assistant, ui_settings

    from ui.api import create_server
    from ui.limits import RateLimiter
    from ui.server import start_in_thread

    assistant = ui_assistant(PacedModel(delay=0.02))
    # the console is off here (its tests are elsewhere): this module checks the shopper's page only
    settings = ui_settings(admin_user="", admin_password="")
    running = start_in_thread(create_server(assistant, settings, limiter=RateLimiter(200, 60),
                                            allowed_origins=(shop.origin,)))
    shop.holder["url"] = running.url
    running.assistant = assistant
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield running
    running.stop()


def wait_answer(pg, n=1):
    pg.wait_for_function(
        f"[...document.querySelectorAll('#lt-chat .message.bot')].filter(b => "
        f"b.innerText.includes('something different')).length >= {n}"
    )


def in_view(frame, selector, height):
    box = frame.locator(selector).first.evaluate("e => { const r = e.getBoundingClientRect(); "
                                                 "return [r.top, r.bottom]; }")
    return 0 <= box[0] and box[1] <= height + 0.5, box


def card_prices(pg):
    """The prices on the newest answer's cards (earlier answers keep theirs in the conversation)."""
    return pg.locator(".lt-cards-wrap").last.locator(".lt-card .lt-price").evaluate_all(
        "ps => ps.map(p => parseFloat(p.innerText.replace(/[^0-9.]/g, '')))"
    )


def test_filters_untouched_then_set(page, app):
    open_chat(page, app)
    page.locator("#lt-filters").get_by_text("Filters").first.click()  # open the panel, touch nothing
    page.wait_for_selector("#lt-max-price input")
    assert page.locator("#lt-max-price input").input_value() == ""
    send(page, "hiking boots")
    wait_answer(page)
    assert page.locator(".lt-card").count() >= 1, page.inner_text("#lt-chat")
    assert "no new matches" not in page.inner_text("#lt-chat")
    prices = card_prices(page)
    limit = sorted(prices)[len(prices) // 2] if len(prices) > 1 else prices[0] + 1
    page.locator("#lt-max-price input").fill(f"{limit:.2f}")
    page.locator("#lt-max-price input").press("Tab")
    send(page, "hiking boots please")
    wait_answer(page, 2)
    page.wait_for_timeout(300)
    after = card_prices(page)
    assert after and all(p <= limit + 1e-6 for p in after), (limit, after)
    page.screenshot(path=str(SHOTS / f"filters-{page.viewport_name}.png"))


def test_chip_sends_its_message_and_input_stays_in_view(page, app):
    open_chat(page, app)
    w, h = VIEWPORTS[page.viewport_name]
    page.locator("#lt-chips .lt-chip").nth(3).wait_for()  # rendered after the page loads: wait, then count
    assert page.locator("#lt-chips .lt-chip").count() == 4  # the examples until the first answer
    send(page, "running shorts for a summer race")
    page.wait_for_selector(".lt-card")
    wait_answer(page)
    # the follow-ups sit under the answer, in its cards bubble; the examples' row is gone
    page.wait_for_selector("#lt-chat .lt-cards-wrap .lt-chip:has-text('Compare the first two')")
    chips = page.locator("#lt-chat .lt-chip").all_inner_texts()
    assert any(c.startswith("Show me") for c in chips), chips
    assert page.locator("#lt-chips .lt-chip").count() == 0
    ok, box = in_view(page, "#lt-message textarea", h)
    assert ok, f"input out of view at {w}x{h}: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= w
    page.screenshot(path=str(SHOTS / f"widget-{page.viewport_name}.png"))
    page.evaluate("window.scrollTo(0, document.querySelector('.lt-cards-heading').getBoundingClientRect().top"
                  " + window.scrollY - (innerWidth < 640 ? 260 : 320))")
    page.wait_for_timeout(200)
    assert in_view(page, "#lt-message textarea", h)[0]
    page.screenshot(path=str(SHOTS / f"widget-cards-{page.viewport_name}.png"))
    chip = page.locator("#lt-chat .lt-chip").first
    text = chip.inner_text()
    chip.click()
    page.wait_for_function(
        "t => [...document.querySelectorAll('#lt-chat .message.user')].some(m => m.innerText.includes(t))",
        arg=text,
    )
    wait_answer(page, 2)
    ok, box = in_view(page, "#lt-message textarea", h)
    assert ok, f"input out of view after a chip at {w}x{h}: {box}"
    page.mouse.wheel(0, 400)  # scrolled to the cards: the input is still there
    page.wait_for_timeout(200)
    assert in_view(page, "#lt-message textarea", h)[0]
    page.screenshot(path=str(SHOTS / f"chat-chip-{page.viewport_name}.png"))


def host_page(holder: dict[str, str]):
    """A shop's page on another origin (another loopback port) that frames the chat (``holder["url"]``) at
    420x640."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = (
                '<!doctype html><html><body style="margin:20px"><h1 style="font:16px sans-serif">Our shop</h1>'
                f'<iframe id="w" src="{holder["url"]}/" width="420" height="640" style="border:1px solid #ccc">'
                "</iframe></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_site_that_was_not_allowed_cannot_frame_the_chat(browser, app):
    other = host_page({"url": app.url})  # another origin, not in allowed_origins
    pg = browser.new_context().new_page()
    try:
        pg.goto(f"http://127.0.0.1:{other.server_address[1]}/")
        pg.wait_for_timeout(1500)
        frame = next((f for f in pg.frames if f.url.startswith(app.url)), None)
        assert frame is None or frame.locator("#lt-message textarea").count() == 0
    finally:
        other.shutdown()
        pg.context.close()


def test_input_in_view_in_a_420x640_iframe(browser, app, shop):
    context = browser.new_context(viewport={"width": 520, "height": 760})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    host = f"{shop.origin}/"
    try:
        pg.goto(host)
        frame = pg.frame_locator("#w")
        frame.locator("#lt-message textarea").wait_for()
        frame.locator("#lt-message textarea").fill("a saucepan that works on induction")
        frame.locator("#lt-message textarea").press("Enter")
        frame.locator(".lt-card").first.wait_for()
        frame.locator("#lt-chat .lt-chip:has-text('Compare')").wait_for()
        real = next(f for f in pg.frames if f.url.startswith(app.url))
        ok, box = in_view(real, "#lt-message textarea", 640)
        assert ok, f"input out of view in the iframe: {box}"
        real.evaluate("window.scrollBy(0, 500)")
        pg.wait_for_timeout(200)
        assert in_view(real, "#lt-message textarea", 640)[0]
        pg.screenshot(path=str(SHOTS / "widget-iframe.png"))
    finally:
        context.close()
