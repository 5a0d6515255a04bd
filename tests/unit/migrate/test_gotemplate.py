"""The Go template parser, against the text/template behaviours nais/fasit's templates rely on."""

from __future__ import annotations

import pytest

from fasit.migrate.gotemplate import (
    Action,
    Chain,
    Comment,
    Field,
    GoTemplateError,
    Identifier,
    If,
    Number,
    Position,
    Range,
    String,
    Text,
    Trim,
    Variable,
    With,
    parse,
)


def only_action(template: str) -> Action:
    (node,) = parse(template)
    assert isinstance(node, Action)
    return node


def test_text_around_actions_is_kept_as_written_and_trim_markers_sit_on_the_tag() -> None:
    before, action, after = parse("a \n{{- .x -}}\n b")

    assert before == Text("a \n", Position(1, 1))
    assert action.trim == Trim(left=True, right=True)
    assert after == Text("\n b", Position(2, 11))


def test_a_minus_without_a_space_is_a_negative_number_not_a_trim_marker() -> None:
    action = only_action("{{-3}}")

    assert action.trim == Trim()
    assert action.pipeline.commands[0].arguments == (Number(-3, Position(1, 3)),)


def test_fields_chain_from_the_dot() -> None:
    action = only_action("{{ .Tenant.Name }}")

    assert action.pipeline.commands[0].arguments == (Field(("Tenant", "Name"), Position(1, 4)),)


def test_a_pipeline_is_a_list_of_commands() -> None:
    action = only_action('{{ .Envs | mapOf "name" "project" | toJSON }}')

    first, second, third = action.pipeline.commands
    assert first.arguments == (Field(("Envs",), Position(1, 4)),)
    assert [type(a) for a in second.arguments] == [Identifier, String, String]
    assert third.arguments == (Identifier("toJSON", Position(1, 37)),)


def test_a_parenthesised_call_with_fields_after_it_is_a_chain() -> None:
    action = only_action('{{ (index .Configs "a.b").c }}')

    (chain,) = action.pipeline.commands[0].arguments
    assert isinstance(chain, Chain)
    assert chain.names == ("c",)
    assert chain.pipeline.commands[0].arguments[2] == String("a.b", Position(1, 20))


def test_variables_and_the_root_take_fields() -> None:
    action = only_action("{{ eq $e.name $.Env.name }}")

    _, mine, root = action.pipeline.commands[0].arguments
    assert mine == Variable("$e", ("name",), Position(1, 7))
    assert root == Variable("$", ("Env", "name"), Position(1, 15))


def test_declaring_and_assigning_a_variable_are_told_apart() -> None:
    declare, assign = parse("{{ $x := 1 }}{{ $x = 2 }}")

    assert isinstance(declare, Action)
    assert isinstance(assign, Action)
    assert (declare.pipeline.variables, declare.pipeline.is_assign) == (("$x",), False)
    assert (assign.pipeline.variables, assign.pipeline.is_assign) == (("$x",), True)


def test_else_if_is_an_if_nested_in_the_else_branch() -> None:
    (node,) = parse('{{ if eq .Kind "a" }}A{{ else if .B }}B{{ else }}C{{ end }}')

    assert isinstance(node, If)
    (nested,) = node.otherwise or ()
    assert isinstance(nested, If)
    assert nested.is_elif
    assert nested.body == (Text("B", Position(1, 39)),)
    assert nested.otherwise == (Text("C", Position(1, 50)),)


def test_else_with_is_a_with_nested_in_the_else_branch() -> None:
    (node,) = parse("{{ with .A }}A{{ else with .B }}B{{ else }}C{{ end }}")

    assert isinstance(node, With)
    (nested,) = node.otherwise or ()
    assert isinstance(nested, With)
    assert nested.is_else_with
    assert nested.body == (Text("B", Position(1, 33)),)
    assert nested.otherwise == (Text("C", Position(1, 44)),)


def test_else_with_inside_an_if_is_refused() -> None:
    with pytest.raises(GoTemplateError, match=r"^1:21: unexpected 'with' in else$"):
        parse("{{ if .A }}A{{ else with .B }}B{{ end }}")


def test_range_declares_index_and_value() -> None:
    (node,) = parse("{{ range $i, $e := .Envs }}{{ $e.name }}{{ else }}none{{ end }}")

    assert isinstance(node, Range)
    assert node.pipeline.variables == ("$i", "$e")
    assert node.otherwise == (Text("none", Position(1, 51)),)


def test_with_has_a_body_and_an_else() -> None:
    (node,) = parse("{{ with .Env.db }}{{ .host }}{{ else }}-{{ end }}")

    assert isinstance(node, With)
    assert len(node.body) == 1
    assert node.otherwise == (Text("-", Position(1, 40)),)


def test_comments_are_kept_with_their_trim_markers() -> None:
    (node,) = parse("{{- /* a\nnote */ -}}")

    assert node == Comment(" a\nnote ", Position(1, 1), Trim(left=True, right=True))


def test_quoted_strings_unescape_and_raw_strings_do_not() -> None:
    action = only_action(r'{{ f "a\"\n\x41" `b\n` }}')

    _, quoted, raw = action.pipeline.commands[0].arguments
    assert quoted == String('a"\nA', Position(1, 6))
    assert raw == String("b\\n", Position(1, 18))


def test_numbers_bools_nil_and_chars_are_constants() -> None:
    action = only_action("{{ f 0x1F 017 1.5 'a' true nil }}")

    values = [getattr(a, "value", None) for a in action.pipeline.commands[0].arguments[1:]]
    assert values == [31, 15, 1.5, 97, True, None]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param("{{ .x", "1:1: unclosed action", id="an unclosed action"),
        pytest.param("{{ if .x }}a", "1:13: unexpected EOF: missing {{end}}", id="a missing end"),
        pytest.param("a\n{{ end }}", "2:4: unexpected {{end}}", id="an end without a block"),
        pytest.param('{{ "abc }}', "1:4: unterminated quoted string", id="an open string"),
        pytest.param("x\n  {{ f ( }}", "2:10: unclosed left paren", id="an open paren"),
        pytest.param("{{ a # b }}", "1:6: unrecognized character in action: '#'", id="a stray #"),
        pytest.param("{{ }}", "1:4: missing value for command", id="an empty action"),
        pytest.param('{{ "a\\q" }}', "1:6: invalid escape sequence in string", id="a bad escape"),
        pytest.param("{{/* a }}", "1:1: unclosed comment", id="an unclosed comment"),
        pytest.param(
            '{{ define "x" }}{{ end }}',
            "1:4: {{define}} is not supported by fasit migrate",
            id="define",
        ),
    ],
)
def test_a_template_go_refuses_is_an_error_with_line_and_column(
    template: str, message: str
) -> None:
    with pytest.raises(GoTemplateError) as raised:
        parse(template)

    assert str(raised.value) == message
