"""Session ids issued and signed by the server.

A session id is ``<prefix>-<32 random hex>-<24 hex HMAC-SHA256 tag>`` (61 characters, within the API's
``^[A-Za-z0-9_-]{8,64}$``). Only the server can make the tag, so an id the client made up, copied from another
server or altered by one character is refused (:meth:`SessionSigner.verify`), and the 128 random bits make an
issued id impossible to guess.

The secret comes from ``$LONGTAIL_SESSION_SECRET`` (at least 16 characters; the same value on every server
process that shares the stores), else from ``<data_dir>/session_secret`` (made once, mode 0600, shared by the
processes on this machine), else, for an in-memory (``ephemeral``) store, a fresh random one per process.
Changing or deleting the secret ends every open conversation: the shopper starts a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Any

SECRET_ENV = "LONGTAIL_SESSION_SECRET"
SECRET_FILE = "session_secret"
TAG_CHARS = 24  # 96 bits of the HMAC: far beyond guessing over the network
PREFIX = re.compile(r"^[a-z]{1,8}$")
ISSUED = re.compile(r"^([a-z]{1,8}-[0-9a-f]{32})-([0-9a-f]{24})$")

FORGED = (
    "This session id was not issued by this server (it was made up, altered, or comes from another server "
    "or an older secret). Start a new conversation: send the message without a session_id (or POST "
    "/api/session) and use the session_id the reply returns."
)


class SessionSigner:
    """Issues and verifies signed session ids; also hashes values for the audit log with its own key."""

    def __init__(self, secret: bytes | str | None = None):
        if secret is None:
            secret = secrets.token_bytes(32)
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if len(secret) < 16:
            raise ValueError(
                f"The session secret must be at least 16 bytes (got {len(secret)}): set {SECRET_ENV} to a long "
                f"random value, e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        self._key = hashlib.sha256(b"longtail-session-v1\0" + secret).digest()
        self._audit_key = hashlib.sha256(b"longtail-audit-v1\0" + secret).digest()

    def _tag(self, body: str) -> str:
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).hexdigest()[:TAG_CHARS]

    def issue(self, prefix: str = "web") -> str:
        """A new session id (``prefix`` says where it was made: ``web``, ``api``)."""
        if not PREFIX.match(prefix):
            raise ValueError(f"Session id prefix {prefix!r}: use 1 to 8 lower-case letters, e.g. 'web'.")
        body = f"{prefix}-{secrets.token_hex(16)}"
        return f"{body}-{self._tag(body)}"

    def verify(self, session_id: Any) -> bool:
        """True only for an id this signer (this secret) issued, unchanged."""
        if not isinstance(session_id, str):
            return False
        m = ISSUED.match(session_id)
        return bool(m) and hmac.compare_digest(m.group(2), self._tag(m.group(1)))

    def digest(self, value: str) -> str:
        """A keyed hash of ``value`` for the audit log: the same value always gives the same 16 hex characters
        (so repeated attempts on one order number can be followed), but the log never holds the value itself."""
        return hmac.new(self._audit_key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def load_secret(settings: Any) -> bytes:
    """The server secret for ``settings`` (see the module docstring for where it comes from)."""
    configured = os.environ.get(SECRET_ENV) or getattr(settings, "session_secret", "") or ""
    if configured:
        return configured.encode("utf-8")
    if getattr(settings, "chroma_mode", "") == "ephemeral":
        return secrets.token_bytes(32)  # nothing is kept: the sessions end with the process anyway
    path = Path(settings.data_dir) / SECRET_FILE
    existing = _read(path)
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # atomic: two processes starting at once end up with the same secret
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    secret = _read(path)
    if not secret:
        raise OSError(f"Could not read the session secret back from {path}; delete it and start again.")
    return secret


def _read(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise OSError(
            f"The session secret {path} cannot be read ({exc}); fix its permissions or delete it (open "
            f"conversations then end)."
        ) from None
    return bytes.fromhex(text) if re.fullmatch(r"[0-9a-f]{32,}", text) else None


def signer_for(settings: Any) -> SessionSigner:
    return SessionSigner(load_secret(settings))
