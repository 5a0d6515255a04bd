"""A Go template (nais/fasit's dialect) translated into fasit's Jinja dialect, over the tree of
gotemplate.py.

Called by feature_file.py for every `computed.template`. Pure: text in, text and what could not
be translated out. The dot is tracked through every scope (`range` rebinds it to the item,
`with` to its value, `$` is always the root), and Go's argument order (the piped value comes
LAST) becomes fasit's subject-first calls: `.Envs | mapOf "name" "project"` →
`map_of(envs, "name", "project")`. What has no translation is reported, never guessed.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from fasit.migrate.gotemplate import (
    Action,
    Argument,
    Bool,
    Chain,
    Command,
    Comment,
    Dot,
    Field,
    GoTemplateError,
    Identifier,
    If,
    Nil,
    Node,
    Number,
    Pipeline,
    Position,
    Range,
    String,
    Text,
    Trim,
    Variable,
    With,
    parse,
)

__all__ = ["Translation", "Untranslated", "translate"]

# How tightly a Jinja expression binds: an operand weaker than its place needs gets parentheses.
_COND, _OR, _AND, _NOT, _COMPARE, _CONCAT, _FILTER, _ATOM = 1, 2, 3, 4, 5, 6, 8, 9

# What translate knows of a value's shape: enough to pick the right `for` and field syntax.
_ROOT, _MAP, _LIST, _MAPS, _SCALAR, _UNKNOWN = "root", "map", "list", "maps", "scalar", "unknown"

# `.X` at the root of nais's context → fasit's name and shape (`.Tenant.Name` is `tenant.name`).
_CONTEXT = {
    "Kind": ("kind", _SCALAR),
    "Tenant": ("tenant", _MAP),
    "Env": ("env", _MAP),
    "Envs": ("envs", _MAPS),
    "Management": ("management", _MAP),
    "Configs": ("configs", _MAP),
    "Fasit": ("fasit", _MAP),
}
_TENANT_FIELDS = {"Name": "name"}
# Names a variable must not take: they would hide the context, a function, or be a keyword.
_RESERVED = {name for name, _ in _CONTEXT.values()} | {"labels", "loop", "range", "dict"}
_RESERVED |= {"true", "false", "none", "True", "False", "None", "in", "is", "not", "and", "or"}
_RESERVED |= {"if", "else", "elif", "for", "set", "namespace", "cycler", "joiner", "super"}
# `e.items` would be the mapping's method, not its key: such names are read as e["items"].
_METHOD_NAMES = set(dir(dict)) | set(dir(str)) | set(dir(list))


@dataclass(frozen=True)
class Untranslated:
    """Something in a template fasit migrate cannot translate: where (line:column inside the
    template) and why."""

    position: Position
    reason: str

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}"


@dataclass(frozen=True)
class Translation:
    """The Jinja text of a template, or None when anything in it could not be translated
    (`untranslated` then says what, each at its place)."""

    text: str | None
    untranslated: tuple[Untranslated, ...] = ()


def translate(template: str) -> Translation:
    """The template in fasit's dialect. A template with no `{{`, `{%` or `{#` is a constant
    in both dialects and stays as it is.

    >>> translate('{{ .Env.name | quote }}').text
    '{{ env.name | quote }}'
    """
    if not any(tag in template for tag in ("{{", "{%", "{#")):
        return Translation(template)
    try:
        nodes = parse(template)
    except GoTemplateError as exc:
        return Translation(None, (Untranslated(exc.position, f"not a Go template: {exc.reason}"),))
    translator = _Translator()
    text = translator.nodes(nodes, _Scope())
    if translator.untranslated:
        return Translation(None, tuple(translator.untranslated))
    return Translation(text)


class _Cannot(Exception):
    def __init__(self, position: Position, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


@dataclass(frozen=True)
class _Expr:
    text: str
    strength: int
    shape: str = _UNKNOWN
    lookup: bool = False  # a key read (`env.x`, `configs["a"]`): Go gives nil where it is missing


_ROOT_DOT = _Expr("", _ATOM, _ROOT)


@dataclass(frozen=True)
class _Var:
    name: str
    shape: str
    loop_depth: int


@dataclass(frozen=True)
class _Scope:
    dot: _Expr = _ROOT_DOT
    variables: dict[str, _Var] = field(default_factory=dict)
    loop_depth: int = 0


def _wrap(expr: _Expr, strength: int) -> str:
    return expr.text if expr.strength >= strength else f"({expr.text})"


def _truth(expr: _Expr) -> _Expr:
    """The value where Go tests its truth (`if`, `with`, `and`, `or`, `not`): a key that is
    missing is false there, not an error as it is in fasit's strict templates."""
    if not expr.lookup:
        return expr
    return _Expr(f"{expr.text} is defined and {expr.text}", _AND, expr.shape)


def _call(name: str, arguments: Sequence[_Expr], shape: str = _UNKNOWN) -> _Expr:
    return _Expr(f"{name}({', '.join(a.text for a in arguments)})", _ATOM, shape)


def _filter(
    subject: _Expr, name: str, arguments: Sequence[_Expr] = (), shape: str = _UNKNOWN
) -> _Expr:
    given = f"({', '.join(a.text for a in arguments)})" if arguments else ""
    return _Expr(f"{_wrap(subject, _FILTER)} | {name}{given}", _FILTER, shape)


def _binary(left: _Expr, operator: str, right: _Expr, strength: int, operand: int) -> _Expr:
    return _Expr(f"{_wrap(left, operand)} {operator} {_wrap(right, operand)}", strength, _SCALAR)


def _literal(value: object) -> _Expr:
    if value is None:
        return _Expr("none", _ATOM, _SCALAR)
    if isinstance(value, bool):
        return _Expr("true" if value else "false", _ATOM, _SCALAR)
    if isinstance(value, str):
        return _Expr(json.dumps(value, ensure_ascii=False), _ATOM, _SCALAR)
    return _Expr(repr(value), _ATOM, _SCALAR)


def _field(subject: _Expr, name: str, shape: str = _UNKNOWN) -> _Expr:
    base = _wrap(subject, _ATOM)
    if name.isidentifier() and not keyword.iskeyword(name) and name not in _METHOD_NAMES:
        return _Expr(f"{base}.{name}", _ATOM, shape, lookup=True)
    return _Expr(f"{base}[{json.dumps(name)}]", _ATOM, shape, lookup=True)


def _tag(trim: Trim, body: str) -> str:
    return f"{{%{'-' if trim.left else ''} {body} {'-' if trim.right else ''}%}}"


# The functions ---------------------------------------------------------------------------------
# Each gets Go's arguments in Go's order (a piped value is the last) and gives fasit's call.

_Translate = Callable[[list[_Expr]], _Expr]


def _arity(count: int | tuple[int, int | None], function: _Translate) -> tuple[object, _Translate]:
    return count, function


def _subject_last(name: str, shape: str = _UNKNOWN) -> _Translate:
    """Go `f a b x` → `f(x, a, b)`: the subject moves from last to first."""
    return lambda a: _call(name, [a[-1], *a[:-1]], shape)


def _same_order(name: str, shape: str = _UNKNOWN) -> _Translate:
    return lambda a: _call(name, a, shape)


def _as_filter(name: str, shape: str = _UNKNOWN) -> _Translate:
    """Go `f a b x` → `x | f(a, b)`, a Jinja filter whose subject Go gives last."""
    return lambda a: _filter(a[-1], name, a[:-1], shape)


def _compare(operator: str) -> _Translate:
    return lambda a: _binary(a[0], operator, a[1], _COMPARE, _CONCAT)


def _eq(a: list[_Expr]) -> _Expr:
    if len(a) == 2:
        return _binary(a[0], "==", a[1], _COMPARE, _CONCAT)
    choices = _Expr(f"[{', '.join(x.text for x in a[1:])}]", _ATOM, _LIST)
    return _binary(a[0], "in", choices, _COMPARE, _CONCAT)


def _logic(operator: str, strength: int) -> _Translate:
    def joined(a: list[_Expr]) -> _Expr:
        if len(a) == 1:
            return a[0]
        text = f" {operator} ".join(_wrap(_truth(x), strength + 1) for x in a)
        return _Expr(text, strength)

    return joined


def _index(a: list[_Expr]) -> _Expr:
    subject = a[0]
    for key in a[1:]:
        subject = _Expr(f"{_wrap(subject, _ATOM)}[{key.text}]", _ATOM, lookup=True)
    return subject


def _dig(a: list[_Expr]) -> _Expr:
    return _call("dig", [a[-1], *a[:-1]])


def _ternary(a: list[_Expr]) -> _Expr:
    yes, no, condition = a
    return _Expr(
        f"{_wrap(yes, _OR)} if {_wrap(_truth(condition), _OR)} else {_wrap(no, _COND)}",
        _COND,
        _UNKNOWN,
    )


def _method(name: str, shape: str = _UNKNOWN) -> _Translate:
    """Go `f a x` → `x.name(a)`."""
    return lambda a: _Expr(
        f"{_wrap(a[-1], _ATOM)}.{name}({', '.join(x.text for x in a[:-1])})", _ATOM, shape
    )


_FUNCTIONS: dict[str, tuple[object, _Translate]] = {
    # text/template's own
    "eq": _arity((2, None), _eq),
    "ne": _arity(2, _compare("!=")),
    "lt": _arity(2, _compare("<")),
    "le": _arity(2, _compare("<=")),
    "gt": _arity(2, _compare(">")),
    "ge": _arity(2, _compare(">=")),
    "and": _arity((1, None), _logic("and", _AND)),
    "or": _arity((1, None), _logic("or", _OR)),
    "not": _arity(1, lambda a: _Expr(f"not {_wrap(_truth(a[0]), _NOT)}", _NOT, _SCALAR)),
    "len": _arity(1, lambda a: _filter(a[0], "length", shape=_SCALAR)),
    "index": _arity((1, None), _index),
    # nais/fasit's
    "mapOf": _arity(3, _subject_last("map_of", _MAP)),
    "mapJoin": _arity(2, _subject_last("map_join", _LIST)),
    "environmentsAsMap": _arity(2, _subject_last("environments_as_map", _MAP)),
    "prefixedValues": _arity(2, _same_order("prefixed_values", _LIST)),
    "eachOf": _arity(2, _same_order("each_of", _LIST)),
    "filter": _arity(3, _subject_last("where", _MAPS)),
    "exclude": _arity(3, _subject_last("exclude", _MAPS)),
    "toJSON": _arity(1, _same_order("to_json", _SCALAR)),
    "fromJSON": _arity(1, _same_order("from_json")),
    "toYAML": _arity(1, _same_order("to_yaml", _SCALAR)),
    "join": _arity(2, _as_filter("join", _SCALAR)),
    "replace": _arity(3, lambda a: _filter(a[0], "replace", a[1:], _SCALAR)),
    "b64enc": _arity(1, _same_order("b64enc", _SCALAR)),
    "b64dec": _arity(1, _same_order("b64dec", _SCALAR)),
    "quote": _arity(1, lambda a: _filter(a[0], "quote", shape=_SCALAR)),
    # Sprig's, as fasit has them
    "default": _arity(2, lambda a: _filter(a[1], "default", [a[0], _literal(True)])),
    "required": _arity(2, _subject_last("required")),
    "regexReplaceAll": _arity(3, lambda a: _call("regex_replace_all", [a[1], a[0], a[2]], _SCALAR)),
    "trimPrefix": _arity(2, _subject_last("trim_prefix", _SCALAR)),
    "trimSuffix": _arity(2, _subject_last("trim_suffix", _SCALAR)),
    "b32enc": _arity(1, _same_order("b32enc", _SCALAR)),
    "b32dec": _arity(1, _same_order("b32dec", _SCALAR)),
    "sha1sum": _arity(1, _same_order("sha1sum", _SCALAR)),
    "sha256sum": _arity(1, _same_order("sha256sum", _SCALAR)),
    "semverCompare": _arity(2, _subject_last("semver_compare", _SCALAR)),
    "hasKey": _arity(2, _same_order("has_key", _SCALAR)),
    "merge": _arity((2, None), _same_order("merge", _MAP)),
    "pick": _arity((1, None), _same_order("pick", _MAP)),
    "omit": _arity((1, None), _same_order("omit", _MAP)),
    "dig": _arity((2, None), _dig),
    "toYaml": _arity(1, _same_order("to_yaml", _SCALAR)),
    "fromYaml": _arity(1, _same_order("from_yaml")),
    "toJson": _arity(1, _same_order("to_json", _SCALAR)),
    "fromJson": _arity(1, _same_order("from_json")),
    "upper": _arity(1, _as_filter("upper", _SCALAR)),
    "lower": _arity(1, _as_filter("lower", _SCALAR)),
    "trim": _arity(1, _as_filter("trim", _SCALAR)),
    "list": _arity((0, None), lambda a: _Expr(f"[{', '.join(x.text for x in a)}]", _ATOM, _LIST)),
    "contains": _arity(2, lambda a: _binary(a[0], "in", a[1], _COMPARE, _CONCAT)),
    "hasPrefix": _arity(2, _method("startswith", _SCALAR)),
    "hasSuffix": _arity(2, _method("endswith", _SCALAR)),
    "splitList": _arity(2, _method("split", _LIST)),
    "ternary": _arity(3, _ternary),
    "empty": _arity(1, lambda a: _Expr(f"not {_wrap(_truth(a[0]), _NOT)}", _NOT, _SCALAR)),
    "coalesce": _arity((1, None), _logic("or", _OR)),
    "first": _arity(1, _as_filter("first")),
    "last": _arity(1, _as_filter("last")),
    "sortAlpha": _arity(1, _as_filter("sort", _LIST)),
}


# Sprig's functions that read the clock or make randomness: fasit refuses them on purpose.
_NONDETERMINISTIC = {
    "now": "reads the clock",
    "date": "formats the clock's time",
    "dateInZone": "formats the clock's time",
    "uuidv4": "makes a random id",
}
_NONDETERMINISTIC |= dict.fromkeys(
    ("randAlphaNum", "randAlpha", "randNumeric", "randAscii", "randInt", "randBytes", "shuffle"),
    "makes randomness",
)


def _dict(a: list[_Expr]) -> _Expr:
    pairs = [f"{a[i].text}: {a[i + 1].text}" for i in range(0, len(a), 2)]
    return _Expr("{" + ", ".join(pairs) + "}", _ATOM, _MAP)


_VERB = re.compile(r"%(.)")


class _Translator:
    def __init__(self) -> None:
        self.untranslated: list[Untranslated] = []
        self.used: set[str] = set()

    # Nodes -------------------------------------------------------------------------------------

    def nodes(self, nodes: Sequence[Node], scope: _Scope) -> str:
        parts: list[str] = []
        for node in nodes:
            try:
                text, scope = self.node(node, scope)
            except _Cannot as exc:
                self.untranslated.append(Untranslated(exc.position, exc.reason))
                continue
            parts.append(text)
        return "".join(parts)

    def node(self, node: Node, scope: _Scope) -> tuple[str, _Scope]:
        if isinstance(node, Text):
            # Go's text may hold what Jinja reads as a tag; print those two characters instead.
            return re.sub(r"\{([%#])", r'{{ "{\1" }}', node.text), scope
        if isinstance(node, Comment):
            body = node.text.replace("#}", "# }")
            return (
                f"{{#{'-' if node.trim.left else ''}{body}{'-' if node.trim.right else ''}#}}",
                scope,
            )
        if isinstance(node, Action):
            return self.action(node, scope)
        if isinstance(node, If):
            return self.if_(node, scope), scope
        if isinstance(node, Range):
            return self.range_(node, scope), scope
        return self.with_(node, scope), scope

    def action(self, node: Action, scope: _Scope) -> tuple[str, _Scope]:
        pipeline = node.pipeline
        value = self.pipeline(pipeline, scope)
        trim = node.trim
        if not pipeline.variables:
            return (
                f"{{{{{'-' if trim.left else ''} {value.text} {'-' if trim.right else ''}}}}}",
                scope,
            )
        (go_name,) = pipeline.variables
        if pipeline.is_assign:
            known = scope.variables.get(go_name)
            if known is None:
                raise _Cannot(pipeline.position, f"undefined variable {go_name}")
            if known.loop_depth < scope.loop_depth:
                raise _Cannot(
                    pipeline.position,
                    f"{go_name} is assigned inside a range but declared outside it; a Jinja loop"
                    " keeps its own copy (write it with namespace() by hand)",
                )
            name = known.name
        else:
            name = self.fresh(go_name[1:] or "value")
        variables = {**scope.variables, go_name: _Var(name, value.shape, scope.loop_depth)}
        return _tag(trim, f"set {name} = {value.text}"), replace(scope, variables=variables)

    def if_(self, node: If, scope: _Scope) -> str:
        condition, inner = self.declared(node.pipeline, scope)
        head = _tag(node.trims[0], f"{'elif' if node.is_elif else 'if'} {condition.text}")
        text = head + self.nodes(node.body, inner)
        if node.otherwise is not None:
            nested = node.otherwise[0] if len(node.otherwise) == 1 else None
            if isinstance(nested, If) and nested.is_elif:
                return text + self.if_(nested, scope)
            text += _tag(node.trims[1], "else") + self.nodes(node.otherwise, scope)
        return text + _tag(node.trims[-1], "endif")

    def declared(self, pipeline: Pipeline, scope: _Scope) -> tuple[_Expr, _Scope]:
        """The value of an if/with pipeline, and the scope with the variable it declares."""
        value = self.pipeline(pipeline, scope)
        if not pipeline.variables:
            return _truth(value), scope
        raise _Cannot(pipeline.position, "a variable declared in an if or with condition")

    def with_(self, node: With, scope: _Scope) -> str:
        self.declared(node.pipeline, scope)
        value = self.pipeline(node.pipeline, scope)
        prefix = ""
        if value.strength < _ATOM or "(" in value.text:
            name = self.fresh("value")
            prefix = _tag(Trim(node.trims[0].left, False), f"set {name} = {value.text}")
            value = _Expr(name, _ATOM, value.shape)
            head = _tag(Trim(False, node.trims[0].right), f"if {name}")
        else:
            head = _tag(node.trims[0], f"if {_truth(value).text}")
        text = prefix + head + self.nodes(node.body, replace(scope, dot=value))
        if node.otherwise is not None:
            text += _tag(node.trims[1], "else") + self.nodes(node.otherwise, scope)
        return text + _tag(node.trims[-1], "endif")

    def range_(self, node: Range, scope: _Scope) -> str:
        pipeline = node.pipeline
        subject = self.pipeline(replace(pipeline, variables=()), scope)
        names = pipeline.variables
        if pipeline.is_assign:
            raise _Cannot(pipeline.position, "range assigns to existing variables")
        index_name = self.fresh(names[0][1:]) if len(names) == 2 else None
        value_name = self.fresh(names[-1][1:] if names else "item")
        extra = ""
        item_shape = _MAP if subject.shape == _MAPS else _UNKNOWN
        sorted_items = f"{_wrap(subject, _FILTER)} | dictsort(true)"
        is_mapping = f"{_wrap(subject, _OR)} is mapping"
        if subject.shape in (_LIST, _MAPS):
            head = f"for {value_name} in {subject.text}"
            if index_name is not None:
                extra = f"{{% set {index_name} = loop.index0 %}}"
        elif subject.shape == _MAP:
            # Go ranges over a map in key order, giving the values (and the keys).
            head = f"for {index_name or '_'}, {value_name} in {sorted_items}"
        elif index_name is None:
            # A list or a map, known only when it renders: ask then, as Go does.
            values = f"{sorted_items} | map(attribute=1) | list"
            head = f"for {value_name} in ({values} if {is_mapping} else {_wrap(subject, _COND)})"
        else:
            entry = self.fresh("entry")
            head = f"for {entry} in ({sorted_items} if {is_mapping} else {_wrap(subject, _COND)})"
            extra = (
                f"{{% set {index_name} = {entry}[0] if {is_mapping} else loop.index0 %}}"
                f"{{% set {value_name} = {entry}[1] if {is_mapping} else {entry} %}}"
            )
        variables = dict(scope.variables)
        depth = scope.loop_depth + 1
        item = _Expr(value_name, _ATOM, item_shape)
        if names:
            variables[names[-1]] = _Var(value_name, item_shape, depth)
        if index_name is not None:
            variables[names[0]] = _Var(index_name, _SCALAR, depth)
        inner = _Scope(item, variables, depth)
        text = _tag(node.trims[0], head) + extra + self.nodes(node.body, inner)
        if node.otherwise is not None:
            text += _tag(node.trims[1], "else") + self.nodes(node.otherwise, scope)
        return text + _tag(node.trims[-1], "endfor")

    def fresh(self, wanted: str) -> str:
        """A Jinja name for a variable: its Go name where free, never one of the context's."""
        base = wanted if wanted.isidentifier() else "value"
        base = f"{base}_" if base in _RESERVED or keyword.iskeyword(base) else base
        name, number = base, 2
        while name in self.used:
            name, number = f"{base}{number}", number + 1
        self.used.add(name)
        return name

    # Pipelines and operands --------------------------------------------------------------------

    def pipeline(self, pipeline: Pipeline, scope: _Scope) -> _Expr:
        value: _Expr | None = None
        for command in pipeline.commands:
            value = self.command(command, value, scope)
        assert value is not None
        return value

    def command(self, command: Command, piped: _Expr | None, scope: _Scope) -> _Expr:
        first, *rest = command.arguments
        if isinstance(first, Identifier):
            return self.function(first, rest, piped, scope)
        if rest or piped is not None:
            raise _Cannot(command.position, "only a function takes arguments or a piped value")
        return self.operand(first, scope)

    def function(
        self, name: Identifier, rest: list[Argument], piped: _Expr | None, scope: _Scope
    ) -> _Expr:
        if name.name == "subdomain":
            return self.subdomain(name, rest, piped, scope)
        arguments = [self.operand(argument, scope) for argument in rest]
        arguments += [piped] if piped is not None else []
        if name.name == "printf":
            return self.printf(name, rest, arguments)
        if name.name == "dict":
            if len(arguments) % 2:
                raise _Cannot(name.position, "dict takes key and value pairs")
            return _dict(arguments)
        known = _FUNCTIONS.get(name.name)
        if name.name in _NONDETERMINISTIC:
            raise _Cannot(
                name.position,
                f"`{name.name}` {_NONDETERMINISTIC[name.name]}, and fasit's templates are"
                " deterministic: put the value in a config value",
            )
        if known is None:
            raise _Cannot(
                name.position,
                f"function {name.name!r} has no translation (see docs/migrating-from-nais.md)",
            )
        count, translated = known
        low, high = count if isinstance(count, tuple) else (count, count)
        assert isinstance(low, int)
        if len(arguments) < low or (high is not None and len(arguments) > high):
            wanted = f"{low}" if low == high else f"at least {low}"
            raise _Cannot(
                name.position,
                f"{name.name} takes {wanted} arguments, here it gets {len(arguments)}",
            )
        return translated(arguments)

    def subdomain(
        self, name: Identifier, rest: list[Argument], piped: _Expr | None, scope: _Scope
    ) -> _Expr:
        """nais's `subdomain . "grafana"`: the first argument is the root context."""
        given = list(rest)
        if len(given) + (piped is not None) != 2:
            raise _Cannot(name.position, "subdomain takes the context and a name")
        context = given.pop(0)
        root = isinstance(context, Dot) and scope.dot is _ROOT_DOT
        root = root or (isinstance(context, Variable) and context.name == "$" and not context.names)
        if not root:
            raise _Cannot(name.position, "subdomain's first argument is not the root context")
        sub = self.operand(given[0], scope) if given else piped
        assert sub is not None
        return _call("subdomain", [sub], _SCALAR)

    def printf(self, name: Identifier, rest: list[Argument], arguments: list[_Expr]) -> _Expr:
        if not rest or not isinstance(rest[0], String):
            raise _Cannot(name.position, "printf with a format that is not a string constant")
        template, values = rest[0].value, arguments[1:]
        parts: list[_Expr] = []
        at = 0
        for match in _VERB.finditer(template):
            if match.start() > at:
                parts.append(_literal(template[at : match.start()]))
            at = match.end()
            verb = match.group(1)
            if verb == "%":
                parts.append(_literal("%"))
                continue
            if verb not in "svdq" or not values:
                raise _Cannot(
                    name.position, f"printf verb %{verb} (only %s, %v, %d and %q translate)"
                )
            value = values.pop(0)
            parts.append(_filter(value, "quote") if verb == "q" else value)
        if at < len(template):
            parts.append(_literal(template[at:]))
        if values:
            raise _Cannot(name.position, "printf gets more arguments than its format uses")
        if not parts:
            return _literal("")
        if len(parts) == 1:
            return _filter(parts[0], "string", shape=_SCALAR)
        return _Expr(" ~ ".join(_wrap(part, _FILTER) for part in parts), _CONCAT, _SCALAR)

    def operand(self, argument: Argument, scope: _Scope) -> _Expr:
        if isinstance(argument, Dot):
            if scope.dot is _ROOT_DOT:
                raise _Cannot(argument.position, "`.` as a whole has no fasit equivalent")
            return scope.dot
        if isinstance(argument, Field):
            return self.fields(scope.dot, argument.names, argument.position)
        if isinstance(argument, Variable):
            if argument.name == "$":
                return self.fields(_ROOT_DOT, argument.names, argument.position)
            known = scope.variables.get(argument.name)
            if known is None:
                raise _Cannot(argument.position, f"undefined variable {argument.name}")
            base = _Expr(known.name, _ATOM, known.shape)
            return self.fields(base, argument.names, argument.position)
        if isinstance(argument, Chain):
            inner = self.pipeline(argument.pipeline, scope)
            return self.fields(inner, argument.names, argument.position)
        if isinstance(argument, String | Number | Bool):
            return _literal(argument.value)
        if isinstance(argument, Nil):
            return _literal(None)
        return self.function(argument, [], None, scope)

    def fields(self, subject: _Expr, names: Sequence[str], position: Position) -> _Expr:
        if not names:
            if subject is _ROOT_DOT:
                raise _Cannot(position, "`$` as a whole has no fasit equivalent")
            return subject
        first, *rest = names
        if subject is _ROOT_DOT:
            known = _CONTEXT.get(first)
            if known is None:
                raise _Cannot(position, f"`.{first}` is not in nais/fasit's template context")
            subject = _Expr(known[0], _ATOM, known[1])
            if first == "Tenant" and rest:
                field_name = _TENANT_FIELDS.get(rest[0])
                if field_name is None:
                    raise _Cannot(position, f"`.Tenant.{rest[0]}` is not in the context")
                subject, rest = _field(subject, field_name, _SCALAR), rest[1:]
        else:
            subject = _field(subject, first)
        for name in rest:
            subject = _field(subject, name)
        return subject
