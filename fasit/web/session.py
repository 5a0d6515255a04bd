"""Signed cookies: the sign-in session and the short-lived sign-in attempt.

A cookie's value is `base64url(JSON).base64url(HMAC-SHA256(key, purpose + JSON))`: the browser
can read what it holds (who signed in, never a token) but cannot change it, and a value made
for one purpose (an attempt) is never taken for another (a session). The key comes from
`--session-key-file` or is drawn per process (then a restart, or another replica, ends every
session). Pure functions and values; `fasit.web.signin` sets and reads the cookies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "MIN_KEY_BYTES",
    "CookiePolicy",
    "new_session_key",
    "seal",
    "unseal",
]

MIN_KEY_BYTES = 32
"""A session key has at least this many bytes (256 bits, the HMAC-SHA256 block of security)."""
_MAX_COOKIE = 4096


def new_session_key() -> bytes:
    """A random key for this process only."""
    return secrets.token_bytes(MIN_KEY_BYTES)


def seal(key: bytes, purpose: str, content: Mapping[str, object]) -> str:
    """`content` signed for `purpose`.

    >>> key = b"k" * 32
    >>> unseal(key, "session", seal(key, "session", {"sub": "ada"}))
    {'sub': 'ada'}
    >>> unseal(key, "attempt", seal(key, "session", {"sub": "ada"})) is None
    True
    """
    body = json.dumps(content, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(body)}.{_b64(_mac(key, purpose, body))}"


def unseal(key: bytes, purpose: str, value: str) -> dict[str, object] | None:
    """The content `seal` signed for `purpose`; None when the value is not one (any change,
    another key or purpose, not JSON)."""
    if len(value) > _MAX_COOKIE:
        return None
    text, _, mac = value.partition(".")
    try:
        body, given = _unb64(text), _unb64(mac)
    except (ValueError, binascii.Error):
        return None
    if not hmac.compare_digest(given, _mac(key, purpose, body)):
        return None
    try:
        content = json.loads(body)
    except ValueError:
        return None
    return content if isinstance(content, dict) else None


@dataclass(frozen=True, slots=True)
class CookiePolicy:
    """How fasit's cookies are set: always HttpOnly and SameSite=Lax; Secure unless the
    dashboard is plain http on a loopback address (a browser would drop it there)."""

    secure: bool

    def header(self, name: str, value: str, max_age: int) -> str:
        """A Set-Cookie value; `max_age` 0 deletes the cookie."""
        parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)


def _mac(key: bytes, purpose: str, body: bytes) -> bytes:
    return hmac.new(key, purpose.encode() + b"\0" + body, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
