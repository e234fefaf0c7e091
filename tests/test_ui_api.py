"""The HTTP API and the login-protected console, over a real server on a loopback port."""

from __future__ import annotations

import json

import httpx
import pytest
from test_ui_support import ADMIN_PASSWORD, ADMIN_USER, PacedModel, ui_assistant, ui_settings

from ui.api import create_server
from ui.limits import RateLimiter
from ui.server import start_in_thread


@pytest.fixture(scope="module")
def server():
    assistant = ui_assistant(PacedModel())
    app = create_server(assistant, ui_settings(max_message_chars=200), limiter=RateLimiter(5, 60))
    running = start_in_thread(app)
    running.assistant = assistant
    yield running
    running.stop()


def post_chat(server, **body) -> httpx.Response:
    return httpx.post(server.url + "/api/chat", json=body, timeout=30)


def test_chat_streams_ndjson_events_cards_before_text(server):
    with httpx.stream("POST", server.url + "/api/chat", json={"message": "running shorts"}, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        events = [json.loads(line) for line in r.iter_lines() if line]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "session" and kinds[-1] == "done" and "products" in kinds and "text" in kinds
    assert kinds.index("products") < kinds.index("text")
    session = events[0]["session_id"]
    assert r.headers["x-session-id"] == session
    cards = next(e for e in events if e["type"] == "products")["cards"]
    assert cards and {"title", "price", "hidden_gem", "explanation", "trace"} <= set(cards[0])
    # the assistant logged the impressions; the console's trace log has the same items
    shown = [row[2] for row in server.assistant.store.db.impressions() if row[1] == session]
    assert shown == [c["id"] for c in cards]


def test_chat_without_streaming_continues_a_session(server):
    first = post_chat(server, message="a saucepan for induction", stream=False).json()
    again = post_chat(server, message="cheaper ones", session_id=first["session_id"], stream=False).json()
    assert again["session_id"] == first["session_id"] and again["text"]
    roles = [m["role"] for m in server.assistant.conversations.messages(first["session_id"])]
    assert roles == ["user", "assistant", "user", "assistant"]


def test_limits_answer_with_clear_status_codes(server):
    too_long = post_chat(server, message="x" * 201)
    assert too_long.status_code == 413 and "limit is 200" in too_long.json()["detail"]
    session = httpx.post(server.url + "/api/session").json()["session_id"]  # ids are issued by the server
    codes = [post_chat(server, message="hello", session_id=session, stream=False).status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert "Please wait" in post_chat(server, message="hi", session_id=session).json()["detail"]
    assert post_chat(server, message="hi", session_id="../../etc").status_code == 422
    made_up = post_chat(server, message="hi", session_id="api-ratelimit-01")
    assert made_up.status_code == 403 and "not issued by this server" in made_up.json()["detail"]


def test_search_and_feedback(server):
    got = httpx.get(server.url + "/api/search", params={"q": "hiking boots", "k": 3, "max_price": 150}).json()
    assert 0 < len(got["results"]) <= 3 and all(c["price"] <= 150 for c in got["results"])
    item = got["results"][0]["id"]
    fb = httpx.post(
        server.url + "/api/feedback",
        json={"session_id": got["session_id"], "item_id": item, "kind": "more_like_this"},
    ).json()
    assert fb["ok"] and fb["cards"] and item not in [c["id"] for c in fb["cards"]]
    assert server.assistant.conversations.feedback(got["session_id"])[0]["kind"] == "more_like_this"
    missing = httpx.post(
        server.url + "/api/feedback", json={"session_id": got["session_id"], "item_id": "NOPE", "kind": "up"}
    )
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]


def test_openapi_schema_documents_the_api(server):
    schema = httpx.get(server.url + "/openapi.json").json()
    assert {"/api/chat", "/api/search", "/api/feedback"} <= set(schema["paths"])
    assert "ChatRequest" in schema["components"]["schemas"]


def test_console_needs_the_configured_login(server):
    assert httpx.get(server.url + "/console/config").status_code == 401
    bad = httpx.post(server.url + "/console/login", data={"username": ADMIN_USER, "password": "guess"})
    assert bad.status_code == 400
    with httpx.Client(base_url=server.url) as client:
        good = client.post("/console/login", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
        assert good.status_code == 200
        assert client.get("/console/config").status_code == 200


def test_console_is_off_without_credentials():
    app = create_server(ui_assistant(PacedModel()), ui_settings(admin_user="", admin_password=""))
    running = start_in_thread(app)
    try:
        r = httpx.get(running.url + "/console")
        assert r.status_code == 404 and "LONGTAIL_ADMIN_USER" in r.text
        assert httpx.get(running.url + "/").status_code == 200
    finally:
        running.stop()


def test_allowed_origins_limit_which_sites_may_embed_the_chat():
    app = create_server(
        ui_assistant(PacedModel()), ui_settings(), allowed_origins=["https://shop.example.com"]
    )
    running = start_in_thread(app)
    try:

        def preflight(origin: str) -> httpx.Response:
            return httpx.options(
                running.url + "/api/chat", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
            )

        assert (
            preflight("https://shop.example.com").headers.get("access-control-allow-origin")
            == "https://shop.example.com"
        )
        assert "access-control-allow-origin" not in preflight("https://evil.example.net").headers
    finally:
        running.stop()
