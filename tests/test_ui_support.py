"""Shared helpers for the UI tests (no tests here): settings, a paced scripted model, the web app in a thread.

The assistant is the real one (``assistant.testing.demo_assistant``: the bundled demo store indexed with the
fast HashEmbedder, in memory) driven by a scripted model, so every UI test runs the whole stack.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from assistant import ScriptedChatModel
from longtail.config import Settings

ADMIN_USER, ADMIN_PASSWORD = "agent-ada", "correct horse battery staple"
REPLY = (
    "These should suit you well. Each one fits what you asked for. Tell me if you want something different."
)


def ui_settings(**overrides: Any) -> Settings:
    data_dir = Path(tempfile.mkdtemp(prefix="longtail-ui-test-"))
    values = dict(
        data_dir=data_dir,
        chroma_mode="ephemeral",
        llm_backend="fake",
        admin_user=ADMIN_USER,
        admin_password=ADMIN_PASSWORD,
    )
    values.update(overrides)
    return Settings(**values)


class PacedModel(ScriptedChatModel):
    """A scripted model whose answer depends only on the call, not on call order (safe with concurrent
    sessions): no tool call of its own (the assistant's router picks the tool), then ``reply`` after a tool
    result, streamed word by word with ``delay`` seconds between words so streaming is visible."""

    def __init__(self, reply: str = REPLY, delay: float = 0.0):
        super().__init__([])
        self.reply = reply
        self.delay = delay

    def stream(self, messages: list[dict], max_new_tokens: int = 128, stop: Sequence[str] = ()):
        with self._lock:
            self.calls.append([dict(m) for m in messages])
        if messages[-1]["role"] != "tool":
            return
        words = self.reply.split(" ")
        for n, word in enumerate(words):
            if self.delay:
                time.sleep(self.delay)
            yield word if n == len(words) - 1 else word + " "


@functools.cache
def ui_store():
    """One demo store (HashEmbedder, in memory) for all UI tests, apart from the assistant tests' shared one:
    the UI tests write feedback, interactions and impressions (each test reads back only its own sessions)."""
    from assistant.testing import demo_store

    return demo_store(fresh=True)


def ui_assistant(model: Any = None):
    """The real assistant (its own conversation store) over the UI tests' demo store."""
    from assistant.testing import demo_assistant

    return demo_assistant(model=model if model is not None else PacedModel(), store=ui_store())


# -- Chromium (Debian's, driven by Playwright): the browser tests' shared pieces --------------------------------
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
TIMEOUT = 20_000  # ms
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (skipped without Playwright or Chromium)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (make browser-deps)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser, app):
    """A fresh page at each viewport (``pg.viewport_name``), for the module's ``app`` fixture."""
    w, h = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": w, "height": h}, is_mobile=request.param == "phone")
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.viewport_name = request.param
    yield pg
    context.close()


def open_chat(pg, app):
    pg.goto(app.url + "/")
    pg.wait_for_selector("#lt-message textarea")


def send(pg, text):
    box = pg.locator("#lt-message textarea")
    box.fill(text)
    box.press("Enter")
