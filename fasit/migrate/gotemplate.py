"""Go's text/template, parsed: a recursive-descent parser (over _go_lexer.py's tokens) for the
grammar nais/fasit's Feature.yaml templates use, giving go_ast.py's tree of frozen nodes.

`fasit migrate` (translate.py) reads the tree; nothing here renders a template. Errors say
line:column inside the template text. Example: `{{ .Env.name | quote }}` parses to
an Action whose Pipeline has two Commands: `Field(("Env", "name"))` and `Identifier("quote")`.
"""

from __future__ import annotations

from fasit.migrate._go_lexer import Kind, Token, lex
from fasit.migrate.go_ast import (
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
)

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
    "parse",
]


def parse(template: str) -> tuple[Node, ...]:
    """The template's nodes; raises GoTemplateError at the first thing text/template refuses."""
    parser = _Parser(lex(template))
    nodes, stop = parser.nodes({"EOF"})
    del stop
    return nodes


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self, *, spaces: bool = False) -> Token:
        at = self.at
        while not spaces and self.tokens[at].kind is Kind.SPACE:
            at += 1
        return self.tokens[at]

    def next(self, *, spaces: bool = False) -> Token:
        while not spaces and self.tokens[self.at].kind is Kind.SPACE:
            self.at += 1
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, kind: Kind, context: str) -> Token:
        token = self.next()
        if token.kind is not kind:
            raise GoTemplateError(token.position, f"unexpected {_shown(token)} in {context}")
        return token

    def nodes(self, stops: set[str]) -> tuple[tuple[Node, ...], Token]:
        """Nodes up to a stop: "EOF", or a keyword tag (`{{end}}`, `{{else}}`), whose left
        delimiter and keyword are consumed; the returned token is the keyword (or EOF)."""
        nodes: list[Node] = []
        while True:
            token = self.next(spaces=True)
            if token.kind is Kind.EOF:
                if "EOF" not in stops:
                    raise GoTemplateError(token.position, "unexpected EOF: missing {{end}}")
                return tuple(nodes), token
            if token.kind is Kind.TEXT:
                nodes.append(Text(token.text, token.position))
            elif token.kind is Kind.COMMENT:
                assert isinstance(token.value, Trim)
                nodes.append(Comment(token.text, token.position, token.value))
            else:
                keyword = self.peek()
                if keyword.kind is Kind.KEYWORD and keyword.text in ("end", "else"):
                    if keyword.text not in stops:
                        raise GoTemplateError(
                            keyword.position, f"unexpected {{{{{keyword.text}}}}}"
                        )
                    self.next()
                    return tuple(nodes), Token(
                        keyword.kind, keyword.text, keyword.position, token.trim
                    )
                nodes.append(self.tag(token))

    def tag(self, left: Token) -> Node:
        token = self.peek()
        if token.kind is Kind.KEYWORD:
            self.next()
            if token.text in ("if", "range", "with"):
                return self.control(token, left)
            raise GoTemplateError(
                token.position, f"{{{{{token.text}}}}} is not supported by fasit migrate"
            )
        pipeline = self.pipeline("command", declarations=True)
        right = self.expect(Kind.RIGHT, "command")
        return Action(pipeline, left.position, Trim(left.trim, right.trim))

    def control(self, keyword: Token, left: Token, *, is_chained: bool = False) -> Node:
        pipeline = self.pipeline(keyword.text, declarations=True)
        if keyword.text != "range" and len(pipeline.variables) > 1:
            raise GoTemplateError(pipeline.position, "too many declarations")
        right = self.expect(Kind.RIGHT, keyword.text)
        trims = [Trim(left.trim, right.trim)]
        body, stop = self.nodes({"end", "else"})
        otherwise: tuple[Node, ...] | None = None
        if stop.text == "else":
            after = self.peek()
            chains = keyword.text in ("if", "with") and after.text == keyword.text
            if after.kind is Kind.KEYWORD and chains:
                # `{{else if}}`, and `{{else with}}` (Go 1.23): the nested one consumes the one
                # {{end}} both share.
                self.next()
                nested = self.control(after, stop, is_chained=True)
                if isinstance(nested, If):
                    return If(pipeline, body, (nested,), left.position, tuple(trims), is_chained)
                return With(pipeline, body, (nested,), left.position, tuple(trims), is_chained)
            else_right = self.expect(Kind.RIGHT, "else")
            trims.append(Trim(stop.trim, else_right.trim))
            otherwise, stop = self.nodes({"end"})
        end_right = self.expect(Kind.RIGHT, "end")
        trims.append(Trim(stop.trim, end_right.trim))
        if keyword.text == "if":
            return If(pipeline, body, otherwise, left.position, tuple(trims), is_chained)
        if keyword.text == "range":
            return Range(pipeline, body, otherwise, left.position, tuple(trims))
        return With(pipeline, body, otherwise, left.position, tuple(trims), is_chained)

    def pipeline(self, context: str, *, declarations: bool = False) -> Pipeline:
        start = self.peek()
        variables: list[str] = []
        is_assign = False
        if declarations and start.kind is Kind.VARIABLE:
            variables, is_assign = self.declarations(context)
        commands: list[Command] = []
        while True:
            commands.append(self.command(context))
            token = self.peek()
            if token.kind is not Kind.PIPE:
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
        if token.kind is Kind.COMMA and context == "range":
            self.next()
            second = self.expect(Kind.VARIABLE, "range declaration")
            names.append(second.text)
            token = self.peek()
            if token.kind is not Kind.DECLARE and token.kind is not Kind.ASSIGN:
                raise GoTemplateError(token.position, "missing := in range declaration")
        if token.kind in (Kind.DECLARE, Kind.ASSIGN) and "." not in "".join(names):
            self.next()
            return names, token.kind is Kind.ASSIGN
        self.at = saved
        return [], False

    def command(self, context: str) -> Command:
        arguments: list[Argument] = []
        start = self.peek()
        while True:
            token = self.peek()
            if token.kind in (Kind.RIGHT, Kind.PIPE, Kind.RPAREN):
                break
            arguments.append(self.operand(context))
            after = self.peek(spaces=True)
            if after.kind not in (Kind.SPACE, Kind.RIGHT, Kind.PIPE, Kind.RPAREN):
                raise GoTemplateError(after.position, f"unexpected {_shown(after)} in operand")
        if not arguments:
            raise GoTemplateError(start.position, f"missing value for {context}")
        return Command(tuple(arguments), start.position)

    def operand(self, context: str) -> Argument:
        token = self.next()
        position = token.position
        operand: Argument
        if token.kind is Kind.FIELD:
            return Field((token.text[1:], *self.fields()), position)
        if token.kind is Kind.VARIABLE:
            return Variable(token.text, self.fields(), position)
        if token.kind is Kind.DOT:
            operand = Dot(position)
        elif token.kind is Kind.IDENTIFIER:
            operand = Identifier(token.text, position)
        elif token.kind is Kind.STRING:
            operand = String(str(token.value), position)
        elif token.kind is Kind.NUMBER:
            operand = Number(token.value, position)  # type: ignore[arg-type]
        elif token.kind is Kind.BOOL:
            operand = Bool(bool(token.value), position)
        elif token.kind is Kind.NIL:
            operand = Nil(position)
        elif token.kind is Kind.LPAREN:
            pipeline = self.pipeline("parenthesized pipeline", declarations=True)
            self.expect(Kind.RPAREN, "parenthesized pipeline")
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
        while (token := self.peek(spaces=True)).kind is Kind.FIELD:
            self.next(spaces=True)
            names.append(token.text[1:])
        return tuple(names)


def _shown(token: Token) -> str:
    if token.kind is Kind.EOF:
        return "EOF"
    if token.kind is Kind.RIGHT:
        return '"}}"'
    return f"{token.text!r}"
