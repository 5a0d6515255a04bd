"""Errors fasit raises, drawn as a tree.

    FasitError
    └── CouldNotRun          the command cannot do its job at all (exit 2): bad input path, flags
        └── TreeUnavailable  the state root is missing or is not a directory

Problems *in* the state are not exceptions: they are `Problem`s, all of them collected and
reported together. Caller mistakes raise built-ins (ValueError, TypeError).
"""

from __future__ import annotations

__all__ = ["CouldNotRun", "FasitError", "TreeUnavailable"]


class FasitError(Exception):
    """Base of every error fasit raises on purpose."""


class CouldNotRun(FasitError):
    """The command cannot do its job at all; the CLI exits 2."""


class TreeUnavailable(CouldNotRun):
    """The state root does not exist or is not a directory."""
