"""Files out of a packaged Helm chart (`name-version.tgz`), read in memory, within limits.

Nothing is written to disk and no path from the archive is trusted: members are matched by
name and read as bytes. The sizes tar headers declare are summed before any member is read, so
a gzip bomb is refused at its header instead of being inflated.

The gzip layer is inflated here, by zlib, rather than by tarfile's stream mode: CPython 3.11's
`r|gz` misreads a gzip header carrying an extra field (python/cpython gh-107398), and Helm
writes one into every chart it packages. zlib reads any RFC 1952 header (extra field, name,
comment, header CRC); the bytes it may inflate are capped, so what the tar headers do not
declare (pax and long-name records, trailing blocks) cannot inflate without bound either.

An archive inside an archive (a subchart vendored as `charts/<name>.tgz`) is read with the
budget of the one it came from, so the limits hold over the whole tree, not per archive.
"""

from __future__ import annotations

import io
import tarfile
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fasit.errors import InvalidInput

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["ArchiveBudget", "ArchiveError", "ArchiveLimits", "read_archive"]

_MIB = 1024 * 1024


class ArchiveError(InvalidInput):
    """An archive that is not a readable, bounded gzip-compressed tar."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_members: int = 10_000
    max_unpacked_bytes: int = 256 * _MIB


@dataclass(slots=True)
class ArchiveBudget:
    """What the archives of one tree have used of `limits` so far (nested ones share it)."""

    limits: ArchiveLimits
    members: int = 0
    unpacked: int = 0


def read_archive(
    data: bytes,
    names: Collection[str] | Callable[[str], bool],
    limits: ArchiveLimits | None = None,
    budget: ArchiveBudget | None = None,
) -> dict[str, bytes]:
    """The members of `data` named in `names` (or that it accepts; regular files only).

    `budget` is the one the enclosing archive is read with, when `data` is one of its members.
    """
    budget = budget or ArchiveBudget(limits or ArchiveLimits())
    limits = budget.limits
    wanted = names if callable(names) else names.__contains__
    found: dict[str, bytes] = {}
    try:
        inflated = io.BufferedReader(_Inflating(data, budget), buffer_size=tarfile.RECORDSIZE)
        with tarfile.open(fileobj=inflated, mode="r|") as archive:
            for member in archive:
                budget.members += 1
                budget.unpacked += max(member.size, 0)
                if budget.members > limits.max_members:
                    raise ArchiveError(f"more than {limits.max_members:,} files")
                if budget.unpacked > limits.max_unpacked_bytes:
                    raise _too_large(limits)
                if member.isfile() and wanted(member.name):
                    extracted = archive.extractfile(member)
                    if extracted is not None:
                        found[member.name] = extracted.read()
    except (tarfile.TarError, zlib.error, EOFError, OSError) as exc:
        raise ArchiveError(f"not a gzip-compressed tar archive: {exc}") from None
    return found


# What tar adds around the declared sizes, per member: its 512-byte header, padding to the next
# block, and room for a pax or long-name record; plus the end-of-archive blocks and record padding.
_TAR_OVERHEAD_PER_MEMBER = 8 * 1024
_TAR_OVERHEAD = 64 * 1024


def _too_large(limits: ArchiveLimits) -> ArchiveError:
    return ArchiveError(f"unpacks to more than {limits.max_unpacked_bytes:,} bytes")


class _Inflating(io.RawIOBase):
    """The tar inside the gzip `data`, inflated as it is read, never past the limits allow."""

    def __init__(self, data: bytes, budget: ArchiveBudget) -> None:
        super().__init__()
        limits = self._limits = budget.limits
        self._inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)  # | 16: a gzip header
        self._pending = data
        self._left = (
            limits.max_unpacked_bytes
            - budget.unpacked
            + (limits.max_members - budget.members) * _TAR_OVERHEAD_PER_MEMBER
            + _TAR_OVERHEAD
        )

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view:
            while not self._inflater.eof:
                # One byte more than allowed, so that going past the cap is seen.
                chunk = self._inflater.decompress(self._pending, min(len(view), self._left + 1))
                self._pending = self._inflater.unconsumed_tail
                if len(chunk) > self._left:
                    raise _too_large(self._limits)
                if chunk:
                    self._left -= len(chunk)
                    view[: len(chunk)] = chunk
                    return len(chunk)
                if not self._pending:
                    raise EOFError("compressed data ended before the end-of-stream marker")
            return 0
