"""The store's orders and customers (SQLite), disclosed or changed only when order id AND email match.

Loaded from the demo store's ``orders.json`` / ``customers.json`` (or any files of the same shape). Every
look-up takes both the order id and the email; a wrong email, a wrong id and an unknown order all get the
same :data:`NOT_FOUND` message, so a shopper can never learn whether someone else's order exists.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

NOT_FOUND = ("I couldn't find an order with that order number and email address. Please check both "
             "(the order number starts with ORD-) and use the email the order was placed with.")
RETURN_STATUSES = ("delivered",)
ORDER_ID = re.compile(r"\bORD-\d{3,}\b", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (customer_id TEXT PRIMARY KEY, name TEXT, email TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, customer_id TEXT, email TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS returns (
    return_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, item_id TEXT NOT NULL, reason TEXT, created REAL
);
"""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


class OrderBook:
    def __init__(self, path: str | Path = ":memory:", return_window_days: int = 30):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._lock = threading.RLock()
        self.return_window_days = return_window_days
        with self._lock:
            self._conn.executescript(SCHEMA)

    @classmethod
    def from_files(cls, orders: str | Path, customers: str | Path | None = None, path: str | Path = ":memory:",
                   return_window_days: int = 30) -> "OrderBook":
        book = cls(path, return_window_days)
        book.load(json.loads(Path(orders).read_text(encoding="utf-8")),
                  json.loads(Path(customers).read_text(encoding="utf-8")) if customers else [])
        return book

    @classmethod
    def demo(cls, path: str | Path = ":memory:") -> "OrderBook":
        from longtail.demo import DATA_DIR

        window = 30
        store_json = DATA_DIR / "policies" / "store.json"
        if store_json.exists():
            window = int(json.loads(store_json.read_text()).get("return_window_days", 30))
        return cls.from_files(DATA_DIR / "orders.json", DATA_DIR / "customers.json", path, window)

    def load(self, orders: list[dict], customers: list[dict]) -> None:
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO customers(customer_id, name, email) VALUES (?,?,?)",
                [(c["customer_id"], c.get("name", ""), normalise_email(c["email"])) for c in customers])
            self._conn.executemany(
                "INSERT OR REPLACE INTO orders(order_id, customer_id, email, data) VALUES (?,?,?,?)",
                [(o["order_id"].upper(), o.get("customer_id", ""), normalise_email(o["email"]), json.dumps(o))
                 for o in orders])

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]

    def _lookup(self, order_id: str, email: str) -> dict | None:
        """The order when BOTH id and email match (email case-insensitive), else None."""
        if not order_id or not email:
            return None
        with self._lock:
            row = self._conn.execute("SELECT data, email FROM orders WHERE order_id=?",
                                     (order_id.strip().upper(),)).fetchone()
        if row is None or row[1] != normalise_email(email):
            return None
        return json.loads(row[0])

    def order_ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT order_id FROM orders ORDER BY order_id")]

    def email_of(self, order_id: str) -> str:
        """For generating test cases only (never exposed through a tool)."""
        with self._lock:
            row = self._conn.execute("SELECT email FROM orders WHERE order_id=?", (order_id.upper(),)).fetchone()
        return row[0] if row else ""

    def raw(self, order_id: str) -> dict | None:
        """For generating test cases only (never exposed through a tool)."""
        with self._lock:
            row = self._conn.execute("SELECT data FROM orders WHERE order_id=?", (order_id.upper(),)).fetchone()
        return json.loads(row[0]) if row else None

    def status(self, order_id: str, email: str) -> dict[str, Any]:
        order = self._lookup(order_id, email)
        if order is None:
            return {"found": False, "message": NOT_FOUND}
        keep = ("order_id", "created", "status", "total", "currency", "carrier", "tracking_number",
                "estimated_delivery")
        out = {k: order.get(k) for k in keep if order.get(k) is not None}
        out["items"] = [{"item_id": i["item_id"], "quantity": i.get("quantity", 1)} for i in order.get("items", [])]
        return {"found": True, "order": out}

    def start_return(self, order_id: str, email: str, item_id: str, reason: str) -> dict[str, Any]:
        order = self._lookup(order_id, email)
        if order is None:
            return {"ok": False, "message": NOT_FOUND}
        ids = [i["item_id"] for i in order.get("items", [])]
        if item_id not in ids:
            return {"ok": False, "message": f"Item {item_id} is not part of order {order['order_id']}; "
                                            f"its items are {', '.join(ids)}."}
        if order.get("status") not in RETURN_STATUSES:
            return {"ok": False, "message": f"Order {order['order_id']} is {order.get('status')}; returns can "
                                            f"be started once it has been delivered."}
        return_id = f"R-{order['order_id'][4:]}-{len(self.returns(order['order_id'])) + 1}"
        with self._lock, self._conn:
            self._conn.execute("INSERT INTO returns(return_id, order_id, item_id, reason, created) VALUES (?,?,?,?,?)",
                               (return_id, order["order_id"], item_id, reason, time.time()))
        return {"ok": True, "return_id": return_id, "order_id": order["order_id"], "item_id": item_id,
                "message": f"Return {return_id} started for {item_id}. A prepaid label will be emailed to you "
                           f"within one business day."}

    def returns(self, order_id: str) -> list[dict]:
        with self._lock:
            rows = self._conn.execute("SELECT return_id, item_id, reason FROM returns WHERE order_id=?",
                                      (order_id.upper(),)).fetchall()
        return [{"return_id": r[0], "item_id": r[1], "reason": r[2]} for r in rows]
