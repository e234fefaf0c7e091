"""The shopping cart of each conversation, in SQLite: one line per (session, item) with its quantity.

The cart lives in the conversations database (table ``cart``): :class:`~assistant.conversations.ConversationStore`
owns one as ``.cart`` and shares its connection and lock, so a session's chat and its cart are one file
(``conversations.sqlite``; ``":memory:"`` in tests). A ``Cart()`` of its own opens ``path`` through
:func:`retrieval.storage.connect` like every other store in this project.

A line is ``{"item_id", "quantity", "added"}`` (``added``: when the item first went in, a Unix time). Adding an
item already in the cart raises its quantity; :meth:`Cart.view` prices the lines from the catalog.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from retrieval.catalog import Item, format_price
from retrieval.storage import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS cart (
    session_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    added REAL NOT NULL,
    PRIMARY KEY (session_id, item_id)
);
"""

MAX_QUANTITY = 99  # of one item in one cart


def check_quantity(quantity: Any, what: str = "quantity") -> int:
    """``quantity`` as an int in 1..:data:`MAX_QUANTITY`; TypeError / ValueError saying what to send instead."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError(f"{what}={quantity!r}: give a whole number from 1 to {MAX_QUANTITY}, e.g. 1.")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValueError(f"{what}={quantity}: give a whole number from 1 to {MAX_QUANTITY}.")
    return quantity


def _check_ids(session_id: Any, item_id: Any) -> None:
    if not isinstance(session_id, str) or not session_id:
        raise ValueError(f"session_id={session_id!r}: give the conversation's session id (a non-empty string).")
    if not isinstance(item_id, str) or not item_id:
        raise ValueError(f"item_id={item_id!r}: give a product id from the catalog, e.g. 'LT-00001'.")


class Cart:
    """Thread-safe carts, one per session id. ``connection``: share an open ``(conn, lock)`` (the conversation
    store's) instead of opening ``path``."""

    def __init__(self, path: str | Path = ":memory:",
                 connection: tuple[sqlite3.Connection, threading.RLock] | None = None):
        self.path = str(path)
        if connection is None:
            self._conn, self._lock = connect(self.path, SCHEMA)
        else:
            self._conn, self._lock = connection
            with self._lock:
                self._conn.executescript(SCHEMA)

    def _quantity(self, session_id: str, item_id: str) -> int:
        row = self._conn.execute("SELECT quantity FROM cart WHERE session_id=? AND item_id=?",
                                 (session_id, item_id)).fetchone()
        return row[0] if row else 0

    def add(self, session_id: str, item_id: str, quantity: int = 1) -> list[dict[str, Any]]:
        """Put ``quantity`` of the item in the session's cart (more of it when it is there already); the lines."""
        _check_ids(session_id, item_id)
        check_quantity(quantity)
        with self._lock, self._conn:
            total = self._quantity(session_id, item_id) + quantity
            if total > MAX_QUANTITY:
                have = total - quantity
                raise ValueError(f"The cart has {have} of {item_id} already and holds at most {MAX_QUANTITY} of one "
                                 f"item: add at most {MAX_QUANTITY - have}.")
            self._conn.execute(
                "INSERT INTO cart(session_id, item_id, quantity, added) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(session_id, item_id) DO UPDATE SET quantity=excluded.quantity",
                (session_id, item_id, total, time.time()))
        return self.lines(session_id)

    def remove(self, session_id: str, item_id: str, quantity: int | None = None) -> list[dict[str, Any]]:
        """Take ``quantity`` of the item out (None: the whole line; none left: the line goes); the lines.
        KeyError when the item is not in the cart."""
        _check_ids(session_id, item_id)
        if quantity is not None:
            check_quantity(quantity)
        with self._lock, self._conn:
            have = self._quantity(session_id, item_id)
            if not have:
                raise KeyError(f"{item_id} is not in the cart; remove one of: "
                               f"{', '.join(self._ids(session_id)) or 'nothing (the cart is empty)'}.")
            if quantity is None or quantity >= have:
                self._conn.execute("DELETE FROM cart WHERE session_id=? AND item_id=?", (session_id, item_id))
            else:
                self._conn.execute("UPDATE cart SET quantity=? WHERE session_id=? AND item_id=?",
                                   (have - quantity, session_id, item_id))
        return self.lines(session_id)

    def _ids(self, session_id: str) -> list[str]:
        return [line["item_id"] for line in self.lines(session_id)]

    def lines(self, session_id: str) -> list[dict[str, Any]]:
        """The session's cart lines, in the order the items first went in."""
        with self._lock:
            rows = self._conn.execute("SELECT item_id, quantity, added FROM cart WHERE session_id=? "
                                      "ORDER BY added, rowid", (session_id,)).fetchall()
        return [{"item_id": r[0], "quantity": r[1], "added": r[2]} for r in rows]

    def clear(self, session_id: str) -> None:
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM cart WHERE session_id=?", (session_id,))

    def view(self, session_id: str, items: Mapping[str, Item]) -> dict[str, Any]:
        """The cart priced from the catalog ``items`` (by id): ``lines`` (item_id, title, quantity, unit_price,
        currency, line_total, in_stock), ``count`` (units), ``total``, ``currency`` and ``total_text``.
        ``total`` is None when a line has no price or the lines mix currencies."""
        lines = []
        for line in self.lines(session_id):
            item = items.get(line["item_id"])
            price = item.price if item is not None else None
            lines.append({
                "item_id": line["item_id"],
                "title": item.title if item is not None else f"{line['item_id']} (no longer in the catalog)",
                "quantity": line["quantity"],
                "unit_price": price,
                "currency": item.currency if item is not None else "",
                "line_total": round(price * line["quantity"], 2) if price is not None else None,
                "in_stock": bool(item.in_stock) if item is not None else False,
            })
        currencies = {line["currency"] for line in lines if line["currency"]}
        if len(currencies) > 1:
            currency, total, text = "", None, "no total: the lines are in different currencies"
        else:  # an empty cart shows the store's currency (its first item's)
            currency = next(iter(currencies), None) or next((i.currency for i in items.values()), "USD")
            priced = all(line["line_total"] is not None for line in lines)
            total = round(sum(line["line_total"] for line in lines), 2) if priced else None
            text = format_price(total, currency) if priced else "no total: a line has no price"
        return {"lines": lines, "count": sum(line["quantity"] for line in lines), "total": total,
                "currency": currency, "total_text": text}
