"""Why a git remote could not be read: a stable cause word and a sentence, from the exception.

dulwich, urllib3, ssl and ssh each fail in their own way; the causes here are what logs,
metrics and the dashboard show, so they stay few and stable.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from enum import StrEnum

import urllib3.exceptions
from dulwich.client import HTTPUnauthorized
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository

__all__ = ["RemoteCause", "classify", "exception_chain"]


class RemoteCause(StrEnum):
    """Why a remote could not be read: stable words for logs, metrics and the UI."""

    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    AUTH = "auth"
    TLS = "tls"
    HOST_KEY = "host-key"
    NOT_FOUND = "not-found"
    REF_MISSING = "ref-missing"
    PROTOCOL = "protocol"


# What ssh prints, mapped to the cause; first match wins.
_SSH_CAUSES: Sequence[tuple[str, RemoteCause, str]] = (
    ("host key verification failed", RemoteCause.HOST_KEY, "the server's host key is unknown"),
    ("remote host identification has changed", RemoteCause.HOST_KEY, "the host key changed"),
    ("permission denied", RemoteCause.AUTH, "the server refused the key"),
    ("could not resolve hostname", RemoteCause.DNS, "cannot resolve the host name"),
    ("connection refused", RemoteCause.REFUSED, "connection refused"),
    ("timed out", RemoteCause.TIMEOUT, "connection timed out"),
    ("does not appear to be a git repository", RemoteCause.NOT_FOUND, "no repository there"),
    ("not a git repository", RemoteCause.NOT_FOUND, "no repository there"),
    ("no such file or directory", RemoteCause.NOT_FOUND, "no repository there"),
    ("access denied", RemoteCause.NOT_FOUND, "no repository there, or not exported"),
    ("not found", RemoteCause.NOT_FOUND, "no repository there"),
)


def classify(exc: BaseException) -> tuple[RemoteCause, str]:
    """The cause of a failed remote call, from the exception and whatever it wraps.

    Rules go from the most specific: urllib3's connection errors subclass its timeout error,
    so a refused connection must be recognised before a timeout is assumed.
    """
    chain = exception_chain(exc)

    def find(*kinds: type[BaseException]) -> BaseException | None:
        return next((error for error in chain if isinstance(error, kinds)), None)

    if find(HTTPUnauthorized):
        return RemoteCause.AUTH, "authentication failed (HTTP 401): check the credentials"
    if error := find(socket.gaierror, urllib3.exceptions.NameResolutionError):
        return RemoteCause.DNS, f"cannot resolve the host name ({_reason(error)})"
    if find(ConnectionRefusedError):
        return RemoteCause.REFUSED, "connection refused"
    if error := find(ssl.SSLError, urllib3.exceptions.SSLError):
        return RemoteCause.TLS, f"TLS handshake failed ({_reason(error)})"
    if error := find(NotGitRepository):
        return RemoteCause.NOT_FOUND, f"no repository there ({_reason(error)})"
    if error := find(HangupException, GitProtocolError):
        text = _reason(error)
        for needle, cause, what in _SSH_CAUSES:
            if needle in text.lower():
                return cause, f"{what} ({text})"
        return RemoteCause.PROTOCOL, text
    if find(TimeoutError, urllib3.exceptions.TimeoutError):
        return RemoteCause.TIMEOUT, "connection timed out"
    if error := find(OSError):
        return RemoteCause.UNREACHABLE, f"cannot connect ({_reason(error)})"
    return RemoteCause.PROTOCOL, _reason(exc)


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and those it wraps (urllib3 keeps the real one in `reason`)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        reason = getattr(current, "reason", None)
        current = (
            reason
            if isinstance(reason, BaseException)
            else current.__cause__ or current.__context__
        )
    return seen


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
