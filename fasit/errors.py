"""Errors fasit raises, drawn as a tree.

    FasitError
    └── CouldNotRun          the command cannot do its job at all (exit 2): bad input path, flags
        ├── TreeUnavailable  the state root is missing or is not a directory
        └── SourceUnavailable  a git remote cannot be read: its cause names why (dns, auth, …)

Problems *in* the state are not exceptions: they are `Problem`s, all of them collected and
reported together. Caller mistakes raise built-ins (ValueError, TypeError).
"""

from __future__ import annotations

__all__ = ["CouldNotRun", "FasitError", "SourceUnavailable", "TreeUnavailable"]


class FasitError(Exception):
    """Base of every error fasit raises on purpose."""


class CouldNotRun(FasitError):
    """The command cannot do its job at all; the CLI exits 2."""


class TreeUnavailable(CouldNotRun):
    """The state root does not exist or is not a directory."""


class SourceUnavailable(CouldNotRun):
    """A source cannot read its revision; `cause` is a stable word for logs and metrics."""

    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause
