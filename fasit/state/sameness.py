"""Whether documents are the same as last time, by content key: how incremental work spots
"unchanged".

Each later stage (targeting in the snapshot, tenant scopes and touched pairs in the planner)
keeps its own work for documents whose `Located.key` is the one it saw last time: the same
file, the same content id, the same place in the file. Keys hold across builders, parse
caches and processes, so no stage relies on the parse cache handing back the same objects.
Pure.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

from fasit.state.documents import Located

__all__ = ["changed_documents", "same_documents"]

K = TypeVar("K", bound=Hashable)


def same_documents(
    old: Sequence[Located[Any]] | Mapping[Any, Located[Any]],
    new: Sequence[Located[Any]] | Mapping[Any, Located[Any]],
) -> bool:
    """Whether `new` holds the documents `old` holds: in the same order, or by the same keys.

    same_documents([a, b], [a, b]) → True;  same_documents([a, b], [a, b_edited]) → False
    same_documents({"x": a}, {"x": a_parsed_again}) → True (equal content keys)
    """
    if len(old) != len(new):
        return False
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return not changed_documents(old, new)
    if isinstance(old, Mapping) or isinstance(new, Mapping):
        return False
    return all(a.key == b.key for a, b in zip(old, new, strict=True))


def changed_documents(
    old: Mapping[K, Located[Any] | None], new: Mapping[K, Located[Any] | None]
) -> set[K]:
    """The names under which `old` and `new` hold different documents (or only one holds one).

    changed_documents({"x": a, "y": b}, {"x": a, "z": c}) → {"y", "z"}
    """
    return {name for name in old.keys() | new.keys() if _key(old.get(name)) != _key(new.get(name))}


def _key(document: Located[Any] | None) -> str | None:
    return None if document is None else document.key
