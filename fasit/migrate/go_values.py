"""Go's values as go_eval.py evaluates them, and what Go's fmt prints for them.

A Go value is modelled by a Python one: `str`, `int`, `float` (float64), `bool`, `None` (nil,
and a missing map key), `dict` (map[string]any), `list` ([]any) and `GoStruct` (the root
of nais/fasit's context and `.Tenant`). Here: text/template's truth and comparisons, and fmt's
`%v %s %d %q %t` (`Sprint`, `Sprintf`) for those values. Pure; go_eval.py and go_functions.py
call it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from fasit.errors import InvalidInput

_Key = TypeVar("_Key")

__all__ = [
    "GoExecError",
    "GoStruct",
    "NotEvaluable",
    "compare",
    "equal",
    "go_float",
    "go_json",
    "go_quote",
    "is_true",
    "json_float",
    "sorted_keys",
    "sprint",
    "sprintf",
    "sprintln",
    "type_name",
]


class GoExecError(InvalidInput):
    """What text/template's Execute would return as an error for this template and data."""


class NotEvaluable(InvalidInput):
    """The evaluator does not model what the template uses (a function, a verb, an input):
    it cannot say what Go gives."""


@dataclass(frozen=True)
class GoStruct:
    """A Go struct: its type name and exported fields (a missing field is an error in Go)."""

    name: str
    fields: Mapping[str, object] = field(default_factory=dict)


def sorted_keys(mapping: Mapping[_Key, object]) -> list[_Key]:
    """A map's keys in the order fmt prints them and range visits them: numbers, then strings,
    each in order (a YAML map may mix them)."""
    if not all(isinstance(key, str | int | float) for key in mapping):
        raise NotEvaluable("a map whose keys are not numbers or strings")
    return sorted(mapping, key=lambda key: (isinstance(key, str), key))


def type_name(value: object) -> str:
    """The Go type fmt names in `%!d(string=x)`."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, GoStruct):
        return value.name
    raise NotEvaluable(f"a value of Python type {type(value).__name__} has no Go type here")


# Truth and comparison (text/template's isTrue, eq, lt) ----------------------------------------


def is_true(value: object) -> bool:
    """text/template's truth: false, 0, "", nil and empty maps and lists are false; a struct
    is true."""
    if value is None:
        return False
    if isinstance(value, GoStruct):
        return True
    if isinstance(value, bool | int | float):
        return bool(value)
    if isinstance(value, str | dict | list):
        return len(value) > 0
    raise NotEvaluable(f"the truth of {type_name(value)}")


def _basic(value: object) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return None


def equal(first: object, other: object) -> bool:
    """`eq first other` (one pair of Go's `eq a b c…`)."""
    kind, other_kind = _basic(first), _basic(other)
    if kind != other_kind:
        if first is not None and other is not None:
            raise GoExecError("error calling eq: incompatible types for comparison")
        return False
    if kind is not None:
        return first == other
    if first is None or other is None:
        return first is other
    if isinstance(first, dict | list) or isinstance(other, dict | list):
        raise GoExecError(
            f"error calling eq: non-comparable types {type_name(first)}, {type_name(other)}"
        )
    return first == other


def compare(first: object, other: object, function: str) -> int:
    """-1, 0 or 1 for `lt`, `le`, `gt`, `ge`: basic values of one kind only."""
    kind, other_kind = _basic(first), _basic(other)
    if kind is None or other_kind is None or kind == "bool" or other_kind == "bool":
        raise GoExecError(f"error calling {function}: invalid type for comparison")
    if kind != other_kind:
        raise GoExecError(f"error calling {function}: incompatible types for comparison")
    ordered: tuple[int | float | str, int | float | str] = (first, other)  # type: ignore[assignment]
    return (ordered[0] > ordered[1]) - (ordered[0] < ordered[1])  # type: ignore[operator]


# fmt ---------------------------------------------------------------------------------------------


def _digits(number: float) -> tuple[str, str, int]:
    """The sign, the shortest digits that read back (as Go's shortest formatting finds them)
    and where the decimal point sits after the first of them: 1500.0 → ("", "15", 4)."""
    sign = "-" if math.copysign(1, number) < 0 else ""
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    stripped = all_digits.lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(all_digits) - len(stripped))
    return sign, stripped.rstrip("0") or "0", point


def _plain(sign: str, digits: str, point: int) -> str:
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _exponent(sign: str, digits: str, point: int, width: int) -> str:
    exponent = point - 1
    tail = f"{digits[0]}.{digits[1:]}" if len(digits) > 1 else digits[0]
    return f"{sign}{tail}e{'-' if exponent < 0 else '+'}{abs(exponent):0{width}d}"


def _special(number: float) -> str | None:
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if math.isnan(number):
        return "NaN"
    return None


def go_float(number: float) -> str:
    """A float64 as %v prints it (strconv's 'g' at the shortest precision): `7`, `1.5`,
    `123456`, `1e+06`, `0.0001`, `1e-05`."""
    special = _special(number)
    if special is not None:
        return special
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    sign, digits, point = _digits(number)
    if point - 1 < -4 or point - 1 >= 6:
        return _exponent(sign, digits, point, 2)
    return _plain(sign, digits, point)


def json_float(number: float) -> str:
    """A float64 as encoding/json writes it: plain from 1e-6 up to 1e21, else `1e+21`,
    `1e-7`."""
    if _special(number) is not None:
        raise GoExecError(f"json: unsupported value: {go_float(number)}")
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    sign, digits, point = _digits(number)
    if 1e-6 <= abs(number) < 1e21:
        return _plain(sign, digits, point)
    return _exponent(sign, digits, point, 1)


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPES |= {"\v": "\\v", "\\": "\\\\", '"': '\\"'}


def go_quote(text: str) -> str:
    """strconv.Quote: a double-quoted Go string literal (printable characters kept)."""
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def _bad(verb: str, value: object) -> str:
    if value is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(value)}={_format(value, 'v')})"


def _format(value: object, verb: str) -> str:
    """One operand under one verb, as fmt prints it (maps and lists apply it to each item)."""
    if isinstance(value, dict):
        items = " ".join(
            f"{_format(key, verb)}:{_format(value[key], verb)}" for key in sorted_keys(value)
        )
        return f"map[{items}]"
    if isinstance(value, list):
        return "[" + " ".join(_format(item, verb) for item in value) + "]"
    if isinstance(value, GoStruct):
        return "{" + " ".join(_format(item, verb) for item in value.fields.values()) + "}"
    if verb == "v":
        if value is None:
            return "<nil>"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return go_float(value)
        return str(value)
    if verb == "s":
        return value if isinstance(value, str) else _bad(verb, value)
    if verb == "d":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return str(value) if ok else _bad(verb, value)
    if verb == "t":
        return ("true" if value else "false") if isinstance(value, bool) else _bad(verb, value)
    if verb == "q":
        if isinstance(value, str):
            return go_quote(value)
        if isinstance(value, int) and not isinstance(value, bool) and 0x20 <= value < 0x7F:
            return "'\\''" if value == 0x27 else f"'{chr(value)}'"
        if isinstance(value, int) and not isinstance(value, bool):
            raise NotEvaluable("%q of a number outside printable ASCII")
        return _bad(verb, value)
    raise NotEvaluable(f"the printf verb %{verb}")


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?(.)", re.DOTALL)


def sprintf(template: str, arguments: Sequence[object]) -> str:
    """fmt.Sprintf for the verbs %v %s %d %q %t and %%, with a width and the `-` and `0`
    flags; a missing argument prints `%!s(MISSING)`, extra ones `%!(EXTRA type=value)`."""
    out: list[str] = []
    remaining = list(arguments)
    at = 0
    for match in _VERB.finditer(template):
        out.append(template[at : match.start()])
        at = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%" and not flags and width is None:
            out.append("%")
            continue
        if precision is not None or set(flags) - {"-", "0"} or verb not in "vsdqt":
            raise NotEvaluable(f"the printf directive {match.group(0)!r}")
        if not remaining:
            out.append(f"%!{verb}(MISSING)")
            continue
        text = _format(remaining.pop(0), verb)
        size = int(width or 0)
        if len(text) < size:
            pad = size - len(text)
            if "-" in flags:
                text += " " * pad
            elif "0" in flags and verb == "d" and text.lstrip("-").isdigit():
                sign = "-" if text.startswith("-") else ""
                text = sign + "0" * pad + text.lstrip("-")
            else:
                text = " " * pad + text
        out.append(text)
    out.append(template[at:])
    if remaining:
        extra = ", ".join(f"{type_name(item)}={_format(item, 'v')}" for item in remaining)
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def sprint(arguments: Sequence[object]) -> str:
    """fmt.Sprint: a space between two operands when neither is a string."""
    out: list[str] = []
    for number, item in enumerate(arguments):
        if number and not isinstance(item, str) and not isinstance(arguments[number - 1], str):
            out.append(" ")
        out.append(_format(item, "v"))
    return "".join(out)


def sprintln(arguments: Sequence[object]) -> str:
    """fmt.Sprintln: spaces between all operands and a newline at the end."""
    return " ".join(_format(item, "v") for item in arguments) + "\n"


def go_json(value: object) -> str:
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
        keys = sorted_keys(value)
        if not all(isinstance(key, str) for key in keys):
            raise NotEvaluable("JSON of a map whose keys are not all strings")
        return "{" + ",".join(f"{go_json(k)}:{go_json(value[k])}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    raise NotEvaluable(f"JSON of {type_name(value)}")
