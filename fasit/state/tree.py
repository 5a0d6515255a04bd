"""The tree interface: a state root as paths and bytes, whatever holds it.

The loader reads state only through `Tree`, so one build serves a local directory now and a
git commit (read without a checkout) later. A tree lists every entry below its root, dot
directories left out, without following links: a symlink is an entry of its own kind, never a
way out of the root or into a loop.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from fasit.errors import InvalidInput, TreeUnavailable

__all__ = ["DirectoryTree", "EntryKind", "FileTooLarge", "MemoryTree", "Tree", "TreeEntry"]


class EntryKind(StrEnum):
    """What a tree entry is; only FILE entries are ever read."""

    FILE = "file"
    SYMLINK = "symlink"
    OTHER = "other"
    """A device, socket or fifo: nothing a state repository holds."""
    UNREADABLE = "unreadable"
    """A directory that could not be listed."""


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One entry: a `/`-separated path relative to the root, its kind and size in bytes.

    `blob` identifies the content when the tree knows it without reading (a git blob id, or
    the hash a `MemoryTree` took); "" when unknown. Equal blobs mean equal bytes.
    """

    path: str
    kind: EntryKind
    size: int = 0
    detail: str = ""
    blob: str = ""


class FileTooLarge(InvalidInput):
    """Raised by `Tree.read` when a file is larger than the limit the caller gave."""

    def __init__(self, path: str, size: int) -> None:
        super().__init__(f"{path}: {size} bytes")
        self.path = path
        self.size = size


class Tree(Protocol):
    """Paths and bytes below a state root."""

    @property
    def description(self) -> str:
        """Where the tree comes from, for messages (a directory, a git URL at a commit)."""
        ...

    def entries(self) -> Iterator[TreeEntry]:
        """Every entry below the root in path order, dot directories left out, links unfollowed."""
        ...

    def read(self, path: str, limit: int) -> bytes:
        """The bytes of the file at `path`; `FileTooLarge` when it holds more than `limit`."""
        ...


class DirectoryTree:
    """A state root on the local file system."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        path = Path(root)
        if not path.exists():
            raise TreeUnavailable(f"{path}: no such directory")
        if not path.is_dir():
            raise TreeUnavailable(f"{path}: not a directory")
        self._root = path

    @property
    def root(self) -> Path:
        """The directory the tree reads."""
        return self._root

    @property
    def description(self) -> str:
        return str(self._root)

    def entries(self) -> Iterator[TreeEntry]:
        yield from self._walk(self._root, "")

    def _walk(self, directory: Path, prefix: str) -> Iterator[TreeEntry]:
        try:
            with os.scandir(directory) as listing:
                children = sorted(listing, key=lambda child: child.name)
        except OSError as exc:
            yield TreeEntry(
                prefix.rstrip("/") or ".", EntryKind.UNREADABLE, detail=exc.strerror or ""
            )
            return
        for child in children:
            path = prefix + child.name
            if child.is_symlink():
                yield TreeEntry(path, EntryKind.SYMLINK, detail=_link_target(child.path))
            elif child.is_dir(follow_symlinks=False):
                if not child.name.startswith("."):
                    yield from self._walk(Path(child.path), path + "/")
            elif child.is_file(follow_symlinks=False):
                yield TreeEntry(path, EntryKind.FILE, child.stat(follow_symlinks=False).st_size)
            else:
                yield TreeEntry(path, EntryKind.OTHER)

    def read(self, path: str, limit: int) -> bytes:
        # O_NOFOLLOW: a file swapped for a link after listing is refused, not followed.
        try:
            fd = os.open(self._root / path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OSError(errno.ELOOP, "is a symbolic link") from exc
            raise
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise FileTooLarge(path, os.stat(self._root / path, follow_symlinks=False).st_size)
        return data


class MemoryTree:
    """A tree held in memory: a consistent capture of another tree, content ids included.

    The local source captures the directory once per change, so a build reads exactly the
    bytes it fingerprinted: an editor saving mid-build cannot tear a snapshot.
    """

    def __init__(
        self,
        description: str,
        entries: Sequence[TreeEntry],
        contents: Mapping[str, bytes | OSError],
    ) -> None:
        self._description = description
        self._entries = tuple(entries)
        self._contents = dict(contents)

    @classmethod
    def capture(cls, tree: Tree, max_file_bytes: int) -> MemoryTree:
        """Read every file of `tree` up to `max_file_bytes`; larger ones keep only their size."""
        entries: list[TreeEntry] = []
        contents: dict[str, bytes | OSError] = {}
        for entry in tree.entries():
            if entry.kind is EntryKind.FILE and entry.size <= max_file_bytes:
                try:
                    data = tree.read(entry.path, max_file_bytes)
                except FileTooLarge as exc:  # grew since it was listed
                    entry = TreeEntry(entry.path, entry.kind, exc.size)
                except OSError as exc:
                    contents[entry.path] = exc
                else:
                    contents[entry.path] = data
                    digest = hashlib.sha256(data).hexdigest()
                    entry = TreeEntry(entry.path, entry.kind, len(data), blob=f"sha256:{digest}")
            entries.append(entry)
        return cls(tree.description, entries, contents)

    @property
    def description(self) -> str:
        return self._description

    @property
    def fingerprint(self) -> str:
        """A hash of every path, kind, size and content id: equal fingerprints, equal trees."""
        digest = hashlib.sha256()
        for entry in self._entries:
            line = f"{entry.path}\0{entry.kind}\0{entry.size}\0{entry.blob}\0{entry.detail}\n"
            digest.update(line.encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def entries(self) -> Iterator[TreeEntry]:
        return iter(self._entries)

    def read(self, path: str, limit: int) -> bytes:
        content = self._contents.get(path)
        if isinstance(content, OSError):
            raise content
        if content is None:
            size = next((entry.size for entry in self._entries if entry.path == path), 0)
            if size > limit:
                raise FileTooLarge(path, size)
            raise FileNotFoundError(errno.ENOENT, "no such file in the tree", path)
        if len(content) > limit:
            raise FileTooLarge(path, len(content))
        return content


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"
