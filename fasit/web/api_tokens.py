"""The API token file: which token may read which tenants' part of the dashboard and API.

`fasit serve --api-tokens FILE` reads it at start (a bad file stops it, naming every bad
place with file:line:col) and again when it changes (a bad edit is logged once and the last
good tokens stay). The file holds only hashes, made by the agent tokens' own `hash_token`:

    # name: {hash: "sha256:<hex of SHA-256 of the stripped token>", tenants: [TENANT, …]}
    ci-nav: {hash: "sha256:5e88…42d8", tenants: [nav]}
    fleet-admins: {hash: "sha256:0b14…9e01", tenants: ["*"]}
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import yaml

from fasit.agents import ReloadedFile, hash_token, read_mapping, replace_line, where
from fasit.errors import CouldNotRun, TokenFileInvalid
from fasit.web.viewer import EVERY_TENANT, Viewer

__all__ = ["ApiTokens", "RecheckedFile", "parse_tenants", "read_tenants", "set_api_token"]

T = TypeVar("T")

_WHAT = "API token file"
_NAME = re.compile(r"^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$")
_TENANT = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_FIELDS = ("hash", "tenants")
RECHECK_SECONDS = 1.0
"""A request looks at the file's stat at most this often (each look runs on a thread)."""


@dataclass(frozen=True, slots=True)
class _Entry:
    token_hash: str
    viewer: Viewer


def _parse(path: Path) -> dict[str, _Entry]:
    """token hash → entry, or TokenFileInvalid listing every bad place."""
    root = read_mapping(path, _WHAT, "a mapping of NAME to {hash: ..., tenants: [...]}")
    if root is None:
        return {}
    problems: list[str] = []
    entries: dict[str, _Entry] = {}
    names: set[str] = set()
    for key, value in root.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name is None or not _NAME.match(name):
            problems.append(
                f"{where(path, key)}: a token's name is letters, digits, '-', '_' or '.' (up to 63)"
            )
            continue
        if name in names:
            problems.append(f"{where(path, key)}: {name} is listed twice")
            continue
        names.add(name)
        entry = _entry(path, name, value, problems)
        if entry is None:
            continue
        if entry.token_hash in entries:
            problems.append(
                f"{where(path, value)}: {name} has the same token as"
                f" {entries[entry.token_hash].viewer.name}"
            )
            continue
        entries[entry.token_hash] = entry
    if problems:
        raise TokenFileInvalid(str(path), problems, _WHAT)
    return entries


def _entry(path: Path, name: str, node: yaml.Node, problems: list[str]) -> _Entry | None:
    if not isinstance(node, yaml.MappingNode):
        problems.append(
            f'{where(path, node)}: {name}: expected {{hash: "sha256:<hex>", tenants: [...]}}'
        )
        return None
    fields: dict[str, yaml.Node] = {}
    before = len(problems)
    for key, value in node.value:
        field = key.value if isinstance(key, yaml.ScalarNode) else None
        if field not in _FIELDS:
            problems.append(f"{where(path, key)}: {name}: unknown field (expected hash, tenants)")
        elif field in fields:
            problems.append(f"{where(path, key)}: {name}: {field} is given twice")
        else:
            fields[field] = value
    for field in _FIELDS:
        if field not in fields:
            problems.append(f"{where(path, node)}: {name}: {field} is missing")
    if len(problems) > before:
        return None
    hashed = fields["hash"]
    token_hash = hashed.value if isinstance(hashed, yaml.ScalarNode) else None
    if not isinstance(token_hash, str) or not _HASH.match(token_hash):
        problems.append(f'{where(path, hashed)}: {name}: expected "sha256:<64 lowercase hex>"')
        return None
    listed = fields["tenants"]
    try:
        tenants = read_tenants(listed)
    except ValueError as exc:
        problems.append(f"{where(path, listed)}: {name}: tenants: {exc}")
        return None
    return _Entry(token_hash, Viewer(name, tenants))


def read_tenants(node: yaml.Node) -> frozenset[str] | None:
    """The tenant list at a YAML node (see `parse_tenants`); ValueError saying what is wrong."""
    items = node.value if isinstance(node, yaml.SequenceNode) else None
    texts = (
        []
        if items is None
        else [i.value if isinstance(i, yaml.ScalarNode) else None for i in items]
    )
    if items is None or any(not isinstance(text, str) for text in texts):
        raise ValueError('expected a list of tenants, or ["*"] for every tenant')
    return parse_tenants([str(text) for text in texts])


def parse_tenants(texts: Sequence[str]) -> frozenset[str] | None:
    """A token's tenants: names, or `*` alone for every tenant (None); ValueError naming
    what is wrong."""
    if not texts:
        raise ValueError('empty: name at least one tenant, or "*" for every tenant')
    if EVERY_TENANT in texts:
        if len(texts) > 1:
            raise ValueError('"*" (every tenant) stands alone')
        return None
    for text in texts:
        if not _TENANT.match(text):
            raise ValueError(
                f"{text!r} is not a tenant (lowercase letters, digits and '-'), nor \"*\""
            )
    return frozenset(texts)


class RecheckedFile(Generic[T]):
    """A `ReloadedFile` looked at again (its stat, on a thread) at most once per
    `RECHECK_SECONDS`, when a request asks: the API token file and the access file."""

    def __init__(
        self,
        path: Path,
        parse: Callable[[Path], T],
        what: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._file = ReloadedFile(path, parse, what)
        self._clock = clock
        self._checked = clock()

    async def current(self) -> T:
        """The content in force, the file reloaded first if it is time to look."""
        now = self._clock()
        if now - self._checked >= RECHECK_SECONDS:
            self._checked = now
            await self._file.reload()
        return self._file.current

    @property
    def last(self) -> T:
        """The content in force, without looking at the file."""
        return self._file.current


class ApiTokens:
    """The API tokens of `path`, reloaded when the file changes (looked at on a thread, at
    most once per `RECHECK_SECONDS`)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._file = RecheckedFile(path, _parse, _WHAT, clock)

    async def viewer(self, token: str) -> Viewer | None:
        """The viewer `token` stands for, or None (unknown: nothing says whether a name is)."""
        entry = (await self._file.current()).get(hash_token(token))
        return None if entry is None else entry.viewer

    @property
    def names(self) -> frozenset[str]:
        return frozenset(entry.viewer.name for entry in self._file.last.values())


def set_api_token(path: Path, name: str, tenants: frozenset[str] | None, token: str) -> None:
    """Make `token` the token of `name` (seeing `tenants`; None: every tenant) in the file at
    `path`, atomically; every other line stays. A file that is not valid is refused as it is."""
    if not _NAME.match(name):
        raise CouldNotRun(
            f"{name!r} is not a token name: letters, digits, '-', '_' or '.' (up to 63)"
        )
    listed = '"*"' if tenants is None else ", ".join(sorted(tenants))
    entry = f'{name}: {{hash: "{hash_token(token)}", tenants: [{listed}]}}'
    replace_line(path, name, entry, _parse)
