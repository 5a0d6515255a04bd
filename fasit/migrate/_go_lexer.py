"""The lexer of Go's text/template: text between actions, and inside `{{ }}` (with trim markers
`{{- ` and ` -}}`) fields, variables, words, strings, numbers, pipes, parentheses, `:=`, `=`.

Only gotemplate.py's parser calls it. Errors say line:column inside the template text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

from fasit.migrate.go_ast import GoTemplateError, Position, Trim

__all__ = ["Kind", "Token", "lex"]

_KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break"}
_KEYWORDS |= {"continue"}
_SPACE = " \t\r\n"


class Kind(Enum):
    """What a token is."""

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
class Token:
    """One token: its kind, its text as written, where it starts."""

    kind: Kind
    text: str
    position: Position
    trim: bool = False  # LEFT `{{-`, RIGHT `-}}`
    value: object = None


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.tokens: list[Token] = []

    def position(self, offset: int) -> Position:
        line = self.text.count("\n", 0, offset) + 1
        return Position(line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1)

    def fail(self, offset: int, message: str) -> GoTemplateError:
        return GoTemplateError(self.position(offset), message)

    def emit(self, kind: Kind, start: int, end: int, **more: object) -> None:
        self.tokens.append(Token(kind, self.text[start:end], self.position(start), **more))  # type: ignore[arg-type]

    def run(self) -> list[Token]:
        text = self.text
        while self.at < len(text):
            start = text.find("{{", self.at)
            if start < 0:
                self.emit(Kind.TEXT, self.at, len(text))
                break
            if start > self.at:
                self.emit(Kind.TEXT, self.at, start)
            self.action(start)
        self.emit(Kind.EOF, len(text), len(text))
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
        self.emit(Kind.LEFT, start, at, trim=trim)
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
            Token(
                Kind.COMMENT,
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
                    self.emit(Kind.RIGHT, end, end + 3, trim=True)
                    self.at = end + 3
                    return
                self.emit(Kind.SPACE, at, end)
                self.at = end
            elif text.startswith("}}", at):
                if depth:
                    raise self.fail(at, "unclosed left paren")
                self.emit(Kind.RIGHT, at, at + 2)
                self.at = at + 2
                return
            elif char == "|":
                self.single(Kind.PIPE)
            elif char == "(":
                depth += 1
                self.single(Kind.LPAREN)
            elif char == ")":
                depth -= 1
                if depth < 0:
                    raise self.fail(at, "unexpected right paren")
                self.single(Kind.RPAREN)
            elif char == ",":
                self.single(Kind.COMMA)
            elif text.startswith(":=", at):
                self.emit(Kind.DECLARE, at, at + 2)
                self.at = at + 2
            elif char == "=":
                self.single(Kind.ASSIGN)
            elif char == '"':
                self.quoted(at)
            elif char == "`":
                end = text.find("`", at + 1)
                if end < 0:
                    raise self.fail(at, "unterminated raw quoted string")
                self.emit(Kind.STRING, at, end + 1, value=text[at + 1 : end])
                self.at = end + 1
            elif char == "'":
                self.char_constant(at)
            elif char == "$":
                end = self.word_end(at + 1)
                self.emit(Kind.VARIABLE, at, end)
                self.at = end
            elif char == ".":
                if at + 1 < len(text) and text[at + 1].isdigit():
                    self.number(at)
                    continue
                end = self.word_end(at + 1)
                self.emit(Kind.FIELD if end > at + 1 else Kind.DOT, at, end)
                self.at = end
            elif char.isdigit() or (char in "+-" and at + 1 < len(text) and text[at + 1].isdigit()):
                self.number(at)
            elif char.isalpha() or char == "_":
                end = self.word_end(at)
                word = text[at:end]
                if word in ("true", "false"):
                    self.emit(Kind.BOOL, at, end, value=word == "true")
                elif word == "nil":
                    self.emit(Kind.NIL, at, end)
                elif word in _KEYWORDS:
                    self.emit(Kind.KEYWORD, at, end)
                else:
                    self.emit(Kind.IDENTIFIER, at, end)
                self.at = end
            else:
                raise self.fail(at, f"unrecognized character in action: {char!r}")

    def single(self, kind: Kind) -> None:
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
        self.emit(Kind.STRING, start, at + 1, value="".join(chars))
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
        self.emit(Kind.NUMBER, start, end + 1, value=ord(char))
        self.at = end + 1

    def number(self, start: int) -> None:
        text = self.text
        end = start + 1
        while end < len(text) and (text[end].isalnum() or text[end] in "._+-"):
            if text[end] in "+-" and text[end - 1] not in "eEpP":
                break
            end += 1
        literal = text[start:end]
        self.emit(Kind.NUMBER, start, end, value=_number(literal, self.fail(start, "")))
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


def lex(text: str) -> list[Token]:
    """The tokens of a template: text, and inside `{{ }}` the words of an action; EOF last."""
    return _Lexer(text).run()
