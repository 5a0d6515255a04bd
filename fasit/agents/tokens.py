"""The agent token file: which token may open a session for which environment.

The hub reads it at start (a bad file stops it, naming every bad place) and again whenever
its stat changes (a bad edit is logged and the last good tokens stay, so a typo cannot lock
out the fleet). The file holds only hashes; tokens themselves never reach the controller's
disk or logs.

    # tenant/env: "sha256:<hex of SHA-256 of the token file's stripped content>"
    nav/prod: "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from fasit.errors import CouldNotRun, TokenFileInvalid

__all__ = ["TokenFile", "hash_token", "set_token", "write_token_file"]

logger = logging.getLogger(__name__)

_ENVIRONMENT = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_MAX_BYTES = 1024 * 1024


def hash_token(token: str) -> str:
    """`sha256:<hex>` of a token as its file holds it, surrounding whitespace stripped.

    >>> hash_token("s3cret\\n") == hash_token("s3cret")
    True
    """
    return "sha256:" + hashlib.sha256(token.strip().encode()).hexdigest()


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


def _parse(path: Path) -> dict[str, str]:
    """environment → token hash, or TokenFileInvalid listing every bad place."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise TokenFileInvalid(str(path), [f"{path}: cannot read: {exc.strerror}"]) from exc
    if len(data) > _MAX_BYTES:
        raise TokenFileInvalid(str(path), [f"{path}: larger than {_MAX_BYTES} bytes"])
    try:
        root = yaml.compose(data.decode("utf-8"), Loader=yaml.CSafeLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TokenFileInvalid(str(path), [f"{path}: not valid YAML: {exc}"]) from exc
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise TokenFileInvalid(
            str(path), [f"{_where(path, root)}: expected a mapping of tenant/env to sha256:<hex>"]
        )
    problems: list[str] = []
    hashes: dict[str, str] = {}
    owner: dict[str, str] = {}
    for key, value in root.value:
        environment = key.value if isinstance(key, yaml.ScalarNode) else None
        if environment is None or not _ENVIRONMENT.match(environment):
            problems.append(f"{_where(path, key)}: key must be an environment tenant/name")
            continue
        if environment in hashes:
            problems.append(f"{_where(path, key)}: {environment} is listed twice")
            continue
        token_hash = value.value if isinstance(value, yaml.ScalarNode) else None
        if not isinstance(token_hash, str) or not _HASH.match(token_hash):
            problems.append(
                f'{_where(path, value)}: {environment}: expected "sha256:<64 lowercase hex>"'
            )
            continue
        if token_hash in owner:
            problems.append(
                f"{_where(path, value)}: {environment} has the same token as {owner[token_hash]}"
                " (a token is valid for one environment only)"
            )
            continue
        hashes[environment] = token_hash
        owner[token_hash] = environment
    if problems:
        raise TokenFileInvalid(str(path), problems)
    return hashes


def _where(path: Path, node: yaml.Node) -> str:
    mark = node.start_mark
    return f"{path}:{mark.line + 1}:{mark.column + 1}"


class TokenFile:
    """The tokens of `path`, reloaded when the file changes.

    Construction reads the file and raises TokenFileInvalid if it is bad. `refresh()` (called by
    the hub on every authentication and on a timer) reloads a changed file; a bad or missing
    file then keeps the last good tokens and logs why. Coroutines call `reload` and `lookup`
    instead, which read the file on a thread: a disk (or a file) that does not answer must not
    stop an event loop.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stat = _stat(path)
        self._hashes = _parse(path)
        self._environments = {token_hash: env for env, token_hash in self._hashes.items()}
        self._reloading = threading.Lock()

    def refresh(self) -> bool:
        """Reload the file if it changed; True when the tokens in force changed."""
        with self._reloading:  # reloads run on threads: one at a time
            return self._refresh()

    async def reload(self) -> bool:
        """`refresh`, on a thread (it reads the disk)."""
        return await asyncio.to_thread(self.refresh)

    async def lookup(self, token: str) -> str | None:
        """`environment_of`, with the file reloaded on a thread."""
        await self.reload()
        return self._environments.get(hash_token(token))

    def _refresh(self) -> bool:
        stat = _stat(self.path)
        if stat == self._stat:
            return False
        self._stat = stat
        try:
            hashes = _parse(self.path)
        except TokenFileInvalid as exc:
            logger.error("agent token file not reloaded, the last good one stays: %s", exc)
            return False
        if hashes == self._hashes:
            return False
        self._hashes = hashes
        self._environments = {token_hash: env for env, token_hash in hashes.items()}
        logger.info("agent token file reloaded", extra={"environments": len(hashes)})
        return True

    def environment_of(self, token: str) -> str | None:
        """The environment `token` opens, or None; reloads a changed file first."""
        self.refresh()
        return self._environments.get(hash_token(token))

    def accepts(self, environment: str, token_hash: str) -> bool:
        """Whether `token_hash` is (still) the token of `environment`."""
        return self._hashes.get(environment) == token_hash

    @property
    def environments(self) -> frozenset[str]:
        return frozenset(self._hashes)


def write_token_file(path: Path, tokens: dict[str, str]) -> None:
    """Write a token file for `tokens` (environment → token), atomically; for tools and tests."""
    lines = [f'{env}: "{hash_token(token)}"' for env, token in sorted(tokens.items())]
    _write_atomically(path, "\n".join(lines) + "\n")


def set_token(path: Path, environment: str, token: str) -> None:
    """Make `token` the one token of `environment` in the file at `path`, atomically.

    Replaces that environment's line (or appends one); every other line, comment included,
    stays as it was. A missing file is created readable by its owner only. A file that is
    not valid already is refused as it is, so the edit cannot hide its problems.
    """
    if not _ENVIRONMENT.match(environment):
        raise CouldNotRun(
            f"{environment!r} is not an environment: expected TENANT/NAME"
            " (lowercase letters, digits and '-', e.g. nav/prod)"
        )
    text = ""
    if path.exists():
        _parse(path)
        text = path.read_text(encoding="utf-8")
    key = re.compile(rf"^([\"']?){re.escape(environment)}\1\s*:")
    lines = [line for line in text.splitlines() if not key.match(line)]
    entry = f'{environment}: "{hash_token(token)}"'
    kept = text.splitlines()
    at = next((i for i, line in enumerate(kept) if key.match(line)), len(lines))
    lines.insert(at, entry)
    _write_atomically(path, "\n".join(lines) + "\n")


def _write_atomically(path: Path, text: str) -> None:
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
