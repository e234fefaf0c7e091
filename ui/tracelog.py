"""The recommendation trace log: every card a shopper was shown, with its full retrieval trace.

The support console reads it to show, per recommendation, the score components before and after the
long-tail re-ranking, the popularity bucket, the exposure count and the hidden-gem score. One SQLite file per
store (``settings.store_dir / "ui_traces.sqlite"``; ``":memory:"`` in tests), thread-safe.

The same file holds the security audit log (table ``audit``): every order look-up and return attempt, every
console sign-in and every refused session id, with the time, the client address, the session, a keyed hash of
the order number or user name (never the value itself) and the outcome.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from retrieval.storage import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS recommendations (
    ts REAL NOT NULL,
    session_id TEXT NOT NULL,
    query TEXT NOT NULL,
    source TEXT NOT NULL,
    item_id TEXT NOT NULL,
    title TEXT NOT NULL,
    explanation TEXT NOT NULL,
    trace TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS recommendations_session ON recommendations(session_id, ts);
CREATE TABLE IF NOT EXISTS audit (
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    client TEXT NOT NULL,
    session_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
"""

AUDIT_COLUMNS = ("time", "kind", "client", "session_id", "subject", "outcome")

# Columns of the console's trace table, in order (trace fields come from retrieval.Trace).
TRACE_COLUMNS = (
    "time",
    "query",
    "source",
    "rank_after",
    "rank_before",
    "item_id",
    "title",
    "bucket",
    "long_tail",
    "relevance",
    "popularity",
    "exposure",
    "penalty",
    "gem_score",
    "boost",
    "final_score",
    "dense_rank",
    "bm25_rank",
    "reranker",
    "lam",
)


class TraceLog:
    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self._conn, self._lock = connect(self.path, SCHEMA)  # WAL + NORMAL: no fsync per shown card

    def log(
        self, session_id: str, query: str, cards: Sequence[Mapping[str, Any]], source: str = "chat"
    ) -> None:
        now = time.time()
        rows = [
            (
                now,
                session_id,
                query,
                source,
                str(c["id"]),
                str(c.get("title", "")),
                str(c.get("explanation", "")),
                json.dumps(c.get("trace") or {}, default=str),
            )
            for c in cards
        ]
        with self._lock, self._conn:
            self._conn.executemany("INSERT INTO recommendations VALUES (?,?,?,?,?,?,?,?)", rows)

    def rows(self, session_id: str) -> list[dict[str, Any]]:
        """The session's recommendations, oldest first, flattened for the console's table."""
        with self._lock:
            got = self._conn.execute(
                "SELECT ts, query, source, item_id, title, explanation, trace FROM recommendations "
                "WHERE session_id=? ORDER BY ts, rowid",
                (session_id,),
            ).fetchall()
        out = []
        for ts, query, source, item_id, title, explanation, trace in got:
            t = json.loads(trace)
            row = {
                "time": time.strftime("%H:%M:%S", time.localtime(ts)),
                "query": query,
                "source": source,
                "item_id": item_id,
                "title": title,
                "explanation": explanation,
            }
            for key in TRACE_COLUMNS:
                if key not in row:
                    value = t.get(key)
                    row[key] = round(value, 4) if isinstance(value, float) else value
            out.append(row)
        return out

    def last_shown(self, session_id: str) -> list[dict[str, Any]]:
        """The cards the session was shown last (one :meth:`log` call), in the order shown: item_id,
        explanation, trace (a dict), query, source; [] when none."""
        shown = self.batches(session_id)
        if not shown:
            return []
        last = shown[-1]
        return [dict(row, query=last["query"], source=last["source"]) for row in last["rows"]]

    def batches(self, session_id: str) -> list[dict[str, Any]]:
        """Every set of cards the session was shown (one :meth:`log` call each), oldest first: ts, query,
        source and rows (item_id, explanation, trace) in the order shown."""
        with self._lock:
            got = self._conn.execute(
                "SELECT ts, query, source, item_id, explanation, trace FROM recommendations WHERE session_id=? "
                "ORDER BY ts, rowid",
                (session_id,),
            ).fetchall()
        out: list[dict[str, Any]] = []
        for ts, query, source, item_id, explanation, trace in got:
            if not out or out[-1]["ts"] != ts:
                out.append({"ts": ts, "query": query, "source": source, "rows": []})
            out[-1]["rows"].append({"item_id": item_id, "explanation": explanation, "trace": json.loads(trace)})
        return out

    def audit(self, kind: str, client: str, session_id: str, subject: str, outcome: str) -> None:
        """One security event (see the module docstring); ``subject`` is already hashed by the caller."""
        row = (time.time(), kind, client or "", session_id or "", subject or "", outcome)
        with self._lock, self._conn:
            self._conn.execute("INSERT INTO audit VALUES (?,?,?,?,?,?)", row)

    def seen(self, kind: str, client: str, subject: str, outcome: str) -> bool:
        """Whether the audit log has this event (e.g. a sign-in ``ok`` from this address for this user)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM audit WHERE kind=? AND client=? AND subject=? AND outcome=? LIMIT 1",
                (kind, client, subject, outcome),
            ).fetchone()
        return row is not None

    def audit_rows(self, kind: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest audit events first (``kind``: "order_status", "start_return", "console_login",
        "session_refused"; None = all)."""
        query, args = "SELECT ts, kind, client, session_id, subject, outcome FROM audit", ()
        if kind is not None:
            query, args = query + " WHERE kind=?", (kind,)
        with self._lock:
            got = self._conn.execute(
                query + " ORDER BY ts DESC, rowid DESC LIMIT ?", (*args, limit)
            ).fetchall()
        return [
            dict(zip(AUDIT_COLUMNS, (time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r[0])), *r[1:])))
            for r in got
        ]

    def count(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM recommendations").fetchone()[0]
