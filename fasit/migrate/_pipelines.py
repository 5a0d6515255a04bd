"""Go pipelines as Jinja expressions, for translate.py: the operands (the dot, fields of nais's
context, variables, constants, parenthesised pipelines), the commands, and the calls, through
_expressions.py's function table, with printf, dict and nais's subdomain built here.

Pure and stateless: a pipeline is read in a Scope (what the dot is, which variables are bound)
that translate.py keeps; nothing here binds a name. What has no translation raises Cannot at
its position. `.Env.name | quote` → `env.name | quote`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from fasit.errors import InvalidInput
from fasit.migrate._expressions import (
    ATOM,
    CONCAT,
    FILTER,
    FUNCTIONS,
    MAP,
    MAPS,
    NONDETERMINISTIC,
    ROOT,
    SCALAR,
    Expr,
    attribute,
    call,
    dict_of,
    filtered,
    literal,
    wrap,
)
from fasit.migrate.gotemplate import (
    Argument,
    Bool,
    Chain,
    Command,
    Dot,
    Field,
    Identifier,
    Nil,
    Number,
    Pipeline,
    Position,
    String,
    Variable,
)

__all__ = ["CONTEXT", "ROOT_DOT", "Binding", "Cannot", "Scope", "translate_pipeline"]

# `.X` at the root of nais's context → fasit's name and shape (`.Tenant.Name` is `tenant.name`).
CONTEXT = {
    "Kind": ("kind", SCALAR),
    "Tenant": ("tenant", MAP),
    "Env": ("env", MAP),
    "Envs": ("envs", MAPS),
    "Management": ("management", MAP),
    "Configs": ("configs", MAP),
    "Fasit": ("fasit", MAP),
}
_TENANT_FIELDS = {"Name": "name"}


class Cannot(InvalidInput):
    """Raised inside one node of a template; collected as an Untranslated, never escapes."""

    def __init__(self, position: Position, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


ROOT_DOT = Expr("", ATOM, ROOT)


@dataclass(frozen=True)
class Binding:
    """A Go variable as translated: its Jinja name, its shape, the loop depth it was made at."""

    name: str
    shape: str
    loop_depth: int


@dataclass(frozen=True)
class Scope:
    """What a pipeline is read in: the dot (root, range item, with value) and the variables."""

    dot: Expr = ROOT_DOT
    variables: dict[str, Binding] = field(default_factory=dict)
    loop_depth: int = 0


_VERB = re.compile(r"%(.)")


def translate_pipeline(pipeline: Pipeline, scope: Scope) -> Expr:
    """The pipeline's value as one Jinja expression: each command gets the one before piped
    in as its last argument, as Go passes it."""
    value: Expr | None = None
    for command in pipeline.commands:
        value = _command(command, value, scope)
    assert value is not None
    return value


def _command(command: Command, piped: Expr | None, scope: Scope) -> Expr:
    first, *rest = command.arguments
    if isinstance(first, Identifier):
        return _function(first, rest, piped, scope)
    if rest or piped is not None:
        raise Cannot(command.position, "only a function takes arguments or a piped value")
    return _operand(first, scope)


def _function(name: Identifier, rest: list[Argument], piped: Expr | None, scope: Scope) -> Expr:
    if name.name == "subdomain":
        return _subdomain(name, rest, piped, scope)
    arguments = [_operand(argument, scope) for argument in rest]
    arguments += [piped] if piped is not None else []
    if name.name == "printf":
        return _printf(name, rest, arguments)
    if name.name == "dict":
        if len(arguments) % 2:
            raise Cannot(name.position, "dict takes key and value pairs")
        return dict_of(arguments)
    known = FUNCTIONS.get(name.name)
    if name.name in NONDETERMINISTIC:
        raise Cannot(
            name.position,
            f"`{name.name}` {NONDETERMINISTIC[name.name]}, and fasit's templates are"
            " deterministic: put the value in a config value",
        )
    if known is None:
        raise Cannot(
            name.position,
            f"function {name.name!r} has no translation (see docs/migrating-from-nais.md)",
        )
    count, translated = known
    low, high = count if isinstance(count, tuple) else (count, count)
    assert isinstance(low, int)
    if len(arguments) < low or (high is not None and len(arguments) > high):
        wanted = f"{low}" if low == high else f"at least {low}"
        raise Cannot(
            name.position,
            f"{name.name} takes {wanted} arguments, here it gets {len(arguments)}",
        )
    return translated(arguments)


def _subdomain(name: Identifier, rest: list[Argument], piped: Expr | None, scope: Scope) -> Expr:
    """nais's `subdomain . "grafana"`: the first argument is the root context."""
    given = list(rest)
    if len(given) + (piped is not None) != 2:
        raise Cannot(name.position, "subdomain takes the context and a name")
    context = given.pop(0)
    root = isinstance(context, Dot) and scope.dot is ROOT_DOT
    root = root or (isinstance(context, Variable) and context.name == "$" and not context.names)
    if not root:
        raise Cannot(name.position, "subdomain's first argument is not the root context")
    sub = _operand(given[0], scope) if given else piped
    assert sub is not None
    return call("subdomain", [sub], SCALAR)


def _printf(name: Identifier, rest: list[Argument], arguments: list[Expr]) -> Expr:
    if not rest or not isinstance(rest[0], String):
        raise Cannot(name.position, "printf with a format that is not a string constant")
    template, values = rest[0].value, arguments[1:]
    parts: list[Expr] = []
    at = 0
    for match in _VERB.finditer(template):
        if match.start() > at:
            parts.append(literal(template[at : match.start()]))
        at = match.end()
        verb = match.group(1)
        if verb == "%":
            parts.append(literal("%"))
            continue
        if verb not in "svdq" or not values:
            raise Cannot(name.position, f"printf verb %{verb} (only %s, %v, %d and %q translate)")
        value = values.pop(0)
        parts.append(filtered(value, "quote") if verb == "q" else value)
    if at < len(template):
        parts.append(literal(template[at:]))
    if values:
        raise Cannot(name.position, "printf gets more arguments than its format uses")
    if not parts:
        return literal("")
    if len(parts) == 1:
        return filtered(parts[0], "string", shape=SCALAR)
    return Expr(" ~ ".join(wrap(part, FILTER) for part in parts), CONCAT, SCALAR)


def _operand(argument: Argument, scope: Scope) -> Expr:
    if isinstance(argument, Dot):
        if scope.dot is ROOT_DOT:
            raise Cannot(argument.position, "`.` as a whole has no fasit equivalent")
        return scope.dot
    if isinstance(argument, Field):
        return _fields(scope.dot, argument.names, argument.position)
    if isinstance(argument, Variable):
        if argument.name == "$":
            return _fields(ROOT_DOT, argument.names, argument.position)
        known = scope.variables.get(argument.name)
        if known is None:
            raise Cannot(argument.position, f"undefined variable {argument.name}")
        base = Expr(known.name, ATOM, known.shape)
        return _fields(base, argument.names, argument.position)
    if isinstance(argument, Chain):
        inner = translate_pipeline(argument.pipeline, scope)
        return _fields(inner, argument.names, argument.position)
    if isinstance(argument, String | Number | Bool):
        return literal(argument.value)
    if isinstance(argument, Nil):
        return literal(None)
    return _function(argument, [], None, scope)


def _fields(subject: Expr, names: Sequence[str], position: Position) -> Expr:
    if not names:
        if subject is ROOT_DOT:
            raise Cannot(position, "`$` as a whole has no fasit equivalent")
        return subject
    first, *rest = names
    if subject is ROOT_DOT:
        known = CONTEXT.get(first)
        if known is None:
            raise Cannot(position, f"`.{first}` is not in nais/fasit's template context")
        subject = Expr(known[0], ATOM, known[1])
        if first == "Tenant" and rest:
            field_name = _TENANT_FIELDS.get(rest[0])
            if field_name is None:
                raise Cannot(position, f"`.Tenant.{rest[0]}` is not in the context")
            subject, rest = attribute(subject, field_name, SCALAR), rest[1:]
    else:
        subject = attribute(subject, first)
    for name in rest:
        subject = attribute(subject, name)
    return subject
