"""The functions a nais/fasit Go template calls, with Go's meaning, for go_eval.py: text/template's
own (but `and`/`or`, which go_eval.py short-circuits), nais/fasit's (pkg/feature's FuncMap), and
the Sprig ones fasit migrate translates (_go_sprig.py).

Each takes Go's arguments in Go's order (a piped value last). Where Go's function would fail
the template this raises GoExecError; where its result is not modelled here (Sprig's semver
constraints, a regex Python reads differently) it raises NotEvaluable, never a guess.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

from fasit.migrate._go_arguments import (
    GoFunction,
    as_list,
    as_map,
    as_maps,
    as_string,
    strings_of,
)
from fasit.migrate._go_sprig import SPRIG, to_yaml
from fasit.migrate.go_values import (
    GoExecError,
    GoStruct,
    compare,
    equal,
    go_json,
    is_true,
    sorted_keys,
    sprint,
    sprintf,
    sprintln,
    type_name,
)

__all__ = ["GO_FUNCTIONS"]


def _arity(count: int | tuple[int, int | None], function: GoFunction, name: str) -> GoFunction:
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
            item = item.get(as_string(key, "index"))
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
    return sprintf(as_string(a[0], "printf"), a[1:])


# nais/fasit's ----------------------------------------------------------------------------------


def _from_json(a: Sequence[object]) -> object:
    """nais's fromJSON: a JSON object (numbers are float64, as json.Unmarshal gives them)."""
    try:
        value = json.loads(as_string(a[0], "fromJSON"), parse_int=float)
    except ValueError as exc:
        raise GoExecError(f"error calling fromJSON: {exc}") from None
    if not isinstance(value, dict):
        raise GoExecError("error calling fromJSON: the JSON is not an object")
    return value


def _map_of(a: Sequence[object]) -> dict[str, object]:
    key, value_key, items = a
    result: dict[str, object] = {}
    for item in as_maps(items, "mapOf"):
        if key in item and value_key in item:
            result[as_string(item[key], "mapOf")] = item[value_key]
    return result


def _map_join(a: Sequence[object]) -> list[str]:
    separator, mapping = as_string(a[0], "mapJoin"), as_map(a[1], "mapJoin")
    return [sprintf("%s%s%s", [key, separator, mapping[key]]) for key in sorted_keys(mapping)]


def _environments_as_map(a: Sequence[object]) -> dict[str, object]:
    keys = as_string(a[0], "environmentsAsMap").split(",")
    result: dict[str, object] = {}
    for env in as_maps(a[1], "environmentsAsMap"):
        name = env.get("name")
        if not isinstance(name, str) or not name:
            raise GoExecError("error calling environmentsAsMap: an environment without a name")
        result[name] = {key: value for key, value in env.items() if key in keys}
    return result


def _prefixed_values(a: Sequence[object]) -> list[object]:
    mapping, prefix = a[0], as_string(a[1], "prefixedValues")
    if not isinstance(mapping, dict):
        return [prefix]
    found = [value for key, value in mapping.items() if key.startswith(prefix)]
    return sorted(found, key=lambda value: sprint([value]))


def _each_of(a: Sequence[object]) -> list[object]:
    key = as_string(a[1], "eachOf")
    return [item[key] for item in as_maps(a[0], "eachOf") if key in item]


def _join(a: Sequence[object]) -> str:
    separator = as_string(a[0], "join")
    return separator.join(sprintf("%v", [item]) for item in as_list(a[1], "join"))


def _filter(keep: bool, name: str) -> GoFunction:
    def selected(a: Sequence[object]) -> list[object]:
        key, wanted = as_string(a[0], name), a[1]
        out: list[object] = []
        for item in as_maps(a[2], name):
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
    return base64.b64encode(as_string(a[0], "b64enc").encode()).decode()


def _subdomain(a: Sequence[object]) -> str:
    """nais's subdomain: `<name>.<env>.<tenant>.cloud.nais.io` (no env part in management)."""
    root, name = a[0], as_string(a[1], "subdomain")
    if not isinstance(root, GoStruct):
        raise GoExecError("error calling subdomain: its first argument is not the root context")
    tenant = root.fields["Tenant"]
    assert isinstance(tenant, GoStruct)
    domain = f"{tenant.fields['Name']}.cloud.nais.io"
    if root.fields["Kind"] != "management":
        env = root.fields["Env"]
        env_name = env.get("name") if isinstance(env, dict) else None
        domain = f"{as_string(env_name, 'subdomain')}.{domain}"
    return f"{name}.{domain}"


_TABLE: dict[str, tuple[int | tuple[int, int | None], GoFunction]] = {
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
    "toJSON": (1, lambda a: go_json(a[0])),
    "fromJSON": (1, _from_json),
    "toYAML": (1, to_yaml),
    "join": (2, _join),
    "filter": (3, _filter(True, "filter")),
    "exclude": (3, _filter(False, "exclude")),
    "replace": (3, strings_of("replace", lambda s, old, new: s.replace(old, new))),
    "b64enc": (1, _b64enc),
    **SPRIG,
}

GO_FUNCTIONS: dict[str, GoFunction] = {
    name: _arity(count, function, name) for name, (count, function) in _TABLE.items()
}
"""Go's functions by name: each takes the evaluated arguments in Go's order."""
