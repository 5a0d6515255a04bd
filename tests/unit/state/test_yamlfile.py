"""read_yaml: plain data out, positions kept, limits enforced, nothing silently lost."""

from __future__ import annotations

import pytest

from fasit.state import Position, ProblemCode, YamlLimits, read_yaml


def codes(text: str, limits: YamlLimits | None = None) -> list[tuple[str, int | None, int | None]]:
    return [(p.code, p.line, p.column) for p in read_yaml(text, "f.yaml", limits).problems]


def test_documents_are_split_on_separators_with_their_index() -> None:
    result = read_yaml("a: 1\n---\nb: 2\n---\n# only a comment\n---\nc: 3\n", "f.yaml")

    assert [(d.index, d.data) for d in result.documents] == [
        (0, {"a": 1}),
        (1, {"b": 2}),
        (3, {"c": 3}),
    ]


def test_timestamps_stay_the_text_that_was_written() -> None:
    [document] = read_yaml("since: 2024-01-31\n", "f.yaml").documents

    assert document.data == {"since": "2024-01-31"}


def test_yaml_11_scalars_keep_their_yaml_types() -> None:
    [document] = read_yaml("a: on\nb: 0x10\nc: 1.5\nd: ~\ne: '1.10'\n", "f.yaml").documents

    assert document.data == {"a": True, "b": 16, "c": 1.5, "d": None, "e": "1.10"}


def test_merge_keys_merge_and_explicit_keys_win() -> None:
    text = "base: &base {a: 1, b: 2}\nchild:\n  <<: *base\n  b: 3\n"

    [document] = read_yaml(text, "f.yaml").documents

    assert document.data == {"base": {"a": 1, "b": 2}, "child": {"a": 1, "b": 3}}
    assert document.locate(["child", "a"]) == Position(1, 17)
    assert document.locate(["child", "b"]) == Position(4, 6)


def test_duplicate_keys_are_all_reported_and_the_document_left_out() -> None:
    result = read_yaml("a: 1\nb: 2\na: 3\nn: {x: 1, x: 2}\n", "f.yaml")

    assert result.documents == []
    assert [(p.line, p.column, p.message) for p in result.problems] == [
        (3, 1, "duplicate key 'a' (first at line 1, column 1)"),
        (4, 11, "duplicate key 'x' (first at line 4, column 5)"),
    ]


def test_syntax_error_keeps_the_documents_before_it() -> None:
    result = read_yaml("a: 1\n---\nb: [\n", "f.yaml")

    assert [d.data for d in result.documents] == [{"a": 1}]
    assert codes("a: 1\n---\nb: [\n") == [(ProblemCode.YAML_SYNTAX, 4, 1)]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        pytest.param("a: 1\nb: \x1f\n", 2, 4, id="ascii"),
        pytest.param("a: \U0001f600\r\nbb: é\x07\n", 2, 6, id="after multi-byte characters"),
    ],
)
def test_a_control_character_is_a_syntax_error_at_its_line_and_column(
    text: str, line: int, column: int
) -> None:
    [problem] = read_yaml(text, "f.yaml").problems

    assert (problem.code, problem.line, problem.column) == (ProblemCode.YAML_SYNTAX, line, column)
    assert problem.message.startswith("control characters are not allowed (#x")
    assert "<unicode string>" not in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a: !!int many\n", "'many' is not a valid int (!!int)", id="int"),
        pytest.param("a: !!int\n", "'' is not a valid int (!!int)", id="empty int"),
        pytest.param("a: !!float x\n", "'x' is not a valid float (!!float)", id="float"),
        pytest.param("a: !!bool maybe\n", "'maybe' is not a valid bool (!!bool)", id="bool"),
        pytest.param("a: " + "1" * 5000 + "\n", f"'{'1' * 40}'… is not a valid int", id="huge"),
    ],
)
def test_a_scalar_that_does_not_fit_its_type_is_a_syntax_error_at_it(
    text: str, message: str
) -> None:
    [problem] = read_yaml(text, "f.yaml").problems

    assert (problem.code, problem.line, problem.column) == (ProblemCode.YAML_SYNTAX, 1, 4)
    assert problem.message.startswith(message)


def test_a_bad_document_does_not_hide_the_good_ones_after_it() -> None:
    result = read_yaml("a: !!set {x}\n---\nb: 2\n", "f.yaml")

    assert [d.data for d in result.documents] == [{"b": 2}]
    assert [p.code for p in result.problems] == [ProblemCode.YAML_UNSUPPORTED_TAG]


def test_recursive_alias_is_refused_at_its_anchor() -> None:
    assert codes("a: &a [*a]\n") == [(ProblemCode.YAML_ALIAS_LIMIT, 1, 4)]


def test_shared_aliases_within_limits_are_fine() -> None:
    [document] = read_yaml("x: &x [1, 2]\ny: *x\nz: *x\n", "f.yaml").documents

    assert document.data == {"x": [1, 2], "y": [1, 2], "z": [1, 2]}


def test_alias_expansion_is_measured_not_performed() -> None:
    limits = YamlLimits(max_alias_expansion=5)

    # The composer keeps no alias positions: the problem points at the anchor that overflowed.
    assert codes("x: &x [1, 2, 3]\ny: [*x, *x]\n", limits) == [(ProblemCode.YAML_ALIAS_LIMIT, 1, 4)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a: !custom x\n", (ProblemCode.YAML_UNSUPPORTED_TAG, 1, 4), id="local tag"),
        pytest.param("a: !!binary aGk=\n", (ProblemCode.YAML_UNSUPPORTED_TAG, 1, 4), id="binary"),
        pytest.param("? [a]\n: b\n", (ProblemCode.YAML_SYNTAX, 1, 3), id="complex key"),
        pytest.param("<<: 1\n", (ProblemCode.YAML_SYNTAX, 1, 5), id="merge of a scalar"),
    ],
)
def test_unusual_yaml_is_refused_with_its_position(
    text: str, expected: tuple[str, int, int]
) -> None:
    assert codes(text) == [expected]


def test_nesting_within_the_depth_limit_is_fine() -> None:
    text = "a: " + "[" * 60 + "]" * 60 + "\n"

    assert codes(text) == []


def test_nesting_past_the_depth_limit_is_refused_in_small_files_too() -> None:
    assert codes("a: " + "[" * 70 + "]" * 70) == [(ProblemCode.YAML_TOO_DEEP, 1, 68)]


def test_locate_finds_list_items_and_falls_back_to_the_nearest_parent() -> None:
    [document] = read_yaml("labels:\n  env: prod\nlist:\n  - a\n  - b\n", "f.yaml").documents

    assert document.locate(["list", 1]) == Position(5, 5)
    assert document.locate(["labels", "missing"]) == Position(2, 3)
    assert document.locate(["labels", "env"], at_key=True) == Position(2, 3)
    assert document.locate(["labels", "env", "[key]"]) == Position(2, 3)
    assert document.start == Position(1, 1)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("0", 0, id="zero"),
        pytest.param("42", 42, id="decimal"),
        pytest.param("-7", -7, id="negative"),
        pytest.param("010", 8, id="yaml 1.1 octal"),
        pytest.param("0x1f", 31, id="hex"),
        pytest.param("1_000", 1000, id="underscores"),
        pytest.param("190:20:30", 685230, id="sexagesimal"),
        pytest.param("Yes", True, id="yaml 1.1 boolean"),
        pytest.param("OFF", False, id="uppercase boolean"),
        pytest.param(".inf", float("inf"), id="infinity"),
    ],
)
def test_scalars_construct_as_yaml_11_says(text: str, value: object) -> None:
    [document] = read_yaml(f"a: {text}\n", "f.yaml").documents

    assert document.data == {"a": value}
