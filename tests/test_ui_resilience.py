"""The shopper's chat survives a reload, shows that it is typing, and offers a retry when a turn fails.

The unit tests drive :class:`ui.chat.ChatService` over the real assistant (demo store, scripted model); the
browser tests (Playwright + /usr/bin/chromium, both viewports; skipped with the reason when either is missing)
drive the whole web app. A model that fails once on a message with "flaky" in it stands for a crashed model
process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ui_support import (
    CHROMIUM, SHOTS, TIMEOUT, VIEWPORTS, browser, open_chat, PacedModel, page, send, ui_assistant, ui_settings,
)

from ui.chat import ChatService

ANSWERED = "something different"  # the end of PacedModel's reply


class FlakyModel(PacedModel):
    """PacedModel, except that the first call for a message containing "flaky" raises (the model process died:
    not the RuntimeError the assistant already recovers from, so the whole turn fails)."""

    def __init__(self, delay: float = 0.0):
        super().__init__(delay=delay)
        self.failed: set[str] = set()

    def stream(self, messages, max_new_tokens=128, stop=()):
        text = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        with self._lock:
            fail = "flaky" in text and text not in self.failed
            self.failed.add(text)
        if fail:
            raise OSError("the model process died")
        yield from super().stream(messages, max_new_tokens, stop)


@pytest.fixture(scope="module")
def service():
    return ChatService(ui_assistant(FlakyModel()))


def run_turn(service, session_id, text):
    """The turn's last update; ``.shown`` is the update that brought the cards (None without cards)."""
    updates = list(service.respond(session_id, text, []))
    updates[-1].shown = next((u for u in updates if u.cards_changed), None)
    return updates[-1]


# -- the conversation read back ------------------------------------------------------------------------------
def test_history_cards_and_feedback_are_read_back_from_the_stores(service):
    sid = service.sessions.issue("web")
    done = run_turn(service, sid, "running shorts for a summer race")
    item = service.traces.last_shown(sid)[0]["item_id"]
    service.feedback(sid, item, "up")
    service.conversations.add_agent_message(sid, "Ada", "Hi, Ada here.")  # while the page was away
    back = service.history(sid)
    live = done.shown
    # the shopper's message, the reply's words, its cards, then the agent's reply
    assert back[:2] == done.history[:2] and "cards" in done.history[2]
    assert back[3:] == [{"role": "assistant", "content": "**Ada (support agent):** Hi, Ada here."}]
    assert back[2]["heading"] == live.heading
    assert back[2]["chips"] == done.history[2]["chips"] == live.chips and live.chips  # under the answer again
    assert [c["id"] for c in back[2]["cards"]] == [c["id"] for c in live.cards]
    cards, heading, chips = service.last_cards(sid)  # as the live turn showed them
    assert [c["id"] for c in cards] == [c["id"] for c in live.cards]
    assert [c["explanation"] for c in cards] == [c["explanation"] for c in live.cards]
    assert [c["trace"] for c in cards] == [c["trace"] for c in live.cards]
    assert (heading, chips) == (live.heading, live.chips) and chips
    assert service.pressed(sid) == {item: ["up"]}
    assert service.history(service.sessions.issue("web")) == []
    assert service.last_cards(service.sessions.issue("web")) == ([], "", [])


def test_a_policy_answer_is_read_back_with_the_passages_it_showed(service):
    sid = service.sessions.issue("web")
    done = run_turn(service, sid, "What is your return policy?")
    passages = [m for m in done.history if m.get("metadata", {}).get("title", "").startswith("📄 Store policy")]
    assert passages
    assert service.history(sid) == done.history  # the passages, then the answer, as the live chat showed them


def test_a_failed_turn_says_so_once_and_is_marked_for_a_retry(service):
    sid = service.sessions.issue("web")
    failed = run_turn(service, sid, "flaky running shorts")
    assert failed.done and failed.failed
    errors = [m for m in failed.history if m["role"] == "assistant"]
    assert len(errors) == 1 and errors[0]["content"].startswith("Sorry, something went wrong")
    again = run_turn(service, sid, "flaky running shorts")  # the retry
    words = [m["content"] for m in again.history if m["role"] == "assistant" and "cards" not in m]
    assert again.done and not again.failed and ANSWERED in words[-1]
    # the store has the message twice (both attempts); read back it is shown once, with its answer and cards
    assert [(m["role"], "cards" in m) for m in service.history(sid)] == [
        ("user", False), ("assistant", False), ("assistant", True)]


# -- in Chromium ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app():
    from ui.api import create_server
    from ui.limits import RateLimiter
    from ui.server import start_in_thread

    assistant = ui_assistant(FlakyModel(delay=0.05))
    running = start_in_thread(create_server(assistant, ui_settings(), limiter=RateLimiter(200, 60)))
    running.assistant = assistant
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield running
    running.stop()


def chat_has(pg, text):
    pg.wait_for_function("t => document.querySelector('#lt-chat')?.innerText.includes(t)", arg=text)


def session_of(app, text):
    """The session whose conversation has the shopper's message ``text``."""
    conversations = app.assistant.conversations
    return next(
        s["session_id"]
        for s in conversations.sessions()
        if any(m["content"] == text for m in conversations.messages(s["session_id"]))
    )


def test_a_reload_keeps_the_conversation_and_the_agents_reply(page, app):
    open_chat(page, app)
    first = f"running shorts for a summer race ({page.viewport_name})"
    send(page, first)
    page.wait_for_selector("#lt-typing .lt-typing")  # while the answer is being written
    chat_has(page, ANSWERED)
    page.wait_for_selector("#lt-typing .lt-typing", state="detached")
    card = page.locator(".lt-card").first
    liked = card.get_attribute("data-item-id")
    card.locator("button[data-fb=up]").click()
    page.wait_for_selector("#lt-status .lt-status")
    send(page, "I want to talk to a human about a damaged parcel")
    chat_has(page, "support team")
    sid = session_of(app, first)
    ids = page.locator(".lt-card").evaluate_all("cs => cs.map(c => c.dataset.itemId)")

    page.goto("about:blank")  # the shopper leaves; the agent answers meanwhile
    app.assistant.conversations.add_agent_message(sid, "Ada", "Ada here, sorry about the parcel.")
    open_chat(page, app)
    chat_has(page, "Ada here, sorry about the parcel.")
    chat = page.inner_text("#lt-chat")
    assert first in chat and ANSWERED in chat and "support team" in chat
    assert page.locator("#lt-chat .message.user").count() == 2
    assert page.locator(".lt-card").evaluate_all("cs => cs.map(c => c.dataset.itemId)") == ids
    up = page.locator(f".lt-card[data-item-id='{liked}'] button[data-fb=up]")
    assert up.get_attribute("aria-pressed") == "true"
    page.screenshot(path=str(SHOTS / f"reloaded-{page.viewport_name}.png"))
    # the ticket is still open, so the page polls again: the agent's next reply shows up by itself
    app.assistant.conversations.add_agent_message(sid, "Ada", "A new parcel is on its way.")
    chat_has(page, "A new parcel is on its way.")
    assert page.inner_text("#lt-chat").count("Ada here, sorry") == 1
    send(page, "thanks a lot")  # the same conversation goes on
    page.wait_for_function(
        "() => document.querySelectorAll('#lt-chat .message.user').length === 3"
    )
    page.wait_for_timeout(300)
    assert "thanks a lot" in [m["content"] for m in app.assistant.conversations.messages(sid)]

    page.locator("#lt-clear").click()  # start over: a reload then shows an empty chat
    page.wait_for_function("() => document.querySelectorAll('#lt-chat .message').length === 0")
    page.wait_for_timeout(300)
    open_chat(page, app)
    page.wait_for_timeout(1000)
    assert page.locator("#lt-chat .message").count() == 0


def test_the_gradio_api_keeps_its_parameters_and_one_client_is_one_session(app):
    from gradio_client import Client

    client = Client(app.url + "/", verbose=False)
    params = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/chat"]["parameters"]
    assert [p["parameter_name"] for p in params] == ["text", "history", "lo", "hi", "cat", "stock"]
    history, *_ = client.predict("hiking boots for the api", [], None, None, "", False, api_name="/chat")
    history, *_ = client.predict("cheaper ones", history, None, None, "", False, api_name="/chat")
    sid = session_of(app, "cheaper ones")
    assert [m["content"] for m in app.assistant.conversations.messages(sid) if m["role"] == "user"] == [
        "hiking boots for the api",
        "cheaper ones",
    ]


def test_a_made_up_session_id_in_the_browser_resumes_nothing(browser, app):
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    try:
        open_chat(pg, app)
        pg.evaluate("localStorage.setItem('longtail-session', 'not-a-real-session')")
        open_chat(pg, app)
        pg.wait_for_timeout(800)
        assert pg.locator("#lt-chat .message").count() == 0
        send(pg, "hiking boots")
        chat_has(pg, ANSWERED)  # a new, server-issued session
        assert app.server.config.app.state.sessions.verify(session_of(app, "hiking boots"))
    finally:
        context.close()


def test_a_failed_turn_shows_the_error_and_retry_sends_it_again(page, app):
    open_chat(page, app)
    text = f"flaky running shorts ({page.viewport_name})"
    send(page, text)
    chat_has(page, "Sorry, something went wrong")
    retry = page.locator("#lt-retry")
    retry.wait_for()
    assert page.locator("#lt-typing .lt-typing").count() == 0
    page.screenshot(path=str(SHOTS / f"retry-{page.viewport_name}.png"))
    retry.click()
    chat_has(page, ANSWERED)
    chat = page.inner_text("#lt-chat")
    assert "Sorry, something went wrong" not in chat  # the failed attempt gave way to the answer
    assert page.locator("#lt-chat .message.user").count() == 1 and text in chat
    retry.wait_for(state="hidden")
    assert page.locator("#lt-message textarea").input_value() == ""
