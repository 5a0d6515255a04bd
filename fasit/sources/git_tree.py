"""A commit's tree as a `Tree`: read from the object store, no checkout.

Entries carry their blob id, so the loader's parse cache skips every file a commit did not
change without reading it. Listings are cached by (tree id, path prefix): after a one-file
commit only the trees on that file's path are walked again.
"""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from typing import TypeAlias

from dulwich.object_store import BaseObjectStore
from dulwich.objects import Blob, Commit, ObjectID
from dulwich.objects import Tree as GitTreeObject

from fasit.state import EntryKind, FileTooLarge, TreeEntry

__all__ = ["GitTree", "ListingCache"]

_GITLINK = 0o160000
ListingCache: TypeAlias = dict[tuple[bytes, str], tuple[TreeEntry, ...]]
"""Listings by (tree id, path prefix); share one per repository, across commits."""
_LISTINGS_KEPT = 100_000


class GitTree:
    """The files of one commit below a directory, read under the repository's lock."""

    def __init__(
        self,
        store: BaseObjectStore,
        commit_sha: str,
        directory: str,
        description: str,
        lock: threading.RLock,
        listings: ListingCache | None = None,
    ) -> None:
        self._store = store
        self._lock = lock
        self._description = description
        self._listings: ListingCache = {} if listings is None else listings
        self._directory = directory.strip("/")
        self._files: dict[str, str] | None = None
        """Blob id by path, made on the first read."""
        self.commit = commit_sha
        with lock:
            self._root, self.missing = self._find_root(commit_sha)

    @property
    def description(self) -> str:
        return self._description

    def entries(self) -> Iterator[TreeEntry]:
        if self._root is None:
            yield TreeEntry(self._directory or ".", EntryKind.UNREADABLE, detail=self.missing)
            return
        yield from self._list()

    def read(self, path: str, limit: int) -> bytes:
        if self._files is None:
            self._files = {e.path: e.blob for e in self._list() if e.kind is EntryKind.FILE}
        blob_id = self._files.get(path)
        if blob_id is None:
            raise FileNotFoundError(2, "no such file at this commit", path)
        with self._lock:
            blob = self._store[ObjectID(blob_id.encode())]
        if not isinstance(blob, Blob):
            raise IsADirectoryError(21, "not a file", path)
        data: bytes = blob.as_raw_string()
        if len(data) > limit:
            raise FileTooLarge(path, len(data))
        return data

    def _list(self) -> tuple[TreeEntry, ...]:
        if self._root is None:
            return ()
        with self._lock:
            if len(self._listings) > _LISTINGS_KEPT:
                self._listings.clear()
            return self._listing(self._root, "")

    def _find_root(self, commit_sha: str) -> tuple[bytes | None, str]:
        commit = self._store[ObjectID(commit_sha.encode())]
        assert isinstance(commit, Commit)
        tree_id: bytes = commit.tree
        for part in filter(None, self._directory.split("/")):
            tree = self._store[ObjectID(tree_id)]
            assert isinstance(tree, GitTreeObject)
            try:
                mode, tree_id = tree[part.encode()]
            except KeyError:
                return None, f"no directory '{self._directory}' at commit {commit_sha[:12]}"
            if not stat.S_ISDIR(mode):
                return None, f"'{self._directory}' is not a directory at commit {commit_sha[:12]}"
        return tree_id, ""

    def _listing(self, tree_id: bytes, prefix: str) -> tuple[TreeEntry, ...]:
        key = (tree_id, prefix)
        listing = self._listings.get(key)
        if listing is None:
            listing = tuple(self._walk(tree_id, prefix))
            self._listings[key] = listing
        return listing

    def _walk(self, tree_id: bytes, prefix: str) -> Iterator[TreeEntry]:
        tree = self._store[ObjectID(tree_id)]
        assert isinstance(tree, GitTreeObject)
        # Git sorts a directory as if its name ended in "/"; the loader wants plain path order.
        for item in sorted(tree.items(), key=lambda item: item.path):
            name = item.path.decode("utf-8", "surrogateescape")
            path = prefix + name
            mode = item.mode
            if stat.S_ISDIR(mode):
                if not name.startswith("."):
                    yield from self._listing(item.sha, path + "/")
            elif mode == _GITLINK:
                yield TreeEntry(path, EntryKind.OTHER, detail="a submodule")
            elif stat.S_ISLNK(mode):
                target = self._store[item.sha]
                assert isinstance(target, Blob)
                yield TreeEntry(
                    path,
                    EntryKind.SYMLINK,
                    detail=target.as_raw_string().decode("utf-8", "replace"),
                )
            else:
                yield TreeEntry(path, EntryKind.FILE, blob=item.sha.decode())
