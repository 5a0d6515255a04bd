"""Dotted value keys: `cluster.name` is helm's `{cluster: {name: …}}`; `\\.` escapes a dot.

A key that is both a leaf and a prefix of another (`a` and `a.b`) cannot nest: helm would get
either a value or a mapping, never both, so it is an error naming both keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from fasit.errors import InvalidInput

__all__ = ["KeyConflict", "nest", "split_key"]


class KeyConflict(InvalidInput, ValueError):
    """Two keys that cannot nest together."""

    def __init__(self, leaf: str, other: str) -> None:
        super().__init__(
            f"value key {leaf!r} is both a value and a prefix of {other!r}; helm cannot get both"
        )
        self.leaf = leaf
        self.other = other


@lru_cache(maxsize=65_536)
def split_key(key: str) -> tuple[str, ...]:
    """The path of a dotted key: `a.b\\.c` → ("a", "b.c")."""
    if "\\" not in key:
        return tuple(key.split("."))
    parts: list[str] = []
    current: list[str] = []
    characters = iter(key)
    for character in characters:
        if character == "\\":
            following = next(characters, "")
            current.append("." if following == "." else character + following)
        elif character == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    return tuple(parts)


# A mapping to build: each (part, the key whose value goes there | the mapping under it).
_Shape = tuple[tuple[str, "str | _Shape"], ...]


def nest(values: Mapping[str, object]) -> dict[str, object]:
    """Flat dotted keys → nested mappings; raises `KeyConflict` for a leaf that is a prefix."""
    return _build(_shape(tuple(values)), values)


def _build(shape: _Shape, values: Mapping[str, object]) -> dict[str, object]:
    return {
        part: values[inner] if type(inner) is str else _build(inner, values)  # type: ignore[arg-type]
        for part, inner in shape
    }


@lru_cache(maxsize=4_096)
def _shape(keys: tuple[str, ...]) -> _Shape:
    """The mappings `keys` nest into, checked once per set of keys (releases share a few)."""
    tree: dict[str, object] = {}
    for key, path in _layout(frozenset(keys)):
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})  # type: ignore[assignment]  # only mappings here
        node[path[-1]] = key
    return _frozen(tree)


def _frozen(tree: Mapping[str, object]) -> _Shape:
    return tuple(
        (part, inner if isinstance(inner, str) else _frozen(inner))  # type: ignore[arg-type]
        for part, inner in tree.items()
    )


@lru_cache(maxsize=4_096)
def _layout(keys: frozenset[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each key with its path, checked once per set of keys."""
    leaves: dict[tuple[str, ...], str] = {}
    prefixes: dict[tuple[str, ...], str] = {}  # path of each mapping → the first key under it
    for key in sorted(keys):  # sorted: the same conflict is named the same way every time
        path = split_key(key)
        for depth in range(1, len(path)):
            prefix = path[:depth]
            if prefix in leaves:
                raise KeyConflict(leaves[prefix], key)
            prefixes.setdefault(prefix, key)
        if path in prefixes:
            raise KeyConflict(key, prefixes[path])
        leaves[path] = key
    return tuple((key, path) for path, key in leaves.items())
