"""Safe, bounded YAML with positions: libyaml composes, we construct.

`read_yaml` turns one file's text into documents of plain data (dict, list, str, int, float,
bool, None), keeping libyaml's node tree so any path in the data maps back to a line and
column. Constructing from nodes ourselves is what makes the limits possible: aliases are
counted and their expansion measured before anything expands (no billion laughs), duplicate
keys are errors instead of silently last-wins, and only the plain YAML tags are accepted.
Timestamps stay strings (as in YAML 1.2): state has no use for datetime objects. The
constructing itself (and `YamlLimits`) is _yaml_construct.py's; this module reads files and
maps paths back to positions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import yaml

from fasit.state._yaml_construct import MERGE_TAG, TAG, Builder, DocumentError, YamlLimits
from fasit.state.problems import Position, Problem, ProblemCode

__all__ = ["YamlDocument", "YamlLimits", "YamlResult", "read_yaml"]

PathItem = str | int


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """One document: its data and the node tree that says where each part of it came from."""

    data: object
    root: yaml.Node
    index: int

    @property
    def start(self) -> Position:
        """Where the document's content begins."""
        return _position(self.root.start_mark)

    def locate(self, path: Sequence[PathItem], *, at_key: bool = False) -> Position:
        """Position of the value at `path`, or of the deepest part of the path that exists.

        `at_key` points at the key of the last path item instead of its value (an unknown
        field is best shown at its name). Pydantic's `"[key]"` path suffix means the same.
        """
        return _position(self.node_at(path, at_key=at_key).start_mark)

    def node_at(self, path: Sequence[PathItem], *, at_key: bool = False) -> yaml.Node:
        """The node at `path` (or its key node), or the deepest node of the path that exists."""
        items = list(path)
        if items and items[-1] == "[key]":
            items.pop()
            at_key = True
        node: yaml.Node = self.root
        for depth, item in enumerate(items):
            found = _child(node, item)
            if found is None:
                return node
            key_node, value_node = found
            if at_key and depth == len(items) - 1 and key_node is not None:
                return key_node
            node = value_node
        return node


@dataclass(slots=True)
class YamlResult:
    """The usable documents of a file and the problems found; a bad document is left out whole."""

    documents: list[YamlDocument] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_yaml(text: str, file: str, limits: YamlLimits | None = None) -> YamlResult:
    """Parse every document of `text` (the content of `file`), reporting all problems found.

    A syntax error ends the file (libyaml cannot resume) but keeps the documents before it.
    """
    limits = limits or YamlLimits()
    result = YamlResult()
    too_deep = _too_deep(text, limits.max_depth)
    if too_deep is not None:
        result.problems.append(_too_deep_problem(file, _position(too_deep), limits))
        return result
    loader = yaml.CSafeLoader(text)
    index = 0
    try:
        while loader.check_node():
            root = loader.get_node()
            if root is not None and not _is_empty(root):
                _add_document(result, root, index, file, limits)
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = _position(mark) if mark is not None else None
        if _is_libyaml_depth_error(exc):
            result.problems.append(_too_deep_problem(file, position, limits))
        else:
            message = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
            result.problems.append(Problem.at(file, position, ProblemCode.YAML_SYNTAX, message))
    except yaml.reader.ReaderError as exc:
        # A character YAML forbids (a control character): libyaml reports a byte offset only.
        message = f"{exc.reason} (#x{exc.character:04x})"
        position = _offset_position(text, exc.position)
        result.problems.append(Problem.at(file, position, ProblemCode.YAML_SYNTAX, message))
    except yaml.YAMLError as exc:
        result.problems.append(Problem.at(file, None, ProblemCode.YAML_SYNTAX, str(exc)))
    finally:
        loader.dispose()
    return result


# libyaml's composer recurses in C and overflows the stack somewhere past 20,000 levels, which
# kills the process. Every collection needs an indicator character of its own (`:` `-` `?` `[`
# `{`), so their count bounds the depth; only texts past this bound get the (iterative, slower)
# event scan before composing.
_SAFE_INDICATOR_COUNT = 2_000


class _Mark(Protocol):
    line: int
    column: int


def _too_deep(text: str, max_depth: int) -> _Mark | None:
    """The mark where nesting first passes `max_depth`, or None when it never does."""
    bound = sum(text.count(indicator) for indicator in ":-?[{")
    if bound <= _SAFE_INDICATOR_COUNT:
        return None
    depth = 0
    loader = yaml.CSafeLoader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    return event.start_mark
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        if _is_libyaml_depth_error(exc) and exc.problem_mark is not None:
            return exc.problem_mark
        return None  # the syntax error is reported by the real parse
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None


def _too_deep_problem(file: str, position: Position | None, limits: YamlLimits) -> Problem:
    return Problem.at(
        file, position, ProblemCode.YAML_TOO_DEEP, f"nesting deeper than {limits.max_depth} levels"
    )


def _is_libyaml_depth_error(exc: yaml.MarkedYAMLError) -> bool:
    """libyaml 0.2.6 and later refuse deep flow nesting themselves, while scanning ahead (before
    any event reaches our own count): the same refusal, so the same problem."""
    return "maximum nesting depth" in (exc.problem or "")


def _is_empty(root: yaml.Node) -> bool:
    """An empty document (`---` with nothing after it) composes to a plain empty null."""
    return isinstance(root, yaml.ScalarNode) and root.tag == f"{TAG}null" and root.value == ""


def _add_document(
    result: YamlResult, root: yaml.Node, index: int, file: str, limits: YamlLimits
) -> None:
    builder = Builder(limits)
    try:
        data = builder.build(root, 0)
    except DocumentError as exc:
        result.problems.append(Problem.at(file, _position(exc.mark), exc.code, exc.message))
        return
    if builder.duplicates:
        result.problems.extend(
            Problem.at(file, _position(mark), ProblemCode.YAML_DUPLICATE_KEY, message)
            for mark, message in builder.duplicates
        )
        return
    result.documents.append(YamlDocument(data=data, root=root, index=index))


def _child(node: yaml.Node, item: PathItem) -> tuple[yaml.Node | None, yaml.Node] | None:
    """The (key node, value node) of `item` inside `node`, following merge keys."""
    if isinstance(node, yaml.SequenceNode):
        if isinstance(item, int) and 0 <= item < len(node.value):
            return None, node.value[item]
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    merges: list[yaml.Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG:
            merges.extend(
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
        elif isinstance(key_node, yaml.ScalarNode) and _matches(key_node, item):
            return key_node, value_node
    for source in merges:
        found = _child(source, item)
        if found is not None:
            return found
    return None


def _matches(key_node: yaml.ScalarNode, item: PathItem) -> bool:
    if key_node.value == item:
        return True
    # Pydantic reports non-string keys as they were constructed (an int key `1:` is 1).
    return not isinstance(item, str) and str(item) == key_node.value


# The line breaks of YAML 1.1, as libyaml counts lines in its marks.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _offset_position(text: str, offset: int) -> Position:
    """The line and column of the character at `offset` bytes into `text`'s UTF-8."""
    before = text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore")
    breaks = list(_LINE_BREAK.finditer(before))
    start = breaks[-1].end() if breaks else 0
    return Position(len(breaks) + 1, len(before) - start + 1)


def _position(mark: _Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)
