"""The store's orders and customers (SQLite), disclosed or changed only when order id AND email match.

Imported with `longtail index --orders FILE --customers FILE` (:func:`read_orders`, :func:`read_customers`:
CSV, JSON or JSON lines; the columns are in the README). Order numbers may have any format (``ORD-10001``,
``#1001``, ``1001``) and match in any case; :attr:`OrderBook.id_shape` is learned from them. Every look-up takes
both the order id and the email; a wrong email, a wrong id and an unknown order all get the same
:func:`~assistant.replies.order_not_found` message, so a shopper can never learn whether someone else's order
exists.

:attr:`OrderBook.guard` (optional; the web app sets one, ``ui.limits.OrderGuard``) is asked before every look-up
or return and told the outcome after it: it limits attempts and locks out guessing, and audits each one.
"""

from __future__ import annotations

import json
import re
import time
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Protocol

from retrieval.catalog import RowError, parse_price
from retrieval.importers import ImportFailed, ImportReport, column_key, read_records
from retrieval.profile import IdShape
from retrieval.storage import connect

from .replies import order_not_found

RETURN_STATUSES = ("delivered",)
STATUSES = ("placed", "processing", "paid", "shipped", "in transit", "delivered", "cancelled", "refunded",
            "returned")
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


class LookupGuard(Protocol):
    def before(self, action: str, order_id: str) -> str | None:
        """The refusal to show instead of looking the order up, or None to go on."""

    def after(self, action: str, order_id: str, ok: bool) -> None:
        """The look-up ran; ``ok`` when the order id and email matched."""


class OrderBook:
    def __init__(self, path: str | Path = ":memory:", return_window_days: int = 30):
        self.path = str(path)
        self._conn, self._lock = connect(self.path, SCHEMA)
        self.return_window_days = return_window_days
        self.guard: LookupGuard | None = None

    @classmethod
    def from_files(cls, orders: str | Path, customers: str | Path | None = None, path: str | Path = ":memory:",
                   return_window_days: int = 30) -> "OrderBook":
        book = cls(path, return_window_days)
        book.load(read_orders(orders)[0], read_customers(customers)[0] if customers else [])
        return book

    def copy_to_memory(self) -> "OrderBook":
        """An in-memory copy (for ephemeral runs and tests: returns started there never reach the file)."""
        book = OrderBook(":memory:", self.return_window_days)
        with self._lock:
            self._conn.backup(book._conn)
        return book

    def load(self, orders: list[dict], customers: list[dict], replace: bool = False) -> None:
        """Add (or with ``replace``, set) the orders and customers; ids are kept as written, matched in any case."""
        with self._lock, self._conn:
            if replace:
                self._conn.execute("DELETE FROM orders")
                if customers:
                    self._conn.execute("DELETE FROM customers")
            self._conn.executemany(
                "INSERT OR REPLACE INTO customers(customer_id, name, email) VALUES (?,?,?)",
                [(c["customer_id"], c.get("name", ""), normalise_email(c["email"])) for c in customers])
            for o in orders:
                self._conn.execute("DELETE FROM orders WHERE order_id = ? COLLATE NOCASE", (o["order_id"],))
            self._conn.executemany(
                "INSERT INTO orders(order_id, customer_id, email, data) VALUES (?,?,?,?)",
                [(o["order_id"], o.get("customer_id", ""), normalise_email(o["email"]), json.dumps(o))
                 for o in orders])
        self.__dict__.pop("id_shape", None)

    @cached_property
    def id_shape(self) -> IdShape:
        """How this store's order numbers look, learned from them (its example is made up, never a real one)."""
        return IdShape.learn(self.order_ids(), mask=True)

    @property
    def example_id(self) -> str:
        return self.id_shape.example

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]

    def _lookup(self, order_id: str, email: str) -> dict | None:
        """The order when BOTH id and email match (email case-insensitive), else None."""
        if not order_id or not email:
            return None
        with self._lock:
            row = self._conn.execute("SELECT data, email FROM orders WHERE order_id=? COLLATE NOCASE",
                                     (order_id.strip(),)).fetchone()
        if row is None or row[1] != normalise_email(email):
            return None
        return json.loads(row[0])

    def order_ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT order_id FROM orders ORDER BY order_id")]

    def email_of(self, order_id: str) -> str:
        """For generating test cases only (never exposed through a tool)."""
        with self._lock:
            row = self._conn.execute("SELECT email FROM orders WHERE order_id=? COLLATE NOCASE",
                                     (order_id.strip(),)).fetchone()
        return row[0] if row else ""

    def raw(self, order_id: str) -> dict | None:
        """For generating test cases only (never exposed through a tool)."""
        with self._lock:
            row = self._conn.execute("SELECT data FROM orders WHERE order_id=? COLLATE NOCASE",
                                     (order_id.strip(),)).fetchone()
        return json.loads(row[0]) if row else None

    def orders(self) -> list[dict]:
        """Every order as imported. For generating test cases only (never exposed through a tool)."""
        return [self.raw(oid) or {} for oid in self.order_ids()]

    def _verified(self, action: str, order_id: str, email: str) -> tuple[dict | None, str | None]:
        """(the order, None) when id and email match; (None, why not) otherwise, the guard asked first."""
        if self.guard is not None:
            refusal = self.guard.before(action, order_id or "")
            if refusal:
                return None, refusal
        order = self._lookup(order_id, email)
        if self.guard is not None:
            self.guard.after(action, order_id or "", order is not None)
        return order, None if order is not None else order_not_found(self.example_id)

    def status(self, order_id: str, email: str) -> dict[str, Any]:
        order, refusal = self._verified("order_status", order_id, email)
        if order is None:
            return {"found": False, "message": refusal}
        keep = ("order_id", "created", "status", "total", "currency", "carrier", "tracking_number",
                "estimated_delivery")
        out = {k: order.get(k) for k in keep if order.get(k) is not None}
        out["items"] = [{"item_id": i["item_id"], "quantity": i.get("quantity", 1)} for i in order.get("items", [])]
        return {"found": True, "order": out}

    def start_return(self, order_id: str, email: str, item_id: str, reason: str) -> dict[str, Any]:
        order, refusal = self._verified("start_return", order_id, email)
        if order is None:
            return {"ok": False, "message": refusal}
        ids = [i["item_id"] for i in order.get("items", [])]
        item_id = next((i for i in ids if i.lower() == item_id.strip().lower()), item_id)
        if item_id not in ids:
            return {"ok": False, "message": f"Item {item_id} is not part of order {order['order_id']}; "
                                            f"its items are {', '.join(ids)}."}
        if order.get("status") not in RETURN_STATUSES:
            return {"ok": False, "message": f"Order {order['order_id']} is {order.get('status')}; returns can "
                                            f"be started once it has been delivered."}
        return_id = f"R-{re.sub(r'[^A-Za-z0-9]', '', order['order_id'])}-{len(self.returns(order['order_id'])) + 1}"
        with self._lock, self._conn:
            self._conn.execute("INSERT INTO returns(return_id, order_id, item_id, reason, created) VALUES (?,?,?,?,?)",
                               (return_id, order["order_id"], item_id, reason, time.time()))
        return {"ok": True, "return_id": return_id, "order_id": order["order_id"], "item_id": item_id,
                "message": f"Return {return_id} started for {item_id}. A prepaid label will be emailed to you "
                           f"within one business day."}

    def returns(self, order_id: str) -> list[dict]:
        with self._lock:
            rows = self._conn.execute("SELECT return_id, item_id, reason FROM returns WHERE order_id=? "
                                      "COLLATE NOCASE", (order_id.strip(),)).fetchall()
        return [{"return_id": r[0], "item_id": r[1], "reason": r[2]} for r in rows]


# -- importing orders and customers ---------------------------------------------------------------------------
ORDER_ALIASES = {"order_id": ("order_id", "order_number", "order", "name", "id"),
                 "email": ("email", "customer_email", "contact_email"),
                 "status": ("status", "fulfillment_status", "order_status"),
                 "created": ("created", "created_at", "date", "order_date"),
                 "total": ("total", "total_price", "amount"),
                 "currency": ("currency",), "carrier": ("carrier", "shipping_carrier"),
                 "tracking_number": ("tracking_number", "tracking"),
                 "estimated_delivery": ("estimated_delivery", "eta"), "customer_id": ("customer_id",),
                 "items": ("items", "line_items"), "item_id": ("item_id", "sku", "lineitem_sku"),
                 "quantity": ("quantity", "qty", "lineitem_quantity")}
CUSTOMER_ALIASES = {"customer_id": ("customer_id", "id"), "email": ("email",), "name": ("name", "full_name")}


def _pick(record: dict, aliases: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    low = {column_key(k): v for k, v in record.items()}
    return {field: next((low[a] for a in names if low.get(a) not in (None, "")), None)
            for field, names in aliases.items()}


def _order_items(value: Any, item_id: Any, quantity: Any) -> list[dict[str, Any]]:
    """``[{"item_id", "quantity"}]`` from a JSON list, a string ``"id:2; id2:1"`` or one row's item_id/quantity."""
    if isinstance(value, str) and value.strip().startswith("["):
        value = json.loads(value)
    if isinstance(value, list):
        return [{"item_id": str(i["item_id"]).strip(), "quantity": int(i.get("quantity", 1))} if isinstance(i, dict)
                else {"item_id": str(i).strip(), "quantity": 1} for i in value]
    if isinstance(value, str) and value.strip():
        out = []
        for part in re.split(r"[;|]", value):
            ref, _, qty = part.strip().partition(":")
            if ref.strip():
                out.append({"item_id": ref.strip(), "quantity": int(qty or 1)})
        return out
    if item_id not in (None, ""):
        return [{"item_id": str(item_id).strip(), "quantity": int(float(quantity or 1))}]
    return []


def read_orders(path: str | Path) -> tuple[list[dict], ImportReport]:
    """Orders from CSV / JSON / JSON lines, validated; rows of one order (one per item) are merged."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path} does not exist.")
    report = ImportReport(str(path))
    orders: dict[str, dict] = {}
    unknown_status = 0
    for number, record in read_records(path, report):
        row = _pick(record, ORDER_ALIASES)
        order_id = str(row["order_id"] or "").strip()
        email = str(row["email"] or "").strip()
        if not order_id:
            report.reject(number, "missing order_id (the order number shoppers type)", record)
            continue
        if not EMAIL.fullmatch(email):
            report.reject(number, f"order {order_id}: email {email!r} is not an email address (needed to verify "
                                  f"the shopper)", record)
            continue
        try:
            items = _order_items(row["items"], row["item_id"], row["quantity"])
            total, total_currency = parse_price(row["total"])  # "$28.98", "28,98 €": as in catalogs
        except (RowError, ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
            report.reject(number, f"order {order_id}: unreadable items or total ({exc})", record)
            continue
        status = str(row["status"] or "placed").strip().lower()
        unknown_status += status not in STATUSES
        key = order_id.lower()
        if key in orders:  # another line item of the same order
            if normalise_email(orders[key]["email"]) != normalise_email(email):
                report.reject(number, f"order {order_id} appears with two different emails", record)
                continue
            orders[key]["items"] += items
            continue
        order = {k: v for k, v in row.items() if k not in ("items", "item_id", "quantity") and v not in (None, "")}
        order.update(order_id=order_id, email=email, status=status, items=items)
        if total is not None:
            order["total"] = total
        if total_currency and not order.get("currency"):
            order["currency"] = total_currency
        orders[key] = order
    if unknown_status:
        report.notes.append(f"{unknown_status} order(s) have a status other than {', '.join(STATUSES)}; shown as "
                            f"written (returns need 'delivered')")
    report.accepted = len(orders)
    if not orders:
        raise ImportFailed(f"{path}: no valid orders ({len(report.rejects)} rows rejected). Columns: order_id, "
                           f"email, status, created, items (or item_id + quantity), total, currency, carrier, "
                           f"tracking_number, estimated_delivery.")
    return list(orders.values()), report


def read_customers(path: str | Path) -> tuple[list[dict], ImportReport]:
    """Customers (customer_id, name, email) from CSV / JSON / JSON lines, validated."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path} does not exist.")
    report = ImportReport(str(path))
    out: list[dict] = []
    for number, record in read_records(path, report):
        row = _pick(record, CUSTOMER_ALIASES)
        if not row["name"] and (record.get("first_name") or record.get("last_name")):
            row["name"] = f"{record.get('first_name') or ''} {record.get('last_name') or ''}".strip()
        email = str(row["email"] or "").strip()
        if not EMAIL.fullmatch(email):
            report.reject(number, f"email {email!r} is not an email address", record)
            continue
        out.append({"customer_id": str(row["customer_id"] or email).strip(), "name": str(row["name"] or ""),
                    "email": email})
    report.accepted = len(out)
    return out, report


def unknown_items(orders: Iterable[dict], known: Iterable[str]) -> int:
    """How many order lines name items the catalog does not have (any case)."""
    keys = {k.lower() for k in known}
    return sum(1 for o in orders for i in o.get("items", []) if i["item_id"].lower() not in keys)
