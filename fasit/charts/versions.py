"""Which existing versions to name when an assigned chart version does not exist.

Pure: given the asked version and the versions that exist, the nearest few by semver distance
(same major.minor first, then same major, then the rest, each by distance), then the names that
are not semver, alphabetically. The OCI and in-repo backends both say it with `existing_note`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["existing_note", "nearest_versions"]

_SEMVER: Final = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:[+_][0-9A-Za-z.-]+)?")
_NEAREST: Final = 3


def _parse(version: str) -> tuple[int, int, int, str] | None:
    match = _SEMVER.fullmatch(version)
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    return int(major), int(minor), int(patch), pre or ""


def nearest_versions(asked: str, existing: Iterable[str], count: int = _NEAREST) -> list[str]:
    """Up to `count` of `existing` nearest to `asked`, in the order they are listed."""
    names = sorted(set(existing) - {asked})
    target = _parse(asked)
    semver = [(parsed, name) for name in names if (parsed := _parse(name)) is not None]
    others = [name for name in names if _parse(name) is None]
    if target is None:
        ranked = [name for _, name in sorted(semver)]
    else:
        major, minor, patch, _ = target

        def distance(item: tuple[tuple[int, int, int, str], str]) -> tuple[int, ...]:
            (ma, mi, pa, pre), _ = item
            # Same major.minor before same major before any other; nearest first within each.
            tier = 0 if (ma, mi) == (major, minor) else 1 if ma == major else 2
            return (tier, abs(ma - major), abs(mi - minor), abs(pa - patch), pre != "")

        ranked = [name for _, name in sorted(semver, key=lambda item: (distance(item), item))]
    chosen = (ranked + others)[:count]
    # Said in version order, which reads better than distance order.
    chosen_semver = sorted((p, n) for n in chosen if (p := _parse(n)) is not None)
    return [name for _, name in chosen_semver] + [name for name in chosen if _parse(name) is None]


def existing_note(asked: str, existing: Iterable[str], where: str) -> str:
    """' (the registry has 1.3.2, 1.4.1, 1.5.0)', or ' (the registry has no versions)'."""
    nearest = nearest_versions(asked, existing)
    return f" (the {where} has {', '.join(nearest) if nearest else 'no versions'})"
