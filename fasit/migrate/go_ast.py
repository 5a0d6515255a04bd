"""The tree of a Go text/template, as gotemplate.py's parser builds it: frozen nodes, each with
its line:column inside the template text.

translate.py reads it; nothing here parses or renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fasit.errors import InvalidInput

__all__ = [
    "Action",
    "Argument",
    "Bool",
    "Chain",
    "Command",
    "Comment",
    "Dot",
    "Field",
    "GoTemplateError",
    "Identifier",
    "If",
    "Nil",
    "Node",
    "Number",
    "Pipeline",
    "Position",
    "Range",
    "String",
    "Text",
    "Trim",
    "Variable",
    "With",
    "chained",
]


class GoTemplateError(InvalidInput):
    """A template that text/template would refuse; the message starts with line:column."""

    def __init__(self, position: Position, message: str) -> None:
        super().__init__(f"{position}: {message}")
        self.position = position
        self.reason = message


@dataclass(frozen=True, order=True)
class Position:
    """1-based line and column inside the template text."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


# Arguments of a command ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dot:
    """`.`: the value the template is looking at (the root, a range item, a with value)."""

    position: Position


@dataclass(frozen=True)
class Field:
    """`.A.B`: fields (or map keys) of the dot."""

    names: tuple[str, ...]
    position: Position


@dataclass(frozen=True)
class Variable:
    """`$x.a.b`, `$` (the root) or `$.a`: a variable and fields of it."""

    name: str
    names: tuple[str, ...]
    position: Position


@dataclass(frozen=True)
class Identifier:
    """A function name: `eq`, `quote`, `mapOf`."""

    name: str
    position: Position


@dataclass(frozen=True)
class String:
    """A string constant, "…" or `…`, unescaped."""

    value: str
    position: Position


@dataclass(frozen=True)
class Number:
    """A number constant (a char constant 'a' is its code point)."""

    value: int | float
    position: Position


@dataclass(frozen=True)
class Bool:
    """`true` or `false`."""

    value: bool
    position: Position


@dataclass(frozen=True)
class Nil:
    """`nil`."""

    position: Position


@dataclass(frozen=True)
class Chain:
    """`(pipeline).A.B`: fields of a parenthesised pipeline's value; no fields: just `(…)`."""

    pipeline: Pipeline
    names: tuple[str, ...]
    position: Position


Argument = Dot | Field | Variable | Identifier | String | Number | Bool | Nil | Chain


@dataclass(frozen=True)
class Command:
    """One stage of a pipeline: a function with its arguments, or a single operand."""

    arguments: tuple[Argument, ...]
    position: Position


@dataclass(frozen=True)
class Pipeline:
    """`$x := a | f b`: commands joined by `|`, each getting the one before as its last argument.

    `variables` are declared (`:=`) or assigned (`=`, `is_assign`) the pipeline's value."""

    commands: tuple[Command, ...]
    position: Position
    variables: tuple[str, ...] = ()
    is_assign: bool = False


# Nodes of a template ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Trim:
    """The trim markers of a tag: `{{-` (left) and `-}}` (right)."""

    left: bool = False
    right: bool = False


@dataclass(frozen=True)
class Text:
    """Text between actions, exactly as written (trim markers are kept on the tags)."""

    text: str
    position: Position


@dataclass(frozen=True)
class Comment:
    """`{{/* … */}}`."""

    text: str
    position: Position
    trim: Trim = field(default_factory=Trim)


@dataclass(frozen=True)
class Action:
    """`{{ pipeline }}`: prints its value, unless it declares or assigns variables."""

    pipeline: Pipeline
    position: Position
    trim: Trim = field(default_factory=Trim)


@dataclass(frozen=True)
class If:
    """`{{if p}}…{{else}}…{{end}}`; `else if` is an If alone in `otherwise`, its `elif_` set.

    `trims` are the tags' markers in order: if, else (when there is one), end."""

    pipeline: Pipeline
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...] | None
    position: Position
    trims: tuple[Trim, ...]
    is_elif: bool = False


@dataclass(frozen=True)
class Range:
    """`{{range $i, $v := p}}…{{else}}…{{end}}`: the variables are in the pipeline."""

    pipeline: Pipeline
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...] | None
    position: Position
    trims: tuple[Trim, ...]


@dataclass(frozen=True)
class With:
    """`{{with p}}…{{else}}…{{end}}`: the body sees the value as dot when it is not empty;
    `else with` (Go 1.23) is a With alone in `otherwise`, its `is_else_with` set."""

    pipeline: Pipeline
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...] | None
    position: Position
    trims: tuple[Trim, ...]
    is_else_with: bool = False


Node = Text | Comment | Action | If | Range | With


def chained(node: If | With) -> If | With | None:
    """The `else if` (of an If) or `else with` (of a With) that shares the node's `{{end}}`."""
    nested = node.otherwise[0] if node.otherwise is not None and len(node.otherwise) == 1 else None
    if isinstance(node, If) and isinstance(nested, If) and nested.is_elif:
        return nested
    if isinstance(node, With) and isinstance(nested, With) and nested.is_else_with:
        return nested
    return None
