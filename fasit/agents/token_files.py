"""What every token file of fasit shares: hashes of tokens, never tokens; a size-bounded YAML
read with file:line:col problems; a reload on change that keeps the last good content when an
edit is bad; and atomic, line-preserving edits for the commands that add a token.

The agent token file (`tokens.TokenFile`) and the web's API token file (`fasit.web.tokens`)
are both built from these pieces; neither knows the other's format.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import yaml

from fasit.errors import TokenFileInvalid

__all__ = [
    "ReloadedFile",
    "hash_token",
    "read_mapping",
    "replace_line",
    "where",
    "write_atomically",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BYTES = 1024 * 1024


def hash_token(token: str) -> str:
    """`sha256:<hex>` of a token as its file holds it, surrounding whitespace stripped.

    >>> hash_token("s3cret\\n") == hash_token("s3cret")
    True
    """
    return "sha256:" + hashlib.sha256(token.strip().encode()).hexdigest()


def where(path: Path, node: yaml.Node) -> str:
    """`file:line:col` of a YAML node, 1-based."""
    mark = node.start_mark
    return f"{path}:{mark.line + 1}:{mark.column + 1}"


def read_mapping(path: Path, what: str, expected: str) -> yaml.MappingNode | None:
    """The top-level mapping of the YAML file at `path` (None when it is empty); raises
    TokenFileInvalid (naming the file as `what`) when it cannot be read, is larger than 1 MiB,
    is not YAML, or is not a mapping (`expected` says of what)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise TokenFileInvalid(str(path), [f"{path}: cannot read: {exc.strerror}"], what) from exc
    if len(data) > MAX_BYTES:
        raise TokenFileInvalid(str(path), [f"{path}: larger than {MAX_BYTES} bytes"], what)
    try:
        root = yaml.compose(data.decode("utf-8"), Loader=yaml.CSafeLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TokenFileInvalid(str(path), [f"{path}: not valid YAML: {exc}"], what) from exc
    if root is None:
        return None
    if not isinstance(root, yaml.MappingNode):
        raise TokenFileInvalid(str(path), [f"{where(path, root)}: expected {expected}"], what)
    return root


@dataclass(frozen=True, slots=True)
class _Stat:
    """What tells a changed file: an atomic rename changes the inode, an edit mtime or size."""

    inode: int
    mtime_ns: int
    ctime_ns: int
    size: int


def _stat(path: Path) -> _Stat | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return _Stat(st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


class ReloadedFile(Generic[T]):
    """The content of `path` as `parse` reads it, read again when the file changes.

    Construction parses the file and raises TokenFileInvalid if it is bad. `refresh()` reloads
    a changed file; a bad or missing file then keeps the last good content and logs why, once
    per change of the file (a typo must not lock everyone out, nor flood the log).
    """

    def __init__(self, path: Path, parse: Callable[[Path], T], what: str) -> None:
        self.path = path
        self._parse = parse
        self._what = what
        self._stat = _stat(path)
        self.current: T = parse(path)
        self._reloading = threading.Lock()

    def refresh(self) -> bool:
        """Reload the file if it changed; True when the content in force changed."""
        with self._reloading:  # reloads run on threads: one at a time
            stat = _stat(self.path)
            if stat == self._stat:
                return False
            self._stat = stat
            try:
                content = self._parse(self.path)
            except TokenFileInvalid as exc:
                logger.error("%s not reloaded, the last good one stays: %s", self._what, exc)
                return False
            if content == self.current:
                return False
            self.current = content
            logger.info("%s reloaded", self._what)
            return True

    async def reload(self) -> bool:
        """`refresh`, on a thread (it reads the disk): a disk that does not answer must not
        stop an event loop."""
        return await asyncio.to_thread(self.refresh)


def replace_line(path: Path, key: str, entry: str, check: Callable[[Path], object]) -> None:
    """Make `entry` the line of `key` in the file at `path`, atomically.

    Replaces that key's line (or appends one); every other line, comment included, stays as
    it was. A missing file is created readable by its owner only. A file that `check` refuses
    is refused as it is, so the edit cannot hide its problems.
    """
    text = ""
    if path.exists():
        check(path)
        text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"^([\"']?){re.escape(key)}\1\s*:")
    kept = text.splitlines()
    lines = [line for line in kept if not pattern.match(line)]
    at = next((i for i, line in enumerate(kept) if pattern.match(line)), len(lines))
    lines.insert(at, entry)
    write_atomically(path, "\n".join(lines) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` by `text` in one rename; a new file is 0600, an old one keeps its mode."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(partial, mode)
    os.replace(partial, path)
