"""Conversations in SQLite: messages, per-session refinement state, escalation tickets, item feedback and each
session's shopping cart (``ConversationStore.cart``, a :class:`~assistant.cart.Cart` on the same connection).

Tickets (escalations) move between ``open`` (nobody holds it; the bot still answers), ``assigned`` (an agent
holds it: the bot stays silent in that session) and ``closed``: :meth:`ConversationStore.assign`, ``take`` (assign
to oneself), ``release`` (back to open), ``close_ticket`` and ``reopen``. Agents keep internal notes per ticket
(:meth:`~ConversationStore.add_note`; never part of the conversation, so the shopper never sees them), and
:meth:`~ConversationStore.search` finds sessions whose messages contain a text.

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
CREATE TABLE IF NOT EXISTS notes (
    ticket_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    ts REAL NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_ticket ON notes(ticket_id, ts);
CREATE TABLE IF NOT EXISTS feedback (
    session_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ts REAL NOT NULL
);
"""

FEEDBACK_KINDS = ("up", "down", "more_like_this")
ROLES = ("user", "assistant", "tool", "agent", "system")
TICKET_STATUSES = ("open", "assigned", "closed")
SEARCHED_ROLES = ("user", "assistant", "agent")  # what :meth:`ConversationStore.search` looks through
MAX_NOTE_CHARS = 4000


class TicketError(ValueError):
    """A ticket change that is not allowed now (e.g. closing a closed ticket); the message says why."""


class ConversationStore:
    """Thread-safe SQLite store of conversations; ``path=":memory:"`` keeps everything in memory."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self._conn, self._lock = connect(self.path, SCHEMA)
        self._conn.row_factory = sqlite3.Row
        with self._lock, self._conn:  # tickets written before the statuses were open/assigned/closed
            self._conn.execute("UPDATE escalations SET status='assigned' WHERE status='taken'")
        self._conn.create_function("lt_fold", 1, lambda s: s.casefold() if isinstance(s, str) else s,
                                   deterministic=True)
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
        """Tickets with this status ("open", "assigned", "closed"; None = all), oldest first."""
        query = "SELECT ticket_id, session_id, summary, created, status, agent FROM escalations"
        args: tuple = ()
        if status is not None:
            query += " WHERE status=?"
            args = ("assigned" if status == "taken" else status,)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY created, rowid", args).fetchall()
        return [dict(r) for r in rows]

    def ticket(self, ticket_id: str) -> dict | None:
        """One ticket (ticket_id, session_id, summary, created, status, agent), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT ticket_id, session_id, summary, created, status, agent FROM escalations WHERE ticket_id=?",
                (ticket_id,)).fetchone()
        return dict(row) if row else None

    def _ticket_or_raise(self, ticket_id: str) -> dict:
        t = self.ticket(ticket_id)
        if t is None:
            raise KeyError(f"No ticket {ticket_id!r}; list them with escalations(None).")
        return t

    def _set(self, ticket_id: str, status: str, agent: str) -> None:
        self._conn.execute("UPDATE escalations SET status=?, agent=? WHERE ticket_id=?", (status, agent, ticket_id))

    def assign(self, ticket_id: str, agent: str) -> dict:
        """``agent`` holds the ticket (status ``assigned``; the bot stays silent in the session). Re-assigning a
        held ticket to someone else is allowed (a lead hands it on); a closed one must be reopened first."""
        agent = (agent or "").strip()
        if not agent:
            raise TicketError("Say which agent gets the ticket.")
        with self._lock, self._conn:
            t = self._ticket_or_raise(ticket_id)
            if t["status"] == "closed":
                raise TicketError(f"{ticket_id} is closed; reopen it first.")
            self._set(ticket_id, "assigned", agent)
        return t | {"status": "assigned", "agent": agent}

    def take(self, ticket_id: str, agent: str) -> dict:
        """``agent`` takes the ticket for themselves: an open one, or one they hold already. One another agent
        holds is refused (they release it, or someone assigns it)."""
        with self._lock:
            t = self._ticket_or_raise(ticket_id)
            if t["status"] == "assigned" and t["agent"] and t["agent"] != agent:
                raise TicketError(f"{ticket_id} is held by {t['agent']}; ask them to release it, or assign it.")
            return self.assign(ticket_id, agent)

    def take_over(self, ticket_id: str, agent: str) -> None:
        """The agent takes the ticket (older name of :meth:`assign`): the bot stays silent in that session."""
        self.assign(ticket_id, agent)

    def release(self, ticket_id: str) -> dict:
        """Back to ``open``, held by nobody: the bot answers the shopper again."""
        with self._lock, self._conn:
            t = self._ticket_or_raise(ticket_id)
            if t["status"] != "assigned":
                raise TicketError(f"{ticket_id} is {t['status']}, not assigned; there is nothing to release.")
            self._set(ticket_id, "open", "")
        return t | {"status": "open", "agent": ""}

    def close_ticket(self, ticket_id: str, agent: str = "") -> dict:
        """``closed`` (by ``agent``, kept as who holds it): off the queue, the bot answers again."""
        with self._lock, self._conn:
            t = self._ticket_or_raise(ticket_id)
            if t["status"] == "closed":
                raise TicketError(f"{ticket_id} is closed already.")
            who = agent or t["agent"]
            self._set(ticket_id, "closed", who)
        return t | {"status": "closed", "agent": who}

    def reopen(self, ticket_id: str) -> dict:
        with self._lock, self._conn:
            t = self._ticket_or_raise(ticket_id)
            if t["status"] != "closed":
                raise TicketError(f"{ticket_id} is {t['status']}, not closed.")
            self._set(ticket_id, "open", "")
        return t | {"status": "open", "agent": ""}

    def is_taken(self, session_id: str) -> bool:
        """True when a human agent holds a ticket of this session (status ``assigned``)."""
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM escalations WHERE session_id=? AND status='assigned' LIMIT 1",
                                     (session_id,)).fetchone()
        return row is not None

    # -- internal notes --------------------------------------------------------------------------------------
    def add_note(self, ticket_id: str, agent: str, text: str) -> dict:
        """An agent's internal note on a ticket (console only: never a message of the conversation)."""
        text = (text or "").strip()
        if not text:
            raise TicketError("The note is empty.")
        if len(text) > MAX_NOTE_CHARS:
            raise TicketError(f"The note is {len(text):,} characters; keep it under {MAX_NOTE_CHARS:,}.")
        note = {"ticket_id": ticket_id, "agent": agent, "ts": time.time(), "text": text}
        with self._lock, self._conn:
            self._ticket_or_raise(ticket_id)
            self._conn.execute("INSERT INTO notes(ticket_id, agent, ts, text) VALUES (?,?,?,?)",
                               (ticket_id, agent, note["ts"], text))
        return note

    def notes(self, ticket_id: str) -> list[dict]:
        """The ticket's notes, oldest first: {"ticket_id", "agent", "ts", "text"}."""
        with self._lock:
            rows = self._conn.execute("SELECT ticket_id, agent, ts, text FROM notes WHERE ticket_id=? "
                                      "ORDER BY ts, rowid", (ticket_id,)).fetchall()
        return [dict(r) for r in rows]

    # -- search ----------------------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 50) -> list[dict]:
        """Sessions with a message (shopper, assistant or agent) containing ``text`` (case-insensitive substring),
        most recently active first: {"session_id", "matches", "updated", "snippet"} (snippet: the first match
        with some context, as plain text)."""
        needle = (text or "").strip().casefold()
        if not needle:
            return []
        marks = ",".join("?" * len(SEARCHED_ROLES))
        with self._lock:
            rows = self._conn.execute(
                "SELECT m.session_id, COUNT(*) AS matches, s.updated, "
                " (SELECT content FROM messages f WHERE f.session_id = m.session_id AND "
                f"  f.role IN ({marks}) AND instr(lt_fold(f.content), ?) > 0 ORDER BY f.ts, f.rowid LIMIT 1) AS first "
                "FROM messages m JOIN sessions s ON s.session_id = m.session_id "
                f"WHERE m.role IN ({marks}) AND instr(lt_fold(m.content), ?) > 0 "
                "GROUP BY m.session_id ORDER BY s.updated DESC LIMIT ?",
                (*SEARCHED_ROLES, needle, *SEARCHED_ROLES, needle, int(limit))).fetchall()
        out = []
        for r in rows:
            first = r["first"] or ""
            at = first.casefold().find(needle)
            start = max(0, at - 40)
            snippet = ("…" if start else "") + first[start:at + len(needle) + 60] + (
                "…" if at + len(needle) + 60 < len(first) else "")
            out.append({"session_id": r["session_id"], "matches": r["matches"], "updated": r["updated"],
                        "snippet": snippet})
        return out

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
