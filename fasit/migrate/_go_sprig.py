"""Sprig's functions that fasit migrate translates, with Sprig's meaning, for go_functions.py.

Each takes Go's arguments in Go's order. Where Sprig returns an error text or a value not
modelled here (an undecodable input, semver constraints), NotEvaluable: never a guess.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Sequence

import yaml

from fasit.migrate._go_arguments import (
    GoFunction,
    as_list,
    as_map,
    as_string,
    is_empty,
    strings_of,
    strval,
)
from fasit.migrate.go_values import (
    GoExecError,
    GoStruct,
    NotEvaluable,
    go_json,
    go_quote,
    type_name,
)

__all__ = ["SPRIG", "to_yaml"]


def _plain_yaml(value: object) -> object:
    if isinstance(value, GoStruct):
        raise NotEvaluable("YAML of a struct")
    return value


def to_yaml(a: Sequence[object]) -> str:
    # The text differs from yaml.v2's in quoting and layout; what it holds is the same, and
    # that is what fasit migrate compares (both sides read as YAML).
    return str(yaml.safe_dump(_plain_yaml(a[0]), sort_keys=True, allow_unicode=True))


def _from_yaml(a: Sequence[object]) -> object:
    try:
        return yaml.safe_load(as_string(a[0], "fromYaml"))
    except yaml.YAMLError:
        raise NotEvaluable("fromYaml of text that is no YAML (Sprig gives an error map)") from None


def _sprig_from_json(a: Sequence[object]) -> object:
    try:
        return json.loads(as_string(a[0], "fromJson"), parse_int=float)
    except ValueError:
        raise NotEvaluable("fromJson of text that is no JSON (Sprig gives nil)") from None


def _default(a: Sequence[object]) -> object:
    if len(a) == 1 or is_empty(a[1]):
        return a[0]
    return a[1]


def _required(a: Sequence[object]) -> object:
    message, value = as_string(a[0], "required"), a[1]
    if value is None or value == "":
        raise GoExecError(f"error calling required: {message}")
    return value


def _go_expand(replacement: str, match: re.Match[str]) -> str:
    """regexp's Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`."""

    def group(found: re.Match[str]) -> str:
        if found.group(0) == "$$":
            return "$"
        name = found.group(1) or found.group(2)
        if name is None:
            return found.group(0)
        try:
            value = match.group(int(name) if name.isdigit() else name)
        except IndexError:
            return ""
        return value or ""

    return re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)", group, replacement)


def _regex_replace_all(a: Sequence[object]) -> str:
    pattern, text, replacement = (as_string(x, "regexReplaceAll") for x in a)
    if re.search(r"\(\?P?<|\\[pPzZAQE]|\[\[:", pattern):
        raise NotEvaluable("a regular expression whose RE2 meaning Python's may not share")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise GoExecError(f"error calling regexReplaceAll: {exc}") from None
    return compiled.sub(lambda match: _go_expand(replacement, match), text)


def _b32dec(a: Sequence[object]) -> str:
    try:
        return base64.b32decode(as_string(a[0], "b32dec")).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotEvaluable(
            "b32dec of text that is not base32 (Sprig gives the error text)"
        ) from None


def _b64dec(a: Sequence[object]) -> str:
    try:
        return base64.b64decode(as_string(a[0], "b64dec"), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotEvaluable(
            "b64dec of text that is not base64 (Sprig gives the error text)"
        ) from None


def _hash(algorithm: str) -> GoFunction:
    return lambda a: hashlib.new(algorithm, strval(a[0]).encode()).hexdigest()


def _merge(a: Sequence[object]) -> dict[str, object]:
    def into(target: dict[str, object], source: dict[str, object]) -> None:
        for key, value in source.items():
            if isinstance(target.get(key), dict) and isinstance(value, dict):
                nested = dict(target[key])  # type: ignore[call-overload]
                into(nested, value)
                target[key] = nested
            elif key not in target or (is_empty(target[key]) and not is_empty(value)):
                target[key] = value

    result = dict(as_map(a[0], "merge"))
    for source in a[1:]:
        into(result, as_map(source, "merge"))
    return result


def _dig(a: Sequence[object]) -> object:
    *keys, default, mapping = a
    current: object = as_map(mapping, "dig")
    for key in keys:
        if not isinstance(current, dict):
            raise GoExecError("error calling dig: a step of the path is not a map")
        if as_string(key, "dig") not in current:
            return default
        current = current[key]
    return current


def _first_last(at: int, name: str) -> GoFunction:
    def item(a: Sequence[object]) -> object:
        items = a[0]
        if items is None:
            return None
        return as_list(items, name)[at] if items else None

    return item


def _ternary(a: Sequence[object]) -> object:
    yes, no, condition = a
    if not isinstance(condition, bool):
        raise GoExecError(
            "error calling ternary: wrong type for value; expected bool;"
            f" got {type_name(condition)}"
        )
    return yes if condition else no


def _dict(a: Sequence[object]) -> dict[str, object]:
    result: dict[str, object] = {}
    for at in range(0, len(a), 2):
        result[strval(a[at])] = a[at + 1] if at + 1 < len(a) else ""
    return result


def _coalesce(a: Sequence[object]) -> object:
    return next((value for value in a if not is_empty(value)), None)


def _semver(a: Sequence[object]) -> bool:
    raise NotEvaluable("semverCompare (Masterminds' constraint rules are not modelled here)")


SPRIG: dict[str, tuple[int | tuple[int, int | None], GoFunction]] = {
    "b64dec": (1, _b64dec),
    "quote": ((0, None), lambda a: " ".join(go_quote(strval(x)) for x in a if x is not None)),
    "default": ((1, 2), _default),
    "required": (2, _required),
    "regexReplaceAll": (3, _regex_replace_all),
    "trimPrefix": (2, strings_of("trimPrefix", lambda p, s: s.removeprefix(p))),
    "trimSuffix": (2, strings_of("trimSuffix", lambda p, s: s.removesuffix(p))),
    "b32enc": (1, lambda a: base64.b32encode(strval(a[0]).encode()).decode()),
    "b32dec": (1, _b32dec),
    "sha1sum": (1, _hash("sha1")),
    "sha256sum": (1, _hash("sha256")),
    "semverCompare": (2, _semver),
    "hasKey": (2, lambda a: as_string(a[1], "hasKey") in as_map(a[0], "hasKey")),
    "merge": ((1, None), _merge),
    "pick": ((1, None), lambda a: {k: v for k, v in as_map(a[0], "pick").items() if k in a[1:]}),
    "omit": (
        (1, None),
        lambda a: {k: v for k, v in as_map(a[0], "omit").items() if k not in a[1:]},
    ),
    "dig": ((3, None), _dig),
    "toYaml": (1, lambda a: to_yaml(a).removesuffix("\n")),
    "fromYaml": (1, _from_yaml),
    "toJson": (1, lambda a: go_json(a[0])),
    "fromJson": (1, _sprig_from_json),
    "upper": (1, strings_of("upper", str.upper)),
    "lower": (1, strings_of("lower", str.lower)),
    "trim": (1, strings_of("trim", str.strip)),
    "list": ((0, None), list),
    "contains": (2, strings_of("contains", lambda sub, s: sub in s)),
    "hasPrefix": (2, strings_of("hasPrefix", lambda p, s: s.startswith(p))),
    "hasSuffix": (2, strings_of("hasSuffix", lambda p, s: s.endswith(p))),
    "splitList": (2, strings_of("splitList", lambda sep, s: s.split(sep))),
    "ternary": (3, _ternary),
    "empty": (1, lambda a: is_empty(a[0])),
    "coalesce": ((0, None), _coalesce),
    "first": (1, _first_last(0, "first")),
    "last": (1, _first_last(-1, "last")),
    "sortAlpha": (1, lambda a: sorted(strval(x) for x in as_list(a[0], "sortAlpha"))),
    "dict": ((0, None), _dict),
}
"""Sprig's functions by name: (how many arguments, the function)."""
