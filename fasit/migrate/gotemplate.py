"""Go's text/template, parsed: a lexer and a recursive-descent parser for the grammar nais/fasit's
Feature.yaml templates use, giving a tree of frozen nodes.

`fasit migrate` (translate.py) reads the tree; nothing here renders a template. Errors say
line:column inside the template text. Example: `{{ .Env.name | quote }}` parses to
an Action whose Pipeline has two Commands: `Field(("Env", "name"))` and `Identifier("quote")`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto

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
    "Variable",
    "With",
    "parse",
]

_KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break"}
_KEYWORDS |= {"continue"}
_SPACE = " \t\r\n"


class GoTemplateError(ValueError):
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
    """`{{with p}}…{{else}}…{{end}}`: the body sees the value as dot when it is not empty."""

    pipeline: Pipeline
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...] | None
    position: Position
    trims: tuple[Trim, ...]


Node = Text | Comment | Action | If | Range | With


def parse(template: str) -> tuple[Node, ...]:
    """The template's nodes; raises GoTemplateError at the first thing text/template refuses."""
    parser = _Parser(_lex(template))
    nodes, stop = parser.nodes({"EOF"})
    del stop
    return nodes


# The lexer -------------------------------------------------------------------------------------


class _Kind(Enum):
    TEXT = auto()
    LEFT = auto()  # {{ (or {{-)
    RIGHT = auto()  # }} (or -}})
    COMMENT = auto()
    FIELD = auto()
    VARIABLE = auto()
    DOT = auto()
    IDENTIFIER = auto()
    KEYWORD = auto()
    STRING = auto()
    NUMBER = auto()
    BOOL = auto()
    NIL = auto()
    PIPE = auto()
    LPAREN = auto()
    RPAREN = auto()
    DECLARE = auto()
    ASSIGN = auto()
    COMMA = auto()
    SPACE = auto()
    EOF = auto()


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str
    position: Position
    trim: bool = False  # LEFT `{{-`, RIGHT `-}}`
    value: object = None


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.tokens: list[_Token] = []

    def position(self, offset: int) -> Position:
        line = self.text.count("\n", 0, offset) + 1
        return Position(line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1)

    def fail(self, offset: int, message: str) -> GoTemplateError:
        return GoTemplateError(self.position(offset), message)

    def emit(self, kind: _Kind, start: int, end: int, **more: object) -> None:
        self.tokens.append(_Token(kind, self.text[start:end], self.position(start), **more))  # type: ignore[arg-type]

    def run(self) -> list[_Token]:
        text = self.text
        while self.at < len(text):
            start = text.find("{{", self.at)
            if start < 0:
                self.emit(_Kind.TEXT, self.at, len(text))
                break
            if start > self.at:
                self.emit(_Kind.TEXT, self.at, start)
            self.action(start)
        self.emit(_Kind.EOF, len(text), len(text))
        return self.tokens

    def action(self, start: int) -> None:
        text = self.text
        at = start + 2
        trim = text.startswith("-", at) and at + 1 < len(text) and text[at + 1] in _SPACE
        if trim:
            at += 2
        if text.startswith("/*", at):
            self.comment(start, at, trim)
            return
        self.emit(_Kind.LEFT, start, at, trim=trim)
        self.at = at
        self.inside(start)

    def comment(self, start: int, body: int, left: bool) -> None:
        text = self.text
        end = text.find("*/", body + 2)
        if end < 0:
            raise self.fail(start, "unclosed comment")
        after = end + 2
        right = text.startswith(" -}}", after)
        close = after + 4 if right else after + 2
        if not right and not text.startswith("}}", after):
            raise self.fail(start, "comment ends before closing delimiter")
        self.tokens.append(
            _Token(
                _Kind.COMMENT,
                text[body + 2 : end],
                self.position(start),
                value=Trim(left, right),
            )
        )
        self.at = close

    def inside(self, start: int) -> None:
        text = self.text
        depth = 0
        while True:
            at = self.at
            if at >= len(text):
                raise self.fail(start, "unclosed action")
            char = text[at]
            if char in _SPACE:
                end = at
                while end < len(text) and text[end] in _SPACE:
                    end += 1
                if text.startswith("-}}", end) and end > at:
                    if depth:
                        raise self.fail(at, "unclosed left paren")
                    self.emit(_Kind.RIGHT, end, end + 3, trim=True)
                    self.at = end + 3
                    return
                self.emit(_Kind.SPACE, at, end)
                self.at = end
            elif text.startswith("}}", at):
                if depth:
                    raise self.fail(at, "unclosed left paren")
                self.emit(_Kind.RIGHT, at, at + 2)
                self.at = at + 2
                return
            elif char == "|":
                self.single(_Kind.PIPE)
            elif char == "(":
                depth += 1
                self.single(_Kind.LPAREN)
            elif char == ")":
                depth -= 1
                if depth < 0:
                    raise self.fail(at, "unexpected right paren")
                self.single(_Kind.RPAREN)
            elif char == ",":
                self.single(_Kind.COMMA)
            elif text.startswith(":=", at):
                self.emit(_Kind.DECLARE, at, at + 2)
                self.at = at + 2
            elif char == "=":
                self.single(_Kind.ASSIGN)
            elif char == '"':
                self.quoted(at)
            elif char == "`":
                end = text.find("`", at + 1)
                if end < 0:
                    raise self.fail(at, "unterminated raw quoted string")
                self.emit(_Kind.STRING, at, end + 1, value=text[at + 1 : end])
                self.at = end + 1
            elif char == "'":
                self.char_constant(at)
            elif char == "$":
                end = self.word_end(at + 1)
                self.emit(_Kind.VARIABLE, at, end)
                self.at = end
            elif char == ".":
                if at + 1 < len(text) and text[at + 1].isdigit():
                    self.number(at)
                    continue
                end = self.word_end(at + 1)
                self.emit(_Kind.FIELD if end > at + 1 else _Kind.DOT, at, end)
                self.at = end
            elif char.isdigit() or (char in "+-" and at + 1 < len(text) and text[at + 1].isdigit()):
                self.number(at)
            elif char.isalpha() or char == "_":
                end = self.word_end(at)
                word = text[at:end]
                if word in ("true", "false"):
                    self.emit(_Kind.BOOL, at, end, value=word == "true")
                elif word == "nil":
                    self.emit(_Kind.NIL, at, end)
                elif word in _KEYWORDS:
                    self.emit(_Kind.KEYWORD, at, end)
                else:
                    self.emit(_Kind.IDENTIFIER, at, end)
                self.at = end
            else:
                raise self.fail(at, f"unrecognized character in action: {char!r}")

    def single(self, kind: _Kind) -> None:
        self.emit(kind, self.at, self.at + 1)
        self.at += 1

    def word_end(self, at: int) -> int:
        while at < len(self.text) and (self.text[at].isalnum() or self.text[at] == "_"):
            at += 1
        return at

    def quoted(self, start: int) -> None:
        text = self.text
        at = start + 1
        chars: list[str] = []
        while True:
            if at >= len(text) or text[at] == "\n":
                raise self.fail(start, "unterminated quoted string")
            char = text[at]
            if char == '"':
                break
            if char == "\\":
                decoded, at = self.escape(at)
                chars.append(decoded)
                continue
            chars.append(char)
            at += 1
        self.emit(_Kind.STRING, start, at + 1, value="".join(chars))
        self.at = at + 1

    def escape(self, at: int) -> tuple[str, int]:
        """Go's escape at `at` (a backslash): the character and where the next one starts."""
        text = self.text
        simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a"}
        simple |= {"b": "\b", "f": "\f", "v": "\v"}
        kind = text[at + 1 : at + 2]
        if kind in simple:
            return simple[kind], at + 2
        digits = {"x": 2, "u": 4, "U": 8}.get(kind)
        if digits is not None:
            hex_text = text[at + 2 : at + 2 + digits]
            if len(hex_text) == digits and all(c in "0123456789abcdefABCDEF" for c in hex_text):
                return chr(int(hex_text, 16)), at + 2 + digits
        if kind.isdigit():
            octal = text[at + 1 : at + 4]
            if len(octal) == 3 and all(c in "01234567" for c in octal):
                return chr(int(octal, 8)), at + 4
        raise self.fail(at, "invalid escape sequence in string")

    def char_constant(self, start: int) -> None:
        text = self.text
        if text[start + 1 : start + 2] == "\\":
            char, end = self.escape(start + 1)
        else:
            char, end = text[start + 1 : start + 2], start + 2
        if not char or text[end : end + 1] != "'":
            raise self.fail(start, "unterminated character constant")
        self.emit(_Kind.NUMBER, start, end + 1, value=ord(char))
        self.at = end + 1

    def number(self, start: int) -> None:
        text = self.text
        end = start + 1
        while end < len(text) and (text[end].isalnum() or text[end] in "._+-"):
            if text[end] in "+-" and text[end - 1] not in "eEpP":
                break
            end += 1
        literal = text[start:end]
        self.emit(_Kind.NUMBER, start, end, value=_number(literal, self.fail(start, "")))
        self.at = end


def _number(literal: str, error: GoTemplateError) -> int | float:
    digits = literal.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    body = digits.lstrip("+-")
    try:
        if body[:2].lower() in ("0x", "0o", "0b") and "." not in body and "p" not in body.lower():
            return sign * int(body, 0)
        if len(body) > 1 and body[0] == "0" and body.isdigit():
            return sign * int(body, 8)
        if body.isdigit():
            return sign * int(body)
        return sign * float(body)
    except ValueError:
        raise GoTemplateError(error.position, f"bad number syntax: {literal!r}") from None


def _lex(text: str) -> list[_Token]:
    return _Lexer(text).run()


# The parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self, *, spaces: bool = False) -> _Token:
        at = self.at
        while not spaces and self.tokens[at].kind is _Kind.SPACE:
            at += 1
        return self.tokens[at]

    def next(self, *, spaces: bool = False) -> _Token:
        while not spaces and self.tokens[self.at].kind is _Kind.SPACE:
            self.at += 1
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, kind: _Kind, context: str) -> _Token:
        token = self.next()
        if token.kind is not kind:
            raise GoTemplateError(token.position, f"unexpected {_shown(token)} in {context}")
        return token

    def nodes(self, stops: set[str]) -> tuple[tuple[Node, ...], _Token]:
        """Nodes up to a stop: "EOF", or a keyword tag (`{{end}}`, `{{else}}`), whose left
        delimiter and keyword are consumed; the returned token is the keyword (or EOF)."""
        nodes: list[Node] = []
        while True:
            token = self.next(spaces=True)
            if token.kind is _Kind.EOF:
                if "EOF" not in stops:
                    raise GoTemplateError(token.position, "unexpected EOF: missing {{end}}")
                return tuple(nodes), token
            if token.kind is _Kind.TEXT:
                nodes.append(Text(token.text, token.position))
            elif token.kind is _Kind.COMMENT:
                assert isinstance(token.value, Trim)
                nodes.append(Comment(token.text, token.position, token.value))
            else:
                keyword = self.peek()
                if keyword.kind is _Kind.KEYWORD and keyword.text in ("end", "else"):
                    if keyword.text not in stops:
                        raise GoTemplateError(
                            keyword.position, f"unexpected {{{{{keyword.text}}}}}"
                        )
                    self.next()
                    return tuple(nodes), _Token(
                        keyword.kind, keyword.text, keyword.position, token.trim
                    )
                nodes.append(self.tag(token))

    def tag(self, left: _Token) -> Node:
        token = self.peek()
        if token.kind is _Kind.KEYWORD:
            self.next()
            if token.text in ("if", "range", "with"):
                return self.control(token, left)
            raise GoTemplateError(
                token.position, f"{{{{{token.text}}}}} is not supported by fasit migrate"
            )
        pipeline = self.pipeline("command", declarations=True)
        right = self.expect(_Kind.RIGHT, "command")
        return Action(pipeline, left.position, Trim(left.trim, right.trim))

    def control(self, keyword: _Token, left: _Token, *, is_elif: bool = False) -> Node:
        pipeline = self.pipeline(keyword.text, declarations=True)
        if keyword.text != "range" and len(pipeline.variables) > 1:
            raise GoTemplateError(pipeline.position, "too many declarations")
        right = self.expect(_Kind.RIGHT, keyword.text)
        trims = [Trim(left.trim, right.trim)]
        body, stop = self.nodes({"end", "else"})
        otherwise: tuple[Node, ...] | None = None
        if stop.text == "else":
            after = self.peek()
            if keyword.text == "if" and after.kind is _Kind.KEYWORD and after.text == "if":
                self.next()
                nested = self.control(after, stop, is_elif=True)
                assert isinstance(nested, If)
                # The nested if consumed the one {{end}} both share.
                return If(pipeline, body, (nested,), left.position, tuple(trims), is_elif)
            else_right = self.expect(_Kind.RIGHT, "else")
            trims.append(Trim(stop.trim, else_right.trim))
            otherwise, stop = self.nodes({"end"})
        end_right = self.expect(_Kind.RIGHT, "end")
        trims.append(Trim(stop.trim, end_right.trim))
        if keyword.text == "if":
            return If(pipeline, body, otherwise, left.position, tuple(trims), is_elif)
        if keyword.text == "range":
            return Range(pipeline, body, otherwise, left.position, tuple(trims))
        return With(pipeline, body, otherwise, left.position, tuple(trims))

    def pipeline(self, context: str, *, declarations: bool = False) -> Pipeline:
        start = self.peek()
        variables: list[str] = []
        is_assign = False
        if declarations and start.kind is _Kind.VARIABLE:
            variables, is_assign = self.declarations(context)
        commands: list[Command] = []
        while True:
            commands.append(self.command(context))
            token = self.peek()
            if token.kind is not _Kind.PIPE:
                break
            self.next()
        return Pipeline(tuple(commands), start.position, tuple(variables), is_assign)

    def declarations(self, context: str) -> tuple[list[str], bool]:
        """`$x :=`, `$x =`, `$i, $v :=`; nothing (and nothing consumed) when the variable is
        an operand (`{{ $x }}`)."""
        saved = self.at
        first = self.next()
        names = [first.text]
        token = self.peek()
        if token.kind is _Kind.COMMA and context == "range":
            self.next()
            second = self.expect(_Kind.VARIABLE, "range declaration")
            names.append(second.text)
            token = self.peek()
            if token.kind is not _Kind.DECLARE and token.kind is not _Kind.ASSIGN:
                raise GoTemplateError(token.position, "missing := in range declaration")
        if token.kind in (_Kind.DECLARE, _Kind.ASSIGN) and "." not in "".join(names):
            self.next()
            return names, token.kind is _Kind.ASSIGN
        self.at = saved
        return [], False

    def command(self, context: str) -> Command:
        arguments: list[Argument] = []
        start = self.peek()
        while True:
            token = self.peek()
            if token.kind in (_Kind.RIGHT, _Kind.PIPE, _Kind.RPAREN):
                break
            arguments.append(self.operand(context))
            after = self.peek(spaces=True)
            if after.kind not in (_Kind.SPACE, _Kind.RIGHT, _Kind.PIPE, _Kind.RPAREN):
                raise GoTemplateError(after.position, f"unexpected {_shown(after)} in operand")
        if not arguments:
            raise GoTemplateError(start.position, f"missing value for {context}")
        return Command(tuple(arguments), start.position)

    def operand(self, context: str) -> Argument:
        token = self.next()
        position = token.position
        operand: Argument
        if token.kind is _Kind.FIELD:
            return Field((token.text[1:], *self.fields()), position)
        if token.kind is _Kind.VARIABLE:
            return Variable(token.text, self.fields(), position)
        if token.kind is _Kind.DOT:
            operand = Dot(position)
        elif token.kind is _Kind.IDENTIFIER:
            operand = Identifier(token.text, position)
        elif token.kind is _Kind.STRING:
            operand = String(str(token.value), position)
        elif token.kind is _Kind.NUMBER:
            operand = Number(token.value, position)  # type: ignore[arg-type]
        elif token.kind is _Kind.BOOL:
            operand = Bool(bool(token.value), position)
        elif token.kind is _Kind.NIL:
            operand = Nil(position)
        elif token.kind is _Kind.LPAREN:
            pipeline = self.pipeline("parenthesized pipeline", declarations=True)
            self.expect(_Kind.RPAREN, "parenthesized pipeline")
            operand = Chain(pipeline, (), position)
        else:
            raise GoTemplateError(position, f"unexpected {_shown(token)} in {context}")
        names = self.fields()
        if isinstance(operand, Chain):
            return Chain(operand.pipeline, names, position)
        if names:
            raise GoTemplateError(position, "unexpected . after term")
        return operand

    def fields(self) -> tuple[str, ...]:
        """The names of `.a.b` written right after an operand, with no space between."""
        names: list[str] = []
        while (token := self.peek(spaces=True)).kind is _Kind.FIELD:
            self.next(spaces=True)
            names.append(token.text[1:])
        return tuple(names)


def _shown(token: _Token) -> str:
    if token.kind is _Kind.EOF:
        return "EOF"
    if token.kind is _Kind.RIGHT:
        return '"}}"'
    return f"{token.text!r}"
