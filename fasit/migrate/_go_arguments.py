"""Go's conversions of a function's arguments to its parameter types, for go_functions.py and
_go_sprig.py: a wrong type is the error text/template gives (GoExecError).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fasit.migrate.go_values import GoExecError, GoStruct, is_true, sprintf, type_name

__all__ = [
    "GoFunction",
    "as_list",
    "as_map",
    "as_maps",
    "as_string",
    "is_empty",
    "strings_of",
    "strval",
]

GoFunction = Callable[[Sequence[object]], object]
"""A Go function: the evaluated arguments in Go's order (a piped value last) → its value."""


def as_string(value: object, function: str) -> str:
    if not isinstance(value, str):
        got = "invalid value" if value is None else f"wrong type for value; got {type_name(value)}"
        raise GoExecError(f"error calling {function}: {got}; expected string")
    return value


def as_map(value: object, function: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise GoExecError(f"error calling {function}: expected a map, got {type_name(value)}")
    return value


def as_list(value: object, function: str) -> list[object]:
    if not isinstance(value, list):
        raise GoExecError(f"error calling {function}: expected a slice, got {type_name(value)}")
    return value


def as_maps(value: object, function: str) -> list[dict[str, object]]:
    items = as_list(value, function)
    if not all(isinstance(item, dict) for item in items):
        raise GoExecError(f"error calling {function}: expected a slice of maps")
    return items  # type: ignore[return-value]


def strval(value: object) -> str:
    """Sprig's strval: a string as it is, anything else as %v prints it."""
    return value if isinstance(value, str) else sprintf("%v", [value])


def is_empty(value: object) -> bool:
    """Sprig's empty: nil, false, 0, and empty strings, maps and lists."""
    return not is_true(value) if not isinstance(value, GoStruct) else False


def strings_of(name: str, operation: Callable[..., object]) -> GoFunction:
    """A function of strings only (strings.ToUpper, …)."""
    return lambda a: operation(*(as_string(x, name) for x in a))
