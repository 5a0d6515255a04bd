"""The one shape of digest fasit accepts from a registry: `sha256:` and 64 lowercase hex digits.

A digest names a blob in a URL and a file in the blob cache, so text a registry sends as one
(a manifest's descriptors, the `Docker-Content-Digest` header) is checked before any use: a
hostile `sha256:/etc/x` or `sha256:../../x` must never become a path.
"""

from __future__ import annotations

import re
from typing import Final

from fasit.errors import InvalidInput

__all__ = ["DIGEST", "DigestError", "checked_digest"]

DIGEST: Final = re.compile(r"sha256:[0-9a-f]{64}")
# Enough of a hostile value to recognise it, not enough to flood a log or a PR comment.
_SHOWN: Final = 80


class DigestError(InvalidInput, ValueError):
    """Text offered as a digest that is not `sha256:<64 lowercase hex>`; says what it was."""


def checked_digest(text: object) -> str:
    """`text` if it is a sha256 digest; DigestError naming it (repr'd, truncated) otherwise."""
    if isinstance(text, str) and DIGEST.fullmatch(text):
        return text
    shown = repr(text)
    if isinstance(text, str) and len(text) > _SHOWN:
        shown = repr(text[:_SHOWN]) + "…"
    raise DigestError(f"{shown} is not a sha256 digest (sha256: and 64 lowercase hex digits)")
