"""SQLite storage for one store: items, the interaction log and the impression (exposure) log.

One file per store (``:memory:`` by default, for tests). Writes are transactional: an import either lands
whole or not at all, so bad input or a crash never leaves a half-written catalog. A lock serialises access
so the web app's worker threads can share one connection without losing writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .catalog import Item

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS interactions (
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    event TEXT NOT NULL DEFAULT 'purchase',
    ts TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS interactions_user ON interactions(user_id);
CREATE TABLE IF NOT EXISTS impressions (
    ts REAL NOT NULL,
    session_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    query TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS impressions_item ON impressions(item_id);
CREATE TABLE IF NOT EXISTS impression_keys (
    day TEXT NOT NULL,
    session_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (day, session_id, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS exposure (
    item_id TEXT PRIMARY KEY,
    n INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Events that count as a "positive" signal for popularity (views count less; see popularity.py).
EVENT_WEIGHTS = {"purchase": 1.0, "add_to_cart": 0.5, "like": 0.5, "review": 1.0, "rating": 1.0, "view": 0.1}


def connect(path: str | Path, schema: str = "") -> tuple[sqlite3.Connection, threading.RLock]:
    """The one way this project opens SQLite: a connection the web app's threads share (behind the returned
    lock), WAL on files (readers never block the writer; no fsync per commit), the folder made, ``schema``
    applied. ``":memory:"`` gives a private in-memory database."""
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    lock = threading.RLock()
    with lock:
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # safe with WAL
        if schema:
            conn.executescript(schema)
    return conn, lock


class CatalogDB:
    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self._conn, self._lock = connect(self.path, SCHEMA)
        self._items_cache: dict[str, Item] | None = None
        self._count_old_impressions()

    def _count_old_impressions(self) -> None:
        """A log written before the exposure counter existed is counted into it once."""
        with self._lock, self._conn:
            if self._conn.execute("SELECT 1 FROM exposure LIMIT 1").fetchone() is None and \
                    self._conn.execute("SELECT 1 FROM impressions LIMIT 1").fetchone() is not None:
                self._conn.execute("INSERT INTO exposure(item_id, n) SELECT item_id, COUNT(*) FROM impressions "
                                   "GROUP BY item_id")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- items ---------------------------------------------------------------------------------------------
    def upsert_items(self, items: Iterable[Item]) -> int:
        rows = [(item.id, item.to_json(), time.time()) for item in items]
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT INTO items(id, data, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET data=excluded.data, updated=excluded.updated "
                "WHERE items.data != excluded.data", rows)
        self._items_cache = None
        return len(rows)

    def replace_items(self, items: Iterable[Item]) -> int:
        """Make the catalog exactly ``items`` (one transaction): missing ids are deleted."""
        items = list(items)
        with self._lock, self._conn:
            self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS keep(id TEXT PRIMARY KEY)")
            self._conn.execute("DELETE FROM keep")
            self._conn.executemany("INSERT OR IGNORE INTO keep(id) VALUES (?)", [(i.id,) for i in items])
            self._conn.execute("DELETE FROM items WHERE id NOT IN (SELECT id FROM keep)")
            self._conn.executemany(
                "INSERT INTO items(id, data, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET data=excluded.data, updated=excluded.updated "
                "WHERE items.data != excluded.data", [(i.id, i.to_json(), time.time()) for i in items])
        self._items_cache = None
        return len(items)

    def items(self) -> dict[str, Item]:
        """All items by id, in insertion order (cached until the next write)."""
        if self._items_cache is None:
            with self._lock:
                rows = self._conn.execute("SELECT data FROM items ORDER BY rowid").fetchall()
            self._items_cache = {item.id: item for item in (Item.from_json(r[0]) for r in rows)}
        return self._items_cache

    def get(self, item_id: str) -> Item | None:
        return self.items().get(item_id)

    def __len__(self) -> int:
        return len(self.items())

    # -- interactions --------------------------------------------------------------------------------------
    def add_interactions(self, rows: Iterable[tuple[str, str, str, str]]) -> int:
        rows = list(rows)
        with self._lock, self._conn:
            self._conn.executemany("INSERT INTO interactions(user_id, item_id, event, ts) VALUES (?,?,?,?)", rows)
        return len(rows)

    def clear_interactions(self) -> None:
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM interactions")

    def interaction_counts(self) -> dict[str, float]:
        """Weighted interaction count per item (purchases 1, carts 0.5, views 0.1; see EVENT_WEIGHTS)."""
        with self._lock:
            rows = self._conn.execute("SELECT item_id, event, COUNT(*) FROM interactions GROUP BY 1, 2").fetchall()
        counts: Counter[str] = Counter()
        for item_id, event, n in rows:
            counts[item_id] += EVENT_WEIGHTS.get(event, 1.0) * n
        return dict(counts)

    def user_history(self, user_id: str, events: Sequence[str] = ("purchase", "like", "add_to_cart", "review"),
                     limit: int = 50) -> list[str]:
        marks = ",".join("?" * len(events))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT item_id FROM interactions WHERE user_id=? AND event IN ({marks}) "
                f"ORDER BY ts DESC, rowid DESC LIMIT ?", (user_id, *events, limit)).fetchall()
        return [r[0] for r in rows]

    def iter_interactions(self) -> Iterator[tuple[str, str, str, str]]:
        with self._lock:
            rows = self._conn.execute("SELECT user_id, item_id, event, ts FROM interactions ORDER BY rowid").fetchall()
        yield from rows

    # -- impressions (exposure) ----------------------------------------------------------------------------
    def log_impressions(self, session_id: str, item_ids: Sequence[str], query: str = "", source: str = "") -> int:
        """Log what a session was shown. An item counts once per session per (UTC) day, however often it is shown
        again, so repeating a search cannot push it around the ranking; the exposure counter is kept in the same
        transaction (a write costs the same at 3 M impressions as at 3,000). Returns how many counted."""
        now = time.time()
        day = time.strftime("%Y-%m-%d", time.gmtime(now))
        counted = 0
        with self._lock, self._conn:
            for pos, item_id in enumerate(dict.fromkeys(item_ids), 1):
                new = self._conn.execute("INSERT OR IGNORE INTO impression_keys(day, session_id, item_id) "
                                         "VALUES (?,?,?)", (day, session_id, item_id)).rowcount
                if not new:
                    continue
                counted += 1
                self._conn.execute("INSERT INTO impressions(ts, session_id, item_id, position, query, source) "
                                   "VALUES (?,?,?,?,?,?)", (now, session_id, item_id, pos, query, source))
                self._conn.execute("INSERT INTO exposure(item_id, n) VALUES (?, 1) "
                                   "ON CONFLICT(item_id) DO UPDATE SET n = n + 1", (item_id,))
        return counted

    def exposure_counts(self) -> dict[str, int]:
        """Impressions per item, from the counter (not a scan of the log)."""
        with self._lock:
            rows = self._conn.execute("SELECT item_id, n FROM exposure").fetchall()
        return {item_id: n for item_id, n in rows}

    def impressions(self, since: float = 0.0) -> list[tuple[float, str, str, int, str, str]]:
        with self._lock:
            return self._conn.execute(
                "SELECT ts, session_id, item_id, position, query, source FROM impressions WHERE ts >= ? "
                "ORDER BY ts", (since,)).fetchall()

    # -- metadata ------------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A value the store keeps about itself (e.g. which vector collection is current)."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self._conn:
            self._conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                               "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def stats(self) -> dict[str, int]:
        with self._lock:
            n_inter = self._conn.execute("SELECT COUNT(*) FROM interactions").fetchone()[0]
            n_impr = self._conn.execute("SELECT COUNT(*) FROM impressions").fetchone()[0]
        return {"items": len(self), "interactions": n_inter, "impressions": n_impr}

    def dump_items(self) -> str:
        return "\n".join(json.dumps(i.to_dict(), sort_keys=True) for i in self.items().values())
