"""With no internet: the documented embed snippet renders the chat, and /docs and /redoc render the API docs,
from what the app serves itself (Gradio's bundled web component at /gradio.js; Swagger UI and ReDoc from the
fastapi-offline package).

The HTTP tests need only the server; the browser tests (Playwright + /usr/bin/chromium; skipped with the
reason when either is missing) abort every request that is not for the app or the shop's own page, and fail
if any was made.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from test_ui_support import CHROMIUM, SHOTS, TIMEOUT, VIEWPORTS, browser, PacedModel, ui_assistant, ui_settings

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED_HOST = "https://assistant.example.com"


def documented_snippet() -> str:
    """The web-component snippet as docs/ui.md gives it (the html block with ``<gradio-app``)."""
    blocks = re.findall(r"```html\n(.*?)```", (ROOT / "docs" / "ui.md").read_text(encoding="utf-8"), re.S)
    return next(b for b in blocks if "<gradio-app" in b)


class ShopPage:
    """A shop's page on another origin (another loopback port), whose body is ``html``."""

    def __init__(self):
        self.html = ""
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = (
                    '<!doctype html><html><head><meta name="viewport" content="width=device-width, '
                    f'initial-scale=1"></head><body><h1>Our shop</h1>{page.html}</body></html>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def shop():
    page = ShopPage()
    yield page
    page.server.shutdown()


@pytest.fixture(scope="module")
def app(shop):
    from ui.api import create_server
    from ui.limits import RateLimiter
    from ui.server import start_in_thread

    assistant = ui_assistant(PacedModel(delay=0.02))
    settings = ui_settings(admin_user="", admin_password="")
    running = start_in_thread(
        create_server(assistant, settings, limiter=RateLimiter(200, 60), allowed_origins=(shop.origin,))
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield running
    running.stop()


# -- over HTTP -----------------------------------------------------------------------------------------------
def test_the_docs_pages_load_their_scripts_from_this_server(app):
    for path in ("/docs", "/redoc"):
        page = httpx.get(app.url + path).text
        urls = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert urls and all(u.startswith("/") for u in urls), (path, urls)
        for url in urls:
            r = httpx.get(app.url + url)
            assert r.status_code == 200 and len(r.content) > 1000, url
    assert "SwaggerUIBundle" in httpx.get(app.url + "/static-offline-docs/swagger-ui-bundle.js").text
    policy = httpx.get(app.url + "/redoc").headers["content-security-policy"]  # images from here only,
    assert "img-src 'self' data:" in policy and "frame-ancestors 'self'" in policy  # framing rule kept


def test_the_web_component_script_is_served_with_what_it_imports(app, shop):
    r = httpx.get(app.url + "/gradio.js", headers={"Origin": shop.origin})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["access-control-allow-origin"] == shop.origin  # a module script from another site
    imported = re.findall(r"""import\(["']\./([^"']+)["']\)""", r.text)
    assert imported, r.text
    for path in imported:
        assert httpx.get(f"{app.url}/{path}", headers={"Origin": shop.origin}).status_code == 200
    assert httpx.get(app.url + "/gradio.js", headers={"Origin": "https://evil.example"}).status_code == 403


def test_the_documented_snippets_point_at_the_app_itself():
    snippet = documented_snippet()
    assert f'src="{DOCUMENTED_HOST}/gradio.js"' in snippet and "gradio.s3" not in snippet
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f'<script type="module" src="{DOCUMENTED_HOST}/gradio.js"></script>' in readme
    assert "gradio.s3" not in readme


# -- in Chromium, with the outside network cut off -----------------------------------------------------------
def offline_page(browser, app, shop, viewport="desktop"):
    """A page whose requests to anything but the app and the shop are aborted (``pg.blocked`` lists them)."""
    w, h = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": w, "height": h}, is_mobile=viewport == "phone")
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith((app.url + "/", shop.origin + "/")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.blocked = blocked
    return pg


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_documented_embed_snippet_renders_the_chat_offline(browser, app, shop, viewport):
    shop.html = documented_snippet().replace(DOCUMENTED_HOST, app.url)
    pg = offline_page(browser, app, shop, viewport)
    try:
        pg.goto(shop.origin + "/")
        box = pg.locator("gradio-app #lt-message textarea")
        box.wait_for()
        box.fill("a saucepan that works on induction")
        box.press("Enter")
        pg.locator("gradio-app .lt-card").first.wait_for()
        pg.wait_for_function("document.querySelector('gradio-app').innerText.includes('something different')")
        assert pg.locator("gradio-app #lt-send").is_visible()
        pg.screenshot(path=str(SHOTS / f"embed-offline-{viewport}.png"))
        assert not pg.blocked, f"the embedded chat tried to reach other hosts: {pg.blocked[:5]}"
    finally:
        pg.context.close()


def test_the_api_docs_render_offline(browser, app, shop):
    pg = offline_page(browser, app, shop)
    try:
        pg.goto(app.url + "/docs")
        pg.locator(".swagger-ui .opblock-summary-path", has_text="/api/chat").first.wait_for()
        pg.screenshot(path=str(SHOTS / "api-docs-offline.png"))
        pg.goto(app.url + "/redoc")
        pg.wait_for_function("document.body.innerText.includes('/api/chat')")
        pg.get_by_text("Chat with the Longtail shopping assistant").first.wait_for()
        pg.screenshot(path=str(SHOTS / "api-redoc-offline.png"))
        assert not pg.blocked, f"the docs tried to reach other hosts: {pg.blocked[:5]}"
    finally:
        pg.context.close()
