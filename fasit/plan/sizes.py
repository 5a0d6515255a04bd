"""What a value a template builds costs against the render's output budget, before it is built.

A short template can make a huge value without printing it: `[s] * 60000` holds one string
60,000 times, and `join` would then allocate all of it. So every operation that builds text or
a list has its result's size estimated from its inputs first (an upper bound, computed without
building anything), and is refused past the budget. Text sizes count what printing a value
would write: a list holding one long string many times costs that string many times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fasit.plan.sprig_functions import regex_replacement_size

__all__ = ["BUILDERS", "text_size"]


def text_size(value: Any, limit: int) -> int:
    """Characters printing `value` writes, at least; counting stops just past `limit`.

    Every item counts at least one character, so walking a deeply shared structure stops
    after `limit` items however large it would print."""
    total = 0
    pending = [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, Mapping):
            total += 1 + len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 1 + len(item)
            pending.extend(item)
        elif isinstance(item, bool | int | float) or item is None:
            total += 5
        else:
            total += 1
    return total


def _text(limit: int, value: Any = "", *_: Any, **__: Any) -> int:
    return text_size(value, limit)


def _join(limit: int, value: Any = "", d: Any = "", *_: Any, **__: Any) -> int:
    count = len(value) if isinstance(value, Sequence | Mapping) else 1
    return text_size(value, limit) + text_size(d, limit) * count


def _replace(limit: int, s: Any = "", old: Any = "", new: Any = "", *_: Any, **__: Any) -> int:
    if not isinstance(s, str):
        return text_size(s, limit) * (1 + len(str(new)))
    text, old, new = s, str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    return len(text) + found * max(0, len(new) - len(old))


def _indent(limit: int, s: Any = "", width: Any = 4, *_: Any, **__: Any) -> int:
    text = s if isinstance(s, str) else ""
    step = width if isinstance(width, int) else len(str(width))
    return text_size(s, limit) + (text.count("\n") + 1) * max(0, step)


def _wordwrap(limit: int, s: Any = "", width: Any = 79, *args: Any, **kwargs: Any) -> int:
    size = text_size(s, limit)
    wrap = kwargs.get("wrapstring") or (args[1] if len(args) > 1 else None) or "\n"
    # Two consecutive lines hold at least `width` characters, so lines ≤ 2·size/width + 1.
    lines = 2 * size // max(1, width if isinstance(width, int) else 1) + 1
    return size + lines * len(str(wrap))


def _widened(limit: int, s: Any = "", width: Any = 0, *_: Any, **__: Any) -> int:
    return max(text_size(s, limit), width if isinstance(width, int) else 0)


def _expandtabs(limit: int, s: Any = "", tabsize: Any = 8, *_: Any, **__: Any) -> int:
    text = s if isinstance(s, str) else ""
    return len(text) + text.count("\t") * (tabsize if isinstance(tabsize, int) else 8)


def _format(limit: int, s: Any = "", *args: Any, **kwargs: Any) -> int:
    # Widths are refused over 9999 elsewhere; the values printed are what can be large.
    return text_size(s, limit) + text_size(args, limit) + text_size(kwargs, limit)


_Estimate = Callable[..., int]

# Filters and functions whose text is about as long as the text of what they are given.
_SERIALIZERS = (
    "string",
    "tojson",
    "pprint",
    "urlencode",
    "xmlattr",
    "to_json",
    "to_yaml",
    "b64enc",
    "quote",
    "sha256sum",
    "map_join",
    "trim_prefix",
    "trim_suffix",
    "b32enc",
    "b32dec",
    "sha1sum",
    "toYaml",
)

BUILDERS: Mapping[str, _Estimate] = {
    "join": _join,
    "replace": _replace,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "center": _widened,
    "ljust": _widened,
    "rjust": _widened,
    "zfill": _widened,
    "expandtabs": _expandtabs,
    "format": _format,
    "regex_replace_all": regex_replacement_size,
    **dict.fromkeys(_SERIALIZERS, _text),
}
"""Filter, function or str-method name → an upper bound on the characters its result holds,
given `(limit, subject, *args, **kwargs)`."""
