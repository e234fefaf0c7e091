"""Support-agent accounts for the console: one row per agent in SQLite, the password stored only as a salted
scrypt hash (``scrypt$n$r$p$salt$hash``, hex), compared in constant time.

``longtail agents add NAME`` / ``list`` / ``remove NAME`` manage them (:mod:`ui.cli`); the file is
``settings.data_dir / "agents.sqlite"`` (one team for every store in the data dir). The console signs an agent
in with :func:`authenticator`: an account's password, or, as a fallback, the single ``admin_user`` /
``admin_password`` login from the settings. The lock-out and audit of sign-ins stay in front of it
(:class:`ui.limits.LoginGuard`, :class:`ui.security.WebGuard`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrieval.storage import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS agents (
    name TEXT PRIMARY KEY,
    password TEXT NOT NULL,
    created REAL NOT NULL
);
"""
AGENTS_FILE = "agents.sqlite"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8
# scrypt cost: n=2**14, r=8 (16 MiB, ~50 ms a check): slow for a guesser, quick enough for a sign-in
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``password`` as stored: ``scrypt$n$r$p$salt$hash`` with a fresh 16-byte salt (hex)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` value); False for anything malformed."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 1024 * 1024,
            dklen=len(bytes.fromhex(digest)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


class AgentError(ValueError):
    """A refused account change; the message says what to do."""


class AgentStore:
    """The agents' accounts (thread-safe SQLite; ``path=":memory:"`` in tests)."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn, self._lock = connect(self.path, SCHEMA)
        self._conn.row_factory = sqlite3.Row

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def add(self, name: str, password: str) -> None:
        name = name.strip()
        if not NAME.match(name):
            raise AgentError(
                f"Agent name {name!r}: use 1-64 letters, digits, '.', '_', '-' or '@' (starting with a letter or digit)."
            )
        if len(password) < MIN_PASSWORD:
            raise AgentError(f"The password is too short: use at least {MIN_PASSWORD} characters.")
        stored = hash_password(password)
        try:
            with self._lock, self._conn:
                self._conn.execute(
                    "INSERT INTO agents(name, password, created) VALUES (?,?,?)", (name, stored, time.time())
                )
        except sqlite3.IntegrityError:
            raise AgentError(
                f"An agent named {name!r} exists already; remove it first (`longtail agents remove {name}`)."
            ) from None

    def remove(self, name: str) -> bool:
        """True when there was such an agent."""
        with self._lock, self._conn:
            return self._conn.execute("DELETE FROM agents WHERE name=?", (name.strip(),)).rowcount > 0

    def list(self) -> list[dict[str, Any]]:
        """[{"name", "created"}], by name. Never the hashes."""
        with self._lock:
            rows = self._conn.execute("SELECT name, created FROM agents ORDER BY name").fetchall()
        return [dict(r) for r in rows]

    def names(self) -> list[str]:
        return [a["name"] for a in self.list()]

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM agents").fetchone()[0]

    def verify(self, name: str, password: str) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT password FROM agents WHERE name=?", (name.strip(),)).fetchone()
        if row is None:
            verify_password(password, _DUMMY)  # the same time for an unknown name as for a wrong password
            return False
        return verify_password(password, row["password"])


_DUMMY = hash_password("not a password", b"\0" * 16)


def agents_path(settings: Any) -> Path:
    return Path(settings.data_dir) / AGENTS_FILE


def open_agents(settings: Any) -> AgentStore:
    return AgentStore(agents_path(settings))


def add_agent(settings: Any, name: str, password: str) -> None:
    """What ``longtail agents add`` does (also for tests and scripts)."""
    agents = open_agents(settings)
    try:
        agents.add(name, password)
    finally:
        agents.close()


def authenticator(agents: AgentStore | None, settings: Any) -> Callable[[str, str], bool]:
    """The console's check of a sign-in: an agent account, else the settings' single admin login."""
    admin_user, admin_password = settings.admin_user or "", settings.admin_password or ""

    def check(username: str, password: str) -> bool:
        username, password = str(username or ""), str(password or "")
        if agents is not None and agents.verify(username, password):
            return True
        if admin_user and admin_password:
            same_user = hmac.compare_digest(username.encode(), admin_user.encode())
            same_password = hmac.compare_digest(password.encode(), admin_password.encode())
            return same_user and same_password
        return False

    return check
