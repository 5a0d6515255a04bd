"""The loader: a tree in, every state document and every problem out.

It walks the tree once, applies the index, reads each selected file within the limits, and
validates each document as its kind. It never stops at the first problem: a bad file or
document is left out and reported, and the rest is still read, so one run shows everything.
It judges documents one at a time; what needs several documents (duplicates, references) is
the cross-checks' job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fasit.model import (
    INDEX_FILE,
    Assignment,
    Config,
    Environment,
    Feature,
    IndexFile,
    Rollout,
    StateDocument,
)
from fasit.options import MAX_FILES
from fasit.state.discovery import discover
from fasit.state.documents import Located, read_state_document
from fasit.state.problems import Problem, ProblemCode, Severity
from fasit.state.tree import EntryKind, FileTooLarge, Tree, TreeEntry
from fasit.state.yamlfile import YamlLimits, YamlResult, read_yaml

__all__ = [
    "LoadLimits",
    "LoadResult",
    "LoadedState",
    "ParseCache",
    "load_state",
    "parse_yaml_bytes",
    "read_yaml_file",
]

MIB = 1024 * 1024
# Reported once, from the listing, whether or not the globs select them.
_REPORTED = frozenset({EntryKind.SYMLINK, EntryKind.UNREADABLE})


@dataclass(frozen=True, slots=True)
class LoadLimits:
    """Bounds on what the loader reads; past them a problem is reported, never a hang."""

    max_file_bytes: int = MIB
    max_files: int = MAX_FILES
    yaml: YamlLimits = field(default_factory=YamlLimits)


@dataclass(frozen=True, slots=True)
class LoadedState:
    """The valid documents of a tree, by kind, in path order."""

    environments: tuple[Located[Environment], ...] = ()
    features: tuple[Located[Feature], ...] = ()
    assignments: tuple[Located[Assignment], ...] = ()
    configs: tuple[Located[Config], ...] = ()
    rollouts: tuple[Located[Rollout], ...] = ()
    invalid: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(kind, identity) → `file:line` of documents that name an environment or feature but
    are invalid: a reference to one is then told where it is, not that it does not exist."""
    index: IndexFile = field(default_factory=IndexFile)
    """The index file (its defaults when there is none): also the repository's settings."""


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What the loader found: the state, the problems, and how much it read."""

    state: LoadedState
    problems: tuple[Problem, ...]
    files: int
    documents: int
    entries: tuple[TreeEntry, ...] = ()
    """The tree's listing, for later stages that read more of it (in-repo charts)."""


def load_state(
    tree: Tree, limits: LoadLimits | None = None, cache: ParseCache | None = None
) -> LoadResult:
    """Read every state document of `tree`, collecting every problem on the way.

    With a `cache`, a file whose content was parsed by an earlier load is not parsed again.
    """
    limits = limits or LoadLimits()
    if cache is not None:
        cache.start()
    problems: list[Problem] = []
    entries: list[TreeEntry] = []
    for entry in tree.entries():
        if len(entries) == limits.max_files:
            problems.append(
                Problem(
                    "",
                    None,
                    None,
                    ProblemCode.TOO_MANY_FILES,
                    f"the state tree holds more than {limits.max_files} files",
                )
            )
            return LoadResult(LoadedState(), tuple(problems), 0, 0)
        entries.append(entry)

    index_entry = next((entry for entry in entries if entry.path == INDEX_FILE), None)
    for entry in entries:
        if entry.kind is EntryKind.SYMLINK:
            problems.append(_symlink_problem(entry))
        elif entry.kind is EntryKind.UNREADABLE:
            problems.append(
                Problem(entry.path, None, None, ProblemCode.UNREADABLE_FILE, entry.detail)
            )

    index_documents = None
    if index_entry is not None:
        if index_entry.kind is not EntryKind.FILE:
            return LoadResult(LoadedState(), tuple(problems), 0, 0)  # reported above
        index_yaml = read_yaml_file(tree, index_entry, limits)
        if index_yaml.problems:
            problems.extend(
                replace(problem, code=ProblemCode.INDEX_INVALID) for problem in index_yaml.problems
            )
            return LoadResult(LoadedState(), tuple(problems), 1, 0)
        index_documents = index_yaml.documents
    discovery = discover(index_documents)
    problems.extend(discovery.problems)
    if discovery.selector is None:
        return LoadResult(LoadedState(), tuple(problems), 1, 0)

    collected = _Collected()
    files = 0
    for entry in entries:
        if entry.kind in _REPORTED or not discovery.selector.selects(entry.path):
            continue
        if entry.kind is not EntryKind.FILE:
            problems.append(
                Problem(
                    entry.path,
                    None,
                    None,
                    ProblemCode.UNREADABLE_FILE,
                    "not a regular file (a device, socket or pipe)",
                )
            )
            continue
        files += 1
        parsed = _parse_state_file(tree, entry, limits, cache)
        problems.extend(parsed.problems)
        collected.documents += parsed.documents
        for located in parsed.located:
            collected.add(located)
        collected.invalid.update(parsed.invalid)
    if cache is not None:
        cache.finish()
    return LoadResult(
        replace(collected.state(), index=discovery.index),
        tuple(problems),
        files,
        collected.documents,
        tuple(entries),
    )


@dataclass(frozen=True, slots=True)
class _ParsedFile:
    """What one state file holds: its valid documents, its problems, how many documents."""

    located: tuple[Located[StateDocument], ...]
    problems: tuple[Problem, ...]
    documents: int
    invalid: tuple[tuple[tuple[str, str], str], ...] = ()


class ParseCache:
    """Parsed state files by (path, content id), so a rebuild parses only what changed.

    The content id is the tree's blob id when it has one (git), else a SHA-256 of the bytes.
    A cache holds the files of the latest load only, so it never outgrows one state tree. Use
    one cache with one set of limits: limits change what a parse reports.
    """

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], _ParsedFile] = {}
        self._kept: dict[tuple[str, str], _ParsedFile] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._files)

    def start(self) -> None:
        """Begin a load: what it does not use is dropped when it finishes."""
        self._kept = {}

    def finish(self) -> None:
        """End a load: keep exactly the files it used."""
        self._files, self._kept = self._kept, {}

    def get(self, key: tuple[str, str]) -> _ParsedFile | None:
        parsed = self._files.get(key) or self._kept.get(key)
        if parsed is None:
            self.misses += 1
        else:
            self.hits += 1
            self._kept[key] = parsed
        return parsed

    def put(self, key: tuple[str, str], parsed: _ParsedFile) -> None:
        self._kept[key] = parsed


def _parse_state_file(
    tree: Tree, entry: TreeEntry, limits: LoadLimits, cache: ParseCache | None
) -> _ParsedFile:
    if cache is not None and entry.blob:
        cached = cache.get((entry.path, entry.blob))
        if cached is not None:
            return cached
    data = _read_bytes(tree, entry, limits)
    if isinstance(data, YamlResult):  # could not read: not cached, it may be transient
        return _ParsedFile((), tuple(data.problems), 0)
    # Hashed once here even without a cache: documents are keyed by it (`Located.key`).
    content_id = entry.blob or "sha256:" + hashlib.sha256(data).hexdigest()
    key = (entry.path, content_id)
    if cache is not None and not entry.blob and (cached := cache.get(key)) is not None:
        return cached
    parsed = _judge_documents(entry.path, content_id, parse_yaml_bytes(entry.path, data, limits))
    if cache is not None:
        cache.put(key, parsed)
    return parsed


def _judge_documents(path: str, content_id: str, parsed: YamlResult) -> _ParsedFile:
    problems = list(parsed.problems)
    if not parsed.documents and not parsed.problems:
        problems.append(
            Problem(
                path,
                None,
                None,
                ProblemCode.EMPTY_FILE,
                "the file holds no documents",
                Severity.NOTICE,
            )
        )
    located: list[Located[StateDocument]] = []
    invalid: list[tuple[tuple[str, str], str]] = []
    for document in parsed.documents:
        model, document_problems = read_state_document(document, path, content_id)
        problems.extend(document_problems)
        if model is not None:
            located.append(model)
        elif (identity := _identity(document.data)) is not None:
            invalid.append((identity, f"{path}:{document.start.line}"))
    return _ParsedFile(tuple(located), tuple(problems), len(parsed.documents), tuple(invalid))


def _identity(data: object) -> tuple[str, str] | None:
    """(kind, identity) an invalid Environment, Feature or Rollout document still names."""
    if not isinstance(data, dict):
        return None
    kind, name = data.get("kind"), data.get("name")
    if kind == "Environment" and isinstance(data.get("tenant"), str) and isinstance(name, str):
        return kind, f"{data['tenant']}/{name}"
    if kind in ("Feature", "Rollout") and isinstance(name, str):
        return kind, name
    return None


def read_yaml_file(tree: Tree, entry: TreeEntry, limits: LoadLimits) -> YamlResult:
    """Read and parse one file of the tree within the limits: size, text, YAML."""
    data = _read_bytes(tree, entry, limits)
    if isinstance(data, YamlResult):
        return data
    return parse_yaml_bytes(entry.path, data, limits)


def _read_bytes(tree: Tree, entry: TreeEntry, limits: LoadLimits) -> bytes | YamlResult:
    """The file's bytes, or a result holding the problem that kept them from being read."""
    if entry.size > limits.max_file_bytes:
        return _file_problem(entry.path, ProblemCode.FILE_TOO_LARGE, _too_large(entry.size, limits))
    try:
        data = tree.read(entry.path, limits.max_file_bytes)
    except FileTooLarge as exc:
        return _file_problem(entry.path, ProblemCode.FILE_TOO_LARGE, _too_large(exc.size, limits))
    except OSError as exc:
        return _file_problem(entry.path, ProblemCode.UNREADABLE_FILE, exc.strerror or str(exc))
    return data


def parse_yaml_bytes(path: str, data: bytes, limits: LoadLimits) -> YamlResult:
    """Bytes read from `path` as YAML text within the limits: no NUL, UTF-8, then parsed."""
    if b"\0" in data:
        return _file_problem(
            path, ProblemCode.BINARY_FILE, "binary file (holds a NUL byte), not YAML text"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _file_problem(
            path,
            ProblemCode.BINARY_FILE,
            f"not UTF-8 text (invalid byte at offset {exc.start})",
        )
    return read_yaml(text.removeprefix("\ufeff"), path, limits.yaml)


def _file_problem(path: str, code: ProblemCode, message: str) -> YamlResult:
    return YamlResult(problems=[Problem(path, None, None, code, message)])


def _too_large(size: int, limits: LoadLimits) -> str:
    return f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} bytes"


def _symlink_problem(entry: TreeEntry) -> Problem:
    return Problem(
        entry.path,
        None,
        None,
        ProblemCode.SYMLINK,
        f"symbolic link (to {entry.detail}): state is plain files and links are never followed",
    )


@dataclass
class _Collected:
    environments: list[Located[Environment]] = field(default_factory=list)
    features: list[Located[Feature]] = field(default_factory=list)
    assignments: list[Located[Assignment]] = field(default_factory=list)
    configs: list[Located[Config]] = field(default_factory=list)
    rollouts: list[Located[Rollout]] = field(default_factory=list)
    invalid: dict[tuple[str, str], str] = field(default_factory=dict)
    documents: int = 0

    def __post_init__(self) -> None:
        self._kinds: dict[type, list[Any]] = {
            Environment: self.environments,
            Feature: self.features,
            Assignment: self.assignments,
            Config: self.configs,
            Rollout: self.rollouts,
        }

    def add(self, located: Located[StateDocument]) -> None:
        # One lookup by the model's class rather than an isinstance chain: this runs for each
        # document of every build.
        self._kinds[type(located.model)].append(located)

    def state(self) -> LoadedState:
        return LoadedState(
            tuple(self.environments),
            tuple(self.features),
            tuple(self.assignments),
            tuple(self.configs),
            tuple(self.rollouts),
            dict(self.invalid),
        )
