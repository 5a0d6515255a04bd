"""Which files of a tree hold state: the index file's globs, or the defaults.

Default (no `.fasit.yaml`): every `*.yaml` / `*.yml` outside `charts/`. Always left out: dot
directories (the tree never lists them) and the index file itself. Globs are relative to the
state root; `*` and `?` stay within one path segment, `**` spans any number of segments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from fasit.model import INDEX_FILE, IndexFile
from fasit.state.documents import validate_model
from fasit.state.problems import Problem, ProblemCode
from fasit.state.yamlfile import YamlDocument

__all__ = ["Discovery", "FileSelector", "compile_glob", "discover"]


def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regular expression for a path glob; ValueError says what is wrong with a bad one.

    >>> bool(compile_glob("environments/**/*.yaml").match("environments/nav/prod.yaml"))
    True
    """
    if not pattern:
        raise ValueError("empty glob")
    if pattern.startswith("/"):
        raise ValueError(f"glob {pattern!r} must be relative to the state root (no leading /)")
    segments = pattern.split("/")
    parts: list[str] = []
    for number, segment in enumerate(segments):
        last = number == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        if "**" in segment:
            raise ValueError(f"glob {pattern!r}: ** must be a whole path segment")
        parts.append(_segment(segment, pattern) + ("" if last else "/"))
    return re.compile("".join(parts) + r"\Z")


def _segment(segment: str, pattern: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", index + 2)
            if end == -1:
                raise ValueError(f"glob {pattern!r}: unclosed [")
            body = segment[index + 1 : end]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace(r"\-", "-")
            out.append(f"[{'^' if negate else ''}{body}]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


@dataclass(frozen=True)
class FileSelector:
    """Compiled globs: a path is state when it matches an include and no exclude."""

    include: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]

    def selects(self, path: str) -> bool:
        """Whether `path` holds state documents."""
        if path == INDEX_FILE:
            return False
        include, exclude = self._combined
        return include.match(path) is not None and (exclude is None or not exclude.match(path))

    @cached_property
    def _combined(self) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
        # One alternation per side: a rebuild asks this of every path in the tree.
        include = re.compile("|".join(f"(?:{glob.pattern})" for glob in self.include) or "(?!)")
        exclude = (
            re.compile("|".join(f"(?:{glob.pattern})" for glob in self.exclude))
            if self.exclude
            else None
        )
        return include, exclude


@dataclass
class Discovery:
    """The selector to use and the problems found in the index file (any of them blocks)."""

    selector: FileSelector | None
    problems: list[Problem] = field(default_factory=list)
    index: IndexFile = field(default_factory=IndexFile)
    """The index file as read (its defaults when there is none or it is invalid)."""


def discover(index_documents: Iterable[YamlDocument] | None) -> Discovery:
    """The file selector from the parsed index file (None: there is no index file)."""
    if index_documents is None:
        return Discovery(_selector(IndexFile()))
    documents = list(index_documents)
    if len(documents) != 1:
        return Discovery(
            None,
            [
                Problem(
                    INDEX_FILE,
                    1,
                    1,
                    ProblemCode.INDEX_INVALID,
                    f"the index file holds one document, not {len(documents)}",
                )
            ],
        )
    document = documents[0]
    index, model_problems = validate_model(IndexFile, document, INDEX_FILE)
    problems = [replace(problem, code=ProblemCode.INDEX_INVALID) for problem in model_problems]
    if index is None:
        return Discovery(None, problems)
    for key in ("include", "exclude"):
        for number, pattern in enumerate(getattr(index, key)):
            try:
                compile_glob(pattern)
            except ValueError as exc:
                position = document.locate([key, number])
                problems.append(
                    Problem.at(INDEX_FILE, position, ProblemCode.INDEX_INVALID, str(exc))
                )
    if problems:
        return Discovery(None, problems)
    return Discovery(_selector(index), problems, index)


def _selector(index: IndexFile) -> FileSelector:
    return FileSelector(
        include=tuple(compile_glob(pattern) for pattern in index.include),
        exclude=tuple(compile_glob(pattern) for pattern in index.exclude),
    )
