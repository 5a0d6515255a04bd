"""Instruction ids: the same deploy attempt always has the same id.

The reconciler computes the id from what the attempt is; the agent keeps each id's result and
answers a repeated id with it, so sending an instruction twice (after a reconnect, after a
controller restart) never runs helm twice. A new attempt (after a failure) is a new id.
"""

from __future__ import annotations

import hashlib
import json

__all__ = ["instruction_id"]


def instruction_id(environment: str, release: str, release_hash: str, attempt: int) -> str:
    """32 hex characters of SHA-256 over (environment, release, release hash, attempt).

    >>> instruction_id("nav/prod", "aivenator", "sha256:ab", 1)
    'e72e4ba0ac74e3a252bcfe13ad7b8579'
    """
    if attempt < 0:
        raise ValueError(f"attempt must be 0 or more, got {attempt}")
    document = json.dumps([environment, release, release_hash, attempt], separators=(",", ":"))
    return hashlib.sha256(document.encode()).hexdigest()[:32]
