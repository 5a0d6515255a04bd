"""Fuzzing the YAML loader: whatever bytes a state file holds, reading it never raises, and
every problem it reports says where (file, and line and column from 1 inside the text).

Arbitrary bytes reach the byte checks (NUL, UTF-8), arbitrary text reaches libyaml, and text
built from YAML's own indicators (anchors, aliases, merge keys, tags, flow and block
collections, directives) reaches the node builder and the state document models behind it.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fasit.state import LoadLimits, Problem, ProblemCode, parse_yaml_bytes, read_state_document
from tests.fuzzing import examples

FILE = "state/fuzz.yaml"
# Problems about the whole file have no line: the bytes are not text at all.
_WHOLE_FILE = {ProblemCode.BINARY_FILE}
# YAML 1.1's line breaks, which libyaml's line numbers count.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

_TOKENS = (
    "apiVersion: fasit/v1", "kind: Environment", "kind: Feature", "kind: Assignment",
    "kind: Config", "metadata:", "name: dev", "tenant: nav", "labels:", "values:", "spec:",
    "key:", "a: 1", "- ", "-", ": ", "? ", "&a ", "*a", "&b ", "*b", "<<: *a", "<<: [*a, *b]",
    "<<:", "!!str ", "!!binary ", "!!set ", "!!python/object ", "!foo ", "!!map ", "!!int ",
    "{", "}", "[", "]", ", ", "'", "''", '"', '\\"', "\\x", "\\u00", "|", "|-", ">", ">+",
    "---", "...", "# c", "%YAML 1.1", "%TAG ! tag:x,2000:", "0x1F", "0o17", "1e400", "-.inf",
    ".nan", "~", "null", "yes", "On", "2026-12-05", "12:30:00", "1_000", "é", "\U0001f600",
    "\u2028", "\ufeff", "\t", "\r", "\x85", "\x7f", "\x1b",
)  # fmt: skip


def _yamlish() -> st.SearchStrategy[str]:
    """Lines of YAML's own tokens at varying indentation: mostly near-valid, often broken."""
    line = st.tuples(
        st.integers(0, 6), st.lists(st.sampled_from(_TOKENS) | st.text(max_size=3), max_size=6)
    ).map(lambda parts: " " * parts[0] + "".join(parts[1]))
    return st.lists(line, max_size=25).map("\n".join)


def _read(data: bytes) -> list[Problem]:
    """Every problem of the file: its YAML, then each document read as a state document."""
    parsed = parse_yaml_bytes(FILE, data, LoadLimits())
    problems = list(parsed.problems)
    for document in parsed.documents:
        problems += read_state_document(document, FILE, "sha256:fuzz")[1]
    return problems


def _check_located(data: bytes, problems: list[Problem]) -> None:
    text = data.decode("utf-8", "ignore")
    lines = len(_LINE_BREAK.findall(text)) + 2  # a problem may point just past the last line
    for problem in problems:
        assert problem.file == FILE, problem
        assert problem.message, problem
        if problem.code in _WHOLE_FILE:
            assert problem.line is None, problem
            continue
        assert problem.line is not None, problem
        assert problem.column is not None, problem
        assert 1 <= problem.line <= lines, problem
        assert problem.column >= 1, problem


@settings(max_examples=examples(300))
@given(st.binary(max_size=512))
@example(b"\xff\xfe")
@example(b"a: 1\0")
@example(b"a: 1\nb: \x1f")  # a control character: a problem with no position, before
def test_any_bytes_read_without_raising_and_every_problem_says_where(data: bytes) -> None:
    _check_located(data, _read(data))


@settings(max_examples=examples(300))
@given(st.text(max_size=256))
def test_any_text_reads_without_raising_and_every_problem_says_where(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    _check_located(data, _read(data))


@settings(max_examples=examples(400))
@given(_yamlish())
@example("a: &a [1]\nb: *a\n<<: *a\n")
@example("---\n- *a\n")
@example("!!int ")  # IndexError from PyYAML's int constructor, before
@example("a: !!bool maybe\n")  # KeyError, before
@example("%YAML 1.1\n%YAML 1.1\n---\na: 1\n")
def test_yaml_shaped_text_reads_without_raising_and_every_problem_says_where(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    _check_located(data, _read(data))
