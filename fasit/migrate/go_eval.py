"""Go's text/template executed over gotemplate.py's tree: what nais/fasit would have rendered,
so that fasit migrate can check each translation against it (verify.py) without a Go toolchain.

Pure and bounded. The semantics are text/template's (Go 1.23) for what nais/fasit's templates
use: fields of structs and map keys (a missing key is "no value", printed `<no value>`),
pipelines, variables and `$`, `if`/`else if`/`range` (lists, maps in key order, integers)/
`with`/`else with`, `and`/`or` short-circuiting, trim markers, and go_functions.py's functions.
Example: `{{ range $i, $e := .Envs }}{{ if $i }},{{ end }}{{ $e.name }}{{ end }}` over two
environments writes `dev,prod`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fasit.migrate.go_functions import GO_FUNCTIONS
from fasit.migrate.go_values import (
    GoExecError,
    GoStruct,
    NotEvaluable,
    is_true,
    sorted_keys,
    sprintf,
    type_name,
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
    Identifier,
    If,
    Nil,
    Node,
    Number,
    Pipeline,
    Range,
    String,
    Text,
    Variable,
    With,
    chained,
)

__all__ = ["MAX_OUTPUT", "MAX_STEPS", "execute"]

MAX_STEPS = 100_000
"""Nodes and commands one execution may run: past it, NotEvaluable (a template that loops this
long is no value nais/fasit rendered)."""
MAX_OUTPUT = 1 << 20
"""Characters one execution may write."""

_SPACE = " \t\r\n"
_NO_ARGUMENT = object()  # Go's missingVal: no piped value


def execute(nodes: Sequence[Node], data: object) -> str:
    """What text/template's Execute writes for the parsed template over `data` (the root `.`
    and `$`); raises GoExecError where Execute returns an error, NotEvaluable where this does
    not model what the template uses."""
    try:
        return _Executor(data).run(_trimmed(tuple(nodes), False, False))
    except RecursionError:
        raise NotEvaluable("values nested too deeply to print") from None


# Trim markers ---------------------------------------------------------------------------------
# The lexer of text/template trims the text beside a `{{-` or `-}}`; the parser here keeps the
# markers on the tags, so the text is trimmed once, before executing.


def _opens_trimmed(node: Node) -> bool:
    if isinstance(node, Action | Comment):
        return node.trim.left
    if isinstance(node, If | Range | With):
        return node.trims[0].left
    return False


def _closes_trimmed(node: Node) -> bool:
    if isinstance(node, Action | Comment):
        return node.trim.right
    if isinstance(node, If | With) and (nested := chained(node)) is not None:
        return _closes_trimmed(nested)
    if isinstance(node, If | Range | With):
        return node.trims[-1].right
    return False


def _trimmed(nodes: tuple[Node, ...], after_open: bool, before_close: bool) -> tuple[Node, ...]:
    out: list[Node] = []
    for at, node in enumerate(nodes):
        if isinstance(node, Text):
            text = node.text
            if _closes_trimmed(nodes[at - 1]) if at else after_open:
                text = text.lstrip(_SPACE)
            if _opens_trimmed(nodes[at + 1]) if at + 1 < len(nodes) else before_close:
                text = text.rstrip(_SPACE)
            out.append(Text(text, node.position))
        elif isinstance(node, If | Range | With):
            out.append(_trimmed_control(node))
        else:
            out.append(node)
    return tuple(out)


def _trimmed_control(node: If | Range | With) -> If | Range | With:
    trims = node.trims
    nested = chained(node) if isinstance(node, If | With) else None
    if nested is not None:
        body = _trimmed(node.body, trims[0].right, nested.trims[0].left)
        otherwise: tuple[Node, ...] | None = (_trimmed_control(nested),)
    elif node.otherwise is not None:
        body = _trimmed(node.body, trims[0].right, trims[1].left)
        otherwise = _trimmed(node.otherwise, trims[1].right, trims[2].left)
    else:
        body = _trimmed(node.body, trims[0].right, trims[-1].left)
        otherwise = None
    if isinstance(node, If):
        return If(node.pipeline, body, otherwise, node.position, trims, node.is_elif)
    if isinstance(node, Range):
        return Range(node.pipeline, body, otherwise, node.position, trims)
    return With(node.pipeline, body, otherwise, node.position, trims, node.is_else_with)


# Executing ------------------------------------------------------------------------------------


@dataclass
class _Slot:
    name: str
    value: object


class _Executor:
    def __init__(self, data: object) -> None:
        self.variables = [_Slot("$", data)]
        self.out: list[str] = []
        self.size = 0
        self.steps = 0

    def run(self, nodes: tuple[Node, ...]) -> str:
        self.walk(self.variables[0].value, nodes)
        return "".join(self.out)

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise NotEvaluable(f"the template runs past {MAX_STEPS} steps")

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            raise NotEvaluable(f"the template writes more than {MAX_OUTPUT} characters")
        self.out.append(text)

    def walk(self, dot: object, nodes: tuple[Node, ...]) -> None:
        for node in nodes:
            self.step()
            if isinstance(node, Text):
                self.write(node.text)
            elif isinstance(node, Action):
                value = self.pipeline(dot, node.pipeline)
                if not node.pipeline.variables:
                    self.write("<no value>" if value is None else sprintf("%v", [value]))
            elif isinstance(node, If | With):
                self.if_or_with(dot, node)
            elif isinstance(node, Range):
                self.range_(dot, node)

    def if_or_with(self, dot: object, node: If | With) -> None:
        mark = len(self.variables)
        value = self.pipeline(dot, node.pipeline)
        if is_true(value):
            self.walk(value if isinstance(node, With) else dot, node.body)
        elif node.otherwise is not None:
            self.walk(dot, node.otherwise)
        del self.variables[mark:]

    def range_(self, dot: object, node: Range) -> None:
        mark = len(self.variables)
        pipeline = node.pipeline
        value = self.pipeline(dot, pipeline)
        declared = len(pipeline.variables)
        if isinstance(value, list):
            items: list[tuple[object, object]] = list(enumerate(value))
        elif isinstance(value, dict):
            items = [(key, value[key]) for key in sorted_keys(value)]
        elif isinstance(value, int) and not isinstance(value, bool):
            if declared > 1:
                raise GoExecError(f"can't use {value} to iterate over more than one variable")
            if value > MAX_STEPS:
                raise NotEvaluable(f"the template runs past {MAX_STEPS} steps")
            items = [(None, number) for number in range(max(value, 0))]
        elif value is None:
            items = []
        else:
            raise GoExecError(f"range can't iterate over {sprintf('%v', [value])}")
        for index, item in items:
            self.step()
            if pipeline.is_assign:
                self.assign(pipeline.variables[-1 if declared == 2 else 0], item)
                if declared == 2:
                    self.assign(pipeline.variables[0], index)
            elif declared:
                self.variables[-1].value = item
                if declared == 2:
                    self.variables[-2].value = index
            iteration = len(self.variables)
            self.walk(item, node.body)
            del self.variables[iteration:]
        if not items and node.otherwise is not None:
            self.walk(dot, node.otherwise)
        del self.variables[mark:]

    # Pipelines --------------------------------------------------------------------------------

    def pipeline(self, dot: object, pipeline: Pipeline) -> object:
        value: object = _NO_ARGUMENT
        for command in pipeline.commands:
            value = self.command(dot, command, value)
        for name in pipeline.variables:
            if pipeline.is_assign:
                self.assign(name, value)
            else:
                self.variables.append(_Slot(name, value))
        return value

    def assign(self, name: str, value: object) -> None:
        for slot in reversed(self.variables):
            if slot.name == name:
                slot.value = value
                return
        raise GoExecError(f"undefined variable: {name}")

    def variable(self, name: str) -> object:
        for slot in reversed(self.variables):
            if slot.name == name:
                return slot.value
        raise GoExecError(f"undefined variable: {name}")

    def command(self, dot: object, command: Command, final: object) -> object:
        self.step()
        first, *rest = command.arguments
        if isinstance(first, Identifier):
            return self.function(dot, first.name, rest, final)
        if rest or final is not _NO_ARGUMENT:
            raise GoExecError(f"can't give argument to non-function {_shown(first)}")
        if isinstance(first, Nil):
            raise GoExecError("nil is not a command")
        return self.argument(dot, first)

    def function(self, dot: object, name: str, rest: list[Argument], final: object) -> object:
        if name in ("and", "or"):
            return self.logic(dot, name, rest, final)
        function = GO_FUNCTIONS.get(name)
        if function is None:
            raise NotEvaluable(f"the function {name!r}")
        arguments = [self.argument(dot, argument) for argument in rest]
        if final is not _NO_ARGUMENT:
            arguments.append(final)
        return function(arguments)

    def logic(self, dot: object, name: str, rest: list[Argument], final: object) -> object:
        """`and` gives its first false argument, `or` its first true one, else the last; the
        ones after it are not evaluated."""
        thunks: list[object] = [*rest, final] if final is not _NO_ARGUMENT else list(rest)
        if not thunks:
            raise GoExecError(f"wrong number of args for {name}: want at least 1 got 0")
        value: object = None
        for at, thunk in enumerate(thunks):
            is_piped = final is not _NO_ARGUMENT and at == len(thunks) - 1
            value = thunk if is_piped else self.argument(dot, thunk)  # type: ignore[arg-type]
            if is_true(value) == (name == "or"):
                return value
        return value

    def argument(self, dot: object, argument: Argument) -> object:
        if isinstance(argument, Dot):
            return dot
        if isinstance(argument, Field):
            return self.fields(dot, argument.names)
        if isinstance(argument, Variable):
            return self.fields(self.variable(argument.name), argument.names)
        if isinstance(argument, Chain):
            return self.fields(self.pipeline(dot, argument.pipeline), argument.names)
        if isinstance(argument, String | Number | Bool):
            return argument.value
        if isinstance(argument, Nil):
            return None
        return self.function(dot, argument.name, [], _NO_ARGUMENT)

    def fields(self, receiver: object, names: Sequence[str]) -> object:
        """`.a.b` of a value: a struct's field, a map's key (missing: no value); an error on
        anything else, and on a key that holds nil when more names follow."""
        for at, name in enumerate(names):
            if receiver is None:
                return None
            if isinstance(receiver, GoStruct):
                if name not in receiver.fields:
                    raise GoExecError(f"can't evaluate field {name} in type {receiver.name}")
                receiver = receiver.fields[name]
            elif isinstance(receiver, dict):
                if name not in receiver:
                    return None
                receiver = receiver[name]
                if receiver is None and at + 1 < len(names):
                    raise GoExecError(f"nil pointer evaluating interface {{}}.{names[at + 1]}")
            else:
                raise GoExecError(f"can't evaluate field {name} in type {type_name(receiver)}")
        return receiver


def _shown(argument: Argument) -> str:
    if isinstance(argument, Field):
        return "." + ".".join(argument.names)
    if isinstance(argument, Variable):
        return ".".join((argument.name, *argument.names))
    if isinstance(argument, String):
        return repr(argument.value)
    if isinstance(argument, Number | Bool):
        return str(argument.value).lower()
    return "."
