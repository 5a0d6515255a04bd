"""Whether two collections hold the very same objects: how incremental work spots "unchanged".

The parse cache hands back the same document object for a file that did not change, and each
later stage (targeting in the snapshot, tenant scopes in the planner, desired releases in the
reconciler) keeps its own work for inputs that are the same objects as last time. Pure; it
compares identity, never content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["same_objects"]


def same_objects(
    old: Sequence[object] | Mapping[str, object], new: Sequence[object] | Mapping[str, object]
) -> bool:
    """Whether `new` holds the very objects `old` holds: in the same order, or by the same keys.

    same_objects([a, b], [a, b]) → True;  same_objects([a, b], [a, copy(b)]) → False
    same_objects({"x": a}, {"x": a}) → True
    """
    if len(old) != len(new):
        return False
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return all(key in old and old[key] is value for key, value in new.items())
    if isinstance(old, Mapping) or isinstance(new, Mapping):
        return False
    return all(a is b for a, b in zip(old, new, strict=True))
