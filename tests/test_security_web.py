"""Security regression tests for the web app (issue 13, findings 1, 2, 6 and the web half of 7).

Each test here failed on the code before the fix: made-up session ids were accepted and order details could
be brute-forced across them; the console answered cross-origin reads and had no login lock-out; shopper HTML
reached the agent's transcript; a huge body was read before the 413; a NaN price filter gave HTTP 500.
Everything runs on loopback (a real uvicorn server in a thread) or in-process with FastAPI's TestClient.
"""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from test_ui_support import ADMIN_PASSWORD, ADMIN_USER, PacedModel, ui_assistant, ui_settings

from ui.api import create_server
from ui.chat import SESSION_ID
from ui.console import build_console, transcript
from ui.limits import REQUESTER, LookupPolicy, OrderGuard, Requester
from ui.security import harden_cookie
from ui.server import start_in_thread
from ui.sessions import SessionSigner, load_secret
from ui.tracelog import TraceLog

EVIL = "https://evil.example"
SHOP_HOST = "shop.example.com"  # the console served under a real host name (Gradio's CORS then allows any site)


def order_message(order_id: str, email: str) -> str:
    return f"Where is my order {order_id}? My email is {email}"


def disclosed(text: str, order: dict) -> bool:
    return f"Order {order['order_id']} (placed" in text or str(order.get("tracking_number", "\0")) in text


# -- 1. session ids issued and signed by the server ------------------------------------------------------------
def test_session_ids_are_signed_and_a_changed_or_foreign_one_is_refused():
    signer = SessionSigner(b"k" * 32)
    sid = signer.issue("web")
    assert SESSION_ID.match(sid) and signer.verify(sid)
    assert signer.issue("web") != sid
    flipped = sid[:-1] + ("0" if sid[-1] != "0" else "1")
    body_changed = sid[:5] + ("0" if sid[5] != "0" else "1") + sid[6:]
    for bad in (flipped, body_changed, "web-0123456789abcdef", "", None, sid + "0", SessionSigner(b"x" * 32).issue()):
        assert not signer.verify(bad), bad
    with pytest.raises(ValueError, match="at least 16 bytes"):
        SessionSigner(b"short")


def test_the_secret_is_made_once_and_kept_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("LONGTAIL_SESSION_SECRET", raising=False)
    settings = ui_settings(data_dir=tmp_path, chroma_mode="persistent")
    first = load_secret(settings)
    assert (tmp_path / "session_secret").stat().st_mode & 0o077 == 0  # readable by the owner only
    assert load_secret(settings) == first and len(first) == 32
    # two servers on the same data dir accept each other's ids
    assert SessionSigner(load_secret(settings)).verify(SessionSigner(first).issue())
    monkeypatch.setenv("LONGTAIL_SESSION_SECRET", "a configured secret, long enough")
    assert load_secret(settings) == b"a configured secret, long enough"


@pytest.fixture(scope="module")
def api():
    """The API without the Gradio screens, its assistant and its orders (lenient message limit)."""
    from ui.limits import RateLimiter

    bot = ui_assistant(PacedModel())
    app = create_server(bot, ui_settings(), limiter=RateLimiter(1000, 60), mount_ui=False)
    app.bot = bot
    return app


def test_api_issues_session_ids_and_refuses_made_up_ones(api):
    client = TestClient(api)
    first = client.post("/api/chat", json={"message": "running shorts", "stream": False}).json()
    assert api.state.sessions.verify(first["session_id"])
    again = client.post(
        "/api/chat", json={"message": "cheaper ones", "session_id": first["session_id"], "stream": False}
    )
    assert again.status_code == 200
    made_up = "web-0123456789abcdef0123456789abcdef"
    refused = [
        client.post("/api/chat", json={"message": "hi", "session_id": made_up, "stream": False}),
        client.get("/api/search", params={"q": "boots", "session_id": made_up}),
        client.post("/api/feedback", json={"session_id": made_up, "item_id": "LT-00001", "kind": "up"}),
        client.get("/api/cart", params={"session_id": made_up}),
    ]
    assert [r.status_code for r in refused] == [403] * 4
    assert all("not issued by this server" in r.json()["detail"] for r in refused)
    assert api.bot.conversations.messages(made_up) == []  # nothing was written for it
    issued = client.post("/api/session").json()["session_id"]
    assert api.state.sessions.verify(issued)
    assert client.get("/api/cart", params={"session_id": issued}).status_code == 200
    assert any(r["kind"] == "session_refused" for r in api.state.service.traces.audit_rows())


# -- 2. order look-ups: limits per address, order number and session, lock-out, audit -------------------------
def test_brute_forcing_orders_on_loopback_is_refused_and_discloses_nothing():
    """30 guesses from one client address: first with made-up session ids, then with a fresh server-issued
    session for every guess (so the per-session limit alone would not stop it). The true email is among the
    guesses; no order is ever disclosed, and every guess after the limit gets the lock-out message."""
    bot = ui_assistant(PacedModel())
    running = start_in_thread(create_server(bot, ui_settings(), mount_ui=False))
    try:
        orders = bot.orders.orders()[:20]
        guesses = [(orders[n % 20], f"guess{n}@example.com") for n in range(30)]
        for n in (12, 17, 24, 29):  # the right email for that order, after the first ten wrong ones
            guesses[n] = (guesses[n][0], guesses[n][0]["email"])

        made_up = [
            httpx.post(running.url + "/api/chat", timeout=30, json={
                "message": order_message(o["order_id"], email), "session_id": f"api-guess-{n:04d}", "stream": False})
            for n, (o, email) in enumerate(guesses)
        ]
        assert [r.status_code for r in made_up] == [403] * 30

        texts = []
        for order, email in guesses:
            session = httpx.post(running.url + "/api/session").json()["session_id"]
            r = httpx.post(running.url + "/api/chat", timeout=30, json={
                "message": order_message(order["order_id"], email), "session_id": session, "stream": False})
            assert r.status_code == 200
            texts.append(r.json()["text"])
        assert not [n for n, ((o, _), t) in enumerate(zip(guesses, texts)) if disclosed(t, o)]
        limit = LookupPolicy().client_failures
        wrong_before_limit = [n for n in range(30) if guesses[n][1] != guesses[n][0]["email"]][:limit]
        locked_from = wrong_before_limit[-1] + 1
        assert all("too many unsuccessful attempts" in t for t in texts[locked_from:])
        assert "contact our support" in texts[-1]
        audit = running.server.config.app.state.service.traces.audit_rows("order_status")
        assert len(audit) == 30 and {a["client"] for a in audit} == {"127.0.0.1"}
        assert sum(a["outcome"].startswith("refused") for a in audit) == 30 - locked_from
        assert not any(o["order_id"].lower() in json.dumps(audit).lower() for o in orders)  # hashed only
    finally:
        running.stop()


def test_one_order_number_locks_after_five_failures_from_any_addresses(api):
    """Five wrong emails for one order number, each from another address and session: the sixth try is
    refused even with the right email; an unknown order number locks the same way (no existence leak)."""
    target, other = api.bot.orders.orders()[30], api.bot.orders.orders()[31]

    def ask(address: str, order_id: str, email: str) -> str:
        client = TestClient(api, client=(address, 40000))
        session = client.post("/api/session").json()["session_id"]
        body = {"message": order_message(order_id, email), "session_id": session, "stream": False}
        return client.post("/api/chat", json=body).json()["text"]

    for n in range(5):
        assert "couldn't find" in ask(f"10.1.0.{n}", target["order_id"], f"wrong{n}@example.com")
    refused = ask("10.1.0.99", target["order_id"], target["email"])
    assert not disclosed(refused, target) and "too many unsuccessful attempts" in refused
    assert disclosed(ask("10.1.0.98", other["order_id"], other["email"]), other)  # other orders still work
    unknown = "ORD-99999"
    for n in range(5):
        ask(f"10.2.0.{n}", unknown, f"wrong{n}@example.com")
    assert ask("10.2.0.99", unknown, "someone@example.com") == refused


def test_lockouts_expire_and_returns_count_like_look_ups():
    bot = ui_assistant(PacedModel())
    now = [1000.0]
    guard = OrderGuard(TraceLog(), policy=LookupPolicy(session_failures=3), clock=lambda: now[0])
    bot.orders.guard = guard
    order = bot.orders.orders()[40]
    token = REQUESTER.set(Requester("192.0.2.7", "web-session-under-test"))
    try:
        for n in range(3):  # a return with the wrong email is a failed look-up too
            assert bot.orders.start_return(order["order_id"], f"x{n}@example.com", "LT-1", "too small")["ok"] is False
        locked = bot.orders.status(order["order_id"], order["email"])
        assert locked["found"] is False and "15 minutes" in locked["message"]
        now[0] += 15 * 60 + 1
        assert bot.orders.status(order["order_id"], order["email"])["found"] is True
    finally:
        REQUESTER.reset(token)
    outcomes = [r["outcome"] for r in guard.audit_log.audit_rows()][::-1]
    assert outcomes == ["failed", "failed", "failed+locks_session", "refused_locked", "verified"]


# -- 3. the console: cross-origin refused, CSRF, cookies, login lock-out ---------------------------------------
@pytest.fixture(scope="module")
def web():
    running = start_in_thread(create_server(ui_assistant(PacedModel()), ui_settings()))
    yield running
    running.stop()


def login(client: httpx.Client, password: str = ADMIN_PASSWORD, **headers) -> httpx.Response:
    return client.post("/console/login", data={"username": ADMIN_USER, "password": password}, headers=headers)


def test_console_refuses_cross_origin_reads_and_forged_posts(web):
    with httpx.Client(base_url=web.url, headers={"Host": SHOP_HOST}) as agent:
        assert login(agent).status_code == 200
        own = agent.get("/console/config", headers={"Origin": f"http://{SHOP_HOST}"})
        assert own.status_code == 200
        stolen = agent.get("/console/config", headers={"Origin": EVIL})
        assert stolen.status_code == 403 and "Cross-origin request refused" in stolen.json()["detail"]
        assert "access-control-allow-origin" not in stolen.headers and "components" not in stolen.text
        preflight = agent.options(
            "/console/config", headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in preflight.headers
        # CSRF: a state-changing console request with the login cookie must name its (own) origin
        join = "/console/gradio_api/queue/join"
        assert agent.post(join, json={}, headers={"Referer": EVIL + "/page"}).status_code == 403
        assert agent.post(join, json={}).status_code == 403
        assert agent.post(join, json={}, headers={"Origin": f"http://{SHOP_HOST}"}).status_code != 403
        # a login from another site is refused too (login CSRF)
        assert login(httpx.Client(base_url=web.url), Origin=EVIL).status_code == 403
    # the shopper API from another site: refused as well, unless --allow-origin names it
    assert httpx.get(web.url + "/api/health", headers={"Origin": EVIL}).status_code == 403


def test_console_cookies_are_http_only_same_site_strict_and_secure_behind_https(web):
    with httpx.Client(base_url=web.url) as agent:
        cookies = login(agent).headers.get_list("set-cookie")
    assert cookies and all("HttpOnly" in c and "SameSite=Strict" in c for c in cookies)
    assert not any("samesite=none" in c.lower() or "Secure" in c for c in cookies)  # plain http here
    over_https = harden_cookie("access-token-x=abc; Path=/; SameSite=none; Secure", https=True)
    assert over_https == "access-token-x=abc; Path=/; HttpOnly; SameSite=Strict; Secure"


def test_console_login_locks_out_after_repeated_failures(web):
    """The red team's wrong passwords then the right one: now the right one is refused while locked. A user
    name locked by failures elsewhere still signs in from an address it signed in from before."""
    app = web.server.config.app

    def login_from(address: str, password: str) -> httpx.Response:
        client = TestClient(app, client=(address, 50000))
        return client.post("/console/login", data={"username": ADMIN_USER, "password": password})

    assert login_from("192.0.2.10", ADMIN_PASSWORD).status_code == 200  # the agent's own machine
    assert [login_from("203.0.113.9", f"guess {n}").status_code for n in range(5)] == [400] * 5
    locked = login_from("198.51.100.7", ADMIN_PASSWORD)  # the user name is locked for new addresses
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.json()["detail"]
    assert "set-cookie" not in locked.headers
    assert login_from("192.0.2.10", ADMIN_PASSWORD).status_code == 200  # the agent is not locked out
    # guessing from one address locks that address, whatever it signed in as before
    assert [login_from("192.0.2.10", f"guess {n}").status_code for n in range(10)] == [400] * 10
    assert login_from("192.0.2.10", ADMIN_PASSWORD).status_code == 429
    audit = app.state.service.traces.audit_rows("console_login")
    assert audit[0]["outcome"] == "refused_locked" and "+locks_client" in audit[1]["outcome"]
    assert "failed+locks_user" in [a["outcome"] for a in audit]
    assert ADMIN_USER not in json.dumps(audit)  # the user name is hashed in the log


# -- 6. shopper HTML is plain text in the console ---------------------------------------------------------------
PIXEL = "http://tracker.invalid/pixel.png"
OVERLAY = '<div style="position:fixed;inset:0;background:#fff"><a href="http://evil.invalid">Log in again</a></div>'


def test_console_transcript_shows_shopper_html_as_text():
    bot = ui_assistant(PacedModel())
    session = "web-html-in-transcript"
    bot.conversations.add_message(session, "user", f'<img src="{PIXEL}"> hello')
    bot.conversations.add_message(session, "user", OVERLAY)
    bot.conversations.add_message(session, "assistant", f"You said ![x]({PIXEL}) <script>alert(1)</script>")
    bot.conversations.add_agent_message(session, "<b>ada</b>", "Hi <i>there</i>")
    bubbles = transcript(bot.conversations, session)
    text = json.dumps(bubbles)
    assert "<img" not in text and "<div" not in text and "<script" not in text and "<b>" not in text
    assert "&lt;img src=&quot;" in bubbles[0]["content"] and "position:fixed" in bubbles[1]["content"]
    console = build_console(bot, ui_settings(), TraceLog())
    boxes = [b for b in console.blocks.values() if type(b).__name__ == "Chatbot"]
    assert len(boxes) == 2 and all(b.render_markdown is False for b in boxes)  # ![x](url) stays characters


# -- 7 (web). a body cap before parsing; NaN / Infinity / out-of-range filters refused -------------------------
def test_a_large_body_gets_413_before_it_is_read(api):
    client = TestClient(api)
    padded = json.dumps({"message": "hi", "stream": False, "filters": {"category": "x" * 100_000}})
    r = client.post("/api/chat", content=padded, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def chunks():
        for _ in range(100):
            yield b" " * 1024

    r = client.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_a_200_mb_content_length_is_refused_without_waiting_for_the_body():
    running = start_in_thread(create_server(ui_assistant(PacedModel()), ui_settings(), mount_ui=False))
    try:
        where = urlsplit(running.url)
        with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
            sock.sendall(
                b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 209715200\r\n\r\n" + b'{"message": "' + b"x" * 1000
            )
            start, got = time.monotonic(), b""
            sock.settimeout(5)
            while b"\r\n\r\n" not in got:
                data = sock.recv(4096)
                if not data:
                    break
                got += data
        assert got.startswith(b"HTTP/1.1 413"), got[:200]
        assert time.monotonic() - start < 3
    finally:
        running.stop()


@pytest.mark.parametrize(
    "filters",
    [{"min_price": "NaN"}, {"max_price": "Infinity"}, {"min_price": "-Infinity"}, {"min_price": -5},
     {"max_price": 1e12}, {"min_rating": 7}, {"min_rating": "NaN"}],
)
def test_non_finite_or_out_of_range_filters_get_422_with_a_message(api, filters):
    client = TestClient(api, raise_server_exceptions=False)
    body = json.dumps({"message": "hiking boots", "stream": False, "filters": filters}).replace('"NaN"', "NaN")
    body = body.replace('"-Infinity"', "-Infinity").replace('"Infinity"', "Infinity")
    r = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text[:300]
    field = next(iter(filters))
    assert field in r.json()["message"] and r.json()["detail"][0]["field"] == f"filters.{field}"


def test_search_refuses_non_finite_filters_too(api):
    client = TestClient(api, raise_server_exceptions=False)
    for params in ({"min_price": "nan"}, {"max_price": "inf"}, {"lam": "nan"}, {"min_rating": "6"}):
        r = client.get("/api/search", params={"q": "boots", **params})
        assert r.status_code == 422, (params, r.text[:300])
        assert next(iter(params)) in r.json()["message"]
    assert client.get("/api/search", params={"q": "boots", "min_rating": 4}).status_code == 200


# -- the same in a real browser: the agent's console renders no shopper HTML ------------------------------------
def test_console_in_a_browser_renders_no_shopper_html():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    from test_ui_browser import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    bot = ui_assistant(PacedModel())
    running = start_in_thread(create_server(bot, ui_settings()))
    session = running.server.config.app.state.sessions.issue("web")
    bot.conversations.add_message(session, "user", f'<img src="{PIXEL}" id="lt-pixel"> where is my parcel')
    bot.conversations.add_message(session, "user", OVERLAY.replace("<div", '<div id="lt-overlay"'))
    bot.conversations.escalate(session, f'<img src="{PIXEL}" id="lt-pixel-summary"> parcel')
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_context().new_page()
            page.set_default_timeout(20_000)
            asked: list[str] = []
            page.on("request", lambda r: asked.append(r.url))
            page.goto(running.url + "/console/")
            page.fill("input[type=text]", ADMIN_USER)
            page.fill("input[type=password]", ADMIN_PASSWORD)
            page.click("button:has-text('Login')")
            page.wait_for_selector("#lt-queue")
            page.wait_for_function(
                "(document.querySelector('#lt-ticket-transcript')?.innerText || '').includes('where is my parcel')"
            )
            page.wait_for_timeout(500)
            assert "<img" in page.inner_text("#lt-ticket-transcript")  # shown as characters
            assert page.locator("#lt-pixel, #lt-overlay, #lt-pixel-summary").count() == 0
            fixed = page.evaluate(
                "[...document.querySelectorAll('#lt-ticket-transcript *, #lt-queue *')]"
                ".filter(e => getComputedStyle(e).position === 'fixed').length"
            )
            assert fixed == 0
            assert not [u for u in asked if "tracker.invalid" in u]
            browser.close()
    finally:
        running.stop()


# -- 4. nobody moves products in the ranking by repeating requests ---------------------------------------------
def test_anonymous_searches_log_no_exposure_and_a_session_counts_an_item_once(api):
    client = TestClient(api)
    db = api.bot.store.db
    before = sum(db.exposure_counts().values())
    for _ in range(40):  # the red-team's 400 anonymous calls, bounded
        assert client.get("/api/search", params={"q": "tent", "k": 50}).status_code == 200
    assert sum(db.exposure_counts().values()) == before
    sid = client.post("/api/session").json()["session_id"]
    shown: set[str] = set()
    for _ in range(20):  # the same session searching again: each item it was shown counts once
        results = client.get("/api/search", params={"q": "tent", "k": 10, "session_id": sid}).json()["results"]
        shown |= {r["id"] for r in results}
    assert sum(db.exposure_counts().values()) == before + len(shown)
    assert len(shown) < 20 * 10


def test_feedback_counts_once_per_item_per_session(api):
    client = TestClient(api)
    db = api.bot.store.db
    item = next(iter(db.items()))
    likes = lambda: sum(1 for _, i, e, _ in db.iter_interactions() if i == item and e == "like")  # noqa: E731
    before = likes()
    sid = client.post("/api/session").json()["session_id"]
    for _ in range(30):
        assert client.post("/api/feedback", json={"session_id": sid, "item_id": item, "kind": "up"}).status_code \
            == 200
    assert likes() == before + 1
    made_up = "web-" + "f" * 32
    assert client.post("/api/feedback", json={"session_id": made_up, "item_id": item, "kind": "up"}).status_code \
        == 403
    assert likes() == before + 1


def test_new_session_ids_are_limited_per_address():
    from ui.api import SESSIONS_PER_HOUR

    bot = ui_assistant(PacedModel())
    client = TestClient(create_server(bot, ui_settings(), mount_ui=False))
    codes = [client.post("/api/session").status_code for _ in range(SESSIONS_PER_HOUR + 3)]
    assert codes[:SESSIONS_PER_HOUR] == [200] * SESSIONS_PER_HOUR and codes[-1] == 429


def test_only_this_site_and_allowed_origins_may_frame_the_chat_and_the_console():
    bot = ui_assistant(PacedModel())
    app = create_server(bot, ui_settings(), allowed_origins=("https://shop.example",), mount_ui=False)
    client = TestClient(app)
    chat = client.get("/api/health").headers["content-security-policy"]
    assert chat == "frame-ancestors 'self' https://shop.example"
    console = client.get("/console/").headers.get("content-security-policy", "")
    assert console == "frame-ancestors 'self'"  # the shop may frame the chat, never the console
