"""The UI's logic without a web server: cards, limits, the exposure numbers, and ChatService turns."""

from __future__ import annotations

import json
import threading

import pytest
from test_ui_support import PacedModel, ui_assistant

from retrieval import Filters
from ui.cards import format_price, format_rating, render_card, render_cards
from ui.chat import FRIENDLY_ERROR, WORDS_SLOT, ChatService, cards_bubble, make_filters, valid_session_id
from ui.dashboard import exposure_report, figures, gini, lorenz
from ui.limits import RateLimiter, check_message


def card(**kw):
    base = dict(
        id="LT-1",
        title="Pan",
        brand="Acme",
        price=19.5,
        currency="USD",
        rating=4.25,
        rating_count=3,
        in_stock=True,
        bucket="tail",
        hidden_gem=True,
        long_tail=True,
        explanation="Fits.",
    )
    return base | kw


# -- cards --------------------------------------------------------------------------------------------------
def test_card_escapes_every_item_text():
    html = render_card(
        card(
            id='x"><img src=x onerror=alert(1)>',
            title="<script>alert(1)</script>",
            brand="<b>B</b>",
            explanation="<iframe>",
        )
    )
    assert "<script>" not in html and "<iframe>" not in html and "<b>B</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '"><img' not in html


def test_card_shows_gem_badge_only_for_long_tail_and_buttons_for_each_feedback():
    gem, head = render_card(card()), render_card(card(hidden_gem=False, long_tail=False, bucket="head"))
    assert "Hidden gem" in gem and "Hidden gem" not in head
    for kind in ("up", "down", "more_like_this"):
        assert f'data-fb="{kind}"' in gem and '<button type="button"' in gem
    assert 'aria-pressed="true"' in render_card(card(), pressed=["up"])
    assert "$19.50" in gem and "★ 4.2 (3 ratings)" in gem


def test_price_and_rating_formats():
    assert format_price(None) == "price on request"
    assert format_price(1234.5, "EUR") == "€1,234.50"
    assert format_price(3, "CHF") == "3.00 CHF"
    assert format_rating(None, 0) == "no ratings yet"
    assert format_rating(5.0, 1) == "★ 5.0 (1 rating)"
    assert render_cards([]) == ""


# -- limits -------------------------------------------------------------------------------------------------
def test_rate_limiter_refuses_over_the_limit_per_session_then_recovers():
    now = [0.0]
    limiter = RateLimiter(3, 10.0, clock=lambda: now[0])
    assert [limiter.check("a") for _ in range(3)] == [None, None, None]
    refusal = limiter.check("a")
    assert refusal and "3 per 10 seconds" in refusal and "wait 10 seconds" in refusal
    assert limiter.check("b") is None  # other sessions are not affected
    now[0] = 10.0
    assert limiter.check("a") is None


def test_check_message():
    assert check_message("hi", 10) is None
    assert "limit is 10" in check_message("x" * 11, 10)
    assert check_message("   ", 10)


def test_make_filters_and_session_ids():
    assert make_filters() is None and make_filters(None, "", "", False) is None
    assert make_filters(50, 10, "Kitchen", True) == Filters(
        min_price=10, max_price=50, category="Kitchen", in_stock=True
    )
    assert (
        valid_session_id("web-0123456789abcdef")
        and not valid_session_id("../etc")
        and not valid_session_id("")
    )


# -- the exposure numbers -----------------------------------------------------------------------------------
def test_gini_and_lorenz_by_hand():
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)
    assert gini([0, 0]) == 0.0
    x, y = lorenz([0, 0, 0, 10])
    assert x == [0, 0.25, 0.5, 0.75, 1.0] and y == [0, 0, 0, 0, 1.0]


def test_exposure_report_shares_over_time_and_never_shown():
    bucket = {"h": "head", "m": "mid", "t1": "tail", "t2": "tail"}
    rows = [
        (0.0, "s", "h", 1, "q", ""),
        (1.0, "s", "h", 2, "q", ""),
        (100.0, "s", "t1", 1, "q", ""),
        (101.0, "s", "m", 2, "q", ""),
    ]
    r = exposure_report(rows, bucket, ["h", "m", "t1", "t2"], "exposure", 0.3, bins=2)
    assert r.never_shown == ["t2"] and r.impressions == 4
    assert r.shares["head"] == [1.0, 0.0] and r.shares["tail"] == [0.0, 0.5] and r.shares["mid"] == [0.0, 0.5]
    s = r.summary()
    assert s["share_of_impressions"] == {"head": 0.5, "mid": 0.25, "tail": 0.25}
    assert s["share_of_catalog"]["tail"] == 0.5 and s["lambda"] == 0.3
    assert r.gini == pytest.approx(gini([2, 1, 1, 0]))
    over_time, curve = figures(r)
    assert over_time.axes[0].collections and "Gini" in curve.axes[0].get_title()
    assert "λ = 0.3" in r.markdown()


# -- chat turns through the real assistant ------------------------------------------------------------------
@pytest.fixture(scope="module")
def service():
    return ChatService(ui_assistant(PacedModel()), max_message_chars=300, limiter=RateLimiter(1000, 60))


def test_turn_streams_user_bubble_then_cards_then_growing_text_above_them(service):
    updates = list(service.respond("web-turn-00001", "running shorts", []))
    assert updates[0].history == [{"role": "user", "content": "running shorts"}] and not updates[0].cards
    first_cards = next(n for n, u in enumerate(updates) if u.cards_changed)
    # the cards arrive as a bubble of their own, before any text, under a slot for the words
    assert updates[first_cards].history[1:] == [
        WORDS_SLOT, cards_bubble(updates[first_cards].cards, updates[first_cards].heading,
                                 updates[first_cards].chips)]
    assert updates[first_cards].history[2]["chips"]  # the follow-ups go with the answer's cards
    # then the reply grows between the shopper's message and its cards
    texts = [u.history[1]["content"] for u in updates[first_cards + 1:] if "cards" not in u.history[1]]
    assert len(texts) >= 3 and texts[-1].startswith(texts[0]) and len(texts[-1]) > len(texts[0])
    assert [(m["role"], "cards" in m) for m in updates[-1].history] == [
        ("user", False), ("assistant", False), ("assistant", True)]
    assert updates[-1].done and updates[first_cards].cards[0]["explanation"]
    # the trace of every card shown is logged for the console
    rows = service.traces.rows("web-turn-00001")
    assert len(rows) == len(updates[first_cards].cards) and rows[0]["rank_after"] == 1


def test_policy_answer_shows_the_passage_it_rests_on(service):
    final = list(service.respond("web-policy-0001", "What is your return policy?", []))[-1]
    folded = [
        m for m in final.history if m.get("metadata", {}).get("title", "").startswith("📄 Store policy")
    ]
    assert folded and folded[0]["content"]


def test_refusals_are_chat_bubbles(service):
    long_turn = list(service.respond("web-long-00001", "x" * 301, []))
    assert len(long_turn) == 1 and "limit is 300" in long_turn[0].history[-1]["content"]
    limited = ChatService(service.assistant, 300, RateLimiter(1, 60))
    list(limited.respond("web-rate-00001", "hello", []))
    again = list(limited.respond("web-rate-00001", "hello", []))
    assert "faster than I can keep up" in again[-1].history[-1]["content"]


def test_a_failing_assistant_becomes_a_friendly_message():
    class Broken:
        store, conversations = None, None

        def respond(self, *args):
            raise RuntimeError("database exploded at /secret/path")
            yield  # pragma: no cover

    final = list(ChatService(Broken()).respond("web-broken-001", "hi", []))[-1]
    assert final.history[-1]["content"] == FRIENDLY_ERROR and "secret" not in json.dumps(final.history)


def test_events_are_json_safe(service):
    events = list(service.events("api-json-000001", "a saucepan for induction"))
    assert [e["type"] for e in events][-1] == "done"
    products = next(e for e in events if e["type"] == "products")
    assert json.loads(json.dumps(events))[1]["type"] and products["cards"][0]["trace"]["rank_after"] == 1


def test_feedback_is_logged_and_feeds_the_interaction_log(service):
    store = service.store
    item = next(iter(store.db.items()))
    before = store.db.interaction_counts().get(item, 0.0)
    assert "Thanks" in service.feedback("web-fb-0000001", item, "up")
    service.feedback("web-fb-0000001", item, "down")
    kinds = [f["kind"] for f in service.conversations.feedback("web-fb-0000001")]
    assert kinds == ["up", "down"]
    assert store.db.interaction_counts()[item] == pytest.approx(before + 0.5)  # a "like"; "down" adds nothing
    assert "web-fb-0000001" in [u for u, *_ in store.db.iter_interactions()]
    with pytest.raises(KeyError):
        service.feedback("web-fb-0000001", "NO-SUCH-ITEM", "up")
    with pytest.raises(ValueError):
        service.feedback("web-fb-0000001", item, "love")


def test_more_like_this_excludes_the_item_and_logs_impressions():
    svc = ChatService(ui_assistant(PacedModel()))
    item = svc.store.db.get(next(iter(svc.store.db.items())))
    cards = svc.more_like_this("web-more-000001", item.id, k=4)
    assert 0 < len(cards) <= 4 and item.id not in [c["id"] for c in cards]
    assert [r[2] for r in svc.store.db.impressions() if r[1] == "web-more-000001"] == [c["id"] for c in cards]
    assert all(c["explanation"].startswith(f"Similar to “{item.title}”") for c in cards)


def test_concurrent_shoppers_lose_no_message_impression_or_feedback():
    svc = ChatService(ui_assistant(PacedModel()), limiter=RateLimiter(1000, 60))
    store, conv = svc.store, svc.conversations
    item = next(iter(store.db.items()))
    errors: list[BaseException] = []

    def shopper(n: int) -> None:
        try:
            for turn in range(3):
                list(svc.respond(f"web-conc-{n:08d}", f"running shorts {turn}", []))
                svc.feedback(f"web-conc-{n:08d}", item, "up")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for n in range(8):
        msgs = conv.messages(f"web-conc-{n:08d}")
        assert [m["role"] for m in msgs] == ["user", "assistant"] * 3
        assert all(m["content"].endswith(str(i)) for i, m in enumerate(msgs[::2]))
    assert len(conv.feedback()) == 8  # once per item per session, however often it is pressed
    # every item a session was shown is in the impression log, once per session (and day)
    shown = {(f"web-conc-{n:08d}", r["item_id"]) for n in range(8) for r in svc.traces.rows(f"web-conc-{n:08d}")}
    logged = [(r[1], r[2]) for r in store.db.impressions() if r[1].startswith("web-conc-")]
    assert len(logged) == len(set(logged)) == len(shown) > 0 and set(logged) == shown


def test_a_cards_add_to_cart_uses_the_tools_rules(service):
    sid = service.sessions.issue("web")
    items = list(service.store.db.items().values())
    ok = next(i for i in items if i.in_stock)
    gone = next((i for i in items if not i.in_stock), None)
    assert service.add_to_cart(sid, ok.id) == f"Added “{ok.title}” to your cart."
    assert service.add_to_cart(sid, ok.id.lower()) == f"Added “{ok.title}” to your cart."  # ids in any case
    assert [(line["item_id"], line["quantity"]) for line in service.cart(sid)["lines"]] == [(ok.id, 2)]
    if gone is not None:
        assert "out of stock" in service.add_to_cart(sid, gone.id)
    assert service.add_to_cart(sid, "LT-NOPE").startswith("There is no product 'LT-NOPE'")
    assert service.cart(service.sessions.issue("web"))["lines"] == []
