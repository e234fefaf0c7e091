"""Abuse limits for shopper messages: a maximum size and a per-session rate limit (sliding window).

Each check returns ``None`` when the message may go on, else the clear sentence to show the shopper.
Thread-safe: the web app's worker threads share one :class:`RateLimiter`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``max_messages`` per ``per_seconds`` for each session id."""

    def __init__(
        self,
        max_messages: int = 12,
        per_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_sessions: int = 100_000,
    ):
        if max_messages <= 0 or per_seconds <= 0:
            raise ValueError(
                "RateLimiter needs max_messages > 0 and per_seconds > 0 (use a large value to relax it)."
            )
        self.max_messages = max_messages
        self.per_seconds = per_seconds
        self.clock = clock
        self.max_sessions = max_sessions
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, session_id: str) -> str | None:
        """Record one message for ``session_id``; the refusal text when it is over the limit."""
        now = self.clock()
        with self._lock:
            if len(self._seen) > self.max_sessions:  # forget idle sessions so memory stays bounded
                for key in [k for k, q in self._seen.items() if not q or now - q[-1] > self.per_seconds]:
                    del self._seen[key]
            stamps = self._seen.setdefault(session_id, deque())
            while stamps and now - stamps[0] >= self.per_seconds:
                stamps.popleft()
            if len(stamps) >= self.max_messages:
                wait = max(1, int(self.per_seconds - (now - stamps[0]) + 0.999))
                return (
                    f"You're sending messages faster than I can keep up with (limit: {self.max_messages} "
                    f"per {self.per_seconds:g} seconds). Please wait {wait} second{'s' if wait != 1 else ''} "
                    f"and try again."
                )
            stamps.append(now)
            return None


def check_message(message: str, max_chars: int) -> str | None:
    """The refusal text for an empty or over-long message, else ``None``."""
    if not message or not message.strip():
        return "Please type a question or describe what you're looking for."
    if len(message) > max_chars:
        return (
            f"That message is {len(message):,} characters long; the limit is {max_chars:,}. "
            f"Please shorten it and send it again."
        )
    return None
