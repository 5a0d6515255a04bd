"""Jinja expressions as fasit migrate builds them, each with how tightly it binds (so parentheses
go only where Jinja's precedence needs them) and the shape of its value where it is known; and
Go's functions (text/template's, Sprig's, nais/fasit's) as fasit's calls, subject first.

Only translate.py uses it. `FUNCTIONS` takes Go's arguments in Go's order (a piped value is
the last): `mapOf "name" "project" envs` → `map_of(envs, "name", "project")`.
"""

from __future__ import annotations

import json
import keyword
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fasit.migrate.go_ast import Trim

__all__ = [
    "AND",
    "ATOM",
    "COMPARE",
    "CONCAT",
    "COND",
    "FILTER",
    "FUNCTIONS",
    "INTEGER",
    "LIST",
    "MAP",
    "MAPS",
    "METHOD_NAMES",
    "NONDETERMINISTIC",
    "NOT",
    "OR",
    "ROOT",
    "SCALAR",
    "UNKNOWN",
    "Expr",
    "attribute",
    "binary",
    "call",
    "dict_of",
    "filtered",
    "literal",
    "tag",
    "truth",
    "wrap",
]

# How tightly a Jinja expression binds: an operand weaker than its place needs gets parentheses.
COND, OR, AND, NOT, COMPARE, CONCAT, FILTER, ATOM = 1, 2, 3, 4, 5, 6, 8, 9

# What translate knows of a value's shape: enough to pick the right `for` and field syntax.
ROOT, MAP, LIST, MAPS, SCALAR, UNKNOWN = "root", "map", "list", "maps", "scalar", "unknown"
INTEGER = "integer"  # known to be an int: `range` counts over it (Go 1.22)
# `e.items` would be the mapping's method, not its key: such names are read as e["items"].
METHOD_NAMES = set(dir(dict)) | set(dir(str)) | set(dir(list))


@dataclass(frozen=True)
class Expr:
    """Jinja text, how tightly it binds, and its value's shape where translate can tell."""

    text: str
    strength: int
    shape: str = UNKNOWN
    lookup: bool = False  # a key read (`env.x`, `configs["a"]`): Go gives nil where it is missing


def wrap(expr: Expr, strength: int) -> str:
    return expr.text if expr.strength >= strength else f"({expr.text})"


def truth(expr: Expr) -> Expr:
    """The value where Go tests its truth (`if`, `with`, `and`, `or`, `not`): a key that is
    missing is false there, not an error as it is in fasit's strict templates."""
    if not expr.lookup:
        return expr
    return Expr(f"{expr.text} is defined and {expr.text}", AND, expr.shape)


def call(name: str, arguments: Sequence[Expr], shape: str = UNKNOWN) -> Expr:
    return Expr(f"{name}({', '.join(a.text for a in arguments)})", ATOM, shape)


def filtered(
    subject: Expr, name: str, arguments: Sequence[Expr] = (), shape: str = UNKNOWN
) -> Expr:
    given = f"({', '.join(a.text for a in arguments)})" if arguments else ""
    return Expr(f"{wrap(subject, FILTER)} | {name}{given}", FILTER, shape)


def binary(left: Expr, operator: str, right: Expr, strength: int, operand: int) -> Expr:
    return Expr(f"{wrap(left, operand)} {operator} {wrap(right, operand)}", strength, SCALAR)


def literal(value: object) -> Expr:
    if value is None:
        return Expr("none", ATOM, SCALAR)
    if isinstance(value, bool):
        return Expr("true" if value else "false", ATOM, SCALAR)
    if isinstance(value, str):
        return Expr(json.dumps(value, ensure_ascii=False), ATOM, SCALAR)
    return Expr(repr(value), ATOM, INTEGER if isinstance(value, int) else SCALAR)


def attribute(subject: Expr, name: str, shape: str = UNKNOWN) -> Expr:
    base = wrap(subject, ATOM)
    if name.isidentifier() and not keyword.iskeyword(name) and name not in METHOD_NAMES:
        return Expr(f"{base}.{name}", ATOM, shape, lookup=True)
    return Expr(f"{base}[{json.dumps(name)}]", ATOM, shape, lookup=True)


def tag(trim: Trim, body: str) -> str:
    return f"{{%{'-' if trim.left else ''} {body} {'-' if trim.right else ''}%}}"


# The functions ---------------------------------------------------------------------------------
# Each gets Go's arguments in Go's order (a piped value is the last) and gives fasit's call.

_Translate = Callable[[list[Expr]], Expr]


def _arity(count: int | tuple[int, int | None], function: _Translate) -> tuple[object, _Translate]:
    return count, function


def _subject_last(name: str, shape: str = UNKNOWN) -> _Translate:
    """Go `f a b x` → `f(x, a, b)`: the subject moves from last to first."""
    return lambda a: call(name, [a[-1], *a[:-1]], shape)


def _same_order(name: str, shape: str = UNKNOWN) -> _Translate:
    return lambda a: call(name, a, shape)


def _as_filter(name: str, shape: str = UNKNOWN) -> _Translate:
    """Go `f a b x` → `x | f(a, b)`, a Jinja filter whose subject Go gives last."""
    return lambda a: filtered(a[-1], name, a[:-1], shape)


def _compare(operator: str) -> _Translate:
    return lambda a: binary(a[0], operator, a[1], COMPARE, CONCAT)


def _eq(a: list[Expr]) -> Expr:
    if len(a) == 2:
        return binary(a[0], "==", a[1], COMPARE, CONCAT)
    choices = Expr(f"[{', '.join(x.text for x in a[1:])}]", ATOM, LIST)
    return binary(a[0], "in", choices, COMPARE, CONCAT)


def _logic(operator: str, strength: int) -> _Translate:
    def joined(a: list[Expr]) -> Expr:
        if len(a) == 1:
            return a[0]
        text = f" {operator} ".join(wrap(truth(x), strength + 1) for x in a)
        return Expr(text, strength)

    return joined


def _index(a: list[Expr]) -> Expr:
    subject = a[0]
    for key in a[1:]:
        subject = Expr(f"{wrap(subject, ATOM)}[{key.text}]", ATOM, lookup=True)
    return subject


def _dig(a: list[Expr]) -> Expr:
    return call("dig", [a[-1], *a[:-1]])


def _ternary(a: list[Expr]) -> Expr:
    yes, no, condition = a
    return Expr(
        f"{wrap(yes, OR)} if {wrap(truth(condition), OR)} else {wrap(no, COND)}",
        COND,
        UNKNOWN,
    )


def _method(name: str, shape: str = UNKNOWN) -> _Translate:
    """Go `f a x` → `x.name(a)`."""
    return lambda a: Expr(
        f"{wrap(a[-1], ATOM)}.{name}({', '.join(x.text for x in a[:-1])})", ATOM, shape
    )


FUNCTIONS: dict[str, tuple[object, _Translate]] = {
    # text/template's own
    "eq": _arity((2, None), _eq),
    "ne": _arity(2, _compare("!=")),
    "lt": _arity(2, _compare("<")),
    "le": _arity(2, _compare("<=")),
    "gt": _arity(2, _compare(">")),
    "ge": _arity(2, _compare(">=")),
    "and": _arity((1, None), _logic("and", AND)),
    "or": _arity((1, None), _logic("or", OR)),
    "not": _arity(1, lambda a: Expr(f"not {wrap(truth(a[0]), NOT)}", NOT, SCALAR)),
    "len": _arity(1, lambda a: filtered(a[0], "length", shape=INTEGER)),
    "index": _arity((1, None), _index),
    # nais/fasit's
    "mapOf": _arity(3, _subject_last("map_of", MAP)),
    "mapJoin": _arity(2, _subject_last("map_join", LIST)),
    "environmentsAsMap": _arity(2, _subject_last("environments_as_map", MAP)),
    "prefixedValues": _arity(2, _same_order("prefixed_values", LIST)),
    "eachOf": _arity(2, _same_order("each_of", LIST)),
    "filter": _arity(3, _subject_last("where", MAPS)),
    "exclude": _arity(3, _subject_last("exclude", MAPS)),
    "toJSON": _arity(1, _same_order("to_json", SCALAR)),
    "fromJSON": _arity(1, _same_order("from_json")),
    "toYAML": _arity(1, _same_order("to_yaml", SCALAR)),
    "join": _arity(2, _as_filter("join", SCALAR)),
    "replace": _arity(3, lambda a: filtered(a[0], "replace", a[1:], SCALAR)),
    "b64enc": _arity(1, _same_order("b64enc", SCALAR)),
    "b64dec": _arity(1, _same_order("b64dec", SCALAR)),
    "quote": _arity(1, lambda a: filtered(a[0], "quote", shape=SCALAR)),
    # Sprig's, as fasit has them
    "default": _arity(2, lambda a: filtered(a[1], "default", [a[0], literal(True)])),
    "required": _arity(2, _subject_last("required")),
    "regexReplaceAll": _arity(3, lambda a: call("regex_replace_all", [a[1], a[0], a[2]], SCALAR)),
    "trimPrefix": _arity(2, _subject_last("trim_prefix", SCALAR)),
    "trimSuffix": _arity(2, _subject_last("trim_suffix", SCALAR)),
    "b32enc": _arity(1, _same_order("b32enc", SCALAR)),
    "b32dec": _arity(1, _same_order("b32dec", SCALAR)),
    "sha1sum": _arity(1, _same_order("sha1sum", SCALAR)),
    "sha256sum": _arity(1, _same_order("sha256sum", SCALAR)),
    "semverCompare": _arity(2, _subject_last("semver_compare", SCALAR)),
    "hasKey": _arity(2, _same_order("has_key", SCALAR)),
    "merge": _arity((2, None), _same_order("merge", MAP)),
    "pick": _arity((1, None), _same_order("pick", MAP)),
    "omit": _arity((1, None), _same_order("omit", MAP)),
    "dig": _arity((2, None), _dig),
    "toYaml": _arity(1, _same_order("to_yaml", SCALAR)),
    "fromYaml": _arity(1, _same_order("from_yaml")),
    "toJson": _arity(1, _same_order("to_json", SCALAR)),
    "fromJson": _arity(1, _same_order("from_json")),
    "upper": _arity(1, _as_filter("upper", SCALAR)),
    "lower": _arity(1, _as_filter("lower", SCALAR)),
    "trim": _arity(1, _as_filter("trim", SCALAR)),
    "list": _arity((0, None), lambda a: Expr(f"[{', '.join(x.text for x in a)}]", ATOM, LIST)),
    "contains": _arity(2, lambda a: binary(a[0], "in", a[1], COMPARE, CONCAT)),
    "hasPrefix": _arity(2, _method("startswith", SCALAR)),
    "hasSuffix": _arity(2, _method("endswith", SCALAR)),
    "splitList": _arity(2, _method("split", LIST)),
    "ternary": _arity(3, _ternary),
    "empty": _arity(1, lambda a: Expr(f"not {wrap(truth(a[0]), NOT)}", NOT, SCALAR)),
    "coalesce": _arity((1, None), _logic("or", OR)),
    "first": _arity(1, _as_filter("first")),
    "last": _arity(1, _as_filter("last")),
    "sortAlpha": _arity(1, _as_filter("sort", LIST)),
}


# Sprig's functions that read the clock or make randomness: fasit refuses them on purpose.
NONDETERMINISTIC = {
    "now": "reads the clock",
    "date": "formats the clock's time",
    "dateInZone": "formats the clock's time",
    "uuidv4": "makes a random id",
}
NONDETERMINISTIC |= dict.fromkeys(
    ("randAlphaNum", "randAlpha", "randNumeric", "randAscii", "randInt", "randBytes", "shuffle"),
    "makes randomness",
)


def dict_of(a: list[Expr]) -> Expr:
    pairs = [f"{a[i].text}: {a[i + 1].text}" for i in range(0, len(a), 2)]
    return Expr("{" + ", ".join(pairs) + "}", ATOM, MAP)
