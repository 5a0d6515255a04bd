"""Files out of a packaged Helm chart (`name-version.tgz`), read in memory, within limits.

Nothing is written to disk and no path from the archive is trusted: members are matched by
name and read as bytes. The sizes tar headers declare are summed before any member is read, so
a gzip bomb is refused at its header instead of being inflated.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass

__all__ = ["ArchiveError", "ArchiveLimits", "read_archive"]

_MIB = 1024 * 1024


class ArchiveError(Exception):
    """An archive that is not a readable, bounded gzip-compressed tar."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_members: int = 10_000
    max_unpacked_bytes: int = 256 * _MIB


def read_archive(
    data: bytes, names: Collection[str], limits: ArchiveLimits | None = None
) -> dict[str, bytes]:
    """The members of `data` named in `names` (regular files only); others are skipped."""
    limits = limits or ArchiveLimits()
    found: dict[str, bytes] = {}
    members = unpacked = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|gz") as archive:
            for member in archive:
                members += 1
                unpacked += max(member.size, 0)
                if members > limits.max_members:
                    raise ArchiveError(f"more than {limits.max_members:,} files")
                if unpacked > limits.max_unpacked_bytes:
                    raise ArchiveError(f"unpacks to more than {limits.max_unpacked_bytes:,} bytes")
                if member.name in names and member.isfile():
                    extracted = archive.extractfile(member)
                    if extracted is not None:
                        found[member.name] = extracted.read()
    except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError, OSError) as exc:
        raise ArchiveError(f"not a gzip-compressed tar archive: {exc}") from None
    return found
