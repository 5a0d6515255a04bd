"""One YAML document's data constructed from libyaml's nodes, within limits.

`Builder` turns a composed node tree into plain data (dict, list, str, int, float, bool, None):
aliases are counted and their expansion measured before anything expands (no billion laughs),
shared nodes are built once, duplicate keys are collected as problems instead of silently
last-wins, and only the plain YAML tags are accepted; timestamps stay strings. A problem that
makes the document unusable is a `DocumentError` at its node. yamlfile.py reads files with it
and maps paths back to positions; split from there.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from yaml.constructor import SafeConstructor

from fasit.errors import InvalidInput
from fasit.state.problems import ProblemCode

__all__ = ["MERGE_TAG", "TAG", "Builder", "DocumentError", "YamlLimits"]

TAG = "tag:yaml.org,2002:"
"""The prefix of the plain YAML tags (`tag:yaml.org,2002:str`, `…:map`, …)."""
MERGE_TAG = f"{TAG}merge"
"""The tag of a merge key (`<<`)."""
_SCALARS = SafeConstructor()  # only its stateless scalar constructors are used


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """Bounds on alias use per document; anything past them is a problem, never a hang."""

    max_aliases: int = 100
    max_alias_expansion: int = 10_000
    max_depth: int = 64


class DocumentError(InvalidInput):
    """A problem that makes a document unusable; constructing it stops here."""

    def __init__(self, code: ProblemCode, message: str, mark: yaml.Mark) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = mark


class Builder:
    """Constructs one document's data, bounded by the limits, memoising shared (aliased) nodes."""

    def __init__(self, limits: YamlLimits) -> None:
        self._limits = limits
        self._built: dict[int, tuple[object, int]] = {}  # id(node) -> (data, expanded size)
        self._building: set[int] = set()
        self._aliases = 0
        self._expansion = 0
        self.duplicates: list[tuple[yaml.Mark, str]] = []

    def build(self, node: yaml.Node, depth: int) -> object:
        return self._node(node, depth)[0]

    def _node(self, node: yaml.Node, depth: int) -> tuple[object, int]:
        key = id(node)
        if key in self._building:
            raise DocumentError(
                ProblemCode.YAML_ALIAS_LIMIT,
                "recursive alias: a node contains itself",
                node.start_mark,
            )
        seen = self._built.get(key)
        if seen is not None:
            self._count_alias(node, seen[1])
            return seen
        if depth > self._limits.max_depth:
            raise DocumentError(
                ProblemCode.YAML_TOO_DEEP,
                f"nesting deeper than {self._limits.max_depth} levels",
                node.start_mark,
            )
        self._building.add(key)
        if isinstance(node, yaml.MappingNode):
            built = self._mapping(node, depth)
        elif isinstance(node, yaml.SequenceNode):
            built = self._sequence(node, depth)
        elif isinstance(node, yaml.ScalarNode):
            built = (self._scalar(node), 1)
        else:  # pragma: no cover - libyaml composes only these three
            raise _unsupported(node)
        self._building.discard(key)
        self._built[key] = built
        return built

    def _count_alias(self, node: yaml.Node, size: int) -> None:
        self._aliases += 1
        self._expansion += size
        if self._aliases > self._limits.max_aliases:
            raise DocumentError(
                ProblemCode.YAML_ALIAS_LIMIT,
                f"more than {self._limits.max_aliases} aliases in one document",
                node.start_mark,
            )
        if self._expansion > self._limits.max_alias_expansion:
            raise DocumentError(
                ProblemCode.YAML_ALIAS_LIMIT,
                f"aliases expand to more than {self._limits.max_alias_expansion} nodes"
                " (a YAML bomb?)",
                node.start_mark,
            )

    def _sequence(self, node: yaml.SequenceNode, depth: int) -> tuple[object, int]:
        if node.tag != f"{TAG}seq":
            raise _unsupported(node)
        items: list[object] = []
        size = 1
        for child in node.value:
            data, child_size = self._node(child, depth + 1)
            items.append(data)
            size += child_size
        return items, size

    def _mapping(self, node: yaml.MappingNode, depth: int) -> tuple[object, int]:
        if node.tag != f"{TAG}map":
            raise _unsupported(node)
        own: dict[object, object] = {}
        first_seen: dict[object, yaml.Mark] = {}
        merged: dict[object, object] = {}
        size = 1
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                data, merge_size = self._node(value_node, depth + 1)
                size += merge_size
                _merge_into(merged, data, value_node)
                continue
            key = self._key(key_node)
            if key in first_seen:
                first = first_seen[key]
                self.duplicates.append(
                    (
                        key_node.start_mark,
                        f"duplicate key {key!r} (first at line {first.line + 1},"
                        f" column {first.column + 1})",
                    )
                )
                continue
            first_seen[key] = key_node.start_mark
            data, value_size = self._node(value_node, depth + 1)
            own[key] = data
            size += value_size + 1
        # Explicit keys win over merged ones, as YAML's merge key specifies.
        return ({**merged, **own} if merged else own), size

    def _key(self, node: yaml.Node) -> object:
        if not isinstance(node, yaml.ScalarNode):
            raise DocumentError(
                ProblemCode.YAML_SYNTAX, "a mapping key must be a plain scalar", node.start_mark
            )
        return self._scalar(node)

    def _scalar(self, node: yaml.ScalarNode) -> object:
        tag = node.tag
        if tag == f"{TAG}str" or tag == f"{TAG}timestamp":
            return node.value
        if tag == f"{TAG}null":
            return None
        construct = _TYPED.get(tag)
        if construct is None:
            raise _unsupported(node)
        try:
            return construct(node)
        except (ValueError, LookupError):
            # PyYAML's constructors trust the resolver: text under an explicit tag it does not
            # fit (`!!int many`), or past Python's 4,300-digit limit, raises whatever int() does.
            name = tag.removeprefix(TAG)
            raise DocumentError(
                ProblemCode.YAML_SYNTAX,
                f"{_shown(node.value)} is not a valid {name} (!!{name})",
                node.start_mark,
            ) from None


_TYPED = {
    f"{TAG}bool": _SCALARS.construct_yaml_bool,
    f"{TAG}int": _SCALARS.construct_yaml_int,
    f"{TAG}float": _SCALARS.construct_yaml_float,
}
_SHOWN_CHARS = 40


def _shown(value: str) -> str:
    """A scalar quoted for a message, cut short: a 5,000-digit number is not worth repeating."""
    return repr(value[:_SHOWN_CHARS]) + ("…" if len(value) > _SHOWN_CHARS else "")


def _merge_into(merged: dict[object, object], data: object, node: yaml.Node) -> None:
    sources = data if isinstance(data, list) else [data]
    for source in sources:
        if not isinstance(source, dict):
            raise DocumentError(
                ProblemCode.YAML_SYNTAX,
                "a merge key (<<) takes a mapping or a list of mappings",
                node.start_mark,
            )
        for key, value in source.items():
            merged.setdefault(key, value)


def _unsupported(node: yaml.Node) -> DocumentError:
    return DocumentError(
        ProblemCode.YAML_UNSUPPORTED_TAG,
        f"unsupported YAML tag {node.tag!r}: state documents use plain mappings, lists and scalars",
        node.start_mark,
    )
