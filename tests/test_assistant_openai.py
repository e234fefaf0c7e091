"""The OpenAI-compatible backend against a tiny in-process server speaking the streaming chat-completions API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant import OpenAIChatModel, Products, TextDelta, ToolCall
from assistant.testing import demo_assistant

REPLIES = ['<tool_call>{"name": "search_products", "arguments": {"query": "rain jacket"}}</tool_call>',
           "Here are some rain jackets."]


@pytest.fixture()
def server():
    seen: list[dict] = []
    replies = list(REPLIES)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(body)
            if self.path != "/v1/chat/completions":
                self.send_response(404)
                self.end_headers()
                return
            text = replies.pop(0) if replies else ""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for n in range(0, len(text), 7):
                chunk = {"choices": [{"delta": {"content": text[n:n + 7]}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    httpd.shutdown()


def test_openai_backend_drives_the_same_assistant(server):
    url, seen = server
    bot = demo_assistant(OpenAIChatModel(url, model="smollm2", api_key="k"))
    events = list(bot.respond("oa", "a rain jacket"))
    assert [e.name for e in events if isinstance(e, ToolCall)] == ["search_products"]
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Products") < kinds.index("TextDelta")
    assert "".join(e.text for e in events if isinstance(e, TextDelta)).endswith(" Here are some rain jackets.")
    assert next(e for e in events if isinstance(e, Products)).hits
    assert seen[0]["stream"] is True and seen[0]["model"] == "smollm2" and seen[0]["temperature"] == 0
    assert seen[1]["messages"][-1]["role"] == "user"  # tool results travel as user turns
    assert seen[1]["messages"][-1]["content"].startswith("<tool_result>")


def test_unreachable_server_falls_back_to_router_and_templates():
    bot = demo_assistant(OpenAIChatModel("http://127.0.0.1:9/v1", timeout=2))
    events = list(bot.respond("down", "a rain jacket"))
    assert type(events[-1]).__name__ == "Done" and events[-1].text.startswith("Here are")
    assert next(e for e in events if isinstance(e, ToolCall)).fallback
    assert next(e for e in events if isinstance(e, Products)).hits
    assert bot.stats["model_errors"] == 2
