"""A Go template (nais/fasit's dialect) translated into fasit's Jinja dialect, over the tree of
gotemplate.py.

Called by feature_file.py for every `computed.template`. Pure: text in, text and what could not
be translated out. Here are the nodes (text, comments, actions, `if`, `range`, `with`) and the
scope they set: the dot (`range` rebinds it to the item, `with` to its value, `$` is always the
root) and the variables, each with a Jinja name of its own. The pipelines inside the actions
are _pipelines.py's. What has no translation is reported, never guessed.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from fasit.migrate._expressions import (
    ATOM,
    COND,
    FILTER,
    INTEGER,
    LIST,
    MAP,
    MAPS,
    OR,
    SCALAR,
    UNKNOWN,
    Expr,
    tag,
    truth,
    wrap,
)
from fasit.migrate._pipelines import CONTEXT, Binding, Cannot, Scope, translate_pipeline
from fasit.migrate.gotemplate import (
    Action,
    Comment,
    GoTemplateError,
    If,
    Node,
    Number,
    Pipeline,
    Position,
    Range,
    Text,
    Trim,
    With,
    chained,
    parse,
)

__all__ = ["Translation", "Untranslated", "translate"]

# Names a variable must not take: they would hide the context, a function, or be a keyword.
_RESERVED = {name for name, _ in CONTEXT.values()} | {"labels", "loop", "range", "dict"}
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
    text = translator.nodes(nodes, Scope())
    if translator.untranslated:
        return Translation(None, tuple(translator.untranslated))
    return Translation(text)


class _Translator:
    """One template's nodes: what could not be translated, and the Jinja names taken."""

    def __init__(self) -> None:
        self.untranslated: list[Untranslated] = []
        self.used: set[str] = set()

    def nodes(self, nodes: Sequence[Node], scope: Scope) -> str:
        parts: list[str] = []
        for node in nodes:
            try:
                text, scope = self.node(node, scope)
            except Cannot as exc:
                self.untranslated.append(Untranslated(exc.position, exc.reason))
                continue
            parts.append(text)
        return "".join(parts)

    def node(self, node: Node, scope: Scope) -> tuple[str, Scope]:
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

    def action(self, node: Action, scope: Scope) -> tuple[str, Scope]:
        pipeline = node.pipeline
        value = translate_pipeline(pipeline, scope)
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
                raise Cannot(pipeline.position, f"undefined variable {go_name}")
            if known.loop_depth < scope.loop_depth:
                raise Cannot(
                    pipeline.position,
                    f"{go_name} is assigned inside a range but declared outside it; a Jinja loop"
                    " keeps its own copy (write it with namespace() by hand)",
                )
            name = known.name
        else:
            name = self.fresh(go_name[1:] or "value")
        variables = {**scope.variables, go_name: Binding(name, value.shape, scope.loop_depth)}
        return tag(trim, f"set {name} = {value.text}"), replace(scope, variables=variables)

    def if_(self, node: If, scope: Scope) -> str:
        condition = truth(self.condition(node.pipeline, scope))
        head = tag(node.trims[0], f"{'elif' if node.is_elif else 'if'} {condition.text}")
        text = head + self.nodes(node.body, scope)
        if node.otherwise is not None:
            nested = node.otherwise[0] if len(node.otherwise) == 1 else None
            if isinstance(nested, If) and nested.is_elif:
                return text + self.if_(nested, scope)
            text += tag(node.trims[1], "else") + self.nodes(node.otherwise, scope)
        return text + tag(node.trims[-1], "endif")

    def condition(self, pipeline: Pipeline, scope: Scope) -> Expr:
        """The value an if or with tests (declaring a variable there has no translation)."""
        if pipeline.variables:
            raise Cannot(pipeline.position, "a variable declared in an if or with condition")
        return translate_pipeline(pipeline, scope)

    def with_(self, node: With, scope: Scope) -> str:
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

    def with_head(self, node: With, opening: Trim, scope: Scope) -> str:
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

    def range_(self, node: Range, scope: Scope) -> str:
        pipeline = node.pipeline
        subject = translate_pipeline(replace(pipeline, variables=()), scope)
        names = pipeline.variables
        if pipeline.is_assign:
            raise Cannot(pipeline.position, "range assigns to existing variables")
        if subject.shape == INTEGER and len(names) == 2:
            raise Cannot(
                pipeline.position, "range over an integer takes one variable (Go refuses two)"
            )
        if _is_float_constant(pipeline):
            raise Cannot(pipeline.position, "range over a number that is not an integer")
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
            variables[names[-1]] = Binding(value_name, item_shape, depth)
        if index_name is not None:
            variables[names[0]] = Binding(index_name, SCALAR, depth)
        inner = Scope(item, variables, depth)
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


def _is_float_constant(pipeline: Pipeline) -> bool:
    (first, *rest) = pipeline.commands
    (operand, *more) = first.arguments
    return (
        not rest and not more and isinstance(operand, Number) and isinstance(operand.value, float)
    )
