"""The functions a nais/fasit Go template calls, with Go's meaning, for go_eval.py: text/template's
own (but `and`/`or`, which go_eval.py short-circuits), nais/fasit's (pkg/feature's FuncMap) and
the Sprig ones fasit migrate translates.

Each takes Go's arguments in Go's order (a piped value last). Where Go's function would fail
the template this raises GoExecError; where its result is not modelled here (Sprig's semver
constraints, a regex Python reads differently) it raises NotEvaluable, never a guess.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Sequence

import yaml

from fasit.migrate.go_values import (
    GoExecError,
    GoStruct,
    NotEvaluable,
    compare,
    equal,
    go_quote,
    is_true,
    json_float,
    sprint,
    sprintf,
    sprintln,
    type_name,
)

__all__ = ["GO_FUNCTIONS"]

_Function = Callable[[Sequence[object]], object]


def _string(value: object, function: str) -> str:
    if not isinstance(value, str):
        got = "invalid value" if value is None else f"wrong type for value; got {type_name(value)}"
        raise GoExecError(f"error calling {function}: {got}; expected string")
    return value


def _map(value: object, function: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise GoExecError(f"error calling {function}: expected a map, got {type_name(value)}")
    return value


def _list(value: object, function: str) -> list[object]:
    if not isinstance(value, list):
        raise GoExecError(f"error calling {function}: expected a slice, got {type_name(value)}")
    return value


def _maps(value: object, function: str) -> list[dict[str, object]]:
    items = _list(value, function)
    if not all(isinstance(item, dict) for item in items):
        raise GoExecError(f"error calling {function}: expected a slice of maps")
    return items  # type: ignore[return-value]


def _arity(count: int | tuple[int, int | None], function: _Function, name: str) -> _Function:
    low, high = count if isinstance(count, tuple) else (count, count)

    def checked(arguments: Sequence[object]) -> object:
        if len(arguments) < low or (high is not None and len(arguments) > high):
            want = f"{low}" if low == high else f"at least {low}"
            raise GoExecError(f"wrong number of args for {name}: want {want} got {len(arguments)}")
        return function(arguments)

    return checked


# text/template's own ---------------------------------------------------------------------------


def _eq(a: Sequence[object]) -> bool:
    first, *others = a
    return any(equal(first, other) for other in others)


def _index(a: Sequence[object]) -> object:
    item, *keys = a
    for key in keys:
        if item is None:
            raise GoExecError("error calling index: index of untyped nil")
        if isinstance(item, dict):
            item = item.get(_string(key, "index"))
        elif isinstance(item, list | str):
            if not isinstance(key, int) or isinstance(key, bool):
                raise GoExecError(f"error calling index: cannot index slice/array with {key!r}")
            if not 0 <= key < len(item):
                raise GoExecError(f"error calling index: index out of range: {key}")
            item = item[key] if isinstance(item, list) else ord(item.encode()[key : key + 1])
        else:
            raise GoExecError(f"error calling index: can't index item of type {type_name(item)}")
    return item


def _len(a: Sequence[object]) -> int:
    (item,) = a
    if isinstance(item, str):
        return len(item.encode())  # Go counts bytes
    if isinstance(item, dict | list):
        return len(item)
    raise GoExecError(f"error calling len: len of type {type_name(item)}")


def _printf(a: Sequence[object]) -> str:
    return sprintf(_string(a[0], "printf"), a[1:])


# nais/fasit's ----------------------------------------------------------------------------------


def _json(value: object) -> str:
    """encoding/json.Marshal: keys sorted, no spaces, <, > and & escaped."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            text = text.replace(char, escape)
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json(k)}:{_json(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json(item) for item in value) + "]"
    raise NotEvaluable(f"JSON of {type_name(value)}")


def _from_json(a: Sequence[object]) -> object:
    """nais's fromJSON: a JSON object (numbers are float64, as json.Unmarshal gives them)."""
    try:
        value = json.loads(_string(a[0], "fromJSON"), parse_int=float)
    except ValueError as exc:
        raise GoExecError(f"error calling fromJSON: {exc}") from None
    if not isinstance(value, dict):
        raise GoExecError("error calling fromJSON: the JSON is not an object")
    return value


def _sprig_from_json(a: Sequence[object]) -> object:
    try:
        return json.loads(_string(a[0], "fromJson"), parse_int=float)
    except ValueError:
        raise NotEvaluable("fromJson of text that is no JSON (Sprig gives nil)") from None


def _plain_yaml(value: object) -> object:
    if isinstance(value, GoStruct):
        raise NotEvaluable("YAML of a struct")
    return value


def _to_yaml(a: Sequence[object]) -> str:
    # The text differs from yaml.v2's in quoting and layout; what it holds is the same, and
    # that is what fasit migrate compares (both sides read as YAML).
    return str(yaml.safe_dump(_plain_yaml(a[0]), sort_keys=True, allow_unicode=True))


def _from_yaml(a: Sequence[object]) -> object:
    try:
        return yaml.safe_load(_string(a[0], "fromYaml"))
    except yaml.YAMLError:
        raise NotEvaluable("fromYaml of text that is no YAML (Sprig gives an error map)") from None


def _map_of(a: Sequence[object]) -> dict[str, object]:
    key, value_key, items = a
    result: dict[str, object] = {}
    for item in _maps(items, "mapOf"):
        if key in item and value_key in item:
            result[_string(item[key], "mapOf")] = item[value_key]
    return result


def _map_join(a: Sequence[object]) -> list[str]:
    separator, mapping = _string(a[0], "mapJoin"), _map(a[1], "mapJoin")
    return [sprintf("%s%s%s", [key, separator, mapping[key]]) for key in sorted(mapping)]


def _environments_as_map(a: Sequence[object]) -> dict[str, object]:
    keys = _string(a[0], "environmentsAsMap").split(",")
    result: dict[str, object] = {}
    for env in _maps(a[1], "environmentsAsMap"):
        name = env.get("name")
        if not isinstance(name, str) or not name:
            raise GoExecError("error calling environmentsAsMap: an environment without a name")
        result[name] = {key: value for key, value in env.items() if key in keys}
    return result


def _prefixed_values(a: Sequence[object]) -> list[object]:
    mapping, prefix = a[0], _string(a[1], "prefixedValues")
    if not isinstance(mapping, dict):
        return [prefix]
    found = [value for key, value in mapping.items() if key.startswith(prefix)]
    return sorted(found, key=lambda value: sprint([value]))


def _each_of(a: Sequence[object]) -> list[object]:
    key = _string(a[1], "eachOf")
    return [item[key] for item in _maps(a[0], "eachOf") if key in item]


def _join(a: Sequence[object]) -> str:
    separator = _string(a[0], "join")
    return separator.join(sprintf("%v", [item]) for item in _list(a[1], "join"))


def _filter(keep: bool, name: str) -> _Function:
    def selected(a: Sequence[object]) -> list[object]:
        key, wanted = _string(a[0], name), a[1]
        out: list[object] = []
        for item in _maps(a[2], name):
            value = item.get(key)
            same = type(value) is type(wanted) and value == wanted
            if isinstance(value, dict | list) or isinstance(wanted, dict | list):
                raise GoExecError(f"error calling {name}: comparing uncomparable type")
            if same == keep:
                out.append(item)
        return out

    return selected


def _b64enc(a: Sequence[object]) -> str:
    if a[0] is None:
        return ""
    return base64.b64encode(_string(a[0], "b64enc").encode()).decode()


def _subdomain(a: Sequence[object]) -> str:
    """nais's subdomain: `<name>.<env>.<tenant>.cloud.nais.io` (no env part in management)."""
    root, name = a[0], _string(a[1], "subdomain")
    if not isinstance(root, GoStruct):
        raise GoExecError("error calling subdomain: its first argument is not the root context")
    tenant = root.fields["Tenant"]
    assert isinstance(tenant, GoStruct)
    domain = f"{tenant.fields['Name']}.cloud.nais.io"
    if root.fields["Kind"] != "management":
        env = root.fields["Env"]
        env_name = env.get("name") if isinstance(env, dict) else None
        domain = f"{_string(env_name, 'subdomain')}.{domain}"
    return f"{name}.{domain}"


# Sprig's ---------------------------------------------------------------------------------------


def _strval(value: object) -> str:
    return value if isinstance(value, str) else sprintf("%v", [value])


def _empty(value: object) -> bool:
    return not is_true(value) if not isinstance(value, GoStruct) else False


def _default(a: Sequence[object]) -> object:
    if len(a) == 1 or _empty(a[1]):
        return a[0]
    return a[1]


def _required(a: Sequence[object]) -> object:
    message, value = _string(a[0], "required"), a[1]
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
    pattern, text, replacement = (_string(x, "regexReplaceAll") for x in a)
    if re.search(r"\(\?P?<|\\[pPzZAQE]|\[\[:", pattern):
        raise NotEvaluable("a regular expression whose RE2 meaning Python's may not share")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise GoExecError(f"error calling regexReplaceAll: {exc}") from None
    return compiled.sub(lambda match: _go_expand(replacement, match), text)


def _b32dec(a: Sequence[object]) -> str:
    try:
        return base64.b32decode(_string(a[0], "b32dec")).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotEvaluable(
            "b32dec of text that is not base32 (Sprig gives the error text)"
        ) from None


def _b64dec(a: Sequence[object]) -> str:
    try:
        return base64.b64decode(_string(a[0], "b64dec"), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotEvaluable(
            "b64dec of text that is not base64 (Sprig gives the error text)"
        ) from None


def _hash(algorithm: str) -> _Function:
    return lambda a: hashlib.new(algorithm, _strval(a[0]).encode()).hexdigest()


def _merge(a: Sequence[object]) -> dict[str, object]:
    def into(target: dict[str, object], source: dict[str, object]) -> None:
        for key, value in source.items():
            if isinstance(target.get(key), dict) and isinstance(value, dict):
                nested = dict(target[key])  # type: ignore[call-overload]
                into(nested, value)
                target[key] = nested
            elif key not in target or (_empty(target[key]) and not _empty(value)):
                target[key] = value

    result = dict(_map(a[0], "merge"))
    for source in a[1:]:
        into(result, _map(source, "merge"))
    return result


def _dig(a: Sequence[object]) -> object:
    *keys, default, mapping = a
    current: object = _map(mapping, "dig")
    for key in keys:
        if not isinstance(current, dict):
            raise GoExecError("error calling dig: a step of the path is not a map")
        if _string(key, "dig") not in current:
            return default
        current = current[key]
    return current


def _first_last(at: int, name: str) -> _Function:
    def item(a: Sequence[object]) -> object:
        items = a[0]
        if items is None:
            return None
        return _list(items, name)[at] if items else None

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
        result[_strval(a[at])] = a[at + 1] if at + 1 < len(a) else ""
    return result


def _coalesce(a: Sequence[object]) -> object:
    return next((value for value in a if not _empty(value)), None)


def _strings(name: str, operation: Callable[..., object]) -> _Function:
    return lambda a: operation(*(_string(x, name) for x in a))


def _semver(a: Sequence[object]) -> bool:
    raise NotEvaluable("semverCompare (Masterminds' constraint rules are not modelled here)")


_TABLE: dict[str, tuple[int | tuple[int, int | None], _Function]] = {
    "eq": ((2, None), _eq),
    "ne": (2, lambda a: not equal(a[0], a[1])),
    "lt": (2, lambda a: compare(a[0], a[1], "lt") < 0),
    "le": (2, lambda a: compare(a[0], a[1], "le") <= 0),
    "gt": (2, lambda a: compare(a[0], a[1], "gt") > 0),
    "ge": (2, lambda a: compare(a[0], a[1], "ge") >= 0),
    "not": (1, lambda a: not is_true(a[0])),
    "index": ((1, None), _index),
    "len": (1, _len),
    "printf": ((1, None), _printf),
    "print": ((0, None), sprint),
    "println": ((0, None), sprintln),
    "mapOf": (3, _map_of),
    "mapJoin": (2, _map_join),
    "environmentsAsMap": (2, _environments_as_map),
    "prefixedValues": (2, _prefixed_values),
    "subdomain": (2, _subdomain),
    "eachOf": (2, _each_of),
    "toJSON": (1, lambda a: _json(a[0])),
    "fromJSON": (1, _from_json),
    "toYAML": (1, _to_yaml),
    "join": (2, _join),
    "filter": (3, _filter(True, "filter")),
    "exclude": (3, _filter(False, "exclude")),
    "replace": (3, _strings("replace", lambda s, old, new: s.replace(old, new))),
    "b64enc": (1, _b64enc),
    "b64dec": (1, _b64dec),
    "quote": ((0, None), lambda a: " ".join(go_quote(_strval(x)) for x in a if x is not None)),
    "default": ((1, 2), _default),
    "required": (2, _required),
    "regexReplaceAll": (3, _regex_replace_all),
    "trimPrefix": (2, _strings("trimPrefix", lambda p, s: s.removeprefix(p))),
    "trimSuffix": (2, _strings("trimSuffix", lambda p, s: s.removesuffix(p))),
    "b32enc": (1, lambda a: base64.b32encode(_strval(a[0]).encode()).decode()),
    "b32dec": (1, _b32dec),
    "sha1sum": (1, _hash("sha1")),
    "sha256sum": (1, _hash("sha256")),
    "semverCompare": (2, _semver),
    "hasKey": (2, lambda a: _string(a[1], "hasKey") in _map(a[0], "hasKey")),
    "merge": ((1, None), _merge),
    "pick": ((1, None), lambda a: {k: v for k, v in _map(a[0], "pick").items() if k in a[1:]}),
    "omit": ((1, None), lambda a: {k: v for k, v in _map(a[0], "omit").items() if k not in a[1:]}),
    "dig": ((3, None), _dig),
    "toYaml": (1, lambda a: _to_yaml(a).removesuffix("\n")),
    "fromYaml": (1, _from_yaml),
    "toJson": (1, lambda a: _json(a[0])),
    "fromJson": (1, _sprig_from_json),
    "upper": (1, _strings("upper", str.upper)),
    "lower": (1, _strings("lower", str.lower)),
    "trim": (1, _strings("trim", str.strip)),
    "list": ((0, None), list),
    "contains": (2, _strings("contains", lambda sub, s: sub in s)),
    "hasPrefix": (2, _strings("hasPrefix", lambda p, s: s.startswith(p))),
    "hasSuffix": (2, _strings("hasSuffix", lambda p, s: s.endswith(p))),
    "splitList": (2, _strings("splitList", lambda sep, s: s.split(sep))),
    "ternary": (3, _ternary),
    "empty": (1, lambda a: _empty(a[0])),
    "coalesce": ((0, None), _coalesce),
    "first": (1, _first_last(0, "first")),
    "last": (1, _first_last(-1, "last")),
    "sortAlpha": (1, lambda a: sorted(_strval(x) for x in _list(a[0], "sortAlpha"))),
    "dict": ((0, None), _dict),
}

GO_FUNCTIONS: dict[str, _Function] = {
    name: _arity(count, function, name) for name, (count, function) in _TABLE.items()
}
"""Go's functions by name: each takes the evaluated arguments in Go's order."""
