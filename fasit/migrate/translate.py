"""A Go template (nais/fasit's dialect) translated into fasit's Jinja dialect, over the tree of
gotemplate.py.

Called by feature_file.py for every `computed.template`. Pure: text in, text and what could not
be translated out. The dot is tracked through every scope (`range` rebinds it to the item,
`with` to its value, `$` is always the root), and Go's argument order (the piped value comes
LAST) becomes fasit's subject-first calls: `.Envs | mapOf "name" "project"` →
`map_of(envs, "name", "project")`. What has no translation is reported, never guessed.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from fasit.errors import InvalidInput
from fasit.migrate._expressions import (
    ATOM,
    CONCAT,
    COND,
    FILTER,
    FUNCTIONS,
    INTEGER,
    LIST,
    MAP,
    MAPS,
    NONDETERMINISTIC,
    OR,
    ROOT,
    SCALAR,
    UNKNOWN,
    Expr,
    attribute,
    call,
    dict_of,
    filtered,
    literal,
    tag,
    truth,
    wrap,
)
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
    chained,
    parse,
)

__all__ = ["Translation", "Untranslated", "translate"]

# `.X` at the root of nais's context → fasit's name and shape (`.Tenant.Name` is `tenant.name`).
_CONTEXT = {
    "Kind": ("kind", SCALAR),
    "Tenant": ("tenant", MAP),
    "Env": ("env", MAP),
    "Envs": ("envs", MAPS),
    "Management": ("management", MAP),
    "Configs": ("configs", MAP),
    "Fasit": ("fasit", MAP),
}
_TENANT_FIELDS = {"Name": "name"}
# Names a variable must not take: they would hide the context, a function, or be a keyword.
_RESERVED = {name for name, _ in _CONTEXT.values()} | {"labels", "loop", "range", "dict"}
_RESERVED |= {"true", "false", "none", "True", "False", "None", "in", "is", "not", "and", "or"}
_RESERVED |= {"if", "else", "elif", "for", "set", "namespace", "cycler", "joiner", "super"}


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


class _Cannot(InvalidInput):
    """Raised inside one node of a template; collected as an Untranslated, never escapes."""

    def __init__(self, position: Position, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


_ROOT_DOT = Expr("", ATOM, ROOT)


@dataclass(frozen=True)
class _Var:
    name: str
    shape: str
    loop_depth: int


@dataclass(frozen=True)
class _Scope:
    dot: Expr = _ROOT_DOT
    variables: dict[str, _Var] = field(default_factory=dict)
    loop_depth: int = 0


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
        return tag(trim, f"set {name} = {value.text}"), replace(scope, variables=variables)

    def if_(self, node: If, scope: _Scope) -> str:
        condition = truth(self.condition(node.pipeline, scope))
        head = tag(node.trims[0], f"{'elif' if node.is_elif else 'if'} {condition.text}")
        text = head + self.nodes(node.body, scope)
        if node.otherwise is not None:
            nested = node.otherwise[0] if len(node.otherwise) == 1 else None
            if isinstance(nested, If) and nested.is_elif:
                return text + self.if_(nested, scope)
            text += tag(node.trims[1], "else") + self.nodes(node.otherwise, scope)
        return text + tag(node.trims[-1], "endif")

    def condition(self, pipeline: Pipeline, scope: _Scope) -> Expr:
        """The value an if or with tests (declaring a variable there has no translation)."""
        if pipeline.variables:
            raise _Cannot(pipeline.position, "a variable declared in an if or with condition")
        return self.pipeline(pipeline, scope)

    def with_(self, node: With, scope: _Scope) -> str:
        """`{% if %}` with the dot read as the value; an `else with` chain (Go 1.23) nests one
        in the `{% else %}` of the one before, its endifs closing together."""
        links = [node]
        while (nested := chained(links[-1])) is not None:
            assert isinstance(nested, With)
            links.append(nested)
        last = links[-1]
        text = ""
        for number, link in enumerate(links):
            opening = link.trims[0]
            if number:
                text += tag(Trim(opening.left, False), "else")
                opening = Trim(False, opening.right)
            text += self.with_head(link, opening, scope)
        if last.otherwise is not None:
            text += tag(last.trims[1], "else") + self.nodes(last.otherwise, scope)
        end = last.trims[-1]
        if len(links) == 1:
            return text + tag(end, "endif")
        closing = [Trim(end.left, False), *[Trim()] * (len(links) - 2), Trim(False, end.right)]
        return text + "".join(tag(trim, "endif") for trim in closing)

    def with_head(self, node: With, opening: Trim, scope: _Scope) -> str:
        """`{% if value %}` and the body, with a `{% set %}` first when the value is a call."""
        value = self.condition(node.pipeline, scope)
        prefix = ""
        if value.strength < ATOM or "(" in value.text:
            name = self.fresh("value")
            prefix = tag(Trim(opening.left, False), f"set {name} = {value.text}")
            value = Expr(name, ATOM, value.shape)
            head = tag(Trim(False, opening.right), f"if {name}")
        else:
            head = tag(opening, f"if {truth(value).text}")
        return prefix + head + self.nodes(node.body, replace(scope, dot=value))

    def range_(self, node: Range, scope: _Scope) -> str:
        pipeline = node.pipeline
        subject = self.pipeline(replace(pipeline, variables=()), scope)
        names = pipeline.variables
        if pipeline.is_assign:
            raise _Cannot(pipeline.position, "range assigns to existing variables")
        if subject.shape == INTEGER and len(names) == 2:
            raise _Cannot(
                pipeline.position, "range over an integer takes one variable (Go refuses two)"
            )
        if _is_float_constant(pipeline):
            raise _Cannot(pipeline.position, "range over a number that is not an integer")
        index_name = self.fresh(names[0][1:]) if len(names) == 2 else None
        value_name = self.fresh(names[-1][1:] if names else "item")
        extra = ""
        item_shape = MAP if subject.shape == MAPS else UNKNOWN
        sorted_items = f"{wrap(subject, FILTER)} | dictsort(true)"
        is_mapping = f"{wrap(subject, OR)} is mapping"
        if subject.shape == INTEGER:
            # Go 1.22 counts 0…n-1 (none when n < 1), as Jinja's range(n) does.
            head = f"for {value_name} in range({subject.text})"
            item_shape = INTEGER
        elif subject.shape in (LIST, MAPS):
            head = f"for {value_name} in {subject.text}"
            if index_name is not None:
                extra = f"{{% set {index_name} = loop.index0 %}}"
        elif subject.shape == MAP:
            # Go ranges over a map in key order, giving the values (and the keys).
            head = f"for {index_name or '_'}, {value_name} in {sorted_items}"
        elif index_name is None:
            # A list or a map, known only when it renders: ask then, as Go does.
            values = f"{sorted_items} | map(attribute=1) | list"
            head = f"for {value_name} in ({values} if {is_mapping} else {wrap(subject, COND)})"
        else:
            entry = self.fresh("entry")
            head = f"for {entry} in ({sorted_items} if {is_mapping} else {wrap(subject, COND)})"
            extra = (
                f"{{% set {index_name} = {entry}[0] if {is_mapping} else loop.index0 %}}"
                f"{{% set {value_name} = {entry}[1] if {is_mapping} else {entry} %}}"
            )
        variables = dict(scope.variables)
        depth = scope.loop_depth + 1
        item = Expr(value_name, ATOM, item_shape)
        if names:
            variables[names[-1]] = _Var(value_name, item_shape, depth)
        if index_name is not None:
            variables[names[0]] = _Var(index_name, SCALAR, depth)
        inner = _Scope(item, variables, depth)
        text = tag(node.trims[0], head) + extra + self.nodes(node.body, inner)
        if node.otherwise is not None:
            text += tag(node.trims[1], "else") + self.nodes(node.otherwise, scope)
        return text + tag(node.trims[-1], "endfor")

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

    def pipeline(self, pipeline: Pipeline, scope: _Scope) -> Expr:
        value: Expr | None = None
        for command in pipeline.commands:
            value = self.command(command, value, scope)
        assert value is not None
        return value

    def command(self, command: Command, piped: Expr | None, scope: _Scope) -> Expr:
        first, *rest = command.arguments
        if isinstance(first, Identifier):
            return self.function(first, rest, piped, scope)
        if rest or piped is not None:
            raise _Cannot(command.position, "only a function takes arguments or a piped value")
        return self.operand(first, scope)

    def function(
        self, name: Identifier, rest: list[Argument], piped: Expr | None, scope: _Scope
    ) -> Expr:
        if name.name == "subdomain":
            return self.subdomain(name, rest, piped, scope)
        arguments = [self.operand(argument, scope) for argument in rest]
        arguments += [piped] if piped is not None else []
        if name.name == "printf":
            return self.printf(name, rest, arguments)
        if name.name == "dict":
            if len(arguments) % 2:
                raise _Cannot(name.position, "dict takes key and value pairs")
            return dict_of(arguments)
        known = FUNCTIONS.get(name.name)
        if name.name in NONDETERMINISTIC:
            raise _Cannot(
                name.position,
                f"`{name.name}` {NONDETERMINISTIC[name.name]}, and fasit's templates are"
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
        self, name: Identifier, rest: list[Argument], piped: Expr | None, scope: _Scope
    ) -> Expr:
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
        return call("subdomain", [sub], SCALAR)

    def printf(self, name: Identifier, rest: list[Argument], arguments: list[Expr]) -> Expr:
        if not rest or not isinstance(rest[0], String):
            raise _Cannot(name.position, "printf with a format that is not a string constant")
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
                raise _Cannot(
                    name.position, f"printf verb %{verb} (only %s, %v, %d and %q translate)"
                )
            value = values.pop(0)
            parts.append(filtered(value, "quote") if verb == "q" else value)
        if at < len(template):
            parts.append(literal(template[at:]))
        if values:
            raise _Cannot(name.position, "printf gets more arguments than its format uses")
        if not parts:
            return literal("")
        if len(parts) == 1:
            return filtered(parts[0], "string", shape=SCALAR)
        return Expr(" ~ ".join(wrap(part, FILTER) for part in parts), CONCAT, SCALAR)

    def operand(self, argument: Argument, scope: _Scope) -> Expr:
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
            base = Expr(known.name, ATOM, known.shape)
            return self.fields(base, argument.names, argument.position)
        if isinstance(argument, Chain):
            inner = self.pipeline(argument.pipeline, scope)
            return self.fields(inner, argument.names, argument.position)
        if isinstance(argument, String | Number | Bool):
            return literal(argument.value)
        if isinstance(argument, Nil):
            return literal(None)
        return self.function(argument, [], None, scope)

    def fields(self, subject: Expr, names: Sequence[str], position: Position) -> Expr:
        if not names:
            if subject is _ROOT_DOT:
                raise _Cannot(position, "`$` as a whole has no fasit equivalent")
            return subject
        first, *rest = names
        if subject is _ROOT_DOT:
            known = _CONTEXT.get(first)
            if known is None:
                raise _Cannot(position, f"`.{first}` is not in nais/fasit's template context")
            subject = Expr(known[0], ATOM, known[1])
            if first == "Tenant" and rest:
                field_name = _TENANT_FIELDS.get(rest[0])
                if field_name is None:
                    raise _Cannot(position, f"`.Tenant.{rest[0]}` is not in the context")
                subject, rest = attribute(subject, field_name, SCALAR), rest[1:]
        else:
            subject = attribute(subject, first)
        for name in rest:
            subject = attribute(subject, name)
        return subject


def _is_float_constant(pipeline: Pipeline) -> bool:
    (first, *rest) = pipeline.commands
    (operand, *more) = first.arguments
    return (
        not rest and not more and isinstance(operand, Number) and isinstance(operand.value, float)
    )
