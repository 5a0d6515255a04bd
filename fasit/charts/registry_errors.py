"""How a registry request failed: `RegistryError` with a `RegistryFailure` kind the caller can act
on, and the messages that name the registry, what was asked and why (split from registry.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from enum import StrEnum
from typing import Final

import requests

from fasit.errors import RetryableError
from fasit.model import OciChart

__all__ = [
    "RegistryError",
    "RegistryFailure",
    "request_failed",
    "status_failed",
    "too_large",
    "verified",
]


class RegistryFailure(StrEnum):
    """What went wrong, as far as deciding what to do next goes."""

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    SERVER_ERROR = "server-error"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not-found"
    # Content that does not hash to the digest it was asked by.
    CORRUPT = "corrupt"
    INVALID = "invalid"

    @property
    def transient(self) -> bool:
        """Whether trying again later may help without anyone changing anything."""
        return self in _TRANSIENT


_TRANSIENT: Final = frozenset(
    {RegistryFailure.UNREACHABLE, RegistryFailure.TIMEOUT, RegistryFailure.SERVER_ERROR}
)


class RegistryError(RetryableError):
    """A registry request that failed; `str()` says which registry, what and why."""

    def __init__(self, failure: RegistryFailure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


def verified(chart: OciChart, body: bytes, digest: str, what: str) -> bytes:
    actual = "sha256:" + hashlib.sha256(body).hexdigest()
    if actual != digest:
        raise RegistryError(
            RegistryFailure.CORRUPT,
            f"{chart.registry}: the {what} of {chart.repository} should have digest {digest}"
            f" but its content hashes to {actual}; the registry's copy is corrupt or tampered",
        )
    return body


def too_large(chart: OciChart, what: str, limit: int) -> RegistryError:
    return RegistryError(
        RegistryFailure.INVALID,
        f"{chart.registry}: {what} of {chart.repository} is larger than {limit} bytes",
    )


def request_failed(chart: OciChart, what: str, exc: requests.RequestException) -> RegistryError:
    if isinstance(exc, requests.Timeout):
        return RegistryError(
            RegistryFailure.TIMEOUT, f"{chart.registry}: {what}: no answer in time ({exc})"
        )
    return RegistryError(
        RegistryFailure.UNREACHABLE, f"{chart.registry} cannot be reached: {_reason(exc)}"
    )


def _reason(exc: requests.RequestException) -> str:
    """The innermost cause: requests and urllib3 wrap it in long, repetitive messages."""
    cause: BaseException = exc
    for _ in range(10):
        # requests keeps urllib3's error in args, urllib3 its cause in `reason`.
        candidates = [getattr(cause, "reason", None), cause.__cause__, *cause.args[:1]]
        inner = next((c for c in candidates if isinstance(c, BaseException)), None)
        if inner is None:
            break
        cause = inner
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(cause) or type(cause).__name__


def status_failed(chart: OciChart, what: str, response: requests.Response | int) -> RegistryError:
    status = response if isinstance(response, int) else response.status_code
    detail = "" if isinstance(response, int) else _error_detail(response)
    where = f"{chart.registry}: {what} of {chart.repository}"
    if status in (401, 403):
        return RegistryError(
            RegistryFailure.UNAUTHORIZED, f"{where}: access denied (HTTP {status}){detail}"
        )
    if status == 404:
        return RegistryError(RegistryFailure.NOT_FOUND, f"{where}: not found (HTTP 404){detail}")
    if status == 429 or status >= 500:
        return RegistryError(RegistryFailure.SERVER_ERROR, f"{where}: HTTP {status}{detail}")
    return RegistryError(RegistryFailure.INVALID, f"{where}: unexpected HTTP {status}{detail}")


def _error_detail(response: requests.Response) -> str:
    """The registry's own error code, when its body is the distribution spec's error JSON."""
    try:
        errors = response.json().get("errors", []) if response.content else []
    except (ValueError, AttributeError, requests.RequestException):
        return ""
    codes = [str(error.get("code")) for error in errors if isinstance(error, Mapping)]
    return f": {', '.join(codes)}" if codes else ""
