"""The web app's outer guard (one pure-ASGI middleware, outside everything else):

* **Request body cap**, before anything parses the body: a ``Content-Length`` over the limit is answered 413 at
  once, without reading the body; a body without one (chunked) is read only up to the limit, then 413.
* **Cross-origin requests refused** (403) unless the ``Origin`` is this site itself (its ``Host``) or was
  allowed: ``allowed_origins`` (``--allow-origin``) for the chat and the API, ``console_origins``
  (``--console-origin``) for the support console. A state-changing console request that carries the console's
  login cookie must also name its origin (``Origin`` or ``Referer``), so a forged form post without one is
  refused too (CSRF).
* **Framing**: every page says who may frame it (CSP ``frame-ancestors``: this site and the allowed origins).
* **Cookies** set by the app are rewritten ``HttpOnly; SameSite=Strict``, plus ``Secure`` when the request came
  over HTTPS (directly or through a trusted proxy's ``X-Forwarded-Proto``).
* **Console login lock-out**: ``POST /console/login`` is checked against :class:`ui.limits.LoginGuard` (per
  client address and per user name) before the password is; the outcome is counted and audited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request

from .limits import LoginGuard

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KIB = 1024


def _netloc(value: str | None) -> str | None:
    """``host[:port]`` of an origin, referer or Host header, lower-case, default ports dropped; None if none."""
    if not value:
        return None
    value = value.strip()
    if value.lower() == "null":
        return "null"
    parts = urlsplit(value if "//" in value else "//" + value)
    host = (parts.hostname or "").lower()
    if not host:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    if ":" in host:
        host = f"[{host}]"
    if (
        port is None
        or (parts.scheme, port) in (("http", 80), ("https", 443))
        or (not parts.scheme and port in (80, 443))
    ):
        return host
    return f"{host}:{port}"


def _origin(value: str | None) -> str | None:
    """``scheme://host[:port]`` of a URL (for the allow list), or "null"."""
    if not value:
        return None
    if value.strip().lower() == "null":
        return "null"
    parts = urlsplit(value.strip())
    loc = _netloc(value)
    return f"{parts.scheme.lower()}://{loc}" if parts.scheme and loc else None


class WebGuard:
    def __init__(
        self,
        app: Any,
        allowed_origins: Sequence[str] = (),
        console_origins: Sequence[str] = (),
        console_path: str = "/console",
        login: LoginGuard | None = None,
        max_body: int = 1024 * KIB,
        max_api_body: int = 64 * KIB,
    ):
        self.app = app
        self.allowed = {o for o in (_origin(x) for x in allowed_origins) if o}
        self.console_allowed = {o for o in (_origin(x) for x in console_origins) if o}
        self.console_path = console_path.rstrip("/")
        self.login = login
        self.max_body, self.max_api_body = max_body, max_api_body

    # -- helpers -------------------------------------------------------------------------------------------------
    def _is_console(self, path: str) -> bool:
        return path == self.console_path or path.startswith(self.console_path + "/")

    def _foreign(self, origin: str, headers: Headers, console: bool) -> bool:
        """True when ``origin`` (an Origin header or a Referer) is neither this site nor allowed."""
        if _netloc(origin) == _netloc(headers.get("host")) and _netloc(origin) != "null":
            return False
        allowed = self.console_allowed if console else self.allowed
        return _origin(origin) not in allowed

    def _frame_policy(self, console: bool) -> str:
        """Who may show these pages in a frame: this site and the allowed origins (``--allow-origin`` for the chat,
        ``--console-origin`` for the console); no one else (CSP ``frame-ancestors``)."""
        allowed = sorted(o for o in (self.console_allowed if console else self.allowed) if o != "null")
        return "frame-ancestors " + " ".join(["'self'", *allowed])

    @staticmethod
    async def _answer(send: Any, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"detail": detail}).encode("utf-8")
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    # -- the middleware ------------------------------------------------------------------------------------------
    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin and self._foreign(origin, headers, self._is_console(scope.get("path", ""))):
                await receive()
                await send({"type": "websocket.close", "code": 1008})
                return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path, method = scope.get("path", ""), scope["method"].upper()
        console = self._is_console(path)

        # 1. the body cap, before anything reads the body
        limit = self.max_api_body if path.startswith("/api/") else self.max_body
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                await self._answer(send, 400, "Content-Length must be a number of bytes.")
                return
            if int(length) > limit:
                await self._answer(
                    send,
                    413,
                    f"The request body is {int(length):,} bytes; the limit for {path} is {limit:,} bytes. "
                    f"Send less (a shorter message).",
                    {"connection": "close"},
                )
                return
        elif method not in SAFE_METHODS and "chunked" in headers.get("transfer-encoding", "").lower():
            body, more = await self._read(receive, limit)
            if more:
                await self._answer(
                    send,
                    413,
                    f"The request body is over the limit for {path} ({limit:,} bytes). Send less.",
                    {"connection": "close"},
                )
                return
            receive = self._replay(body, receive)

        # 2. cross-origin requests, and CSRF on the console
        origin = headers.get("origin")
        referer = headers.get("referer")
        claimed = origin or (referer if method not in SAFE_METHODS else None)
        if claimed and self._foreign(claimed, headers, console):
            where = "the support console" if console else "this app"
            flag = "--console-origin" if console else "--allow-origin"
            await self._answer(
                send,
                403,
                f"Cross-origin request refused: {_origin(claimed) or claimed} may not call {where} (served "
                f"here as {headers.get('host', '?')}). If that site is yours, allow it with {flag} "
                f"{_origin(claimed) or claimed}; behind a proxy, pass the original Host header.",
            )
            return
        if console and method not in SAFE_METHODS and not claimed and self._has_console_cookie(headers):
            await self._answer(
                send,
                403,
                "Refused: a signed-in console request that changes something must come from the console's own "
                "page (its Origin or Referer header is missing).",
            )
            return

        # 3. cookies: HttpOnly, SameSite=Strict, Secure behind HTTPS
        send = self._harden_cookies(send, scope.get("scheme") == "https", self._frame_policy(console))

        # 4. the console login lock-out
        if (
            self.login is not None
            and console
            and method == "POST"
            and path.rstrip("/") == self.console_path + "/login"
        ):
            await self._login(scope, receive, send, limit)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _has_console_cookie(headers: Headers) -> bool:
        return "access-token" in headers.get("cookie", "")

    @staticmethod
    async def _read(receive: Any, limit: int) -> tuple[bytes, bool]:
        """Up to ``limit`` bytes of the body; (body, True) when there was more."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    @staticmethod
    def _replay(body: bytes, receive: Any) -> Any:
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    @staticmethod
    def _harden_cookies(send: Any, https: bool, frame_policy: str = "") -> Any:
        async def hardened(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                policy = headers.get("content-security-policy")
                if frame_policy and policy is None:
                    headers["content-security-policy"] = frame_policy
                elif frame_policy and "frame-ancestors" not in policy:  # a page's own policy: add framing
                    headers["content-security-policy"] = f"{policy}; {frame_policy}"
                cookies = headers.getlist("set-cookie")
                if cookies:
                    del headers["set-cookie"]
                    for cookie in cookies:
                        headers.append("set-cookie", harden_cookie(cookie, https))
            await send(message)

        return hardened

    async def _login(self, scope: dict, receive: Any, send: Any, limit: int) -> None:
        assert self.login is not None
        body, more = await self._read(receive, limit)
        if more:
            await self._answer(send, 413, "The sign-in form is too large.")
            return
        receive = self._replay(body, receive)
        try:
            form = await Request(scope, self._replay(body, receive)).form()
            username = str(form.get("username") or "")
        except Exception:  # noqa: BLE001 - a malformed form: Gradio answers it; nothing to count
            username = ""
        client = (scope.get("client") or ("unknown", 0))[0]
        refusal = self.login.before(client, username)
        if refusal:
            await self._answer(send, 429, refusal, {"retry-after": "900"})
            return
        status: list[int] = []

        async def watch(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] != 500:
            self.login.after(client, username, ok=status[0] == 200)


def harden_cookie(cookie: str, https: bool) -> str:
    """``cookie`` (a Set-Cookie value) with ``HttpOnly; SameSite=Strict`` and, over HTTPS, ``Secure``."""
    parts = [p.strip() for p in cookie.split(";")]
    keep = [parts[0]] + [
        p
        for p in parts[1:]
        if p and p.split("=")[0].strip().lower() not in ("samesite", "secure", "httponly")
    ]
    keep += ["HttpOnly", "SameSite=Strict"] + (["Secure"] if https else [])
    return "; ".join(keep)
