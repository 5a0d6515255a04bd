"""Functions computed templates may call, each as a function and as a filter.

`docs/feature-authoring.md` documents every one with an example, and how nais/fasit's Go
template functions map to them. Subjects come first, so the filter form reads left to right:
`{{ envs | each_of("domain") }}` is `{{ each_of(envs, "domain") }}`.

Functions raise `TemplateFunctionError` with a sentence a feature author can act on; the
renderer reports it as a render error naming the value.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import yaml
from jinja2 import pass_context
from jinja2.runtime import Context

from fasit.errors import InvalidInput

__all__ = ["FASIT_FUNCTIONS", "TemplateFunctionError", "text_of"]


class TemplateFunctionError(InvalidInput, ValueError):
    """A template function was called with something it cannot use."""


@pass_context
def subdomain(context: Context, name: str) -> str:
    """`name` under the environment's `domain` value: `grafana` → `grafana.dev.nav.example`."""
    env = context.get("env")
    domain = env.get("domain") if isinstance(env, Mapping) else None
    if not isinstance(domain, str) or not domain:
        raise TemplateFunctionError(
            "subdomain() needs the environment value `domain` (a non-empty string)"
        )
    return f"{name}.{domain}"


def map_of(items: Iterable[Mapping[str, Any]], key: str, value: str) -> dict[str, Any]:
    """A mapping from a list of mappings: `item[key]` → `item[value]` for each item."""
    result: dict[str, Any] = {}
    for number, item in enumerate(_mappings(items, "map_of")):
        result[_field(item, key, "map_of", number)] = _field(item, value, "map_of", number)
    return result


def map_join(mapping: Mapping[str, Any], separator: str = "=") -> list[str]:
    """`["key<sep>value", …]` sorted by key: `{a: 1}` → `["a=1"]`."""
    return [f"{key}{separator}{text_of(mapping[key])}" for key in sorted(_mapping(mapping))]


def environments_as_map(envs: Iterable[Mapping[str, Any]], keys: str | list[str]) -> dict[str, Any]:
    """`{env name: {key: value, …}}` for the listed keys (a list, or a comma-separated string)."""
    wanted = [key.strip() for key in keys.split(",")] if isinstance(keys, str) else list(keys)
    result: dict[str, Any] = {}
    for number, env in enumerate(_mappings(envs, "environments_as_map")):
        name = env.get("name")
        if not isinstance(name, str) or not name:
            raise TemplateFunctionError(f"environments_as_map: item {number} has no `name`")
        result[name] = {key: env.get(key) for key in wanted}
    return result


def prefixed_values(mapping: Mapping[str, Any], prefix: str) -> list[Any]:
    """The values whose key starts with `prefix`, in key order."""
    return [mapping[key] for key in sorted(_mapping(mapping)) if str(key).startswith(prefix)]


def each_of(items: Iterable[Mapping[str, Any]], key: str) -> list[Any]:
    """`item[key]` of every item: `envs | each_of("domain")` → every domain."""
    return [
        _field(item, key, "each_of", number)
        for number, item in enumerate(_mappings(items, "each_of"))
    ]


def where(items: Iterable[Mapping[str, Any]], key: str, value: Any) -> list[Mapping[str, Any]]:
    """The items whose `key` equals `value`."""
    return [item for item in _mappings(items, "where") if item.get(key) == value]


def exclude(items: Iterable[Mapping[str, Any]], key: str, value: Any) -> list[Mapping[str, Any]]:
    """The items whose `key` does not equal `value`."""
    return [item for item in _mappings(items, "exclude") if item.get(key) != value]


def to_json(value: Any) -> str:
    """Compact JSON, keys in the order given."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def from_json(text: str) -> Any:
    """The value a JSON text holds."""
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise TemplateFunctionError(f"from_json: not JSON: {exc}") from None


def to_yaml(value: Any) -> str:
    """Block-style YAML, keys in the order given."""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False)


def b64enc(value: str | None) -> str:
    """Base64 of the UTF-8 bytes of a string; none gives ""."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TemplateFunctionError(f"b64enc takes a string, got {type(value).__name__}")
    return base64.b64encode(value.encode()).decode()


def b64dec(value: str) -> str:
    """The UTF-8 text a base64 string holds."""
    try:
        return base64.b64decode(value, validate=True).decode()
    except (TypeError, ValueError) as exc:
        raise TemplateFunctionError(f"b64dec: not base64 of UTF-8 text: {exc}") from None


def quote(value: Any) -> str:
    """A double-quoted string (JSON escapes), so YAML reads it as a string; none gives `""`."""
    if value is None:
        return '""'
    return json.dumps(value if isinstance(value, str) else text_of(value), ensure_ascii=False)


def sha256sum(value: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of a value's text (a string as it is)."""
    return hashlib.sha256(text_of(value).encode()).hexdigest()


FASIT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    function.__name__: function
    for function in (
        b64dec,
        b64enc,
        each_of,
        environments_as_map,
        exclude,
        from_json,
        map_join,
        map_of,
        prefixed_values,
        quote,
        sha256sum,
        subdomain,
        to_json,
        to_yaml,
        where,
    )
}


def text_of(value: Any) -> str:
    """A value as text: a string as it is, booleans as YAML writes them, none as "", the rest
    as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TemplateFunctionError(f"expected a mapping, got {type(value).__name__}")
    return value


def _mappings(items: Any, function: str) -> list[Mapping[str, Any]]:
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise TemplateFunctionError(f"{function} takes a list of mappings")
    result = list(items)
    for number, item in enumerate(result):
        if not isinstance(item, Mapping):
            raise TemplateFunctionError(f"{function}: item {number} is not a mapping")
    return result


def _field(item: Mapping[str, Any], key: str, function: str, number: int) -> Any:
    if key not in item:
        raise TemplateFunctionError(f"{function}: item {number} has no key {key!r}")
    return item[key]
