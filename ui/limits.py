"""Abuse limits: shopper messages (a maximum size and a per-session rate limit, sliding window), order
look-ups and returns (:class:`OrderGuard`) and the console login (:class:`LoginGuard`).

Each check returns ``None`` when the request may go on, else the clear sentence to show. Thread-safe: the web
app's worker threads share one of each.

Order look-ups and returns are limited per client address, per order number and per session at once, and an
order number, an address or a session with too many failed look-ups is locked for a while (the shopper is told
to try later or to contact support). Unknown and existing order numbers count and lock alike, so a lock says
nothing about whether an order exists. Every attempt goes to the audit log (time, client address, session, a
keyed hash of the order number, outcome).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


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


# -- who is asking: set by the web layer around each turn, read by the order guard ----------------------------
@dataclass(frozen=True)
class Requester:
    client: str = "local"  # the client's IP address ("local" for the command line)
    session_id: str = ""


LOCAL = Requester()
REQUESTER: contextvars.ContextVar[Requester] = contextvars.ContextVar("longtail_requester", default=LOCAL)


class Audit(Protocol):
    def audit(self, kind: str, client: str, session_id: str, subject: str, outcome: str) -> None: ...


class _Window:
    """Timestamps per key inside a sliding window, bounded in memory."""

    def __init__(self, seconds: float, max_keys: int = 100_000):
        self.seconds = seconds
        self.max_keys = max_keys
        self._seen: dict[str, deque[float]] = {}

    def count(self, key: str, now: float) -> int:
        stamps = self._seen.get(key)
        if not stamps:
            return 0
        while stamps and now - stamps[0] >= self.seconds:
            stamps.popleft()
        return len(stamps)

    def oldest(self, key: str) -> float:
        stamps = self._seen.get(key)
        return stamps[0] if stamps else 0.0

    def add(self, key: str, now: float) -> None:
        if len(self._seen) > self.max_keys:
            for k in [k for k, q in self._seen.items() if not q or now - q[-1] >= self.seconds]:
                del self._seen[k]
        self._seen.setdefault(key, deque()).append(now)


class Lockout:
    """``max_failures`` failures of one key within ``window`` seconds lock it for ``lock_seconds``; plus at most
    ``max_attempts`` attempts (any outcome) per ``window`` when set. Not thread-safe on its own (the guards
    hold a lock around it)."""

    def __init__(
        self, max_failures: int, window: float, lock_seconds: float, max_attempts: int | None = None
    ):
        if (
            max_failures <= 0
            or window <= 0
            or lock_seconds <= 0
            or (max_attempts is not None and max_attempts <= 0)
        ):
            raise ValueError("Lockout needs max_failures, window, lock_seconds (and max_attempts) > 0.")
        self.max_failures, self.window, self.lock_seconds = max_failures, window, lock_seconds
        self.max_attempts = max_attempts
        self._failures = _Window(window)
        self._attempts = _Window(window)
        self._locked: dict[str, float] = {}

    def wait(self, key: str, now: float) -> tuple[float, str]:
        """(seconds until ``key`` may try again, "locked" | "rate"); (0, "") when it may go on now."""
        until = self._locked.get(key, 0.0)
        if until > now:
            return until - now, "locked"
        if until:
            del self._locked[key]
        if self.max_attempts is not None and self._attempts.count(key, now) >= self.max_attempts:
            return self.window - (now - self._attempts.oldest(key)), "rate"
        return 0.0, ""

    def attempt(self, key: str, now: float) -> None:
        if self.max_attempts is not None:
            self._attempts.add(key, now)

    def fail(self, key: str, now: float) -> bool:
        """Count one failure; True when it locks the key."""
        self._failures.add(key, now)
        if self._failures.count(key, now) >= self.max_failures:
            self._locked[key] = now + self.lock_seconds
            if len(self._locked) > 100_000:
                for k in [k for k, t in self._locked.items() if t <= now]:
                    del self._locked[k]
            return True
        return False


def _minutes(seconds: float) -> str:
    n = max(1, int(seconds / 60 + 0.999))
    return f"{n} minute{'s' if n != 1 else ''}"


def normalise_order_id(order_id: str) -> str:
    return "".join((order_id or "").split()).lower()


@dataclass(frozen=True)
class LookupPolicy:
    """How many order look-ups / returns may be tried, and how long a lock lasts (seconds)."""

    window: float = 15 * 60
    lock_seconds: float = 15 * 60
    order_failures: int = 5  # wrong email (or unknown order) for one order number
    client_failures: int = 10  # failed look-ups from one client address, any order numbers
    client_attempts: int = 30  # look-ups from one client address, any outcome
    session_failures: int = 5
    session_attempts: int = 10


ORDER_LOCKED = (
    "For your security I can't look up orders right now: there were too many unsuccessful attempts. Please "
    "try again in {wait}, or ask for a human agent (or contact our support team) and they will help you."
)
ORDER_RATE = (
    "You've looked up a lot of orders in a short time. Please try again in {wait}, or ask for a human agent "
    "(or contact our support team) and they will help you."
)


class OrderGuard:
    """Limits and audits order look-ups and returns (``OrderBook.guard``): per order number, client address and
    session, read from :data:`REQUESTER`. ``digest`` hashes order numbers for the audit log."""

    def __init__(
        self,
        audit: Audit | None = None,
        digest: Callable[[str], str] | None = None,
        policy: LookupPolicy = LookupPolicy(),
        clock: Callable[[], float] = time.monotonic,
    ):
        self.audit_log, self.policy, self.clock = audit, policy, clock
        self.digest = digest or (lambda value: "")
        p = policy
        self._scopes = {
            "order": Lockout(p.order_failures, p.window, p.lock_seconds),
            "client": Lockout(p.client_failures, p.window, p.lock_seconds, p.client_attempts),
            "session": Lockout(p.session_failures, p.window, p.lock_seconds, p.session_attempts),
        }
        self._lock = threading.Lock()

    def _keys(self, order_id: str) -> dict[str, str]:
        who = REQUESTER.get()
        keys = {"order": normalise_order_id(order_id), "client": who.client or "unknown"}
        if who.session_id:
            keys["session"] = who.session_id
        return keys

    def before(self, action: str, order_id: str) -> str | None:
        """Called before a look-up (``action`` "order_status" | "start_return"): the refusal, or None."""
        keys, now = self._keys(order_id), self.clock()
        with self._lock:
            waits = [self._scopes[s].wait(k, now) for s, k in keys.items()]
            wait, why = max(waits)
            if not wait:
                for s, k in keys.items():
                    self._scopes[s].attempt(k, now)
        if wait:
            self._audit(action, order_id, f"refused_{why}")
            return (ORDER_LOCKED if why == "locked" else ORDER_RATE).format(wait=_minutes(wait))
        return None

    def after(self, action: str, order_id: str, ok: bool) -> None:
        """Called after a look-up that ran: ``ok`` when order number and email matched."""
        keys, now = self._keys(order_id), self.clock()
        locked = []
        if not ok:
            with self._lock:
                locked = [s for s, k in keys.items() if self._scopes[s].fail(k, now)]
        self._audit(
            action, order_id, ("verified" if ok else "failed") + "".join(f"+locks_{s}" for s in locked)
        )

    def _audit(self, action: str, order_id: str, outcome: str) -> None:
        if self.audit_log is None:
            return
        who = REQUESTER.get()
        try:
            self.audit_log.audit(
                action, who.client, who.session_id, self.digest(normalise_order_id(order_id)), outcome
            )
        except Exception:  # the audit log must never break the shopper's turn
            import logging

            logging.getLogger(__name__).exception("could not write the audit log")


@dataclass(frozen=True)
class LoginPolicy:
    window: float = 15 * 60
    lock_seconds: float = 15 * 60
    user_failures: int = 5  # wrong passwords for one user name
    client_failures: int = 10  # wrong passwords from one client address, any user names


LOGIN_LOCKED = (
    "Too many failed sign-ins: signing in is paused for {wait}. Ask the console's administrator if you "
    "have lost the password."
)


class LoginGuard:
    """Lock-out and audit for the support console's login, per client address and per user name.

    A locked user name still signs in from an address it signed in from before (this process, or an ``ok``
    line in the audit log): an attacker elsewhere cannot lock the agents out by failing on purpose. That
    address's own limit still applies, so guessing from it locks it like any other."""

    def __init__(
        self,
        audit: Audit | None = None,
        digest: Callable[[str], str] | None = None,
        policy: LoginPolicy = LoginPolicy(),
        clock: Callable[[], float] = time.monotonic,
    ):
        self.audit_log, self.policy, self.clock = audit, policy, clock
        self.digest = digest or (lambda value: "")
        self._user = Lockout(policy.user_failures, policy.window, policy.lock_seconds)
        self._client = Lockout(policy.client_failures, policy.window, policy.lock_seconds)
        self._known: set[tuple[str, str]] = set()  # (address, user name) that signed in
        self._lock = threading.Lock()

    def _known_address(self, client: str, user: str) -> bool:
        if (client, user) in self._known:
            return True
        seen = getattr(self.audit_log, "seen", None)
        try:
            return bool(seen and seen("console_login", client, self.digest(user), "ok"))
        except Exception:  # noqa: BLE001 - an unreadable log only means "not known"
            return False

    def before(self, client: str, username: str) -> str | None:
        now, user = self.clock(), username.strip().lower()
        with self._lock:
            user_wait = self._user.wait(user, now)[0]
            client_wait = self._client.wait(client, now)[0]
        if user_wait and self._known_address(client, user):
            user_wait = 0.0
        wait = max(user_wait, client_wait)
        if wait:
            self._audit(client, username, "refused_locked")
            return LOGIN_LOCKED.format(wait=_minutes(wait))
        return None

    def after(self, client: str, username: str, ok: bool) -> None:
        now, user = self.clock(), username.strip().lower()
        locked = []
        with self._lock:
            if ok and len(self._known) < 10_000:
                self._known.add((client, user))
            elif not ok:
                locked = [
                    n
                    for n, lk, k in (("user", self._user, user), ("client", self._client, client))
                    if lk.fail(k, now)
                ]
        self._audit(client, username, ("ok" if ok else "failed") + "".join(f"+locks_{s}" for s in locked))

    def _audit(self, client: str, username: str, outcome: str) -> None:
        if self.audit_log is None:
            return
        try:  # the user name is hashed too: a password typed into the wrong field must not land in the log
            self.audit_log.audit("console_login", client, "", self.digest(username.strip().lower()), outcome)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("could not write the audit log")
