"""Errors fasit raises, drawn as a tree.

    FasitError
    └── CouldNotRun          the command cannot do its job at all (exit 2): bad input path, flags
        ├── TreeUnavailable  the state root is missing or is not a directory
        ├── SourceUnavailable  a git remote cannot be read: its cause names why (dns, auth, …)
        └── TokenFileInvalid  the agent token file is unreadable or wrong: every place it is wrong

Problems *in* the state are not exceptions: they are `Problem`s, all of them collected and
reported together. Caller mistakes raise built-ins (ValueError, TypeError).
"""

from __future__ import annotations

__all__ = ["CouldNotRun", "FasitError", "SourceUnavailable", "TokenFileInvalid", "TreeUnavailable"]


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


class TokenFileInvalid(CouldNotRun):
    """The agent token file cannot be used; `problems` are its `file:line:col: what` lines."""

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"agent token file {path} is not valid:\n  " + "\n  ".join(problems))
        self.path = path
        self.problems = problems
