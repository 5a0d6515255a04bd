"""The agent token file: which token may open a session for which environment.

The hub reads it at start (a bad file stops it, naming every bad place) and again whenever
its stat changes (a bad edit is logged and the last good tokens stay, so a typo cannot lock
out the fleet). The file holds only hashes; tokens themselves never reach the controller's
disk or logs.

    # tenant/env: "sha256:<hex of SHA-256 of the token file's stripped content>"
    nav/prod: "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from fasit.agents.token_files import (
    ReloadedFile,
    hash_token,
    read_mapping,
    replace_line,
    where,
    write_atomically,
)
from fasit.errors import CouldNotRun, TokenFileInvalid

__all__ = ["TokenFile", "hash_token", "set_token", "write_token_file"]

_ENVIRONMENT = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_WHAT = "agent token file"


def _parse(path: Path) -> dict[str, str]:
    """environment → token hash, or TokenFileInvalid listing every bad place."""
    root = read_mapping(path, _WHAT, "a mapping of tenant/env to sha256:<hex>")
    if root is None:
        return {}
    problems: list[str] = []
    hashes: dict[str, str] = {}
    owner: dict[str, str] = {}
    for key, value in root.value:
        environment = key.value if isinstance(key, yaml.ScalarNode) else None
        if environment is None or not _ENVIRONMENT.match(environment):
            problems.append(f"{where(path, key)}: key must be an environment tenant/name")
            continue
        if environment in hashes:
            problems.append(f"{where(path, key)}: {environment} is listed twice")
            continue
        token_hash = value.value if isinstance(value, yaml.ScalarNode) else None
        if not isinstance(token_hash, str) or not _HASH.match(token_hash):
            problems.append(
                f'{where(path, value)}: {environment}: expected "sha256:<64 lowercase hex>"'
            )
            continue
        if token_hash in owner:
            problems.append(
                f"{where(path, value)}: {environment} has the same token as {owner[token_hash]}"
                " (a token is valid for one environment only)"
            )
            continue
        hashes[environment] = token_hash
        owner[token_hash] = environment
    if problems:
        raise TokenFileInvalid(str(path), problems, _WHAT)
    return hashes


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
        self._file = ReloadedFile(path, _parse, _WHAT)
        self._environments = _by_hash(self._file.current)

    def refresh(self) -> bool:
        """Reload the file if it changed; True when the tokens in force changed."""
        changed = self._file.refresh()
        if changed:
            self._environments = _by_hash(self._file.current)
        return changed

    async def reload(self) -> bool:
        """`refresh`, on a thread (it reads the disk)."""
        changed = await self._file.reload()
        if changed:
            self._environments = _by_hash(self._file.current)
        return changed

    async def lookup(self, token: str) -> str | None:
        """`environment_of`, with the file reloaded on a thread."""
        await self.reload()
        return self._environments.get(hash_token(token))

    def environment_of(self, token: str) -> str | None:
        """The environment `token` opens, or None; reloads a changed file first."""
        self.refresh()
        return self._environments.get(hash_token(token))

    def accepts(self, environment: str, token_hash: str) -> bool:
        """Whether `token_hash` is (still) the token of `environment`."""
        return self._file.current.get(environment) == token_hash

    @property
    def environments(self) -> frozenset[str]:
        return frozenset(self._file.current)


def _by_hash(hashes: dict[str, str]) -> dict[str, str]:
    return {token_hash: env for env, token_hash in hashes.items()}


def write_token_file(path: Path, tokens: dict[str, str]) -> None:
    """Write a token file for `tokens` (environment → token), atomically; for tools and tests."""
    lines = [f'{env}: "{hash_token(token)}"' for env, token in sorted(tokens.items())]
    write_atomically(path, "\n".join(lines) + "\n")


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
    replace_line(path, environment, f'{environment}: "{hash_token(token)}"', _parse)
