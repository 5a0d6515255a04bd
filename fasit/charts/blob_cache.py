"""Registry blobs (manifests, chart layers) kept on disk by digest, verified on every read.

Content-addressed, so an entry never goes stale: a file whose content no longer hashes to its
name (a torn write from another tool, a disk error) is dropped and fetched again. Writes go to a
temporary file first and are renamed into place, so readers never see half a blob.

Keys come from registries, so a key that is not a sha256 digest is refused (DigestError), and a
path that would lead out of the cache directory (a symlink planted in it) is neither read nor
written (logged): the cache never reads, writes or unlinks anything outside its directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from fasit.charts.digest import checked_digest

__all__ = ["BlobCache"]

_log = logging.getLogger(__name__)


class BlobCache:
    """`directory/sha256/<hex>` per blob."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, digest: str) -> bytes | None:
        path = self._path(digest)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return data

    def put(self, digest: str, data: bytes) -> None:
        """Keep `data` (already verified against `digest`); a cache that cannot write is skipped."""
        path = self._path(digest)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _path(self, digest: str) -> Path | None:
        """Where `digest` is kept; None (logged) if that would lead out of the directory."""
        algorithm, _, hexdigest = checked_digest(digest).partition(":")
        path = self.directory / algorithm / hexdigest
        # A valid digest has no separators; only a symlink inside the cache could lead out.
        if not path.resolve().is_relative_to(self.directory.resolve()):
            _log.warning("blob cache: %s leads out of %s; not used", path, self.directory)
            return None
        return path
