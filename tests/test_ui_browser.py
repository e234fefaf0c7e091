"""Real-browser tests: Playwright drives Debian's Chromium (headless, no sandbox, background networking off)
against the whole web app on a loopback port, with the real assistant over the demo store (HashEmbedder) and
a paced scripted model. Screenshots of the main screens go to ``artifacts/screenshots/``.

Skipped, with the reason, when Playwright or /usr/bin/chromium is missing (`make browser-deps` installs
Chromium; `pip install playwright` the driver; never `playwright install`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ui_support import (
    ADMIN_PASSWORD, ADMIN_USER, ARGS, CHROMIUM, SHOTS, TIMEOUT, PacedModel, ui_assistant, ui_settings,
)

from retrieval.catalog import format_price


sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright is not installed: "
    "`.venv/bin/pip install playwright` (do not run `playwright install`).",
)
if not CHROMIUM.exists():
    pytest.skip(
        "Chromium is not installed at /usr/bin/chromium: run `make browser-deps` "
        "(apt-get install -y chromium).",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def app():
    from ui.api import create_server
    from ui.limits import RateLimiter
    from ui.server import start_in_thread

    assistant = ui_assistant(PacedModel(delay=0.06))
    running = start_in_thread(create_server(assistant, ui_settings(), limiter=RateLimiter(100, 60)))
    running.assistant = assistant
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app):
    context = browser.new_context(viewport={"width": 1180, "height": 900})
    outside: list[str] = []
    context.on(
        "request", lambda r: outside.append(r.url) if not r.url.startswith(("data:", app.url)) else None
    )
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    yield pg
    context.close()
    assert not outside, f"the page tried to reach other hosts: {outside[:5]}"


def open_chat(pg, app) -> None:
    pg.goto(app.url + "/")
    pg.wait_for_selector("#lt-message textarea")


def send(pg, text: str) -> None:
    box = pg.locator("#lt-message textarea")
    box.fill(text)
    box.press("Enter")


def bot_texts(pg) -> list[str]:
    return pg.locator("#lt-chat .message.bot").all_inner_texts()


def test_chat_streams_text_and_shows_cards_with_gems(page, app):
    open_chat(page, app)
    # record every distinct length of each bot bubble while the answer streams (per bubble: the cards bubble,
    # mounting, must not count as the words')
    page.evaluate("""() => { window.ltSeen = new Map();
        new MutationObserver(() => { for (const m of document.querySelectorAll('#lt-chat .message.bot')) {
          const n = m.innerText.trim().length, seen = window.ltSeen.get(m) || [];
          if (n && seen[seen.length - 1] !== n) { seen.push(n); window.ltSeen.set(m, seen); } } })
        .observe(document.querySelector('#lt-chat'), {subtree: true, childList: true, characterData: true}); }""")
    send(page, "running shorts for a summer race")
    page.wait_for_selector(".lt-card")
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('something different')")
    lengths = page.evaluate("""() => { for (const [m, seen] of window.ltSeen)
        if (m.isConnected && m.innerText.includes('something different')) return seen; return []; }""")
    assert len(lengths) >= 3 and lengths == sorted(lengths), f"text did not stream: {lengths}"
    cards = page.locator(".lt-card")
    assert 1 <= cards.count() <= 5
    assert "running shorts for a summer race" in page.inner_text("#lt-chat")
    # the badge: tail items with rating evidence only, each with its reason (rules: tests/test_ui_widget.py)
    for gem in page.locator(".lt-card:has(.lt-gem)").all():
        assert gem.get_attribute("data-bucket") == "tail"
        assert "rated" in gem.locator(".lt-gem-why").inner_text()
    assert page.locator(".lt-card:has(.lt-gem)[data-bucket='mid'], .lt-card:has(.lt-gem)[data-bucket='head']").count() == 0
    page.screenshot(path=str(SHOTS / "chat-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # phone width: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "chat-phone.png"), full_page=True)


def test_thumbs_up_by_keyboard_is_logged_and_more_like_this_adds_similar_cards(page, app):
    open_chat(page, app)
    send(page, "a saucepan that works on induction")
    first = page.locator(".lt-card").first
    first.wait_for()
    # (the answer first, so the thumbs and the bubble below are judged on a finished turn)
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('something different')")
    item_id = first.get_attribute("data-item-id")
    up = first.locator("button[data-fb=up]")
    up.focus()
    page.keyboard.press("Enter")  # keyboard usable: real buttons
    page.wait_for_selector("#lt-status .lt-status")
    assert "Thanks" in page.inner_text("#lt-status")
    logged = [f for f in app.assistant.conversations.feedback() if f["item_id"] == item_id]
    assert [f["kind"] for f in logged] == ["up"]
    assert (logged[0]["session_id"], item_id, "like") in [
        (u, i, e) for u, i, e, _ in app.assistant.store.db.iter_interactions()
    ]
    page.locator(".lt-card").first.locator("button[data-fb=more_like_this]").click()
    page.wait_for_selector(".lt-cards-heading:has-text('More like')")
    answers = page.locator(".lt-cards-wrap")
    assert answers.count() == 2  # the first answer's cards stay in the conversation, the similar ones follow
    assert item_id in answers.first.locator(".lt-card").evaluate_all("cs => cs.map(c => c.dataset.itemId)")
    assert item_id not in answers.last.locator(".lt-card").evaluate_all("cs => cs.map(c => c.dataset.itemId)")
    page.screenshot(path=str(SHOTS / "more-like-this.png"), full_page=True)


def test_policy_answer_shows_its_passage(page, app):
    open_chat(page, app)
    send(page, "What is your return policy?")
    page.wait_for_selector("#lt-chat :text('Store policy')")
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('policy:')")
    page.screenshot(path=str(SHOTS / "policy-answer.png"), full_page=True)


def test_cart_panel_shows_the_sessions_cart_after_each_turn(page, app):
    open_chat(page, app)
    assert page.inner_text("#lt-cart").strip().startswith("Cart (0)")
    send(page, "panel check: running shorts")
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('something different')")
    conversations = app.assistant.conversations
    session = next(
        s["session_id"]
        for s in conversations.sessions()
        if any(m["content"] == "panel check: running shorts" for m in conversations.messages(s["session_id"]))
    )
    assert app.server.config.app.state.sessions.verify(session)  # the web chat's ids are server-issued too
    item = next(i for i in app.assistant.store.db.items().values() if i.in_stock and i.price)
    conversations.cart.add(session, item.id, 2)  # what an add_to_cart call in the turn does
    send(page, "thanks")
    page.wait_for_selector("#lt-cart :text('Cart (2)')")
    page.locator("#lt-cart").get_by_text("Cart (2)").click()
    line = page.locator(f".lt-cart-line[data-item-id='{item.id}']")
    line.wait_for()
    assert item.title in line.inner_text() and "2 ×" in line.inner_text()
    assert format_price(round(2 * item.price, 2), item.currency) in page.inner_text(".lt-cart-total")
    page.screenshot(path=str(SHOTS / "cart.png"), full_page=True)
    page.locator("#lt-clear").click()  # start over: a new session, an empty cart
    page.wait_for_selector("#lt-cart :text('Cart (0)')")


def test_a_reply_shows_its_cards_inline_with_the_items_image(page, app):
    import dataclasses

    from ui.api import DOCS_ASSETS

    store = app.assistant.store
    image = app.url + DOCS_ASSETS + "/favicon.png"  # a picture this server has (no outside request)
    skillets = [i for i in store.db.items().values() if "skillet" in i.title.lower()]
    assert skillets
    store.db.upsert_items([dataclasses.replace(i, image_url=image) for i in skillets])  # a catalog update
    store.sync_index(progress=False)
    open_chat(page, app)
    send(page, "image check: a cast iron skillet")
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('something different')")
    bot = page.locator("#lt-chat .message.bot")
    assert bot.last.locator(".lt-cards-wrap").count() == 1  # the cards are the reply's last bubble
    img = bot.last.locator("img.lt-img").first
    img.wait_for()
    assert img.get_attribute("src") == image
    page.wait_for_function("() => [...document.querySelectorAll('#lt-chat img.lt-img')]"
                           ".some(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(SHOTS / "card-image.png"))


def test_add_to_cart_on_a_card_then_view_the_cart(page, app):
    open_chat(page, app)
    send(page, "card cart: a rain jacket")
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('something different')")
    card = page.locator(".lt-cards-wrap").last.locator(".lt-card:has(button[data-fb=add_to_cart])").first
    card.wait_for()
    item_id = card.get_attribute("data-item-id")
    title = app.assistant.store.db.get(item_id).title
    card.locator("button[data-fb=add_to_cart]").click()
    page.wait_for_selector("#lt-cart :text('Cart (1)')")
    assert f"Added “{title}” to your cart." in page.inner_text("#lt-status")
    card.locator("button[data-fb=add_to_cart]").click()  # again: two of it, one line
    page.wait_for_selector("#lt-cart :text('Cart (2)')")
    page.locator("#lt-cart").get_by_text("Cart (2)").click()
    line = page.locator(f".lt-cart-line[data-item-id='{item_id}']")
    line.wait_for()
    assert "2 ×" in line.inner_text() and page.locator(".lt-cart-line").count() == 1
    # out-of-stock cards offer no button (the tool would refuse: tests/test_cart.py)
    assert page.locator(".lt-card-oos button[data-fb=add_to_cart]").count() == 0
    page.screenshot(path=str(SHOTS / "card-cart.png"))


def test_two_shoppers_at_once_do_not_see_each_other(browser, app):
    contexts = [browser.new_context() for _ in range(2)]
    pages = [c.new_page() for c in contexts]
    words = ["hiking boots", "a cast iron skillet"]
    try:
        for pg in pages:
            pg.set_default_timeout(TIMEOUT)
            open_chat(pg, app)
        for pg, w in zip(pages, words):  # both turns run at the same time (the model is paced)
            send(pg, w)
        for pg in pages:
            pg.wait_for_function(
                "document.querySelector('#lt-chat')?.innerText.includes('something different')"
            )
        for pg, mine, theirs in zip(pages, words, reversed(words)):
            chat = pg.inner_text("#lt-chat")
            assert mine in chat and theirs not in chat
            assert len(pg.locator("#lt-chat .message.user").all()) == 1
    finally:
        for c in contexts:
            c.close()


def test_console_refuses_a_wrong_password_then_shows_the_escalated_chat(browser, page, app):
    open_chat(page, app)
    send(page, "a rain jacket")
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('something different')")
    send(page, "I want to talk to a human about a damaged parcel")
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('support team')")

    agent = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    agent.set_default_timeout(TIMEOUT)
    agent.goto(app.url + "/console/")
    agent.fill("input[type=text]", ADMIN_USER)
    agent.fill("input[type=password]", "not the password")
    agent.click("button:has-text('Login')")
    agent.wait_for_selector("text=Incorrect Credentials")
    agent.screenshot(path=str(SHOTS / "console-login-refused.png"))
    agent.fill("input[type=text]", ADMIN_USER)  # the login form clears both fields after a refusal
    agent.fill("input[type=password]", ADMIN_PASSWORD)
    agent.click("button:has-text('Login')")
    agent.wait_for_selector("#lt-queue")
    agent.wait_for_function(
        "document.querySelector('#lt-ticket-transcript').innerText.includes('damaged parcel')"
    )
    ticket = app.assistant.conversations.escalations("open")[-1]["ticket_id"]
    shopped = app.assistant.conversations.escalations("open")[-1]["session_id"]
    assert ticket in agent.inner_text("#lt-queue")
    agent.click("#lt-take")
    agent.wait_for_selector(f"text=took over {ticket}")
    agent.locator("#lt-reply textarea").fill("Hi, I'm Ada from support. Sorry about the parcel!")
    agent.locator("#lt-reply textarea").press("Enter")
    agent.wait_for_function("document.querySelector('#lt-ticket-transcript').innerText.includes('Ada from')")
    agent.screenshot(path=str(SHOTS / "console-queue.png"), full_page=True)
    # the shopper sees the human's reply in the same chat (polled every few seconds)
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('Ada from support')")
    assert f"{ADMIN_USER} (support agent)" in page.inner_text("#lt-chat")
    # the bot stays silent in a taken-over chat
    send(page, "thanks!")
    page.wait_for_timeout(800)
    assert not any("picks" in t for t in bot_texts(page)[-1:])

    agent.get_by_role("tab", name="Transcripts").click()
    assert app_traces(app).rows(shopped)
    agent.locator("#lt-transcripts-tab button", has_text="Refresh").click()  # the newest session opens
    agent.wait_for_selector("#lt-recs :text('The shopper saw')")  # sentence, trace in words, numbers toggle
    assert "by relevance" in agent.inner_text("#lt-recs")
    agent.locator("#lt-traces-toggle button").first.click()  # the whole table sits behind an accordion
    agent.wait_for_selector("#lt-traces :text('rank_after')")
    agent.wait_for_function("document.querySelector('#lt-traces').innerText.includes('LT-')")
    agent.screenshot(path=str(SHOTS / "console-transcripts.png"), full_page=True)
    agent.get_by_role("tab", name="Exposure").click()
    agent.wait_for_selector("text=Gini of exposure")
    agent.screenshot(path=str(SHOTS / "console-exposure.png"), full_page=True)
    agent.context.close()


def app_traces(app):
    return app.server.config.app.state.service.traces


def test_shopper_pages_cannot_reach_the_console_api(app):
    import httpx

    assert httpx.get(app.url + "/console/config").status_code == 401


def test_concurrent_clicks_lose_no_feedback(browser, app):
    """Several tabs click thumbs-up at the same moment: every click is in the feedback table."""
    pages = [browser.new_context().new_page() for _ in range(3)]
    for pg in pages:
        pg.set_default_timeout(TIMEOUT)
        open_chat(pg, app)
        send(pg, "rain jacket")
    for pg in pages:
        pg.wait_for_selector(".lt-card")
    before = len(app.assistant.conversations.feedback())
    for pg in pages:
        pg.locator(".lt-card").first.locator("button[data-fb=up]").click(no_wait_after=True)
    for pg in pages:
        pg.wait_for_selector("#lt-status .lt-status")
    assert len(app.assistant.conversations.feedback()) == before + 3
    for pg in pages:
        pg.context.close()


def test_screenshots_of_the_main_screens_are_kept():
    for name in (
        "chat-desktop",
        "chat-phone",
        "more-like-this",
        "policy-answer",
        "console-login-refused",
        "console-queue",
        "console-transcripts",
        "console-exposure",
    ):
        assert (SHOTS / f"{name}.png").stat().st_size > 5_000, name


def test_more_like_this_pressed_while_the_answer_streams_stays_on_screen(page, app):
    open_chat(page, app)
    send(page, "a saucepan that works on induction")
    first = page.locator(".lt-card").first
    first.wait_for()
    assert page.locator("#lt-typing .lt-typing").count() == 1  # the words are still coming (paced model)
    first.locator("button[data-fb=more_like_this]").click()
    page.wait_for_function("document.querySelector('#lt-chat')?.innerText.includes('something different')")
    page.wait_for_function("!document.querySelector('#lt-typing .lt-typing')")  # the turn has ended
    page.wait_for_timeout(500)  # the last streamed update has painted the chat
    headings = page.locator(".lt-cards-heading").all_inner_texts()
    assert len(headings) == 2 and headings[1].startswith("More like"), headings
