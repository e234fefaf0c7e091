"""Conversations in SQLite: messages, per-session refinement state, escalation tickets, item feedback and each
session's shopping cart (``ConversationStore.cart``, a :class:`~assistant.cart.Cart` on the same connection).

One file per store (``settings.store_dir / "conversations.sqlite"``; ``":memory:"`` in tests). A lock
serialises access, so the web app's worker threads can share one store. A conversation is resumed by its
session id: messages and the refinement state (last query, filters, items shown) are read back from here.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from retrieval.storage import connect

from .cart import Cart

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    state TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    ts REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS messages_session ON messages(session_id, ts);
CREATE TABLE IF NOT EXISTS escalations (
    ticket_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    created REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    agent TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS feedback (
    session_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ts REAL NOT NULL
);
"""

FEEDBACK_KINDS = ("up", "down", "more_like_this")
ROLES = ("user", "assistant", "tool", "agent", "system")


class ConversationStore:
    """Thread-safe SQLite store of conversations; ``path=":memory:"`` keeps everything in memory."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self._conn, self._lock = connect(self.path, SCHEMA)
        self._conn.row_factory = sqlite3.Row
        self.cart = Cart(self.path, connection=(self._conn, self._lock))  # table ``cart`` in this same file

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- sessions --------------------------------------------------------------------------------------------
    def _touch(self, session_id: str, now: float) -> None:
        self._conn.execute(
            "INSERT INTO sessions(session_id, created, updated) VALUES (?, ?, ?) "
            "ON CONFLICT(session_id) DO UPDATE SET updated=excluded.updated", (session_id, now, now))

    def sessions(self) -> list[dict]:
        """All sessions, most recently active first: session_id, created, updated, messages, status."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT s.session_id, s.created, s.updated, "
                "(SELECT COUNT(*) FROM messages m WHERE m.session_id = s.session_id) AS messages, "
                "(SELECT status FROM escalations e WHERE e.session_id = s.session_id "
                " ORDER BY created DESC LIMIT 1) AS status "
                "FROM sessions s ORDER BY s.updated DESC").fetchall()
        return [dict(r) | {"status": r["status"] or "bot"} for r in rows]

    def state(self, session_id: str) -> dict[str, Any]:
        """The refinement state of a session (last query, filters, shown ids...); {} for a new one."""
        with self._lock:
            row = self._conn.execute("SELECT state FROM sessions WHERE session_id=?", (session_id,)).fetchone()
        return json.loads(row["state"]) if row else {}

    def set_state(self, session_id: str, state: dict[str, Any]) -> None:
        now = time.time()
        with self._lock, self._conn:
            self._touch(session_id, now)
            self._conn.execute("UPDATE sessions SET state=? WHERE session_id=?",
                               (json.dumps(state, default=str), session_id))

    # -- messages --------------------------------------------------------------------------------------------
    def add_message(self, session_id: str, role: str, content: str, **meta: Any) -> str:
        if role not in ROLES:
            raise ValueError(f"role={role!r}: use one of {', '.join(ROLES)}.")
        message_id = uuid.uuid4().hex[:16]
        now = time.time()
        with self._lock, self._conn:
            self._touch(session_id, now)
            self._conn.execute(
                "INSERT INTO messages(message_id, session_id, role, content, ts, meta) VALUES (?,?,?,?,?,?)",
                (message_id, session_id, role, content, now, json.dumps(meta, default=str)))
        return message_id

    def messages(self, session_id: str) -> list[dict]:
        """The session's messages in order: {"role", "content", "ts", "message_id", ...meta}."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT message_id, role, content, ts, meta FROM messages WHERE session_id=? "
                "ORDER BY ts, rowid", (session_id,)).fetchall()
        out = []
        for r in rows:
            meta = json.loads(r["meta"])
            out.append(meta | {"role": r["role"], "content": r["content"], "ts": r["ts"],
                               "message_id": r["message_id"]})
        return out

    def add_agent_message(self, session_id: str, agent: str, text: str) -> None:
        """A human support agent writes into the conversation (shown to the shopper as role "agent")."""
        self.add_message(session_id, "agent", text, agent=agent)

    # -- escalations -----------------------------------------------------------------------------------------
    def escalate(self, session_id: str, summary: str) -> str:
        """Open a support ticket for the session; returns its id."""
        ticket_id = "T-" + uuid.uuid4().hex[:8].upper()
        now = time.time()
        with self._lock, self._conn:
            self._touch(session_id, now)
            self._conn.execute("INSERT INTO escalations(ticket_id, session_id, summary, created) VALUES (?,?,?,?)",
                               (ticket_id, session_id, summary, now))
        return ticket_id

    def escalations(self, status: str | None = "open") -> list[dict]:
        """Tickets with this status ("open", "taken"; None = all), oldest first."""
        query = "SELECT ticket_id, session_id, summary, created, status, agent FROM escalations"
        args: tuple = ()
        if status is not None:
            query += " WHERE status=?"
            args = (status,)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY created, rowid", args).fetchall()
        return [dict(r) for r in rows]

    def take_over(self, ticket_id: str, agent: str) -> None:
        """An agent takes the ticket: from now on the bot stays silent in that session."""
        with self._lock, self._conn:
            cur = self._conn.execute("UPDATE escalations SET status='taken', agent=? WHERE ticket_id=?",
                                     (agent, ticket_id))
        if cur.rowcount == 0:
            raise KeyError(f"No ticket {ticket_id!r}; list open ones with escalations().")

    def is_taken(self, session_id: str) -> bool:
        """True when a human agent has taken over this session."""
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM escalations WHERE session_id=? AND status='taken' LIMIT 1",
                                     (session_id,)).fetchone()
        return row is not None

    # -- feedback --------------------------------------------------------------------------------------------
    def add_feedback(self, session_id: str, item_id: str, kind: str) -> bool:
        """Record feedback; False (nothing recorded) when this session already gave this item this feedback, so
        a session cannot pile up likes for one item."""
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"feedback kind={kind!r}: use one of {', '.join(FEEDBACK_KINDS)}.")
        with self._lock, self._conn:
            if self._conn.execute("SELECT 1 FROM feedback WHERE session_id=? AND item_id=? AND kind=? LIMIT 1",
                                  (session_id, item_id, kind)).fetchone():
                return False
            self._touch(session_id, time.time())
            self._conn.execute("INSERT INTO feedback(session_id, item_id, kind, ts) VALUES (?,?,?,?)",
                               (session_id, item_id, kind, time.time()))
            return True

    def feedback(self, session_id: str | None = None) -> list[dict]:
        query = "SELECT session_id, item_id, kind, ts FROM feedback"
        args: tuple = ()
        if session_id is not None:
            query += " WHERE session_id=?"
            args = (session_id,)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY ts, rowid", args).fetchall()
        return [dict(r) for r in rows]
