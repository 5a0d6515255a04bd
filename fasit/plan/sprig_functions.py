"""The Sprig functions people reach for when they come from Helm or nais/fasit, in fasit's
style: snake_case, the subject first (so the filter form reads left to right), deterministic.

`regex_replace_all` runs on RE2, which is the syntax of Go's `regexp` (so a Sprig pattern
means the same here) and takes linear time whatever the pattern. Its replacement uses Go's
`$1`, `${1}`, `${name}` and `$$`, as Sprig's `regexReplaceAll` does. `docs/feature-authoring.md`
§4 documents each with an example.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any, Final

import re2  # type: ignore[import-untyped]
from jinja2 import Undefined

from fasit.plan.semver import SemverError, satisfies
from fasit.plan.template_functions import TemplateFunctionError, text_of, to_yaml
from fasit.state import read_yaml

__all__ = ["SPRIG_FUNCTIONS", "regex_replacement_size"]

_MAX_PATTERN: Final = 1_000
_GO_REFERENCE: Final = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")


def required(value: Any, message: str = "a value is required here") -> Any:
    """`value`, unless it is missing, none or the empty string: then a render error saying
    `message`."""
    if value is None or value == "" or isinstance(value, Undefined):
        raise TemplateFunctionError(f"required: {message}")
    return value


def regex_replace_all(text: Any, pattern: str, replacement: str) -> str:
    """Every match of `pattern` (RE2/Go syntax) in `text` replaced by `replacement`, whose `$1`,
    `${1}` and `${name}` insert a group (`$$` is a `$`)."""
    return "".join(_replaced(text_of(text), pattern, replacement))


def regex_replacement_size(
    limit: int, text: Any = "", pattern: Any = "", replacement: Any = "", *_: Any, **__: Any
) -> int:
    """The exact length of `regex_replace_all`'s result, computed without building it."""
    if not isinstance(pattern, str) or not isinstance(replacement, str):
        return 0  # the call itself refuses them
    return sum(len(part) for part in _replaced(text_of(text), pattern, replacement))


def _replaced(text: str, pattern: str, replacement: str) -> Iterator[str]:
    """The pieces of the result, in order, without joining them."""
    compiled = _compiled(pattern)
    end = 0
    for match in compiled.finditer(text):
        yield text[end : match.start()]
        for literal, group in _template(replacement):
            yield literal
            if group is not None:
                yield _group(match, group)
        end = match.end()
    yield text[end:]


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    if not isinstance(pattern, str):
        raise TemplateFunctionError("regex_replace_all: the pattern must be a string")
    if len(pattern) > _MAX_PATTERN:
        raise TemplateFunctionError(
            f"regex_replace_all: the pattern is longer than {_MAX_PATTERN} characters"
        )
    try:
        return re2.compile(pattern)
    except re2.error as exc:
        raise TemplateFunctionError(f"regex_replace_all: bad pattern {pattern!r}: {exc}") from None


@lru_cache(maxsize=256)
def _template(replacement: str) -> tuple[tuple[str, str | None], ...]:
    """`replacement` as (literal, group reference or None) pairs, in Go's `Expand` syntax."""
    if not isinstance(replacement, str):
        raise TemplateFunctionError("regex_replace_all: the replacement must be a string")
    pieces: list[tuple[str, str | None]] = []
    end = 0
    for reference in _GO_REFERENCE.finditer(replacement):
        literal = replacement[end : reference.start()]
        group = reference.group(1) or reference.group(2)
        pieces.append((literal + ("$" if group is None else ""), group))
        end = reference.end()
    pieces.append((replacement[end:], None))
    return tuple(pieces)


def _group(match: Any, group: str) -> str:
    # Go expands a group that does not exist, or did not take part, to the empty string.
    try:
        found = match.group(int(group) if group.isdigit() else group)
    except (IndexError, KeyError, ValueError, re2.error):
        return ""
    return found or ""


def trim_prefix(text: Any, prefix: str) -> str:
    """`text` without `prefix` at its start (unchanged when it does not start with it)."""
    return text_of(text).removeprefix(prefix)


def trim_suffix(text: Any, suffix: str) -> str:
    """`text` without `suffix` at its end (unchanged when it does not end with it)."""
    return text_of(text).removesuffix(suffix)


def b32enc(text: Any) -> str:
    """Base32 of the UTF-8 bytes of a value's text."""
    return base64.b32encode(text_of(text).encode()).decode()


def b32dec(text: str) -> str:
    """The UTF-8 text a base32 string holds."""
    try:
        return base64.b32decode(text).decode()
    except (TypeError, ValueError, binascii.Error) as exc:
        raise TemplateFunctionError(f"b32dec: not base32 of UTF-8 text: {exc}") from None


def sha1sum(text: Any) -> str:
    """Hex SHA-1 of the UTF-8 bytes of a value's text (for names, not for security)."""
    return hashlib.sha1(text_of(text).encode(), usedforsecurity=False).hexdigest()


def semver_compare(version: Any, constraint: str) -> bool:
    """Whether `version` meets `constraint` (`^1.2`, `>=1.2 <2`, `~1.4.0`, `1.x || 2.x`)."""
    try:
        return satisfies(text_of(version), constraint)
    except SemverError as exc:
        raise TemplateFunctionError(f"semver_compare: {exc}") from None


def has_key(mapping: Any, key: str) -> bool:
    """Whether the mapping has `key`."""
    return key in _mapping(mapping, "has_key")


def merge(mapping: Any, *others: Any) -> dict[str, Any]:
    """A deep merge where the first mapping wins, then each next one fills what is missing
    (Sprig's `merge`); none of them is changed."""
    result = dict(_mapping(mapping, "merge"))
    for number, other in enumerate(others, start=1):
        for key, value in _mapping(other, f"merge (argument {number + 1})").items():
            if key not in result:
                result[key] = value
            elif isinstance(result[key], Mapping) and isinstance(value, Mapping):
                result[key] = merge(result[key], value)
    return result


def pick(mapping: Any, *keys: str) -> dict[str, Any]:
    """The mapping with only the listed keys (those it has)."""
    source = _mapping(mapping, "pick")
    return {key: source[key] for key in keys if key in source}


def omit(mapping: Any, *keys: str) -> dict[str, Any]:
    """The mapping without the listed keys."""
    return {key: value for key, value in _mapping(mapping, "omit").items() if key not in keys}


def dig(mapping: Any, *path_and_default: Any) -> Any:
    """The value under the path of keys, or the default (the last argument) where the path
    breaks off: `dig(env, "db", "host", "localhost")`."""
    if len(path_and_default) < 2:
        raise TemplateFunctionError("dig takes at least one key and a default")
    *path, default = path_and_default
    current: Any = _mapping(mapping, "dig")
    for key in path:
        if not isinstance(current, Mapping) or key not in current:
            return default
        current = current[key]
    return current


def from_yaml(text: str) -> Any:
    """The value one YAML document holds (read with the same limits as state files)."""
    if not isinstance(text, str):
        raise TemplateFunctionError(f"from_yaml takes a string, got {type(text).__name__}")
    result = read_yaml(text, "<from_yaml>")
    if result.problems:
        raise TemplateFunctionError(f"from_yaml: {result.problems[0].message}")
    if len(result.documents) > 1:
        raise TemplateFunctionError("from_yaml: the text holds more than one document")
    return result.documents[0].data if result.documents else None


def _mapping(value: Any, function: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TemplateFunctionError(f"{function} takes a mapping, got {type(value).__name__}")
    return value


SPRIG_FUNCTIONS: dict[str, Callable[..., Any]] = {
    function.__name__: function
    for function in (
        b32dec,
        b32enc,
        dig,
        from_yaml,
        has_key,
        merge,
        omit,
        pick,
        regex_replace_all,
        required,
        semver_compare,
        sha1sum,
        trim_prefix,
        trim_suffix,
    )
}
# Sprig's names for the two whose arguments are the same either way.
SPRIG_FUNCTIONS |= {"toYaml": to_yaml, "fromYaml": from_yaml}
